"""Lazy full evaluation (a child's score is measured only where it can matter, and never made up)
and the noisy gate (a timing too noisy to be a speed claim cannot pass as an improvement), through
the engine with in-process fakes (engine_fakes.py)."""
from __future__ import annotations

import random

from kernelgepa.budget import Budget
from kernelgepa.engine import Engine, EngineConfig
from kernelgepa.frontier import build_frontier
from kernelgepa.outputs import write_outputs
from kernelgepa.policies import score_of_speedup
from kernelgepa.scoring import claimed_score, kernel_score
from kernelgepa.store import SQLiteStore, deferred_evaluations
from tests.kernelgepa.engine_fakes import FakeAdapter, ScriptedReflector

TASKS = ["a", "b", "c", "d"]
AT_TARGET = score_of_speedup(2.0)
# SEED is best on a and b; SPEC is the specialist on c; nobody has d at target
SCORES = {"SEED": {"a": 1.0, "b": 1.0, "c": 0.2, "d": AT_TARGET}, "SPEC": {"a": 0.5, "b": 0.5, "c": 1.8},
          "KID": {"a": 1.5, "b": 1.0, "c": 0.2, "d": 0.5}, "SLOW": {"a": 1.0, "b": 1.0, "c": 0.2}}


def _engine(tmp_path, *, results=None, reply="KID: more.", **cfg):
    store = SQLiteStore(tmp_path / "run.db")
    budget = Budget(max_rollouts=500)
    adapter = FakeAdapter(store, budget, SCORES, results)
    events = []
    cfg = {"minibatch": 1, "seed_strategies": ("SEED: go.", "SPEC: go."), "merge_every": 0,
           "full_eval_policy": "lazy", **cfg}
    eng = Engine(adapter, ScriptedReflector(lambda m: f"<strategy>{reply}</strategy>"), store, TASKS, budget,
                 EngineConfig(**cfg), on_progress=events.append)
    eng._seed()
    return eng, store, adapter, events


def _child_of_seed(eng, text="KID: more.", batch=("a",)):
    scores = eng.scores()
    eng._gate(1, text, [1], "mutation", scores[1], list(batch), scores, build_frontier(scores, TASKS).best)
    return next(s for s in eng.store.strategies() if s["text"] == text)


def test_an_accepted_child_defers_where_its_parent_is_dominated_and_inherits_at_target(tmp_path):
    eng, store, adapter, events = _engine(tmp_path)
    kid = _child_of_seed(eng)
    assert kid["accepted"]
    # a: its minibatch; b: the parent is best there (now); c: SPEC is far better (deferred); d: at target
    assert sorted(t for sid, t in adapter.evaluated if sid == kid["id"]) == ["a", "b"]
    assert deferred_evaluations(store) == {kid["id"]: ["c"]}
    kinds = {e["task"]: e["kind"] for e in store.evaluations() if e["strategy_id"] == kid["id"]}
    assert kinds == {"a": "minibatch", "b": "full", "d": "inherited"}
    # a deferred task has no score: it counts for nothing on the frontier (the specialist keeps c)
    assert eng.scores()[kid["id"]] == {"a": 1.5, "b": 1.0, "d": AT_TARGET}
    assert build_frontier(eng.scores(), TASKS).winners["c"] == {2}
    assert "inherits 1 tasks at target; defers 1 until needed" in events[-1]["event"]


def test_a_deferred_task_is_evaluated_once_it_is_needed_and_the_summary_says_what_was_not_measured(tmp_path):
    eng, store, adapter, _ = _engine(tmp_path)
    kid = _child_of_seed(eng)["id"]
    summary = write_outputs(tmp_path / "out", store, TASKS, 1.0)
    assert summary["per_task"]["c"]["deferred_for"] == [kid] and summary["per_task"]["d"]["inherited_by"] == [kid]
    assert summary["evaluations"] == {"measured": 10, "inherited": 1, "deferred": 1}
    # the best kernel per task is always a measured one: d's is the seed's own kernel, not a copy
    assert summary["per_task"]["d"]["strategy_id"] == 1 and summary["rollouts"] == len(adapter.evaluated)
    assert eng._complete([kid], ["a", "c"])           # c is due (a is measured already)
    assert not eng._complete([kid], TASKS)            # nothing left to evaluate
    assert deferred_evaluations(store) == {}
    assert {e["task"]: e["kind"] for e in store.evaluations() if e["strategy_id"] == kid}["c"] == "lazy"
    assert eng.scores()[kid]["c"] == 0.2
    assert write_outputs(tmp_path / "out", store, TASKS, 1.0)["evaluations"]["deferred"] == 0


def test_a_parent_with_deferred_tasks_in_its_minibatch_is_measured_there_before_reflection(tmp_path):
    eng, store, adapter, _ = _engine(tmp_path, minibatch=3, selector="best", reply="SLOW: x.")
    kid = _child_of_seed(eng)["id"]
    eng._iteration()  # the best-mean parent is KID; the minibatch is the open tasks a, b, c
    assert adapter.evaluated[-4] == (kid, "c")  # measured first, then the child on its minibatch
    prompt = eng.reflector.sent[-1][-1]["content"]
    assert prompt.count("### Task ") == 3 and "# KID: more. :: c" in prompt
    assert {e["task"]: e["kind"] for e in store.evaluations() if e["strategy_id"] == kid}["c"] == "lazy"
    for sid in (s["id"] for s in store.strategies(accepted_only=True)):
        # every task of every accepted strategy is measured, inherited or deferred, exactly once
        have = {e["task"] for e in store.evaluations() if e["strategy_id"] == sid}
        pending = set(deferred_evaluations(store).get(sid, []))
        assert not have & pending and have | pending == set(TASKS)


def _merge_kid_with_spec(tmp_path, policy):
    eng, store, adapter, _ = _engine(tmp_path, reply="MERGED: both.", merge_every=1, merge_batch_policy=policy)
    kid = _child_of_seed(eng)["id"]                  # deferred on c (SPEC is far better there)
    store.set_meta("merged_pairs", [[1, 2]])         # the two seeds were merged already: KID x SPEC is left
    before = len(adapter.evaluated)
    eng._step(1, random.Random(0))
    merged = next(s for s in store.strategies() if s["text"] == "MERGED: both.")
    assert merged["parents"] == [2, kid]
    return kid, merged["id"], adapter.evaluated[before:], store


def test_an_open_merge_batch_completes_the_parents_only_where_the_merge_is_judged(tmp_path):
    # KID vs SPEC: b is the one unsolved task (best 1.0x) where they disagree, so it alone judges
    # the merge (minibatch 1); KID's deferred c is not measured for it
    kid, merged, evaluated, store = _merge_kid_with_spec(tmp_path, "disagree-open")
    assert evaluated == [(merged, "b")]
    assert deferred_evaluations(store) == {kid: ["c"]}


def test_the_plain_merge_batch_completes_the_parents_everywhere_first(tmp_path):
    kid, merged, evaluated, store = _merge_kid_with_spec(tmp_path, "disagree")
    assert evaluated == [(kid, "c"), (merged, "d")]  # then d, where the parents differ most
    assert deferred_evaluations(store) == {}


def test_a_noisy_timing_sets_no_new_best_unless_its_intervals_low_end_does():
    noisy = {"status": "ok", "speedup": 2.0, "score": 2.0, "result": {"noisy": True, "speedup_ci": [1.4, 2.9]}}
    assert claimed_score(noisy, known=1.0) == kernel_score("ok", 1.4)   # the low end is a new best still
    assert claimed_score(noisy, known=1.8) == 1.8                       # ties the best known, no more
    assert claimed_score(noisy, known=2.5) == 2.0                       # below it: as scored
    assert claimed_score({**noisy, "result": {"noisy": True}}, known=0.0) == kernel_score("ok", 0.1)  # correct floor
    assert claimed_score({**noisy, "result": {"noisy": False, "speedup_ci": [1.9, 2.1]}}, known=1.0) == 2.0
    assert claimed_score({"status": "incorrect", "speedup": None, "score": 0.2, "result": {"noisy": True}}, 0.0) == 0.2


def test_the_gate_does_not_take_a_noisy_timing_as_an_improvement_and_says_so(tmp_path):
    # KID's point estimate on a (2x) beats the best (1x) clearly, but its interval reaches down to 0.9x
    results = {"KID": {"a": {"speedup": 2.0, "noisy": True, "speedup_ci": [0.9, 3.0]}}}
    eng, store, adapter, events = _engine(tmp_path, results=results)
    kid = _child_of_seed(eng)
    assert not kid["accepted"] and SCORES["KID"]["a"] > 1.0 + eng.cfg.gate_margin
    assert "rejected by the gate" in events[-1]["event"]
    assert "noisy timing on a: no new best unless its interval's low end is one" in events[-1]["event"]
    # nor is it a fast_1 claim: the task's best kernel is shown as noisy, and not counted
    assert events[-1]["noisy_best"] == ["a"] and events[-1]["fast_1"] == 0.0


def test_a_noisy_timing_whose_whole_interval_is_an_improvement_still_passes(tmp_path):
    results = {"KID": {"a": {"speedup": 2.0, "noisy": True, "speedup_ci": [1.7, 3.0]}}}
    eng, store, _, events = _engine(tmp_path, results=results)
    assert _child_of_seed(eng)["accepted"]
    assert "accepted" in events[-1]["event"] and "noisy timing on a" in events[-1]["event"]
