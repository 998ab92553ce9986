"""The reference built inside the candidate's process notices what the candidate changed in torch."""
from __future__ import annotations

import torch

from harness.worker.inputs import task_module
from harness.worker.twin import ReferenceTwin
from kernelbench_tasks import SUITE_DIR


def test_twin_reports_patched_functions_settings_and_modules(monkeypatch):
    path = next(SUITE_DIR.rglob("1_Linear_Bias_ReLU.py"))
    job = {"task_path": str(path), "overrides": {}, "model_seed": 0}
    twin = ReferenceTwin(job, task_module(job)).to(torch.device("cpu"))
    assert twin.tampering() == []
    monkeypatch.setattr(torch, "relu", lambda x: x)
    assert "torch.relu" in twin.tampering()
    monkeypatch.undo()
    threads = torch.get_num_threads()
    torch.set_num_threads(threads + 1)
    try:
        assert "setting threads" in twin.tampering()
    finally:
        torch.set_num_threads(threads)
    sub = next(m for m in twin.model.modules() if m is not twin.model)
    monkeypatch.setattr(sub, "forward", lambda *a: a[0], raising=False)
    assert "the reference model's modules or parameters" in twin.tampering()
