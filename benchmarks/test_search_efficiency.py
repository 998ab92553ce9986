"""Search efficiency: rollouts the real GEPA engine needs to reach a given fast_1, on a simulated world.

Three configurations of ``kernelgepa.engine.Engine`` run over the same simulated worlds (one world
per seed, so the comparison is paired): Pareto parent selection with one shared strategy (the
default), always-best selection with a shared strategy, and Pareto selection where the strategy
holds only per-task notes (no knowledge shared between tasks). The world, the writer and the
reflection model are simulated (``benchmarks/simworld.py`` documents every assumption); the
frontier, selectors, minibatch gate, merge and SQLite store are the real ones. A rollout is one
evaluated kernel. A run that never reaches the target counts as the full budget in the medians.
The ratios are reported as they come out; nothing here asserts which configuration wins.
"""
from __future__ import annotations

import statistics

from kernelgepa.engine import EngineConfig

try:
    from benchmarks.simworld import World, WorldParams, never_reached, rollouts_needed, run_search
except ImportError:  # benchmarks/ is not a package; pytest puts it on sys.path
    from simworld import World, WorldParams, never_reached, rollouts_needed, run_search

SEEDS = range(20)
TARGET = 0.5            # the fast_1 the ratios are about
TARGET_HI = 2 / 3       # a second, harder target from the same runs
MAX_ROLLOUTS = 1500
CONFIGS = [("pareto", "shared"), ("best", "shared"), ("pareto", "no-shared")]


def _sweep(selector: str, mode: str) -> list:
    return [run_search(mode, selector, s, stop_at=TARGET_HI, max_rollouts=MAX_ROLLOUTS) for s in SEEDS]


def _needed(runs, target) -> list[int]:
    return rollouts_needed(runs, target, MAX_ROLLOUTS)


def _paired(a, b, target) -> str:
    xa, xb = _needed(a, target), _needed(b, target)
    fewer = sum(x < y for x, y in zip(xa, xb))
    more = sum(x > y for x, y in zip(xa, xb))
    return f"fewer rollouts on {fewer}/{len(xa)} seeds, more on {more}"


def test_search_efficiency(benchmark, report_ratio):
    runs = {CONFIGS[0]: benchmark.pedantic(_sweep, args=CONFIGS[0], rounds=1, iterations=1)}
    for cfg in CONFIGS[1:]:
        runs[cfg] = _sweep(*cfg)

    p = WorldParams()
    oracles = [World(s).oracle() for s in SEEDS]
    print(f"\n\nsearch efficiency on the simulated kernel world (benchmarks/simworld.py): {p.n_tasks} tasks, "
          f"{p.n_tactics} tactics, {len(SEEDS)} seeds (one world each), budget {MAX_ROLLOUTS} rollouts; "
          f"minibatch {EngineConfig().minibatch} (the engine's default), 1 refinement round")
    print(f"reachable fast_1 (median over worlds): "
          f"{statistics.median(o['per_task_fast_1'] for o in oracles):.2f} with each task's own best tactic set, "
          f"{statistics.median(o['shared_fast_1'] for o in oracles):.2f} with the best single shared set")
    print(f"runs stop at fast_1>={TARGET_HI:.2f} or after {MAX_ROLLOUTS} rollouts; medians count a run that never "
          f"reached a target as {MAX_ROLLOUTS} rollouts; [n] = runs that never did\n")
    head = (f"{'selector':8} {'strategy':10} | {'rollouts to fast_1>=' + format(TARGET, '.2f'):>24} | "
            f"{'rollouts to fast_1>=' + format(TARGET_HI, '.2f'):>24} | {'accepted/iterations':>19} | "
            f"{'fast_1 at stop':>14}")
    print(head)
    print("-" * len(head))
    med = {}
    for (sel, mode), rs in runs.items():
        med[(sel, mode)] = statistics.median(_needed(rs, TARGET))
        hi = statistics.median(_needed(rs, TARGET_HI))
        acc = sum(r.accepted for r in rs) / max(1, sum(r.iterations for r in rs))
        print(f"{sel:8} {mode:10} | {med[(sel, mode)]:>18.0f} [{never_reached(rs, TARGET):>2}] | "
              f"{hi:>18.0f} [{never_reached(rs, TARGET_HI):>2}] | {acc:>19.2f} | "
              f"{statistics.median(r.tracker.fast_1 for r in rs):>14.2f}")
    print(f"\nper seed, to fast_1>={TARGET:.2f}:")
    for cfg, rs in runs.items():
        print(f"  {cfg[0]:6} {cfg[1]:10}", [r.rollouts_to(TARGET) for r in rs])
    print("paired: best vs pareto (shared): best "
          f"{_paired(runs[('best', 'shared')], runs[('pareto', 'shared')], TARGET)}")
    print(f"paired: no-shared vs shared (pareto): no-shared "
          f"{_paired(runs[('pareto', 'no-shared')], runs[('pareto', 'shared')], TARGET)}")
    best_ratio = med[("best", "shared")] / med[("pareto", "shared")]
    share_ratio = med[("pareto", "no-shared")] / med[("pareto", "shared")]
    capped = 2 * never_reached(runs[("pareto", "no-shared")], TARGET) > len(SEEDS)
    print(f"ratio of medians: best/pareto = {best_ratio:.2f}, no-shared/shared = {share_ratio:.2f}"
          f"{' (a lower bound: most no-shared runs never got there)' if capped else ''}; "
          "> 1: the first needs more rollouts")

    title = f"rollouts to fast_1>={TARGET:.2f}, median of {len(SEEDS)} simulated worlds"
    report_ratio(f"{title}, shared strategy", "best", med[("best", "shared")],
                 "pareto", med[("pareto", "shared")], unit="rollouts")
    report_ratio(f"{title}, Pareto selection", "no-shared", med[("pareto", "no-shared")],
                 "shared", med[("pareto", "shared")], unit="rollouts")

    # sanity only: every run did work, and the world is neither trivial nor hopeless
    for rs in runs.values():
        assert len(rs) == len(SEEDS) and all(r.rollouts > 0 for r in rs)
    assert any(r.rollouts_to(TARGET) is not None for rs in runs.values() for r in rs)
    ceiling = {k: statistics.median(o[k] for o in oracles) for k in ("shared_fast_1", "per_task_fast_1")}
    assert 0 < ceiling["shared_fast_1"] < ceiling["per_task_fast_1"]
