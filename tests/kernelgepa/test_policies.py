"""Each allocation policy on its own (kernelgepa/policies.py), and the engine using them."""
from __future__ import annotations

import random

import pytest

from kernelgepa import policies
from kernelgepa.budget import Budget
from kernelgepa.engine import Engine, EngineConfig
from kernelgepa.policies import (BestKnownGate, DisagreementMergeBatch, EvalPlan, EvaluateAll, HeadroomMinibatch,
                                 InheritAtTarget, LazyWhereDominated, LazyWhereSolved, OpenDisagreementMergeBatch,
                                 ParentGate, RefineAlways, RefineWhenShort, UniformMinibatch, UnsolvedFirstMinibatch,
                                 disagreement_batch, score_of_speedup)
from kernelgepa.scoring import kernel_score
from kernelgepa.store import SQLiteStore
from tests.kernelgepa.engine_fakes import FakeAdapter, ScriptedReflector

TASKS = ["a", "b", "c", "d", "e"]


def test_score_of_speedup_is_the_kernel_score_of_a_correct_kernel():
    for s in (0.3, 1.0, 1.5, 2.0, 300.0):
        assert score_of_speedup(s) == kernel_score("ok", s)


def test_headroom_minibatch_draws_only_tasks_below_target_and_tops_up_when_few_remain():
    best = {"a": 3.0, "b": 2.0, "c": 1.0, "d": 0.0, "e": 0.5}
    pol = HeadroomMinibatch(target=2.0)
    for seed in range(20):
        batch = pol.draw(TASKS, best, 3, random.Random(seed))
        assert sorted(batch) == ["c", "d", "e"]
    batch = pol.draw(TASKS, {t: 2.0 for t in TASKS[:4]}, 3, random.Random(1))
    assert batch[0] == "e" and len(set(batch)) == 3  # the one open task, then two others
    seen = {t for seed in range(40) for t in UniformMinibatch().draw(TASKS, best, 3, random.Random(seed))}
    assert seen == set(TASKS)


def test_full_evaluation_inherits_only_tasks_where_the_parent_is_at_target():
    parent = {"a": 2.5, "b": 2.0, "c": 1.9, "d": 0.0}
    assert InheritAtTarget(2.0).plan(TASKS, parent, parent) == EvalPlan(["c", "d", "e"], inherit=["a", "b"])
    assert EvaluateAll().plan(TASKS, parent, parent) == EvalPlan(TASKS)


def test_lazy_evaluation_defers_where_the_parent_is_dominated_and_inherits_at_target():
    parent = {"a": 2.5, "b": 1.0, "c": 1.9, "d": 0.2, "e": 1.5}
    best = {"a": 2.5, "b": 1.05, "c": 3.0, "d": 1.0, "e": 1.5}
    plan = LazyWhereDominated(target=2.0, margin=0.1).plan(TASKS, parent, best)
    # a: at target (inherited); b: behind the best by less than the margin (noise) and e: the best,
    # so the child may well be best there (now); c, d: another strategy is clearly better (deferred)
    assert plan == EvalPlan(["b", "e"], inherit=["a"], defer=["c", "d"])
    # and where a kernel already beats the reference (score > 1: b, e), later too
    plan = LazyWhereSolved(target=2.0, margin=0.1, solved=1.0).plan(TASKS, {**parent, "f": 0.5}, {**best, "f": 0.5})
    assert plan == EvalPlan([], inherit=["a"], defer=["c", "d", "b", "e"])
    assert LazyWhereSolved(2.0, 0.1, 1.0).plan(["f"], {"f": 1.0}, {"f": 1.0}) == EvalPlan(["f"])  # 1.0x: unsolved


def test_unsolved_first_minibatch_draws_tasks_no_kernel_beats_the_reference_then_those_below_target():
    best = {"a": 3.0, "b": 1.5, "c": 1.0, "d": 0.2, "e": 1.9}
    for seed in range(20):
        batch = UnsolvedFirstMinibatch(target=2.0, solved=1.0).draw(TASKS, best, 3, random.Random(seed))
        assert sorted(batch[:2]) == ["c", "d"] and batch[2] in ("b", "e")


def test_parent_gate_needs_more_than_the_margin():
    gate = ParentGate(margin=0.1)
    parent = {"a": 1.0, "b": 1.0}
    assert not gate.accept({"a": 1.05, "b": 1.04}, parent, parent, ["a", "b"])  # noise: rejected
    assert gate.accept({"a": 1.2, "b": 1.0}, parent, parent, ["a", "b"])


def test_best_known_gate_wants_a_win_on_some_task_not_just_a_better_parent():
    gate = BestKnownGate(margin=0.1)
    best = {"a": 2.0, "b": 2.0}
    weak = {"a": 0.5, "b": 0.5}
    # beats its weak parent clearly but is best nowhere: rejected
    assert not gate.accept({"a": 1.5, "b": 1.5}, weak, best, ["a", "b"])
    # a new best on one task by more than the margin: accepted
    assert gate.accept({"a": 2.3, "b": 0.5}, weak, best, ["a", "b"])
    # a new best by less than the margin (timing noise) is no win
    assert not gate.accept({"a": 2.05, "b": 0.5}, {"a": 1.9, "b": 0.5}, best, ["a", "b"])
    # reaching the best where the better parent fell short: accepted for a merge joining two
    # specialists, not for a mutation (a warm-started writer reaches known bests on its own)
    assert gate.accept({"a": 2.0, "b": 2.0}, {"a": 2.0, "b": 0.0}, best, ["a", "b"], merge=True)
    assert not gate.accept({"a": 2.0, "b": 2.0}, {"a": 2.0, "b": 0.0}, best, ["a", "b"])


def test_merge_batch_is_where_the_parents_disagree_most():
    a = {"a": 2.0, "b": 1.0, "c": 1.0, "d": 0.0, "e": 1.0}
    b = {"a": 0.0, "b": 1.0, "c": 1.5, "d": 0.0, "e": 1.0}
    for seed in range(10):
        batch = disagreement_batch(TASKS, a, b, 3, random.Random(seed))
        assert batch[:2] == ["a", "c"] and batch[2] in ("b", "d", "e")


def test_open_merge_batch_is_where_the_parents_disagree_on_tasks_with_headroom_first():
    # the parents disagree on a (at target), b (solved, below target) and c, d (unsolved); agree on e, f
    a = {"a": 3.0, "b": 1.5, "c": 0.2, "d": 0.0, "e": 0.2, "f": 2.5}
    b = {"a": 2.0, "b": 1.1, "c": 0.0, "d": 0.9, "e": 0.2, "f": 2.5}
    best = {"a": 3.0, "b": 1.5, "c": 0.2, "d": 0.9, "e": 0.2, "f": 2.5}
    tasks = sorted(best)
    pol = OpenDisagreementMergeBatch(target=2.0, solved=1.0)
    assert not pol.complete_all and DisagreementMergeBatch.complete_all
    for seed in range(10):
        rng = random.Random(seed)
        # unsolved disagreements (d differs most), then below target, then at target, then agreement (unsolved first)
        assert pol.draw(tasks, a, b, best, 6, rng) == ["d", "c", "b", "a", "e", "f"]
        assert pol.draw(tasks, a, b, best, 2, rng) == ["d", "c"]
        # the plain policy ranks by disagreement alone: a (1.0) before d (0.9)
        assert DisagreementMergeBatch().draw(tasks, a, b, best, 2, random.Random(seed)) == ["a", "d"]
    # no target speedup (NPU): every task has headroom, disagreement alone decides
    npu = policies.build_merge_batch("disagree-open", target_speedup=None)
    assert npu.draw(tasks, a, b, best, 2, random.Random(0)) == ["a", "d"]
    with pytest.raises(ValueError, match="known: disagree, disagree-open"):
        policies.build_merge_batch("nope", target_speedup=2.0)


def test_refine_only_when_the_first_attempt_falls_short():
    short = RefineWhenShort()
    assert short.wanted(0.0, False, None) and short.wanted(0.2, False, 3.0)      # not correct
    assert not short.wanted(1.0, True, None)                                      # correct, nothing known
    assert short.wanted(1.5, True, 2.0) and short.wanted(2.0, True, 2.0)          # no better than known
    assert not short.wanted(2.5, True, 2.0)
    assert RefineAlways().wanted(7.0, True, None)


def test_unknown_policy_names_are_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="known: uniform, headroom"):
        policies.build("nope", "all", "parent", target_speedup=2.0, margin=0.1)


def test_engine_inherits_at_target_tasks_and_judges_children_on_open_ones(tmp_path):
    store = SQLiteStore(tmp_path / "run.db")
    budget = Budget(max_iterations=1)
    at_target = score_of_speedup(2.0)
    scores = {"SEED": {"a": at_target, "b": at_target}, "KID": {"a": at_target, "b": at_target, "c": 1.5, "d": 1.5}}
    adapter = FakeAdapter(store, budget, scores)
    reflector = ScriptedReflector(lambda m: "<strategy>KID: more.</strategy>")
    eng = Engine(adapter, reflector, store, ["a", "b", "c", "d"], budget,
                 EngineConfig(minibatch=2, seed_strategies=("SEED: go.",), merge_every=0))
    eng.run()
    kid = [s for s in store.strategies() if s["text"].startswith("KID")][0]
    assert kid["accepted"]
    # the minibatch held only the open tasks; at-target tasks were inherited, never written again
    assert sorted(t for sid, t in adapter.evaluated if sid == kid["id"]) == ["c", "d"]
    kinds = {e["task"]: e["kind"] for e in store.evaluations() if e["strategy_id"] == kid["id"]}
    assert kinds == {"a": "inherited", "b": "inherited", "c": "minibatch", "d": "minibatch"}
    assert eng.scores()[kid["id"]] == {"a": at_target, "b": at_target, "c": 1.5, "d": 1.5}


def test_without_a_target_speedup_no_task_is_ever_at_target_or_solved():
    capped = {t: 7.0 for t in TASKS}  # NPU kernels are scored by vector utilisation, capped at 7
    for names in (("headroom", "inherit"), ("unsolved", "lazy-solved")):
        minibatch, full_eval, _ = policies.build(*names, "best", target_speedup=None, margin=0.1)
        assert full_eval.plan(TASKS, capped, capped) == EvalPlan(TASKS)
        assert sorted(minibatch.draw(TASKS, capped, 5, random.Random(0))) == TASKS
