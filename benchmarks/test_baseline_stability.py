"""Baseline stability: the same reference, measured fresh in 5 sandboxed runs, should agree.

An eager PyTorch chain on CPU allocates 8 MB temporaries each call; with glibc's default
trimming, some runs returned them to the OS between repetitions and measured 5x slower than
others. The sandbox pins the allocator's behaviour; this prints the spread of per-run medians.
"""
from __future__ import annotations

import statistics

from harness.backends import get_backend
from harness.config import EvalConfig
from harness.evaluate import Evaluator
from harness.sandbox.local import LocalProcessSandbox
from kernelbench_tasks import SUITE_DIR, load_task


def test_fresh_baselines_agree(benchmark, tmp_path, report_ratio):
    task = load_task(SUITE_DIR / "level2" / "5_SiLU_Bias_Clamp.py")
    ev = Evaluator(get_backend("cpu"), EvalConfig(threads=2), cache_root=tmp_path)
    medians = []

    def fresh():
        sb = LocalProcessSandbox(threads=2)
        try:
            medians.append(ev.reference(task, sb, "cpu", fresh=True).timing.median_ms / 1e3)
        finally:
            sb.close()

    benchmark.pedantic(fresh, rounds=5, iterations=1)
    print("\nper-run baseline medians (ms):", [round(m * 1e3, 3) for m in medians])
    report_ratio("baseline spread across 5 fresh runs (5_SiLU_Bias_Clamp)", "slowest", max(medians),
                 "fastest", min(medians))
    assert max(medians) / min(medians) < 2.0
    assert statistics.median(medians) > 0
