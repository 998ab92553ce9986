"""One timing loop for every backend; only the clock differs (CPU wall clock vs CUDA events).

With a ``reference`` (the task's own Model, built before the candidate was imported) the two are
timed in alternating repetitions of the same loop, the order flipping every pair, so background
load hits both alike; the parent computes the speedup from the paired times (``harness.noise``).

Every paced repetition gets inputs nobody has seen before (harness.worker.inputs.fresh_inputs), so a
kernel that caches results by pointer, shape or content computes anyway, or fails the audit. On the
CPU they arrive ready-made: the go signal names a file the parent has just written, mapped here with no
copy, so almost nothing runs between the window opening and the kernel's clock starting (the first
touch of each page is timed, for kernel and reference alike). On a GPU the go signal's seed is made
into the same buffers on the device, inside the window, and the L2 is flushed before each repetition.
Unpaced runs (warm-up, the compiled baseline, the profiler) and, on a GPU, a task whose inputs do not
reproduce from a seed rotate over the fixed trials' inputs instead. The
parent paces and audits every timed repetition (harness.pacing): these times are the child's claims,
believed only as far as the parent's own clock allows.
"""
from __future__ import annotations

import math
import statistics
import time

import torch

from harness.pacing import MAX_REPS, summarize

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


def measure(fn, buffers: list, input_sets: list[list], device: torch.device, cfg: dict, pace=None,
            audit=None, reference=None, fresh=None) -> dict:
    """Warm up, pick a repetition count from the estimated time, then time ``fn(*buffers)`` (and
    ``reference(*buffers)`` in alternation with it, reported under ``"reference"``).

    ``pace(token) -> reply``: the parent's handshake (harness.pacing) around every timed repetition;
    a go reply ``g <what>`` runs the repetition on ``fresh(what)`` (None: nothing fresh is offered);
    on an ``a`` reply after a kernel repetition, ``audit(rep, out, args)`` writes that repetition's
    outputs, and on ``e`` timing stops after the current pair. Without ``pace`` (a standalone run, the
    compiled baseline) the loop is the same, unpaced, over ``input_sets``.
    """
    clock = make_clock(device)
    n_sets = len(input_sets)
    sides = [fn] if reference is None else [fn, reference]

    def prepare(i: int, go: str = "g") -> list:
        """The arguments repetition ``i`` runs on, in place."""
        what = go[2:]
        args = fresh(what) if what and fresh else None
        if args is None:
            copy_into(buffers, input_sets[i % n_sets])
            args = buffers
        if device.type == "cuda":
            clock.flush_l2()
        clock.sync()
        return args

    est = []  # warm up for at least `warmup` reps and 0.1 s (first calls pay for allocation, caches)
    warm_t0 = _now_ns()
    while len(est) < max(1, cfg.get("warmup", 3)) or (_now_ns() - warm_t0 < 1e8 and len(est) < 50):
        t = 0.0
        for side in sides:
            args = prepare(len(est))
            t += clock.time_ms(lambda: side(*args))[0]
        est.append(t)
    per_rep = max(statistics.median(est[1:] or est), 1e-4)
    reps = int(min(cfg.get("max_reps", 100), max(cfg.get("min_reps", 10),
                                                  math.ceil(cfg.get("target_s", 0.5) * 1e3 / per_rep))))
    times: list[list[float]] = [[] for _ in sides]
    extend_until = _now_ns() + cfg.get("max_s", 0.0) * 1e9  # more reps while too noisy, up to this time
    i, ended = 0, False
    while not ended and (i < reps or (_now_ns() < extend_until and len(times[0]) < min(20 * reps, MAX_REPS)
                                      and too_noisy(times))):
        for k in (range(len(sides)) if i % 2 == 0 else reversed(range(len(sides)))):
            args = prepare(i, pace("n") if pace else "g")
            t, out = clock.time_ms(lambda: sides[k](*args))
            times[k].append(t)
            reply = pace("k" if k == 0 else "r") if pace else "g"
            if reply == "a":
                audit(i, out, args)
                reply = pace("a")
            ended = ended or reply == "e"
            del out, args  # a mapped inputs file is unmapped with its last tensor
        i += 1
    res = summarize(times[0])
    res["clock"] = type(clock).__name__
    if reference is not None:
        res["reference"] = summarize(times[1])
    return res
