"""One timing loop for every backend; only the clock differs (CPU wall clock vs CUDA events).

With a ``reference`` (the task's own Model, built before the candidate was imported) the two are
timed in alternating repetitions of the same loop, the order flipping every pair, so background
load hits both alike; the parent computes the speedup from the paired times (``harness.noise``).

Inputs are rotated between repetitions by copying a different trial's values into the same
buffers (outside the timed region), so a kernel that caches results by pointer or shape is
caught by the audited repetitions, and on GPUs the L2 is flushed before each repetition.
"""
from __future__ import annotations

import math
import os
import random
import statistics
import time

import torch

_now_ns = time.perf_counter_ns  # bound before any candidate code is imported


class CpuClock:
    def __init__(self, device):
        self.device = device

    def sync(self) -> None:
        pass

    def time_ms(self, fn):
        t0 = _now_ns()
        out = fn()
        return (_now_ns() - t0) / 1e6, out


class CudaClock:
    """Events around the call, with a device-wide synchronize before the end event so work
    launched on other streams is counted too."""

    def __init__(self, device):
        self.device = device
        self._start = torch.cuda.Event(enable_timing=True)
        self._end = torch.cuda.Event(enable_timing=True)
        self._flush = torch.empty(256 << 20, dtype=torch.uint8, device=device)

    def sync(self) -> None:
        torch.cuda.synchronize(self.device)

    def flush_l2(self) -> None:
        self._flush.zero_()

    def time_ms(self, fn):
        torch.cuda.synchronize(self.device)
        self._start.record()
        out = fn()
        torch.cuda.synchronize(self.device)
        self._end.record()
        self._end.synchronize()
        return self._start.elapsed_time(self._end), out


def make_clock(device: torch.device):
    return CudaClock(device) if device.type == "cuda" else CpuClock(device)


def copy_into(buffers: list, values: list) -> None:
    for b, v in zip(buffers, values):
        if isinstance(b, torch.Tensor):
            b.copy_(v)


def summarize(times_ms: list[float]) -> dict:
    mean = statistics.fmean(times_ms)
    std = statistics.pstdev(times_ms) if len(times_ms) > 1 else 0.0
    return {"median_ms": statistics.median(times_ms), "mean_ms": mean, "min_ms": min(times_ms),
            "max_ms": max(times_ms), "std_ms": std, "cv": std / mean if mean > 0 else 0.0,
            "reps": len(times_ms), "times_ms": [round(t, 6) for t in times_ms]}


def too_noisy(times: list[list[float]], rel_se: float = 0.03) -> bool:
    """Whether the median (of the kernel's times, or of the paired ratios when a reference is timed
    beside it) is still known to worse than ``rel_se`` (robust standard error from the MAD). Only
    decides when to stop sampling: the parent judges the noise itself, from all the times."""
    values = times[0] if len(times) == 1 else [r / k for r, k in zip(times[1], times[0]) if k > 0]
    if len(values) < 5:
        return True
    med = statistics.median(values)
    mad = statistics.median(abs(v - med) for v in values)
    return med <= 0 or 1.858 * mad / math.sqrt(len(values)) > rel_se * med


def measure(fn, buffers: list, input_sets: list[list], device: torch.device, cfg: dict, mark,
            audit=None, reference=None) -> dict:
    """Warm up, pick a repetition count from the estimated time, then time ``fn(*buffers)``
    (and ``reference(*buffers)`` in alternation with it, reported under ``"reference"``).

    ``audit(rep_index, set_index, fn)`` is called on a few randomly placed extra repetitions that
    are not timed (the candidate cannot tell which ones); the reference passes ``audit=None``.
    """
    clock = make_clock(device)
    n_sets = len(input_sets)
    sides = [fn] if reference is None else [fn, reference]

    def prepare(i: int) -> None:
        copy_into(buffers, input_sets[i % n_sets])
        if device.type == "cuda":
            clock.flush_l2()
        clock.sync()

    def timed(side) -> float:
        t, out = clock.time_ms(lambda: side(*buffers))
        del out
        return t

    est = []  # warm up for at least `warmup` reps and 0.1 s (first calls pay for allocation, caches)
    warm_t0 = _now_ns()
    while len(est) < max(1, cfg.get("warmup", 3)) or (_now_ns() - warm_t0 < 1e8 and len(est) < 50):
        t = 0.0
        for side in sides:
            prepare(len(est))
            t += timed(side)
        est.append(t)
    per_rep = max(statistics.median(est[1:] or est), 1e-4)
    reps = int(min(cfg.get("max_reps", 100), max(cfg.get("min_reps", 10),
                                                  math.ceil(cfg.get("target_s", 0.5) * 1e3 / per_rep))))
    n_audits = cfg.get("audits", 0) if audit else 0
    rng = random.Random(int.from_bytes(os.urandom(8), "little"))
    audit_at = set(rng.sample(range(reps + n_audits), n_audits)) if n_audits else set()
    times: list[list[float]] = [[] for _ in sides]
    mark("timing_begin")
    loop_t0 = _now_ns()
    extend_until = loop_t0 + cfg.get("max_s", 0.0) * 1e9  # more reps while too noisy, up to this time
    i = 0
    while i < reps + n_audits or (_now_ns() < extend_until and len(times[0]) < 20 * reps
                                  and too_noisy(times)):
        if i in audit_at:
            prepare(i)
            audit(i, i % n_sets, fn)
        else:
            order = range(len(sides)) if len(times[0]) % 2 == 0 else reversed(range(len(sides)))
            for k in order:
                prepare(i)
                times[k].append(timed(sides[k]))
        i += 1
    loop_s = (_now_ns() - loop_t0) / 1e9
    mark("timing_end")
    res = summarize(times[0])
    res.update(loop_s=loop_s, sum_s=sum(map(sum, times)) / 1e3, clock=type(clock).__name__)
    if reference is not None:
        res["reference"] = summarize(times[1])
    return res
