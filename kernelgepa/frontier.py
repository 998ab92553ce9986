"""Per-task Pareto frontier over strategies, and the parent-selection policies that read it.

A strategy survives while it is the best (within a tolerance) on at least one task and no other
strategy is at least as good everywhere and better somewhere. Selection policies are small
swappable classes, as in GEPA: Pareto sampling (weight = tasks won + 1) keeps specialists alive;
always-best is the greedy baseline the paper ablates against.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

Scores = dict[int, dict[str, float]]  # strategy id -> task -> score
SCORE_EPS = 1e-9


@dataclass
class Frontier:
    winners: dict[str, set[int]]  # task -> strategies with the best score on it
    best: dict[str, float]        # task -> best score

    def members(self) -> set[int]:
        return set().union(*self.winners.values()) if self.winners else set()

    def wins(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for ws in self.winners.values():
            for s in ws:
                counts[s] = counts.get(s, 0) + 1
        return counts


def _dominates(a: dict[str, float], b: dict[str, float], tasks) -> bool:
    ge = all(a.get(t, 0.0) >= b.get(t, 0.0) - SCORE_EPS for t in tasks)
    gt = any(a.get(t, 0.0) > b.get(t, 0.0) + SCORE_EPS for t in tasks)
    return ge and gt


def build_frontier(scores: Scores, tasks: list[str]) -> Frontier:
    """Best strategies per task, with dominated strategies removed from every task's winner set."""
    winners: dict[str, set[int]] = {}
    best: dict[str, float] = {}
    for t in tasks:
        top = max((s.get(t, 0.0) for s in scores.values()), default=0.0)
        best[t] = top
        winners[t] = {sid for sid, s in scores.items() if s.get(t, 0.0) >= top - SCORE_EPS}
    members = set().union(*winners.values()) if winners else set()
    dominated = {a for a in members for b in members if a != b and _dominates(scores[b], scores[a], tasks)}
    for t in tasks:
        kept = winners[t] - dominated
        winners[t] = kept or winners[t]
    return Frontier(winners, best)


def aggregate(scores: dict[str, float], tasks: list[str]) -> float:
    return sum(scores.get(t, 0.0) for t in tasks) / max(1, len(tasks))


class ParetoSelector:
    """Sample a frontier member with probability proportional to (tasks it wins + 1)."""

    name = "pareto"

    def select(self, frontier: Frontier, scores: Scores, tasks: list[str], rng: random.Random) -> int:
        wins = frontier.wins()
        ids = sorted(wins)
        return rng.choices(ids, weights=[wins[i] + 1 for i in ids])[0]


class BestSelector:
    """Always the strategy with the best mean score (greedy; ties to the oldest)."""

    name = "best"

    def select(self, frontier: Frontier, scores: Scores, tasks: list[str], rng: random.Random) -> int:
        return max(sorted(scores), key=lambda sid: aggregate(scores[sid], tasks))


SELECTORS = {c.name: c for c in (ParetoSelector, BestSelector)}
