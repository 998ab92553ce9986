"""How much to believe a timing: confidence intervals from the raw repetition times.

The candidate and the reference are timed in alternating repetitions of one process, so a burst of
background load slows both sides of a pair alike; the speedup is the median of the paired ratios,
and its 95% interval comes from a bootstrap over pairs (seeded: the same times give the same
interval). A result whose interval is wider than ``NOISY_REL`` either side of the speedup is
``noisy``: shown as such, and not a speed claim. Computed in the parent, from times the child wrote.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import numpy as np

NOISY_REL = 0.10  # noisy when the 95% interval reaches beyond +-10% of the estimate
_BOOT = 2000


@dataclass(frozen=True)
class SpeedupEstimate:
    speedup: float
    lo: float
    hi: float
    pairs: int

    @property
    def noisy(self) -> bool:
        return interval_too_wide(self.speedup, self.lo, self.hi)


def interval_too_wide(value: float, lo: float, hi: float) -> bool:
    return value <= 0 or lo < value * (1 - NOISY_REL) or hi > value * (1 + NOISY_REL)


def _times(timing: dict | None) -> list[float]:
    times = (timing or {}).get("times_ms")
    if not isinstance(times, list):
        return []
    return [float(t) for t in times if isinstance(t, (int, float)) and math.isfinite(t) and t > 0]


def median_interval(times: list[float]) -> tuple[float, float, float]:
    """Median and its bootstrap 95% interval."""
    arr = np.asarray(times, dtype=float)
    rng = np.random.default_rng(0)
    meds = np.median(arr[rng.integers(0, len(arr), size=(_BOOT, len(arr)))], axis=1)
    return float(np.median(arr)), float(np.percentile(meds, 2.5)), float(np.percentile(meds, 97.5))


def baseline_is_noisy(timing: dict | None) -> bool:
    """A baseline whose median is not known to +-10% (never cached for reuse). Without raw times,
    the spread summary stands in: a normal approximation of the median's standard error."""
    times = _times(timing)
    if len(times) >= 3:
        med, lo, hi = median_interval(times)
        return interval_too_wide(med, lo, hi)
    if not timing:
        return False
    reps = max(1, int(timing.get("reps", 1)))
    return 1.96 * 1.25 * float(timing.get("cv", 0.0)) / math.sqrt(reps) > NOISY_REL


def paired_speedup(reference: dict | None, kernel: dict | None) -> SpeedupEstimate | None:
    """Speedup from interleaved repetitions (reference time / kernel time, pair by pair), or None when
    the child did not time both sides alike."""
    ref, ker = _times(reference), _times(kernel)
    n = min(len(ref), len(ker))
    if n < 3 or len(ref) != len(ker):
        return None
    ratios = np.asarray(ref[:n]) / np.asarray(ker[:n])
    rng = np.random.default_rng(0)
    meds = np.median(ratios[rng.integers(0, n, size=(_BOOT, n))], axis=1)
    return SpeedupEstimate(float(statistics.median(ratios.tolist())), float(np.percentile(meds, 2.5)),
                           float(np.percentile(meds, 97.5)), n)


def unpaired_speedup(reference: dict | None, kernel: dict | None) -> SpeedupEstimate:
    """Speedup from two separate measurements: ratio of medians, the interval from both medians' intervals."""
    ref, ker = _times(reference), _times(kernel)
    if len(ref) >= 3 and len(ker) >= 3:
        (rm, rlo, rhi), (km, klo, khi) = median_interval(ref), median_interval(ker)
    else:  # summaries only (results stored before raw times were kept): no interval to give
        rm = rlo = rhi = float((reference or {}).get("median_ms", 0.0))
        km = klo = khi = float((kernel or {}).get("median_ms", 0.0))
        return SpeedupEstimate(rm / km if km > 0 else 0.0, 0.0, math.inf, 0)
    return SpeedupEstimate(rm / km, rlo / khi, rhi / klo, 0)


def slower_than(timing: dict | None, trusted: dict | None, factor: float) -> bool:
    """Whether ``timing``'s median is above ``factor`` x ``trusted``'s even at the low end of its
    interval (a reference slowed in the candidate's process, not just noise or a busier moment). The
    trusted median is taken as it is: a noisy baseline's wide interval must not hide a slowed twin."""
    a, b = _times(timing), _times(trusted)
    if len(a) < 3 or len(b) < 3:
        return False
    return median_interval(a)[1] > factor * statistics.median(b)
