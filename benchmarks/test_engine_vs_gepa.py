"""This project's engine and the ``gepa`` library's ``optimize_anything``, side by side.

Both search the same simulated kernel worlds (``benchmarks/simworld.py``: one world per seed, so
the comparison is paired; timing noise in every measured speedup) with the same simulated writer
(warm-started from the best kernel so far, refining only attempts that fall short, as
``KernelAdapter`` does for either engine), the same harness feedback and the same reflection model,
and the same budget in rollouts (evaluated kernels). The accounting is the same for both: a
(strategy, task) pair already judged, or a repeated strategy text, costs no rollout. Ours is
``kernelgepa.engine.Engine`` with its defaults; gepa's is its own loop, with its merge proposer on,
driven through ``kernelgepa.gepa_bridge`` with its own prompt (the simulated reflection model reads
both prompt formats and edits tactics by the same rules). A third row is our engine with GEPA's
classic allocation (uniform minibatches of 3, full evaluations, parent gate without margin, merges
judged where the parents disagree), to show what the allocation policies buy, and a fourth the engine
with the previous defaults (``VARIANT``: minibatch 3, merges judged and their parents completed on
every task), so one run measures what decided the defaults. gepa runs twice: at its defaults
(reflection minibatch 3) and with the minibatch size of our defaults (5), so a gain from the larger
minibatch alone shows. All run to the full budget. One run prints the side-by-side table (medians,
runs that never reach a target), per-world rollouts and paired wins for both targets, against both
gepa rows. The numbers are reported as they come out; nothing here asserts which engine wins.
"""
from __future__ import annotations

import statistics

import pytest

try:
    from benchmarks.simworld import never_reached, rollouts_needed, run_gepa_search, run_search
except ImportError:  # benchmarks/ is not a package; pytest puts it on sys.path
    from simworld import never_reached, rollouts_needed, run_gepa_search, run_search

from kernelgepa.engine import EngineConfig

pytest.importorskip("gepa")

SEEDS = range(12)
BUDGET = 1000
TARGETS = (0.5, 2 / 3)
CLASSIC = {"minibatch_policy": "uniform", "full_eval_policy": "all", "gate_policy": "parent", "gate_margin": 0.0,
           "minibatch": 3, "merge_batch_policy": "disagree"}
VARIANT = ("kernelgepa Engine (previous defaults)", {"minibatch": 3, "merge_batch_policy": "disagree"})
GEPA_MINIBATCH = EngineConfig().minibatch  # gepa's second row uses our default minibatch size


def _ours(engine: dict | None = None) -> list:
    return [run_search("shared", "pareto", s, stop_at=None, max_rollouts=BUDGET, engine=engine) for s in SEEDS]


def _gepa(minibatch: int | None = None) -> list:
    return [run_gepa_search(s, max_rollouts=BUDGET, merge=True, minibatch=minibatch) for s in SEEDS]


def test_engine_vs_gepa_library(benchmark, report_ratio):
    ours = benchmark.pedantic(_ours, rounds=1, iterations=1)
    classic = _ours(CLASSIC)
    variant = _ours(VARIANT[1])
    theirs = _gepa()
    theirs_mb = _gepa(GEPA_MINIBATCH)
    print(f"\n\nkernelgepa engine vs gepa.optimize_anything on the simulated kernel world: {len(SEEDS)} worlds, "
          f"budget {BUDGET} rollouts each, all run to the full budget; a run that never reaches a target "
          f"counts as {BUDGET} in the medians, [n] = such runs")
    head = (f"{'engine':44} | " + " | ".join(f"rollouts to fast_1>={t:.2f}" for t in TARGETS)
            + f" | {'fast_1 at budget':>16} | {'strategies':>10}")
    print(head)
    print("-" * len(head))
    med = {}
    rows = (("kernelgepa Engine (defaults)", ours), (VARIANT[0], variant),
            ("kernelgepa Engine (classic allocation)", classic), ("gepa optimize_anything (merge on)", theirs),
            (f"gepa optimize_anything (merge on, mb {GEPA_MINIBATCH})", theirs_mb))
    for name, runs in rows:
        cells = []
        for t in TARGETS:
            med[(name, t)] = statistics.median(rollouts_needed(runs, t, BUDGET))
            cells.append(f"{med[(name, t)]:>17.0f} [{never_reached(runs, t):>2}]")
        print(f"{name:44} | " + " | ".join(cells) + f" | {statistics.median(r.tracker.fast_1 for r in runs):>16.2f}"
              f" | {statistics.median(r.strategies for r in runs):>10.0f}")
    for t in TARGETS:
        print(f"\nper world (seeds {SEEDS.start}-{SEEDS.stop - 1}), rollouts to fast_1>={t:.2f}:")
        for name, runs in rows:
            print(f"  {name:44}", rollouts_needed(runs, t, BUDGET))
        for gname, gruns in rows[3:]:
            for name, runs in rows[:3]:
                a, b = rollouts_needed(runs, t, BUDGET), rollouts_needed(gruns, t, BUDGET)
                print(f"  paired vs {gname}: {name} needs fewer rollouts on {sum(x < y for x, y in zip(a, b))}"
                      f"/{len(a)} worlds, more on {sum(x > y for x, y in zip(a, b))}; gepa/ours = "
                      f"{med[(gname, t)] / med[(name, t)]:.2f}")
        report_ratio(f"rollouts to fast_1>={t:.2f}, median of {len(SEEDS)} simulated worlds", "gepa",
                     med[(rows[3][0], t)], "kernelgepa", med[(rows[0][0], t)], unit="rollouts")
    # sanity only: every engine really searched within the same budget
    everything = [r for _, runs in rows for r in runs]
    assert all(0 < r.rollouts <= BUDGET for r in everything)
    assert all(r.strategies > 1 for r in everything)
