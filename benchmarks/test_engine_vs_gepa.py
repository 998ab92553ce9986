"""This project's engine and the ``gepa`` library's ``optimize_anything``, side by side.

Both search the same simulated kernel worlds (``benchmarks/simworld.py``: one world per seed, so
the comparison is paired) with the same simulated writer, harness feedback and reflection model,
and the same budget in rollouts (evaluated kernels). Ours is ``kernelgepa.engine.Engine`` with its
defaults (Pareto selection, minibatch gate reusing stored evaluations, merge); gepa's is its own
loop driven through ``kernelgepa.gepa_bridge`` with its own prompt (the simulated reflection model
reads both prompt formats and edits tactics by the same rules). Both run to the full budget. The
numbers are reported as they come out; nothing here asserts which engine wins.
"""
from __future__ import annotations

import statistics

import pytest

try:
    from benchmarks.simworld import never_reached, rollouts_needed, run_gepa_search, run_search
except ImportError:  # benchmarks/ is not a package; pytest puts it on sys.path
    from simworld import never_reached, rollouts_needed, run_gepa_search, run_search

pytest.importorskip("gepa")

SEEDS = range(12)
BUDGET = 1000
TARGETS = (0.5, 2 / 3)


def _ours() -> list:
    return [run_search("shared", "pareto", s, stop_at=None, max_rollouts=BUDGET) for s in SEEDS]


def _gepa() -> list:
    return [run_gepa_search(s, max_rollouts=BUDGET) for s in SEEDS]


def test_engine_vs_gepa_library(benchmark, report_ratio):
    ours = benchmark.pedantic(_ours, rounds=1, iterations=1)
    theirs = _gepa()
    print(f"\n\nkernelgepa engine vs gepa.optimize_anything on the simulated kernel world: {len(SEEDS)} worlds, "
          f"budget {BUDGET} rollouts each, both run to the full budget; a run that never reaches a target "
          f"counts as {BUDGET} in the medians, [n] = such runs")
    head = (f"{'engine':28} | " + " | ".join(f"rollouts to fast_1>={t:.2f}" for t in TARGETS)
            + f" | {'fast_1 at budget':>16} | {'strategies':>10}")
    print(head)
    print("-" * len(head))
    med = {}
    for name, runs in (("kernelgepa Engine", ours), ("gepa optimize_anything", theirs)):
        cells = []
        for t in TARGETS:
            med[(name, t)] = statistics.median(rollouts_needed(runs, t, BUDGET))
            cells.append(f"{med[(name, t)]:>17.0f} [{never_reached(runs, t):>2}]")
        print(f"{name:28} | " + " | ".join(cells) + f" | {statistics.median(r.tracker.fast_1 for r in runs):>16.2f}"
              f" | {statistics.median(r.strategies for r in runs):>10.0f}")
    for t in TARGETS:
        a, b = rollouts_needed(ours, t, BUDGET), rollouts_needed(theirs, t, BUDGET)
        print(f"paired, fast_1>={t:.2f}: kernelgepa needs fewer rollouts on {sum(x < y for x, y in zip(a, b))}"
              f"/{len(a)} worlds, more on {sum(x > y for x, y in zip(a, b))}")
        report_ratio(f"rollouts to fast_1>={t:.2f}, median of {len(SEEDS)} simulated worlds", "gepa",
                     med[("gepa optimize_anything", t)], "kernelgepa", med[("kernelgepa Engine", t)],
                     unit="rollouts")
    # sanity only: both engines really searched within the same budget
    assert all(0 < r.rollouts <= BUDGET for r in ours + theirs)
    assert all(r.strategies > 1 for r in ours + theirs)
