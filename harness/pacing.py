"""Timed repetitions paced by the parent, and what the parent concludes from its own clock.

The child's timer runs in the candidate's process, so its times are claims. Every timed repetition
is therefore a handshake over the markers/replies channel: with its inputs in place the child asks
to start (``t:n``), the parent's reply is the go signal, and the child's ``t:k`` (kernel) or ``t:r``
(reference twin) line says the repetition is done. Each repetition's inputs are new and exist only
from the go signal on, so no output can be ready before the window opens: on the CPU the go signal
names the file the parent has just written them to (``g @<name>``, harness.feed), which the child maps
at once; on a GPU it carries a fresh seed (``g <seed>``) whose inputs the child makes on the device,
inside the window (harness.worker.timing). So the parent knows how many repetitions ran and,
from its own clock, an upper bound on each one's duration. After a kernel repetition the parent
alone decides, at random, whether to demand its outputs (reply ``a``: the child writes them and says
``t:a``), and times how long that took.

Protocol (child line -> parent reply): ``t:n`` -> ``g`` | ``g <seed>`` | ``g @<name>``; ``t:k`` -> ``g`` | ``a`` | ``e``;
``t:r`` -> ``g`` | ``e``; ``t:a`` -> ``g`` | ``e``, where ``e`` means: stop after the current pair.
Anything else, or repetitions beyond that, is a protocol violation (the child is killed, ``crashed``).
"""
from __future__ import annotations

import math
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.feed import InputFeed

MAX_REPS = 2000  # per side; the child stops sampling there too (harness.worker.timing)
MIN_AUDITS = 2  # per timed run, at random among its first min_reps kernel repetitions (which every run has)
AUDIT_BYTES = 512 << 20  # what the audits of one job may make the child write, at most
# Fresh inputs the parent writes for one job (harness.feed), at most: each file is removed after its
# repetition, but a child that keeps its mappings keeps their pages until it ends.
FEED_BYTES = 4 << 30
# A kernel's claims may sit below the parent's clock by the handshake overhead calibrated in the
# trusted reference job (or the twin's, when smaller), with room for load and OpenMP threads spinning
# on the parent's cores: beyond GAP_RATIO x that + GAP_SLACK_MS + GAP_REL x the claimed time
# (medians; the claimed, not the observed time, which work hidden from the claims would itself raise),
# its claims are replaced by what the parent saw. When even the fastest of at least two
# audits is slower than AUDIT_RATIO x the reference's (median) + AUDIT_SLACK_MS, the outputs were
# computed when asked for (one audit alone may have met a burst of disk load).
GAP_RATIO, GAP_SLACK_MS, GAP_REL = 2.0, 0.2, 0.25
AUDIT_RATIO, AUDIT_SLACK_MS = 8.0, 100.0
_CLOCK_SLACK_MS = 0.02  # both clocks are CLOCK_MONOTONIC; this only absorbs rounding


class Pacer:
    """The parent's side of one job's handshake: replies to ``t:`` lines and records what it saw."""

    def __init__(self, timing: dict, out_bytes: int = 0, rng: random.Random | None = None, seeded: bool = False,
                 feed: InputFeed | None = None):
        self.audits = max(0, int(timing.get("audits", 0)))
        self.min_reps = max(1, int(timing.get("min_reps", 10)))
        cap = 10 * self.audits
        self.max_audits = max(self.audits, min(cap, AUDIT_BYTES // out_bytes)) if out_bytes > 0 else cap
        self.rng = rng or random.SystemRandom()
        # audited whatever the hazard says, so no run goes unaudited and lazy outputs can be judged
        forced = min(int(timing.get("min_audits", MIN_AUDITS)), self.audits, self.min_reps)
        self._forced = set(self.rng.sample(range(self.min_reps), forced)) if forced > 0 else set()
        self.latency_ms: dict[str, list[float]] = {"k": [], "r": []}
        self.audit_ms: dict[int, float] = {}  # kernel repetition index -> how long its outputs took
        self.feed = feed  # makes each repetition's inputs file (CPU timing)
        self.seeded = seeded or feed is not None
        self.seeds: dict[str, list[int]] = {"k": [], "r": []}  # each repetition's input seed, when seeded
        self.inputs: list[str] = []  # each kernel repetition's inputs file, when fed (audited ones are kept)
        self.failure: str | None = None  # why the parent could not go on (one line), if it could not
        self._seed, self._file = 0, ""
        self._state = "ready"  # ready (for "n") | running (a repetition) | audit (writing its outputs)
        self._ended = False
        self._sent = 0.0
        self._after_end = 0

    def reply(self, token: str, now: float) -> str | None:
        """The reply to one ``t:`` line received at ``now`` (seconds), or None for a protocol violation."""
        ms = (now - self._sent) * 1e3
        if token == "n" and self._state == "ready":
            if self._ended and self._after_end >= 1:  # the end of the current pair, and no further
                return None
            self._after_end += self._ended
            self._state = "running"
            if not self.seeded:
                return "g"
            self._seed = self.rng.randrange(1, 2**31)
            if self.feed is None:
                return f"g {self._seed}"
            try:
                self._file = self.feed.make(self._seed)
            except Exception as e:  # noqa: BLE001 - the task's get_inputs, a full disk: ends the run in one line
                self.failure = f"could not make a timed repetition's inputs: {type(e).__name__}: {e}"[:300]
                return None
            return f"g @{self._file}"
        if token in ("k", "r") and self._state == "running":
            reps = self.latency_ms[token]
            reps.append(ms)
            self.seeds[token].append(self._seed)
            self._state = "ready"
            audit = not self._ended and token == "k" and self._audit_now(len(reps) - 1)
            if self.feed is not None:  # an audited repetition's inputs are kept for its expected outputs
                if token == "k":
                    self.inputs.append(self._file)
                if not audit:
                    self.feed.drop(self._file)
            if audit:
                self._state = "audit"
                return "a"
            return self._next()
        if token == "a" and self._state == "audit":
            self.audit_ms[len(self.latency_ms["k"]) - 1] = ms
            self._state = "ready"
            return self._next()
        return None

    def sent(self, now: float) -> None:
        """The reply goes out right after ``now``: the child's next step starts no earlier."""
        self._sent = now

    def _audit_now(self, rep: int) -> bool:
        """Each kernel repetition may be audited; the hazard decays slowly so late ones stay at risk.
        Besides, ``MIN_AUDITS`` repetitions drawn among the first ``min_reps`` always are."""
        if len(self.audit_ms) >= self.max_audits:
            return False
        return rep in self._forced or self.rng.random() < self.audits / max(self.min_reps, (rep + 1) / 2)

    @property
    def ended(self) -> bool:
        """The parent ended the run (a cap was reached)."""
        return self._ended

    def _next(self) -> str:
        """``e`` once the caps are reached (the child stops after the current pair), else ``g``."""
        self._ended = self._ended or max(map(len, self.latency_ms.values())) >= MAX_REPS or (
            self.max_audits > 0 and len(self.audit_ms) >= self.max_audits) or (
            self.feed is not None and self.feed.bytes >= FEED_BYTES)
        return "e" if self._ended else "g"

    def calibration(self, timing: dict) -> dict | None:
        """From the trusted reference job: the handshake overhead (observed minus claimed) and how long
        writing the outputs took, medians in ms; stored beside the baseline."""
        claims = _claims(timing)
        seen = self.latency_ms["k"]
        if not claims or len(claims) != len(seen):
            return None
        return {"gap_ms": statistics.median(o - c for o, c in zip(seen, claims)),
                "audit_ms": statistics.median(self.audit_ms.values()) if self.audit_ms else None}


class Disagreement(ValueError):
    """The child's timing report cannot be believed (one line)."""


class Malformed(ValueError):
    """The child's timing report is not a timing report (one line)."""


def _claims(timing) -> list[float] | None:
    times = timing.get("times_ms") if isinstance(timing, dict) else None
    if not isinstance(times, list) or len(times) > MAX_REPS \
            or not all(isinstance(t, (int, float)) and math.isfinite(t) and t >= 0 for t in times):
        return None
    return [float(t) for t in times]


def check(timing, audits, pacer: Pacer) -> None:
    """That the child's report describes the repetitions the parent paced: as many per side, none
    longer than the parent saw it take, and exactly the audited repetitions' outputs written.
    Raises ``Malformed`` or ``Disagreement``."""
    for side, t in _sides(timing):
        c = _claims(t)
        if c is None:
            raise Malformed("malformed timing report: times_ms must be a list of at most "
                            f"{MAX_REPS} finite non-negative numbers")
        seen = pacer.latency_ms[side]
        what = "kernel" if side == "k" else "reference"
        if len(c) != len(seen):
            raise Disagreement(f"timing report disagrees with the parent's clock: it lists {len(c)} {what} "
                               f"repetitions, the parent paced {len(seen)}")
        for i, (claim, obs) in enumerate(zip(c, seen)):
            if claim > obs + _CLOCK_SLACK_MS:
                raise Disagreement(f"timing report disagrees with the parent's clock: {what} repetition {i} "
                                   f"claims {claim:.4g} ms, the parent saw it take {obs:.4g} ms")
    if len(pacer.latency_ms["k"]) < pacer.min_reps and not pacer.ended:
        raise Disagreement(f"timing stopped after {len(pacer.latency_ms['k'])} kernel repetitions, before the "
                           f"minimum of {pacer.min_reps}")
    ok = isinstance(audits, list) and all(isinstance(a, dict) and isinstance(a.get("rep"), int) for a in audits)
    reps = {a["rep"] for a in audits} if ok else None
    if reps is None or len(reps) != len(audits) or reps != set(pacer.audit_ms):
        raise Disagreement("timing report disagrees with the parent's clock: the audited repetitions' outputs "
                           f"(asked for {sorted(pacer.audit_ms)[:8]}) are not the ones written")


def believe(timing: dict, pacer: Pacer, calib: dict | None, scratch: Path, out_bytes: int) -> list[str]:
    """What the parent's clock says about a well-formed report (after ``check``) measured against the
    trusted reference job's ``calib``. Raises ``Disagreement`` when the audited outputs were computed
    only when asked for. When the claims sit further below what the parent saw than the handshake
    overhead allows, they are replaced in ``timing`` by the parent-observed latencies (both sides, so
    the pairs stay alike) and a warning says so: not believed, but no proof of cheating under load."""
    if not calib:
        return []
    if len(pacer.audit_ms) >= 2 and calib.get("audit_ms") is not None:
        # the fastest audit: load comes in bursts, outputs computed when asked for slow every audit;
        # a slow disk slows the parent's own writes too (measured only when an audit looks slow)
        took, usual = min(pacer.audit_ms.values()), float(calib["audit_ms"])
        if took > AUDIT_RATIO * usual + AUDIT_SLACK_MS:
            usual = max(usual, _write_ms(scratch, out_bytes))
        if took > AUDIT_RATIO * usual + AUDIT_SLACK_MS:
            raise Disagreement(f"timing report disagrees with the parent's clock: audited outputs took at least "
                               f"{took:.3g} ms to write after their repetition ended (writing them takes about "
                               f"{usual:.3g} ms): computed only when asked for")
    sides = _sides(timing)
    gaps = {side: statistics.median(o - c for o, c in zip(pacer.latency_ms[side], _claims(t)))
            for side, t in sides if pacer.latency_ms[side]}
    if "k" not in gaps:
        return []
    # the twin's gap, same moment and process, may only lower the trusted yardstick (a child can widen it)
    gap, usual = gaps["k"], min(float(calib.get("gap_ms") or 0.0), gaps.get("r", math.inf))
    if gap <= GAP_RATIO * usual + GAP_SLACK_MS + GAP_REL * statistics.median(_claims(timing)):
        return []
    for side, t in sides:
        t.update(summarize(pacer.latency_ms[side]))
    return [f"timing report sits below the parent's clock (kernel repetitions {gap:.3g} ms shorter than seen, "
            f"{usual:.3g} ms expected): the parent-observed latencies are used, handshake included"]


def _sides(timing) -> list[tuple[str, object]]:
    """("k", kernel timing) and, when reported, ("r", reference twin timing); a twin the child left
    out (refused) only loses the paired speedup."""
    if isinstance(timing, dict) and "reference" in timing:
        return [("k", timing), ("r", timing["reference"])]
    return [("k", timing)]


def _write_ms(directory: Path, nbytes: int, tries: int = 3) -> float:
    """How long the parent takes to write ``nbytes`` into a new file in ``directory`` now (best of
    ``tries``). ``directory`` must be one no child can write (it could plant a link to follow)."""
    data, best = bytes(min(max(nbytes, 1), AUDIT_BYTES)), math.inf
    for _ in range(tries):
        fd, path = tempfile.mkstemp(dir=directory, prefix=".write-probe-")
        try:
            t0 = time.perf_counter()
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            best = min(best, (time.perf_counter() - t0) * 1e3)
        finally:
            os.unlink(path)
    return best


def summarize(times_ms: list[float]) -> dict:
    mean = statistics.fmean(times_ms)
    std = statistics.pstdev(times_ms) if len(times_ms) > 1 else 0.0
    return {"median_ms": statistics.median(times_ms), "mean_ms": mean, "min_ms": min(times_ms),
            "max_ms": max(times_ms), "std_ms": std, "cv": std / mean if mean > 0 else 0.0,
            "reps": len(times_ms), "times_ms": [round(t, 6) for t in times_ms]}
