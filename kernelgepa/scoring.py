"""The search's score for one (strategy, task) kernel: shaped for search, never reported.

* rejected / invalid (cheating, wrong format): 0.0 - never positive, so a strategy cannot learn
  that wrapping the reference "works" (GEPA once learned exactly that from a correctness-only score);
* not correct: small partial credit by the rung reached, so early progress is visible
  (compiled 0.05, ran but crashed/timed out 0.10, ran but wrong 0.20, compiled but not runnable here 0.25,
  correct under an interpreter but never timed 0.30: no speed term, since nothing was measured);
* correct: 1 + log2(speedup), floored at 0.5 and capped at 7 - always above any incorrect kernel and
  strictly increasing with speedup (2x -> 2.0, 1x -> 1.0, 0.5x -> 0.5);
* correct NPU kernel (the result carries a vector utilisation u in [0, 1] and no speedup, since
  NPUEval judges AIE kernels by their vector score, not time): 1 + 6u - a correct scalar kernel
  (u = 0) scores 1.0, above any failure, and the score rises linearly to 7 at full vector use. The
  utilisation is whatever the result reports: the emulation's estimate here, a trace's real score
  on hardware.

Reports use the measured speedup and vector utilisation, never this number. ``infra_error`` (the
cluster lost the evaluation) is not a verdict on the kernel and has no score: scoring it is a bug.
"""
from __future__ import annotations

import math

_CORRECT_FLOOR = 0.5  # the least a correct kernel scores
_PARTIAL = {
    "compile_error": 0.0, "rejected": 0.0, "invalid": 0.0,
    "runtime_error": 0.05, "timeout": 0.10, "crashed": 0.10,
    "incorrect": 0.20, "compiled_only": 0.25, "interpreted": 0.30,
}


def kernel_score(status: str, speedup: float | None, vector_util: float | None = None) -> float:
    if status == "infra_error":
        raise ValueError("infra_error is not a verdict on the kernel: evaluate it again instead of scoring it")
    if status == "ok" and vector_util is not None and speedup is None:
        return 1.0 + 6.0 * min(1.0, max(0.0, vector_util))
    if status == "ok":
        s = speedup if speedup and speedup > 0 else 1.0
        return min(7.0, max(_CORRECT_FLOOR, 1.0 + math.log2(s)))
    return _PARTIAL.get(status, 0.0)


def claimed_score(kernel: dict, known: float) -> float:
    """A stored kernel's score as a claim against ``known``, the task's best score so far: a noisy
    timing (its speedup's 95% interval wider than +-10%, ``harness.noise``) is no evidence of a new
    best, so it counts as at most ``known`` (it may tie it), or as its interval's low end where even
    that is better (the correct-kernel floor when the interval is unknown); others count as scored."""
    r = kernel.get("result") or {}
    if kernel["status"] != "ok" or not r.get("noisy") or kernel.get("speedup") is None:
        return kernel["score"]
    low = (r.get("speedup_ci") or [None])[0]
    return min(kernel["score"], max(known, kernel_score("ok", low) if low else _CORRECT_FLOOR))
