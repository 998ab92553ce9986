"""The adapter between the search and the harness: a strategy in, one scored kernel per task out.

For each task: the writer LLM drafts a kernel under the strategy (warm-started from the best kernel
any strategy has found for that task), the harness judges it, and the verdict goes back to the
writer for a configurable number of refinement rounds. Every kernel is stored with its task,
strategy, parent kernel, harness result and LLM call ids; identical code is never re-evaluated.
An evaluation the infrastructure lost (``infra_error``) is no verdict: nothing is stored for it and
the run stops with ``EvaluationLost``, so resuming evaluates that kernel again.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.executor import EvalRequest
from harness.result import Status
from kernelgepa.budget import Budget
from kernelgepa.calls import complete_recorded
from kernelgepa.codeblocks import extract_code
from kernelgepa.feedback import result_feedback
from kernelgepa.llm import LLMError
from kernelgepa.policies import REFINE
from kernelgepa.prompts import refine_messages, writer_messages
from kernelgepa.scoring import kernel_score
from kernelgepa.store import RunStore


class EvaluationLost(Exception):
    """The executor could not evaluate a kernel (its worker or node died, retries spent)."""


@dataclass
class Attempt:
    task: str
    kernel_id: int
    source: str
    status: str
    speedup: float | None
    score: float
    feedback: str
    result: dict | None = None  # the harness's verdict (EvalResult.to_dict()), for manual retrieval


class KernelAdapter:
    def __init__(self, tasks: dict, backend: str, writer, executor, store: RunStore, run_dir: Path,
                 budget: Budget, *, rounds: int = 1, workers: int = 2, refine: str = "short", manual=None,
                 run=None):
        self.tasks, self.backend, self.writer, self.executor = tasks, backend, writer, executor
        self.store, self.budget, self.rounds, self.workers = store, budget, rounds, workers
        self.refine = REFINE[refine]()  # kernelgepa.policies: which attempts get the refinement rounds
        self.kernel_dir = Path(run_dir) / "kernels"
        # docs_index hook (records -> manual sections) for writer and refinement prompts, and the run's
        # facts (device, arch, TF32, tolerances) the prompts state; both optional
        self.manual, self.run_facts = manual, run
        # the code language of this run's solutions (one backend per run): reflection fences kernels with it
        self.language = next((t.language for t in tasks.values()), "python")

    def run(self, strategy_id: int, strategy: str, task_names: list[str]) -> dict[str, Attempt]:
        """Best attempt per task under this strategy; tasks run concurrently (LLM calls for some
        overlap harness runs of others; the executor's device pool keeps runs from overlapping)."""
        with ThreadPoolExecutor(self.workers, thread_name_prefix="kgepa-task") as pool:
            futures = {t: pool.submit(self._task, strategy_id, strategy, t) for t in task_names}
            return {t: f.result() for t, f in futures.items()}

    def _task(self, strategy_id: int, strategy: str, name: str) -> Attempt:
        task = self.tasks[name]
        prev = self._warm_start(strategy_id, name)
        messages = writer_messages(self.backend, strategy, task,
                                   (prev["source"], result_feedback(prev["result"])) if prev else None,
                                   language=task.language, run=self.run_facts,
                                   manual=self._sections(name, prev["result"] if prev else None))
        parent_id = prev["id"] if prev else None
        best: Attempt | None = None
        for _ in range(1 + self.rounds):
            self.budget.check(self.store.totals())
            try:
                reply = complete_recorded(self.writer, self.store, messages, tag="kernel")
                text, call_id = reply.text, reply.call.id
            except LLMError as e:
                if e.kind != "empty_reply":  # the model answered nothing: a failed attempt, not a failed run
                    raise
                text, call_id = "", e.call.id if e.call else ""
            attempt = self._judge(name, text, strategy_id, parent_id, call_id)
            if best is None or attempt.score > best.score:
                best = attempt
            if not self.refine.wanted(attempt.score, attempt.status == Status.OK, prev["score"] if prev else None):
                break
            messages = refine_messages(messages, attempt.source or text, attempt.feedback, attempt.status,
                                       language=task.language, manual=self._sections(name, attempt.result))
            parent_id = attempt.kernel_id
        return best

    def _sections(self, name: str, result: dict | None) -> list[dict]:
        """Manual sections for a writer or refinement prompt: retrieved for the kernel's verdict, or (no
        kernel yet) for the task's kind of operation."""
        if self.manual is None:
            return []
        return self.manual([{"task": name, "result": result or {"status": "first attempt"}}])

    def _warm_start(self, strategy_id: int, name: str) -> dict | None:
        """The best kernel so far for the task, pinned per (strategy, task) so a resumed run sends the
        same prompt (and so hits the response cache) even if better kernels appeared since."""
        key = f"warm:{strategy_id}:{name}"
        pinned = self.store.get_meta(key)
        if pinned is None:
            best = self.store.best_kernel(name)
            self.store.set_meta(key, best["id"] if best else 0)
            return best
        return self.store.kernel(pinned) if pinned else None

    def _judge(self, name: str, reply: str, strategy_id: int, parent_id: int | None, call_id: str) -> Attempt:
        task = self.tasks[name]
        ext = extract_code(reply, must_define=task.entry_name, language=task.language)
        if ext.code is None:
            feedback = f"status: invalid\nerror: the reply had no usable code ({ext.reason})"
            kid = self.store.add_kernel(name, "", strategy_id=strategy_id, parent_kernel_id=parent_id,
                                        status="invalid", speedup=None, score=0.0,
                                        result={"status": "invalid", "rung": "static", "error": ext.reason},
                                        llm_calls=[call_id])
            return Attempt(name, kid, "", "invalid", None, 0.0, feedback,
                           {"status": "invalid", "rung": "static", "error": ext.reason})
        seen = self.store.kernel_by_source(name, ext.code)
        if seen is None:
            path = self.kernel_dir / name / (hashlib.sha256(ext.code.encode()).hexdigest()[:16] + task.solution_suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(ext.code)
            _, res = self.executor.evaluate_one(EvalRequest(task, path))
            if res.status == Status.INFRA_ERROR:
                raise EvaluationLost(f"{name}: {res.error}")
            r = res.to_dict()
            score = kernel_score(r["status"], r["speedup"], r.get("vector_util"))
            kid = self.store.add_kernel(name, ext.code, strategy_id=strategy_id, parent_kernel_id=parent_id,
                                        status=r["status"], speedup=r["speedup"], score=score, result=r,
                                        llm_calls=[call_id])
            seen = {"id": kid, "status": r["status"], "speedup": r["speedup"], "score": score, "result": r}
        return Attempt(name, seen["id"], ext.code, seen["status"], seen["speedup"], seen["score"],
                       result_feedback(seen["result"]), seen["result"])
