"""The same honest kernel evaluated N times, with K busy processes beside it or none: how far the
speedups spread, and which are marked noisy. Prints one JSON line per evaluation, then a summary.

  python benchmarks/timing_under_load.py [--task 5_Softmax] [--runs 5] [--busy 2] [--cache DIR]

Run with the code to measure on PYTHONPATH (this worktree, or an export of an older commit).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import tempfile
from pathlib import Path

from harness.backends import get_backend
from harness.config import EvalConfig
from harness.evaluate import Evaluator
from harness.sandbox.local import LocalProcessSandbox
from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR, load_task


def _spin() -> None:
    x = 0
    while True:
        x += 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", default="5_Softmax")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--busy", type=int, default=2)
    ap.add_argument("--cache", default=None)
    args = ap.parse_args()
    task = load_task(next(SUITE_DIR.rglob(f"{args.task}.py")))
    busy = [mp.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for p in busy:
        p.start()
    speedups, noisy = [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sandbox = LocalProcessSandbox(threads=2)
            for i in range(args.runs):  # a fresh cache each time: the baseline is measured under the same load
                cache = Path(args.cache or tmp) / f"run{i}"
                ev = Evaluator(get_backend("cpu"), EvalConfig(threads=2), cache_root=cache)
                r = ev.evaluate(task, EXAMPLES_DIR / "cpu" / f"{args.task}.py", sandbox, "cpu")
                row = {"run": i, "status": r.status.value, "speedup": r.speedup,
                       "ci": getattr(r, "speedup_ci", None), "noisy": getattr(r, "noisy", None),
                       "baseline_cv": r.baseline.cv if r.baseline else None, "kernel_cv": r.kernel.cv if r.kernel else None}
                print(json.dumps(row), flush=True)
                if r.speedup:
                    speedups.append(r.speedup)
                    noisy.append(bool(getattr(r, "noisy", False)))
            sandbox.close()
    finally:
        for p in busy:
            p.terminate()
    med = statistics.median(speedups) if speedups else None
    print(json.dumps({"task": args.task, "busy": args.busy, "speedups": [round(s, 3) for s in speedups],
                      "median": med, "min": min(speedups, default=None), "max": max(speedups, default=None),
                      "noisy": noisy}), flush=True)


if __name__ == "__main__":
    main()
