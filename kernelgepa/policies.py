"""Where the search spends its rollouts: small swappable policies the engine consults.

* Minibatch: which tasks a parent's child is tried on (all alike, or those with headroom).
* Full evaluation: which tasks an accepted child is evaluated on; the rest inherit the parent's
  result (a task already at target gains nothing from another kernel).
* Gate: whether a child's minibatch scores earn it a full evaluation (beat the parent, or beat
  the parent and set a new best on some task, both by a noise margin).
* Merge batch: which tasks judge a merged child (where its parents disagree).

``Scores`` are task -> shaped score (``kernelgepa.scoring``); ``best`` is the best known score per
task over every kernel of the run.
"""
from __future__ import annotations

import math
import random

from kernelgepa.frontier import SCORE_EPS

Scores = dict[str, float]


def score_of_speedup(speedup: float) -> float:
    """The shaped score of a correct kernel with this speedup (``kernel_score`` for status ok)."""
    return min(7.0, max(0.5, 1.0 + math.log2(speedup)))


class UniformMinibatch:
    name = "uniform"

    def draw(self, tasks: list[str], best: Scores, k: int, rng: random.Random) -> list[str]:
        return rng.sample(tasks, min(k, len(tasks)))


class HeadroomMinibatch:
    """Draw from the tasks whose best kernel is below the target; top up with the rest only when
    fewer than ``k`` have headroom (so a finished batch still gets a minibatch)."""

    name = "headroom"

    def __init__(self, target: float):
        self.target = target

    def draw(self, tasks: list[str], best: Scores, k: int, rng: random.Random) -> list[str]:
        open_ = [t for t in tasks if best.get(t, 0.0) < self.target - SCORE_EPS]
        batch = rng.sample(open_, min(k, len(open_)))
        rest = [t for t in tasks if t not in batch]
        return batch + rng.sample(rest, min(k - len(batch), len(rest)))


class EvaluateAll:
    name = "all"

    def tasks(self, tasks: list[str], parent: Scores) -> list[str]:
        return list(tasks)


class InheritAtTarget:
    """An accepted child is evaluated only where its parent is below the target; on the other tasks
    it inherits the parent's result (kernel and score)."""

    name = "inherit"

    def __init__(self, target: float):
        self.target = target

    def tasks(self, tasks: list[str], parent: Scores) -> list[str]:
        return [t for t in tasks if parent.get(t, 0.0) < self.target - SCORE_EPS]


class ParentGate:
    """GEPA's gate: the child's minibatch total beats the parent's by more than ``margin``."""

    name = "parent"

    def __init__(self, margin: float = 0.0):
        self.margin = margin

    def accept(self, child: Scores, parent: Scores, best: Scores, batch: list[str], *, merge: bool = False) -> bool:
        return sum(child[t] for t in batch) > sum(parent.get(t, 0.0) for t in batch) + self.margin + SCORE_EPS


class BestKnownGate(ParentGate):
    """The parent gate, and the child must also win some minibatch task: beat its best known score
    by ``margin`` or, for a merge (whose point is to join what each parent knows), reach it where the
    better parent fell short of it by more than ``margin``. With Pareto selection a child that wins
    nowhere is never a parent, so its full evaluation would buy nothing; and timing noise alone
    cannot pass (``margin`` > the noise). Measured in the simulated worlds: reaching the best is not
    enough for a mutation, as the warm-started writer reaches it often without a better strategy."""

    name = "best"

    def accept(self, child: Scores, parent: Scores, best: Scores, batch: list[str], *, merge: bool = False) -> bool:
        m = self.margin + SCORE_EPS
        wins = any(child[t] > best.get(t, 0.0) + m
                   or (merge and child[t] >= best.get(t, 0.0) - SCORE_EPS and parent.get(t, 0.0) < best.get(t, 0.0) - m)
                   for t in batch)
        return wins and super().accept(child, parent, best, batch)


def disagreement_batch(tasks: list[str], a: Scores, b: Scores, k: int, rng: random.Random) -> list[str]:
    """Tasks where two merge parents' scores differ (most first, ties in random order), topped up
    at random: a merge shows its worth where one parent knows what the other does not."""
    order = rng.sample(tasks, len(tasks))
    ranked = sorted(order, key=lambda t: -abs(a.get(t, 0.0) - b.get(t, 0.0)))
    return ranked[:min(k, len(tasks))]


def build(minibatch: str, full_eval: str, gate: str, *, target_speedup: float | None, margin: float):
    """(minibatch, full-evaluation, gate) policies by name, as ``EngineConfig`` names them.
    ``target_speedup`` None: no task is ever at target (kernels scored without a speedup, NPU)."""
    target = score_of_speedup(target_speedup) if target_speedup is not None else math.inf
    minibatches = {"uniform": UniformMinibatch, "headroom": lambda: HeadroomMinibatch(target)}
    evals = {"all": EvaluateAll, "inherit": lambda: InheritAtTarget(target)}
    gates = {"parent": lambda: ParentGate(margin), "best": lambda: BestKnownGate(margin)}
    for kind, name, known in (("minibatch", minibatch, minibatches), ("full evaluation", full_eval, evals),
                              ("gate", gate, gates)):
        if name not in known:
            raise ValueError(f"unknown {kind} policy {name!r} (known: {', '.join(known)})")
    return minibatches[minibatch](), evals[full_eval](), gates[gate]()


class RefineAlways:
    """Every kernel gets all its refinement rounds."""

    name = "always"

    def wanted(self, score: float, ok: bool, known: float | None) -> bool:
        return True


class RefineWhenShort:
    """Refine only an attempt that falls short: not correct, or no better than the best kernel the
    task had (``known``, the warm start's score; None when it had none)."""

    name = "short"

    def wanted(self, score: float, ok: bool, known: float | None) -> bool:
        return not ok or (known is not None and score <= known + SCORE_EPS)


REFINE = {c.name: c for c in (RefineAlways, RefineWhenShort)}
