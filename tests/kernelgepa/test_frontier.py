import random

import pytest

from kernelgepa.frontier import BestSelector, ParetoSelector, build_frontier
from kernelgepa.scoring import kernel_score


def test_score_never_rewards_rejected_and_orders_progress():
    assert kernel_score("rejected", 100.0) == 0.0 and kernel_score("invalid", None) == 0.0
    ladder = [kernel_score(s, None) for s in ("compile_error", "runtime_error", "timeout", "incorrect", "compiled_only")]
    assert ladder == sorted(ladder) and max(ladder) < 0.5
    assert kernel_score("ok", 0.01) == 0.5 > max(ladder)  # any correct kernel beats any incorrect one
    assert kernel_score("ok", 1.0) == pytest.approx(1.0)
    assert kernel_score("ok", 2.0) > kernel_score("ok", 1.5) > kernel_score("ok", 1.0)
    assert kernel_score("ok", 1e9) == 7.0


def test_frontier_keeps_a_specialist_and_drops_the_dominated():
    tasks = ["a", "b", "c"]
    scores = {
        1: {"a": 2.0, "b": 2.0, "c": 0.0},  # generalist
        2: {"a": 0.2, "b": 0.2, "c": 1.0},  # specialist: the only one solving c
        3: {"a": 1.0, "b": 1.0, "c": 0.0},  # dominated by 1
    }
    f = build_frontier(scores, tasks)
    assert f.winners == {"a": {1}, "b": {1}, "c": {2}}
    assert f.members() == {1, 2} and f.wins() == {1: 2, 2: 1}


def test_ties_are_all_winners():
    f = build_frontier({1: {"a": 1.0}, 2: {"a": 1.0}}, ["a"])
    assert f.winners["a"] == {1, 2}


def test_pareto_sampling_gives_the_specialist_real_chances_best_never_does():
    tasks = ["a", "b", "c"]
    scores = {1: {"a": 2.0, "b": 2.0, "c": 0.0}, 2: {"a": 0.2, "b": 0.2, "c": 1.0}}
    f = build_frontier(scores, tasks)
    rng = random.Random(0)
    picks = [ParetoSelector().select(f, scores, tasks, rng) for _ in range(3000)]
    share = picks.count(2) / len(picks)
    assert 0.33 < share < 0.47  # weights (2+1) : (1+1) -> 0.4
    assert {BestSelector().select(f, scores, tasks, rng) for _ in range(50)} == {1}
