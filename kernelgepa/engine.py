"""GEPA as test-time search over a batch of kernel tasks.

The task batch is both the feedback set and the Pareto set. Each iteration either merges two
frontier strategies from different lineages or reflects on a parent's kernels on a minibatch and
proposes a child strategy; the child is evaluated on the rest of the batch only if it passes the gate
on that minibatch, and there only where the full-evaluation policy wants it now: it inherits its
parent's result on tasks at target, and a deferred task is evaluated once its score is needed (the
child is a parent drawing that task, or a merge parent judged there). Where rollouts go is decided by
``kernelgepa.policies``. A noisy timing (``EvalResult.noisy``) sets no new best in the gate (unless
its interval's low end does) and counts toward no fast_1 claim; the progress event says so. A child
whose text repeats an existing strategy is not evaluated again; every iteration either writes a new
kernel or counts toward a stall stop, and once stalled the reflection prompt carries a nonce so the
response cache cannot replay it. All state lives in the run store, so a killed run resumes where it
stopped: LLM replies come from the response cache and finished kernels from the store.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from harness.metrics import fast_p
from kernelgepa import policies
from kernelgepa.adapter import KernelAdapter
from kernelgepa.budget import Budget, BudgetExhausted
from kernelgepa.feedback import reflection_records, strategy_evidence
from kernelgepa.frontier import SELECTORS, build_frontier
from kernelgepa.lineage import MergePolicy
from kernelgepa.policies import EvalPlan
from kernelgepa.proposal import Proposal, Proposer, normalize
from kernelgepa.prompts import SEED_STRATEGY, merge_messages, reflection_messages
from kernelgepa.scoring import claimed_score
from kernelgepa.store import RunStore, defer_evaluations, deferred_evaluations



@dataclass
class EngineConfig:
    minibatch: int = 5  # measured: fewer rollouts to fast_1 targets than 3 or 4 (RESULTS.md, 2026-12-02)
    selector: str = "pareto"
    seed: int = 0
    merge_every: int = 3
    max_merges: int = 5
    seed_strategies: tuple[str, ...] = ()  # several seeds start several lineages (merge needs two)
    stall_iterations: int = 8  # stop after this many iterations in a row without a new kernel
    proposal_retries: int = 2  # extra reflection tries when a reply holds no usable strategy
    # where rollouts go (kernelgepa.policies): a task whose best kernel reaches target_speedup is at target
    minibatch_policy: str = "unsolved"
    full_eval_policy: str = "lazy-solved"
    gate_policy: str = "best"
    target_speedup: float | None = 2.0  # None: no task is at target (NPU kernels have no speedup)
    gate_margin: float = 0.1  # score units (1 + log2 speedup): about 7% speed, above timing noise
    merge_batch_policy: str = "disagree-open"  # kernelgepa.policies.build_merge_batch


class Engine:
    def __init__(self, adapter: KernelAdapter, reflector, store: RunStore, tasks: list[str], budget: Budget,
                 cfg: EngineConfig | None = None, *, manual: Callable[[list[dict]], list[dict]] | None = None,
                 on_progress: Callable[[dict], None] | None = None):
        self.adapter, self.reflector, self.store, self.tasks, self.budget = adapter, reflector, store, tasks, budget
        self.cfg = cfg or EngineConfig()
        self.selector = SELECTORS[self.cfg.selector]()
        self.merge = MergePolicy(self.cfg.merge_every, self.cfg.max_merges)
        self.manual = manual or (lambda records: [])  # docs_index hook: records -> manual sections
        self.on_progress = on_progress or (lambda state: None)
        self.proposer = Proposer(reflector, store, budget, self.cfg.proposal_retries)
        c = self.cfg
        built = policies.build(c.minibatch_policy, c.full_eval_policy, c.gate_policy,
                               target_speedup=c.target_speedup, margin=c.gate_margin)
        self.minibatch, self.full_eval, self.gate = built
        self.merge_batch = policies.build_merge_batch(c.merge_batch_policy, target_speedup=c.target_speedup)

    # ---- state, all derived from the store ------------------------------------------------------
    def scores(self) -> dict[int, dict[str, float]]:
        accepted = {s["id"] for s in self.store.strategies(accepted_only=True)}
        out: dict[int, dict[str, float]] = {sid: {} for sid in accepted}
        for e in self.store.evaluations():
            if e["strategy_id"] in accepted:
                out[e["strategy_id"]][e["task"]] = e["score"]
        return out

    def _parents(self) -> dict[int, list[int]]:
        return {s["id"]: s["parents"] for s in self.store.strategies()}

    def _strategy(self, text: str, parents: list[int], origin: str, iteration: int) -> int:
        """Insert a strategy, or find the one a killed run already inserted for this step."""
        for s in self.store.strategies():
            if s["text"] == text and s["parents"] == parents and s["iteration"] == iteration:
                return s["id"]
        return self.store.add_strategy(text, parents, origin, iteration)

    def _text(self, sid: int) -> str:
        return next(s["text"] for s in self.store.strategies() if s["id"] == sid)

    def _complete(self, sids: list[int], tasks: list[str]) -> bool:
        """Evaluate the deferred tasks among ``tasks`` of these strategies: their scores are needed
        now. True when anything was evaluated (the frontier may have changed)."""
        pending = deferred_evaluations(self.store)
        due = {sid: [t for t in pending.get(sid, []) if t in tasks] for sid in sids}
        for sid, todo in due.items():
            if todo:
                self._evaluate(sid, self._text(sid), todo, "lazy")
        return any(due.values())

    def _evaluate(self, sid: int, text: str, tasks: list[str], kind: str) -> dict[str, float]:
        todo = [t for t in tasks if self.store.evaluation(f"{sid}:{t}") is None]
        for t, a in self.adapter.run(sid, text, todo).items():
            self.store.add_evaluation(f"{sid}:{t}", sid, t, kind, a.kernel_id, a.score)
        return {t: self.store.evaluation(f"{sid}:{t}")["score"] for t in tasks}

    # ---- the loop ----------------------------------------------------------------------------
    def run(self) -> str:
        """Search until a budget fires or the search stalls; returns the reason it stopped."""
        try:
            self._seed()
            while True:
                self.budget.check({**self.store.totals(), "iterations": self.store.get_meta("iteration", 0)})
                stall = self.store.get_meta("stall", 0)
                if stall >= self.cfg.stall_iterations:
                    raise BudgetExhausted(f"search stalled: {stall} iterations in a row without a new kernel")
                self._iteration()
        except BudgetExhausted as e:
            self.store.set_meta("stopped", str(e))
            return str(e)

    def _seed(self) -> None:
        texts = self.cfg.seed_strategies or (SEED_STRATEGY.get(self.adapter.backend, SEED_STRATEGY["cpu"]),)
        accepted = {s["text"] for s in self.store.strategies(accepted_only=True)}
        for text in texts:
            if text in accepted:
                continue
            sid = self._strategy(text, [], "seed", 0)
            self._evaluate(sid, text, self.tasks, "full")
            self.store.accept_strategy(sid)
            self._progress(0, f"seed strategy {sid} evaluated")

    def _iteration(self) -> None:
        # "iteration" counts completed iterations; a killed one is replayed with the same RNG, so it
        # makes the same choices, its LLM calls hit the response cache and its kernels the store.
        it = self.store.get_meta("iteration", 0) + 1
        start = self.store.get_meta("iteration_start")
        if not start or start[0] != it:  # rollouts before this iteration, kept across a replay
            start = [it, self.store.totals()["rollouts"]]
            self.store.set_meta("iteration_start", start)
        rng = random.Random(f"{self.cfg.seed}:{it}")
        self._step(it, rng)
        stall = 0 if self.store.totals()["rollouts"] > start[1] else self.store.get_meta("stall", 0) + 1
        self.store.set_meta("iteration", it)
        self.store.set_meta("stall", stall)

    def _nonce(self, it: int) -> str | None:
        """Once the search stalls, each reflection prompt carries a note derived from the seed and
        the iteration: the response cache cannot replay the last reply, a resumed run still can."""
        return f"{self.cfg.seed}:{it}" if self.store.get_meta("stall", 0) else None

    def _step(self, it: int, rng: random.Random) -> None:
        merged = {tuple(p) for p in self.store.get_meta("merged_pairs", [])}
        scores = self.scores()
        frontier = build_frontier(scores, self.tasks)
        if self.merge.due(it, len(merged)):
            pair = self.merge.pick(frontier.members(), self._parents(), merged, rng)
            if pair:
                # the merge prompt and the gate read both parents' results: everywhere, or on the batch only
                if self.merge_batch.complete_all and self._complete(list(pair), self.tasks):
                    scores = self.scores()
                    frontier = build_frontier(scores, self.tasks)
                a, b = pair  # judged where the parents disagree, against the better one there
                batch = self.merge_batch.draw(self.tasks, scores[a], scores[b], frontier.best, self.cfg.minibatch, rng)
                if not self.merge_batch.complete_all and self._complete(list(pair), batch):
                    scores = self.scores()
                    frontier = build_frontier(scores, self.tasks)
                self._merge(it, pair, batch, scores, frontier)
                return
        parent = self.selector.select(frontier, scores, self.tasks, rng)
        batch = self.minibatch.draw(self.tasks, frontier.best, self.cfg.minibatch, rng)
        if self._complete([parent], batch):  # reflection reads, and the gate compares, the parent's own kernels
            scores = self.scores()
            frontier = build_frontier(scores, self.tasks)
        records = self._records(parent, batch)
        texts = {s["id"]: s["text"] for s in self.store.strategies()}
        manual = self.manual(records)
        got = self.proposer.propose(reflection_messages(self.adapter.backend, texts[parent], records, manual,
                                                        tasks=getattr(self.adapter, "tasks", None),
                                                        run=getattr(self.adapter, "run_facts", None)),
                                    tag="reflection", nonce=self._nonce(it))
        self.store.add_manual_shown(it, "reflection", got.call_id, parent, manual)
        if self._proposed(it, "reflection", got):
            self._gate(it, got.text, [parent], "mutation", scores[parent], batch, scores, frontier.best)

    def _proposed(self, it: int, tag: str, got: Proposal) -> bool:
        if got.text is None:
            self.store.set_meta("failed_proposals", self.store.get_meta("failed_proposals", 0) + 1)
            self._progress(it, f"{tag} gave no usable strategy ({'; '.join(got.failures)})")
        return got.text is not None

    def _duplicate(self, text: str, parents: list[int], it: int) -> int | None:
        """An existing strategy with the same (normalised) text, other than this step's own child."""
        norm = normalize(text)
        for s in self.store.strategies():
            if normalize(s["text"]) == norm and not (s["iteration"] == it and s["parents"] == parents):
                return s["id"]
        return None

    def _gate(self, it: int, text: str, parents: list[int], origin: str, baseline: dict[str, float],
              batch: list[str], scores, best: dict[str, float]) -> None:
        dup = self._duplicate(text, parents, it)
        if dup is not None:  # its scores stand as they are; evaluating it again would buy nothing
            self._progress(it, f"{origin} repeats strategy {dup}: not evaluated again")
            return
        child = self._strategy(text, parents, origin, it)
        self._evaluate(child, text, batch, "minibatch")
        got, noisy = self._claimed(child, batch, best)
        before, after = sum(baseline.get(t, 0.0) for t in batch), sum(got.values())
        note = f"; noisy timing on {', '.join(noisy)}: no new best unless its interval's low end is one" if noisy else ""
        if not self.gate.accept(got, baseline, best, batch, merge=origin == "merge"):
            self._progress(it, f"{origin} {child} rejected by the gate: minibatch {before:.2f} -> {after:.2f}{note}")
            return
        plan = self._plan(child, parents, scores, best)
        self._evaluate(child, text, plan.now, "full")
        self.store.accept_strategy(child)
        self._progress(it, f"{origin} {child} accepted: minibatch {before:.2f} -> {after:.2f}{note}"
                           + (f"; inherits {len(plan.inherit)} tasks at target" if plan.inherit else "")
                           + (f"; defers {len(plan.defer)} until needed" if plan.defer else ""))

    def _claimed(self, sid: int, batch: list[str], best: dict[str, float]) -> tuple[dict[str, float], list[str]]:
        """The strategy's minibatch scores as claims against the best known (``scoring.claimed_score``:
        a noisy timing sets no new best), and the tasks whose timing was noisy."""
        kernels = {t: self.store.kernel(self.store.evaluation(f"{sid}:{t}")["kernel_id"]) for t in batch}
        noisy = [t for t, k in kernels.items() if k["status"] == "ok" and k["result"].get("noisy")]
        return {t: claimed_score(k, best.get(t, 0.0)) for t, k in kernels.items()}, noisy

    def _plan(self, child: int, parents: list[int], scores, best: dict[str, float]) -> EvalPlan:
        """The full-evaluation policy's plan for an accepted child beyond its minibatch, judged by the
        better parent per task. Inherited results (the child wrote nothing there, so it carries the
        parent's kernel, at target already) and deferred tasks are recorded in the store."""
        rest = [t for t in self.tasks if self.store.evaluation(f"{child}:{t}") is None]
        top = {t: max(parents, key=lambda p: scores[p].get(t, 0.0)) for t in rest}
        plan = self.full_eval.plan(rest, {t: scores[top[t]].get(t, 0.0) for t in rest}, best)
        for t in plan.inherit:
            ev = self.store.evaluation(f"{top[t]}:{t}")
            self.store.add_evaluation(f"{child}:{t}", child, t, "inherited", ev["kernel_id"], ev["score"])
        defer_evaluations(self.store, child, plan.defer)
        return plan

    def _merge(self, it, pair, batch, scores, frontier) -> None:
        a, b = pair
        texts = {s["id"]: s["text"] for s in self.store.strategies()}
        won = {s: sorted(t for t, ws in frontier.winners.items() if s in ws) for s in pair}
        got = self.proposer.propose(merge_messages(texts[a], texts[b], won[a], won[b],
                                                   evidence_a=strategy_evidence(self.store, a, self.tasks),
                                                   evidence_b=strategy_evidence(self.store, b, self.tasks)),
                                    tag="merge", nonce=self._nonce(it))
        if self._proposed(it, "merge", got):
            better = max(pair, key=lambda s: sum(scores[s].get(t, 0.0) for t in batch))
            self._gate(it, got.text, [a, b], "merge", scores[better], batch, scores, frontier.best)
        self.store.set_meta("merged_pairs", self.store.get_meta("merged_pairs", []) + [list(pair)])

    def _records(self, sid: int, batch: list[str]) -> list[dict]:
        """The parent's kernels on the minibatch with the harness's feedback: reflection's evidence."""
        return reflection_records(self.store, sid, batch, self.adapter.language)

    def _progress(self, it: int, event: str) -> None:
        scores = self.scores()
        frontier = build_frontier(scores, self.tasks)
        totals = self.store.totals()
        kernels = {t: self.store.best_kernel(t) or {} for t in self.tasks}
        best = {t: k.get("speedup") for t, k in kernels.items()}
        noisy = sorted(t for t, k in kernels.items() if (k.get("result") or {}).get("noisy"))
        # a noisy timing is no speed claim: shown as such, not counted in fast_1
        fast1 = fast_p([(bool(k) and t not in noisy, k.get("speedup")) for t, k in kernels.items()], 1.0, len(self.tasks))
        # NPU kernels are judged by vector utilisation (no speedup): the best one's, per solved task
        util = {t: (k["result"]["vector_util"], k["result"].get("vector_util_kind")) for t, k in kernels.items()
                if (k.get("result") or {}).get("vector_util") is not None}
        self.on_progress({"iteration": it, "event": event, "rollouts": totals["rollouts"], "usd": totals["usd"],
                          "frontier": len(frontier.members()), "fast_1": fast1, "best_speedup": best,
                          "best_vector_util": util, "noisy_best": noisy})
