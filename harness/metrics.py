"""fast_p and geometric-mean speedup, as KernelBench defines them; pass rate and mean vector
utilisation, as NPUEval defines them."""
from __future__ import annotations

import math
from typing import Iterable

FAST_P_THRESHOLDS = (0.0, 0.5, 0.8, 1.0, 1.5, 2.0)


def fast_p(pairs: Iterable[tuple[bool, float | None]], p: float, n_tasks: int | None = None) -> float:
    """Share of ALL tasks (failures and missing ones count) that are correct with speedup > p."""
    pairs = list(pairs)
    n = n_tasks if n_tasks is not None else len(pairs)
    if n == 0:
        return 0.0
    return sum(1 for ok, s in pairs if ok and s is not None and s > p) / n


def geomean(values: Iterable[float]) -> float | None:
    vals = [v for v in values if v is not None and v > 0]
    if not vals:
        return None
    return math.exp(sum(math.log(v) for v in vals) / len(vals))


def geomean_all(pairs: Iterable[tuple[bool, float | None]], n_tasks: int | None = None) -> float | None:
    """Geometric mean over ALL tasks, a failed or missing task counting as speedup 1.0 (no change)."""
    pairs = list(pairs)
    missing = max(0, (n_tasks if n_tasks is not None else len(pairs)) - len(pairs))
    return geomean([s if ok and s else 1.0 for ok, s in pairs] + [1.0] * missing)


def summarize(pairs: list[tuple[bool, float | None]], n_tasks: int | None = None) -> dict:
    n = n_tasks if n_tasks is not None else len(pairs)
    return {
        "fast_p": {str(p): fast_p(pairs, p, n) for p in FAST_P_THRESHOLDS},
        "geomean_speedup": geomean(s for ok, s in pairs if ok),
        "geomean_speedup_all": geomean_all(pairs, n),
        "n_tasks": n,
        "n_correct": sum(1 for ok, _ in pairs if ok),
    }


def summarize_npu(results: list[dict]) -> dict:
    """NPUEval's numbers over ``EvalResult.to_dict()``-shaped results, one per task: the pass rate and
    the mean vector utilisation over *all* tasks, failed ones counting as 0, with where it came from."""
    from npueval_tasks.cost_model import LABEL

    n = len(results)
    passed = [r for r in results if r.get("status") == "ok"]
    kinds = sorted({r["vector_util_kind"] for r in passed if r.get("vector_util_kind")})
    return {"n_tasks": n, "n_passed": len(passed), "pass_rate": len(passed) / n if n else 0.0,
            "mean_vector_util": sum(r.get("vector_util") or 0.0 for r in passed) / n if n else 0.0,
            "vector_util_kind": kinds[0] if len(kinds) == 1 else ("mixed" if kinds else None),
            "vector_util_label": LABEL if kinds == ["estimated"] else "",
            "capability": sorted({r["capability"] for r in results if r.get("capability")})}
