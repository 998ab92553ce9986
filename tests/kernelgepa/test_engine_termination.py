"""The search always ends: repeated strategies are not re-evaluated, a stalled search changes its
prompt and then stops with a stated reason, replies without a strategy are failed proposals, and
iterations and LLM calls are budgets. In-process fakes (engine_fakes.py), no harness."""
from __future__ import annotations

import itertools

import pytest

from kernelgepa.budget import Budget
from kernelgepa.engine import Engine, EngineConfig
from kernelgepa.store import SQLiteStore
from tests.kernelgepa.engine_fakes import FakeAdapter, ScriptedReflector

TASKS = ["a", "b", "c"]
SCORES = {"SEED": {"a": 2.0}, "BAD": {}, "GOOD": {"a": 2.0, "b": 2.0}, "BEST": {"a": 2.0, "b": 2.0, "c": 2.0}}


def _engine(tmp_path, reply, *, budget=None, cache=None, **cfg):
    store = SQLiteStore(tmp_path / "run.db")
    budget = budget or Budget(max_rollouts=200)
    adapter = FakeAdapter(store, budget, SCORES)
    reflector = ScriptedReflector(reply, cache)
    cfg = {"minibatch": 3, "seed": 5, "seed_strategies": ("SEED: plain loops.",), "stall_iterations": 4, **cfg}
    return Engine(adapter, reflector, store, TASKS, budget, EngineConfig(**cfg)), store, adapter, reflector


def test_the_same_reflection_reply_every_time_stalls_and_stops(tmp_path):
    eng, store, adapter, reflector = _engine(tmp_path, lambda m: "<strategy>\nBAD: lessons.\n</strategy>")
    reason = eng.run()
    assert reason == "search stalled: 4 iterations in a row without a new kernel"
    texts = [s["text"] for s in store.strategies()]
    assert texts == ["SEED: plain loops.", "BAD: lessons."]  # minted once, never again
    assert sorted(t for sid, t in adapter.evaluated if sid == 2) == TASKS  # evaluated once (minibatch)
    assert store.get_meta("iteration") == 5 and store.get_meta("stopped") == reason
    # after the first no-progress iteration (2) every prompt carries a nonce, so the cache cannot replay it
    prompts = [m[-1]["content"] for m in reflector.sent]
    assert len(set(prompts)) == len(prompts)
    assert [p.split("(Proposal ")[1].split(":", 2)[:2] for p in prompts if "(Proposal" in p] == \
        [["5", "3"], ["5", "4"], ["5", "5"]]


def test_a_repeat_that_differs_only_in_whitespace_is_not_evaluated_again(tmp_path):
    replies = itertools.cycle(["<strategy>BAD:  lessons.</strategy>", "<strategy>\n BAD: lessons.\n\n</strategy>",
                               "<strategy>SEED: plain\nloops.</strategy>"])
    eng, store, adapter, _ = _engine(tmp_path, lambda m: next(replies))
    assert eng.run().startswith("search stalled")
    assert len(store.strategies()) == 2
    assert len(adapter.evaluated) == 6  # the seed and one child on three tasks each


def test_stall_nonce_is_deterministic_so_a_resumed_run_hits_the_cache(tmp_path):
    cache = {}
    eng, store, _, first = _engine(tmp_path, lambda m: "<strategy>BAD: x</strategy>", cache=cache,
                                   budget=Budget(max_iterations=3))
    assert eng.run() == "iteration limit reached (3)"
    store.close()
    eng, store, _, second = _engine(tmp_path, lambda m: "<strategy>BAD: x</strategy>", cache=cache)
    assert eng.run().startswith("search stalled")
    assert store.get_meta("iteration") == 5
    sent = [m[-1]["content"] for m in first.sent + second.sent]
    assert len(sent) == len(set(sent))  # nothing was asked twice across the restart
    assert [p.split("(Proposal ")[1].split(":", 2)[:2] for p in sent if "(Proposal" in p] == \
        [["5", "3"], ["5", "4"], ["5", "5"]]


def test_progress_resets_the_stall_count(tmp_path):
    plan = iter(["BAD: a.", "BAD: b.", "BAD: c.", "GOOD: d.", "BAD: e.", "BAD: f.", "BEST: g."])
    eng, store, _, _ = _engine(tmp_path, lambda m: f"<strategy>{next(plan, 'BAD: z.')}</strategy>",
                               stall_iterations=2, merge_every=0)
    assert eng.run().startswith("search stalled")
    accepted = [s["text"] for s in store.strategies(accepted_only=True)]
    assert accepted == ["SEED: plain loops.", "GOOD: d.", "BEST: g."]


@pytest.mark.parametrize("reply", ["I would vectorize the inner loop and fuse the passes.", "",
                                   "<strategy>\n\n</strategy>", "<strategy>" + "x " * 9000 + "</strategy>"])
def test_a_reply_without_a_usable_strategy_is_a_failed_proposal_retried_then_given_up(tmp_path, reply):
    eng, store, adapter, reflector = _engine(tmp_path, lambda m: reply, stall_iterations=2)
    assert eng.run().startswith("search stalled")
    assert [s["text"] for s in store.strategies()] == ["SEED: plain loops."]  # never a strategy
    assert store.get_meta("failed_proposals") == 2
    assert len(reflector.sent) == 6  # 1 + 2 retries per iteration, each a different prompt
    assert store.totals()["llm_calls"] == 6


def test_llm_calls_are_a_budget_cached_ones_included(tmp_path):
    eng, store, _, _ = _engine(tmp_path, lambda m: "no block", budget=Budget(max_llm_calls=4))
    assert eng.run() == "LLM-call budget reached (4/4)"
    assert store.totals()["llm_calls"] == 4
