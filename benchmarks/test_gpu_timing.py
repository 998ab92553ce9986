"""GPU timing fidelity: the harness's sandboxed CUDA-event timing vs triton.testing.do_bench in this
process, for the same kernels (the CUDA ReLU and Softmax examples and their eager references at the
tasks' gpu sizes). Ratios near 1 say the sandbox, the device-wide synchronize and the output checks
add nothing to what is timed; bytes moved / time shows how close ReLU gets to the memory roofline.
Needs a CUDA GPU (scripts/gpu_check.sh)."""
from __future__ import annotations

import importlib.util

import pytest
import torch

from harness.backends import get_backend
from harness.config import EvalConfig
from harness.evaluate import Evaluator
from harness.result import Status
from harness.sandbox.local import LocalProcessSandbox
from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR, load_task
from kernelbench_tasks.task import exec_task_module

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _module(path):
    spec = importlib.util.spec_from_file_location(path.stem.lstrip("0123456789_") + "_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", ["1_ReLU", "5_Softmax"])
def test_harness_timing_matches_do_bench(benchmark, tmp_path, report_ratio, name):
    from triton.testing import do_bench

    task = load_task(next(SUITE_DIR.rglob(f"{name}.py")), profile="gpu")
    solution = EXAMPLES_DIR / "cuda" / f"{name}.py"
    ev = Evaluator(get_backend("cuda"), EvalConfig(trials=2), cache_root=tmp_path)
    sb = LocalProcessSandbox(threads=4)
    try:
        r = benchmark.pedantic(lambda: ev.evaluate(task, solution, sb, ev.backend.devices()[0]), rounds=1, iterations=1)
    finally:
        sb.close()
    assert r.status == Status.OK, (r.error, r.messages)

    ref_mod, sol_mod = exec_task_module(task.source, task.path, task.overrides), _module(solution)
    torch.manual_seed(0)
    inputs = [x.cuda() if isinstance(x, torch.Tensor) else x for x in ref_mod.get_inputs()]
    ref = ref_mod.Model(*ref_mod.get_init_inputs()).cuda()
    sol = sol_mod.ModelNew(*ref_mod.get_init_inputs()).cuda()
    with torch.no_grad():
        ref_ms = do_bench(lambda: ref(*inputs), return_mode="median")
        sol_ms = do_bench(lambda: sol(*inputs), return_mode="median")
    report_ratio(f"{name} gpu kernel", "harness", r.kernel.median_ms / 1e3, "do_bench", sol_ms / 1e3)
    report_ratio(f"{name} gpu baseline", "harness", r.baseline.median_ms / 1e3, "do_bench", ref_ms / 1e3)
    moved = 2 * sum(x.numel() * x.element_size() for x in inputs if isinstance(x, torch.Tensor))
    print(f"\n{name}: harness kernel {r.kernel.median_ms:.4f} ms ({moved / r.kernel.median_ms / 1e6:.0f} GB/s), "
          f"baseline {r.baseline.median_ms:.4f} ms, speedup {r.speedup:.3f}; do_bench kernel {sol_ms:.4f} ms, "
          f"baseline {ref_ms:.4f} ms")
    assert 0.5 < r.kernel.median_ms / sol_ms < 2.0
