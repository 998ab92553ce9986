"""Where the search spends its rollouts: small swappable policies the engine consults.

* Minibatch: which tasks a parent's child is tried on (all alike, those with headroom, or those
  no kernel has solved yet first).
* Full evaluation: which tasks an accepted child is evaluated on at once; on the others it inherits
  the parent's result (a task already at target gains nothing from another kernel) or is evaluated
  lazily, only once its score there is needed (where its parent is dominated, so is it, likely).
* Gate: whether a child's minibatch scores earn it a full evaluation (beat the parent, or beat
  the parent and set a new best on some task, both by a noise margin).
* Merge batch: which tasks judge a merged child (where its parents disagree, those with headroom
  first) and where the parents' deferred evaluations are completed for it.

``Scores`` are task -> shaped score (``kernelgepa.scoring``); ``best`` is the best known score per
task over every kernel of the run.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class EvalPlan:
    """What happens to an accepted child on the tasks its minibatch did not cover."""
    now: list[str]                                      # evaluated at once
    inherit: list[str] = field(default_factory=list)    # the parent's result carried over (at target)
    defer: list[str] = field(default_factory=list)      # evaluated only when its score there is needed


class UnsolvedFirstMinibatch(HeadroomMinibatch):
    """Headroom in two tiers: first the tasks no kernel has solved yet (none correct and faster than
    the reference, a task's most valuable gain), then those below the target, then the rest."""

    name = "unsolved"

    def __init__(self, target: float, solved: float):
        super().__init__(target)
        self.solved = solved  # above this score a task is solved (``build``: a kernel beats the reference)

    def draw(self, tasks: list[str], best: Scores, k: int, rng: random.Random) -> list[str]:
        unsolved = [t for t in tasks if best.get(t, 0.0) <= self.solved]
        batch = rng.sample(unsolved, min(k, len(unsolved)))
        if len(batch) < k:
            rest = [t for t in tasks if t not in batch]
            batch += super().draw(rest, best, k - len(batch), rng)
        return batch


class EvaluateAll:
    name = "all"

    def plan(self, tasks: list[str], parent: Scores, best: Scores) -> EvalPlan:
        return EvalPlan(list(tasks))


class InheritAtTarget:
    """An accepted child is evaluated only where its parent is below the target; on the other tasks
    it inherits the parent's result (kernel and score)."""

    name = "inherit"

    def __init__(self, target: float):
        self.target = target

    def plan(self, tasks: list[str], parent: Scores, best: Scores) -> EvalPlan:
        done = [t for t in tasks if parent.get(t, 0.0) >= self.target - SCORE_EPS]
        return EvalPlan([t for t in tasks if t not in done], inherit=done)


class LazyWhereDominated(InheritAtTarget):
    """Inherit at target, and defer the tasks where the parent is dominated (below the best known
    score by more than ``margin``): a child of that parent is unlikely to be best there, so its score
    there matters only once it is a parent drawing that task, or a merge parent judged there. Until then it
    counts for nothing on the frontier, so a deferred score is never mistaken for a measured one."""

    name = "lazy"

    def __init__(self, target: float, margin: float):
        super().__init__(target)
        self.margin = margin

    def plan(self, tasks: list[str], parent: Scores, best: Scores) -> EvalPlan:
        base = super().plan(tasks, parent, best)
        behind = [t for t in base.now if parent.get(t, 0.0) < best.get(t, 0.0) - self.margin - SCORE_EPS]
        return EvalPlan([t for t in base.now if t not in behind], inherit=base.inherit, defer=behind)


class LazyWhereSolved(LazyWhereDominated):
    """Lazy evaluation that also defers the tasks already solved (some kernel correct and faster than
    the reference): the child is evaluated at once only where no kernel is a win yet, which is where
    the unsolved-first minibatch sends the search. Measured in the simulated worlds: with that
    minibatch, fewer rollouts to fast_1 >= 0.67 than evaluating those tasks at once (RESULTS.md)."""

    name = "lazy-solved"

    def __init__(self, target: float, margin: float, solved: float):
        super().__init__(target, margin)
        self.solved = solved  # as UnsolvedFirstMinibatch

    def plan(self, tasks: list[str], parent: Scores, best: Scores) -> EvalPlan:
        base = super().plan(tasks, parent, best)
        solved = [t for t in base.now if best.get(t, 0.0) > self.solved]
        return EvalPlan([t for t in base.now if t not in solved], inherit=base.inherit, defer=base.defer + solved)


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


class DisagreementMergeBatch:
    """A merged child is judged where its parents disagree most (``disagreement_batch``); both
    parents' deferred evaluations are completed on every task first (the merge prompt reads them)."""

    name = "disagree"
    complete_all = True  # complete the parents' deferred tasks everywhere, not only on the batch

    def draw(self, tasks: list[str], a: Scores, b: Scores, best: Scores, k: int, rng: random.Random) -> list[str]:
        return disagreement_batch(tasks, a, b, k, rng)


class OpenDisagreementMergeBatch(DisagreementMergeBatch):
    """Judge a merge where its parents disagree on tasks with headroom: tasks where the parents'
    scores differ come first, among them the unsolved ones, then those below the target, then the
    rest (each tier by how much the parents differ, ties at random); tasks where they agree fill up,
    unsolved first. The parents' deferred evaluations are completed only on this batch (the gate
    compares there; the prompt reads what is measured). Measured in the simulated worlds: fewer
    rollouts to both fast_1 targets than ``disagree``, whose batch and completions went mostly to
    tasks already solved (RESULTS.md)."""

    name = "disagree-open"
    complete_all = False

    def __init__(self, target: float, solved: float):
        self.target, self.solved = target, solved  # as UnsolvedFirstMinibatch

    def _tier(self, best: float) -> int:
        return 0 if best <= self.solved else 1 if best < self.target - SCORE_EPS else 2

    def draw(self, tasks: list[str], a: Scores, b: Scores, best: Scores, k: int, rng: random.Random) -> list[str]:
        gap = {t: abs(a.get(t, 0.0) - b.get(t, 0.0)) for t in tasks}
        order = rng.sample(tasks, len(tasks))
        ranked = sorted(order, key=lambda t: (gap[t] <= SCORE_EPS, self._tier(best.get(t, 0.0)), -gap[t]))
        return ranked[:min(k, len(tasks))]


def build(minibatch: str, full_eval: str, gate: str, *, target_speedup: float | None, margin: float):
    """(minibatch, full-evaluation, gate) policies by name, as ``EngineConfig`` names them.
    ``target_speedup`` None: no task is ever at target or solved (kernels scored without a speedup, NPU)."""
    target = score_of_speedup(target_speedup) if target_speedup is not None else math.inf
    solved = score_of_speedup(1.0) + SCORE_EPS if target_speedup is not None else math.inf  # beats the reference
    minibatches = {"uniform": UniformMinibatch, "headroom": lambda: HeadroomMinibatch(target),
                   "unsolved": lambda: UnsolvedFirstMinibatch(target, solved)}
    evals = {"all": EvaluateAll, "inherit": lambda: InheritAtTarget(target),
             "lazy": lambda: LazyWhereDominated(target, margin), "lazy-solved": lambda: LazyWhereSolved(target, margin, solved)}
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


def build_merge_batch(name: str, *, target_speedup: float | None):
    """The merge-batch policy by name, as ``EngineConfig.merge_batch_policy`` names it."""
    target = score_of_speedup(target_speedup) if target_speedup is not None else math.inf
    solved = score_of_speedup(1.0) + SCORE_EPS if target_speedup is not None else math.inf
    known = {"disagree": DisagreementMergeBatch, "disagree-open": lambda: OpenDisagreementMergeBatch(target, solved)}
    if name not in known:
        raise ValueError(f"unknown merge batch policy {name!r} (known: {', '.join(known)})")
    return known[name]()
