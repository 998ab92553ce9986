"""The parent's side of the timed-repetition handshake, and its cross-checks, without a sandbox."""
from __future__ import annotations

import random

import pytest

from harness import pacing
from harness.pacing import Disagreement, Malformed, Pacer


class _Dice:
    """Audits exactly the listed kernel repetitions (the parent's randomness, made predictable)."""

    def __init__(self, audited):
        self.audited, self.rep = set(audited), -1

    def random(self):
        self.rep += 1
        return 0.0 if self.rep in self.audited else float("inf")

    def randrange(self, a, b):
        return a


def _paced(claims_k, seen_k, audited=(), audit_ms=1.0, claims_r=None, seen_r=None):
    """A pacer that saw kernel (and twin) repetitions taking ``seen_*`` ms, plus the child's report."""
    p = Pacer({"audits": 2, "min_reps": 1, "min_audits": 0}, rng=_Dice(audited))
    now = 0.0
    for i, ms in enumerate(seen_k):
        for side, took in [("k", ms)] + ([("r", seen_r[i])] if seen_r else []):
            assert p.reply("n", now) == "g"
            p.sent(now)
            now += took / 1e3
            reply = p.reply(side, now)
            if reply == "a":
                p.sent(now)
                now += audit_ms / 1e3
                reply = p.reply("a", now)
            assert reply == "g"
            p.sent(now)
    timing = {"times_ms": list(claims_k)}
    if claims_r is not None:
        timing["reference"] = {"times_ms": list(claims_r)}
    return p, timing, [{"rep": i, "trial": 0, "outputs": {}} for i in sorted(audited)]


def test_protocol_order_is_enforced():
    p = Pacer({"audits": 0, "min_reps": 5})
    assert p.reply("k", 0.0) is None  # done before go
    assert p.reply("n", 0.0) == "g"
    assert p.reply("n", 0.0) is None  # go twice
    assert p.reply("k", 0.001) == "g"
    assert p.reply("a", 0.001) is None  # outputs nobody asked for
    assert p.reply("x", 0.001) is None


def test_repetitions_are_capped_and_end_after_the_pair(monkeypatch):
    monkeypatch.setattr(pacing, "MAX_REPS", 3)
    p = Pacer({"audits": 0, "min_reps": 5})
    replies = []
    for _ in range(3):
        for side in "kr":
            p.reply("n", 0.0)
            replies.append(p.reply(side, 0.0))
    assert replies[-1] == "e"
    assert p.reply("n", 0.0) is None  # nothing after the end of the pair


def test_consistent_report_is_believed():
    p, timing, audits = _paced([0.9, 1.9, 2.9], [1.0, 2.0, 3.0], audited=[1])
    pacing.check(timing, audits, p)
    assert pacing.believe(timing, p, {"gap_ms": 0.1, "audit_ms": 1.0}, None, 0) == []
    assert timing["times_ms"] == [0.9, 1.9, 2.9]


@pytest.mark.parametrize("claims, words", [([0.5] * 4, "lists 4 kernel repetitions, the parent paced 3"),
                                           ([0.5, 2.5, 0.5], "repetition 1 claims 2.5 ms"),
                                           ([0.5], "lists 1 kernel")])
def test_claims_must_match_what_the_parent_paced(claims, words):
    p, timing, audits = _paced(claims, [1.0, 2.0, 3.0])
    with pytest.raises(Disagreement, match=words):
        pacing.check(timing, audits, p)


def test_audits_must_be_exactly_the_demanded_ones():
    p, timing, _ = _paced([0.9, 1.9, 2.9], [1.0, 2.0, 3.0], audited=[2])
    for audits in ([], [{"rep": 1}], [{"rep": 2}, {"rep": 2}], "x", [{"rep": "2"}]):
        with pytest.raises(Disagreement, match="audited repetitions"):
            pacing.check(timing, audits, p)


@pytest.mark.parametrize("times", ["fast", [1, "2"], [float("nan")], [-1.0], [0.1] * (pacing.MAX_REPS + 1)])
def test_malformed_report_is_malformed(times):
    p, timing, audits = _paced([0.9], [1.0])
    with pytest.raises(Malformed):
        pacing.check({"times_ms": times}, audits, p)


def test_claims_far_below_the_parents_clock_are_replaced():
    p, timing, audits = _paced([0.01] * 3, [10.0] * 3, claims_r=[9.0] * 3, seen_r=[10.0] * 3)
    pacing.check(timing, audits, p)
    [note] = pacing.believe(timing, p, {"gap_ms": 0.1, "audit_ms": 1.0}, None, 0)
    assert "parent-observed latencies are used" in note
    assert timing["median_ms"] == pytest.approx(10.0) and timing["reference"]["median_ms"] == pytest.approx(10.0)


def test_outputs_computed_when_audited_are_refused(tmp_path):
    p, timing, audits = _paced([0.01] * 4, [0.02] * 4, audited=[0, 2], audit_ms=500.0)
    pacing.check(timing, audits, p)
    with pytest.raises(Disagreement, match="computed only when asked for"):
        pacing.believe(timing, p, {"gap_ms": 0.01, "audit_ms": 1.0}, tmp_path, 1 << 20)
    assert not list(tmp_path.iterdir())  # the parent's own write probe leaves nothing behind
    # one slow audit alone is not enough (a burst of disk load)
    p, timing, audits = _paced([0.01] * 4, [0.02] * 4, audited=[1], audit_ms=500.0)
    assert pacing.believe(timing, p, {"gap_ms": 0.01, "audit_ms": 1.0}, tmp_path, 1 << 20) == []


def test_audits_reach_late_repetitions_and_are_capped():
    p = Pacer({"audits": 3, "min_reps": 10})
    assert p.max_audits == 30
    late = sum(p._audit_now(rep) for rep in range(50, 100) for _ in range(20)) / 20
    assert 2.5 < late < 5.5  # about 3 x 2 ln(100/51) = 4.0 expected over repetitions 50-99
    assert Pacer({"audits": 3, "min_reps": 10}, out_bytes=256 << 20).max_audits == 3  # 512 MB of outputs at most


def test_a_smaller_twin_gap_tightens_a_calibration_made_under_load():
    # the reference job ran under load (5 ms gaps); now the twin's gap is 0.1 ms and the kernel's 3 ms
    p, timing, audits = _paced([2.0] * 5, [5.0] * 5, claims_r=[4.9] * 5, seen_r=[5.0] * 5)
    assert pacing.believe(timing, p, {"gap_ms": 5.0, "audit_ms": 1.0}, None, 0)
    p, timing, audits = _paced([2.0] * 5, [5.0] * 5, claims_r=[2.0] * 5, seen_r=[5.0] * 5)  # widened twin
    assert pacing.believe(timing, p, {"gap_ms": 5.0, "audit_ms": 1.0}, None, 0) == []


def test_seeded_go_signals_carry_fresh_seeds_recorded_per_side():
    """Each go of a seeded job names the inputs of that repetition: never the same twice, and the
    parent remembers which seed each kernel and twin repetition ran on (what audits are checked on)."""
    p = Pacer({"audits": 0, "min_reps": 5}, seeded=True)
    sent = []
    for side in "krkrkr":
        go = p.reply("n", 0.0)
        assert go.startswith("g ")
        sent.append(int(go[2:]))
        assert p.reply(side, 0.001) == "g"
    assert len(set(sent)) == len(sent) and all(0 < s < 2**31 for s in sent)
    assert p.seeds == {"k": sent[0::2], "r": sent[1::2]}
    assert Pacer({"audits": 0, "min_reps": 5}).reply("n", 0.0) == "g"  # unseeded: a plain go


class _NeverByHazard:
    def __init__(self):
        self._sample = random.Random(7).sample

    def random(self):
        return float("inf")

    def sample(self, population, k):
        return self._sample(population, k)


def test_every_run_is_audited_at_least_twice_and_runs_its_minimum():
    """Even where the hazard draws no audit, two of the first min_reps repetitions are audited; a
    child that stops sooner is refused (it would dodge them)."""
    p = Pacer({"audits": 3, "min_reps": 10}, rng=_NeverByHazard())
    audited = [rep for rep in range(10) if p._audit_now(rep)]
    assert len(audited) == 2
    short = Pacer({"audits": 3, "min_reps": 10}, rng=_NeverByHazard())
    for _ in range(4):
        short.reply("n", 0.0)
        short.reply("k", 0.001)
        if short._state == "audit":
            short.reply("a", 0.002)
    audits = [{"rep": r} for r in sorted(short.audit_ms)]
    with pytest.raises(Disagreement, match="before the minimum of 10"):
        pacing.check({"times_ms": [0.5] * 4}, audits, short)


class _Files:
    """An input feed that only names files (harness.feed.InputFeed's part the pacer uses)."""

    def __init__(self, size=1):
        self.made, self.dropped, self.size, self.bytes = [], [], size, 0

    def make(self, seed):
        self.made.append(f"{len(self.made):032x}")
        self.bytes += self.size
        return self.made[-1]

    def drop(self, name):
        self.dropped.append(name)


def test_fed_go_signals_name_a_new_file_and_only_audited_ones_are_kept():
    files = _Files()
    p = Pacer({"audits": 2, "min_reps": 1, "min_audits": 0}, rng=_Dice([1]), feed=files)
    for side in "krkr":
        go = p.reply("n", 0.0)
        assert go == f"g @{files.made[-1]}"
        reply = p.reply(side, 0.001)
        if reply == "a":
            p.reply("a", 0.002)
    assert p.seeded and p.inputs == [files.made[0], files.made[2]]
    assert files.dropped == [files.made[0], files.made[1], files.made[3]]  # the audited kernel rep's stays


def test_inputs_the_parent_cannot_make_end_the_run_in_one_line():
    class Broken:
        def make(self, seed):
            raise OSError(28, "No space left on device")

    p = Pacer({"audits": 0, "min_reps": 1}, feed=Broken())
    assert p.reply("n", 0.0) is None
    assert p.failure == "could not make a timed repetition's inputs: OSError: [Errno 28] No space left on device"


def test_a_run_ends_once_the_parent_has_written_its_cap_of_fresh_inputs():
    """Each inputs file is removed after its repetition, but a child that keeps its mappings keeps the
    pages: what one job is fed is capped, and the run ends after the pair under way (not refused)."""
    files = _Files(size=pacing.FEED_BYTES // 2)
    p = Pacer({"audits": 0, "min_reps": 10}, feed=files)
    replies = []
    for side in "kr":
        p.reply("n", 0.0)
        replies.append(p.reply(side, 0.001))
    assert replies == ["g", "e"] and p.ended
    pacing.check({"times_ms": [0.5], "reference": {"times_ms": [0.5]}}, [], p)  # ended early: not refused
