"""Speedup intervals: paired ratios cancel load that hits both sides; wide intervals are noisy."""
from __future__ import annotations

import random

from harness.noise import baseline_is_noisy, paired_speedup, slower_than, unpaired_speedup


def timing(times: list[float]) -> dict:
    return {"times_ms": times, "median_ms": sorted(times)[len(times) // 2], "cv": 0.0, "reps": len(times)}


def test_load_that_hits_both_sides_alike_cancels_in_the_paired_ratio():
    rng = random.Random(1)
    load = [1 + 3 * rng.random() for _ in range(60)]  # each pair slowed by up to 4x, both sides alike
    ref, ker = timing([2.0 * f for f in load]), timing([1.0 * f for f in load])
    paired = paired_speedup(ref, ker)
    assert abs(paired.speedup - 2.0) < 1e-9 and not paired.noisy and paired.pairs == 60
    rng.shuffle(load)  # the same times, unpaired: the interval is wide
    unpaired = unpaired_speedup(ref, timing([1.0 * f for f in load]))
    assert unpaired.noisy and unpaired.lo < 1.8 and unpaired.hi > 2.2


def test_intervals_and_noise_flags():
    steady = timing([1.0 + 0.001 * (i % 3) for i in range(30)])
    assert not baseline_is_noisy(steady)
    assert baseline_is_noisy(timing([1.0, 5.0, 0.2, 3.0, 9.0, 0.5, 2.0]))
    assert paired_speedup(steady, timing([1.0, 2.0])) is None  # not timed alike: no pairs
    assert unpaired_speedup({"median_ms": 2.0}, {"median_ms": 1.0}).noisy  # no raw times: no interval to claim


def test_a_slowed_twin_stands_out_from_its_trusted_baseline_even_when_that_is_noisy():
    rng = random.Random(2)
    baseline = timing([10.0 * (1 + 8 * rng.random() ** 4) for _ in range(9)])  # noisy: a wide interval
    assert baseline_is_noisy(baseline)
    assert slower_than(timing([110.0 + rng.random() for _ in range(9)]), baseline, 2.0)  # 100 ms added
    busier = timing([15.0 + 10 * rng.random() for _ in range(30)])  # load drift, not a slowed twin
    assert not slower_than(busier, baseline, 2.0)
    assert not slower_than(timing([1e3, 1e3]), baseline, 2.0)  # too few times to say
