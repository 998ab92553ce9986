"""The adapter between the search and the harness: a strategy in, one scored kernel per task out.

For each task: the writer LLM drafts a kernel under the strategy (warm-started from the best kernel
any strategy has found for that task), the harness judges it, and the verdict goes back to the
writer for a configurable number of refinement rounds. Every kernel is stored with its task,
strategy, parent kernel, harness result and LLM call ids, and the manual sections its writer call
was shown (``RunStore.writer_manual``); identical code is never re-evaluated.
An evaluation the infrastructure lost (``infra_error``) is no verdict: nothing is stored for it and
the run stops with ``EvaluationLost``, so resuming evaluates that kernel again.

Real models misbehave per request: a refused request (HTTP 4xx, a prompt too long for the context, a
timeout, an empty or truncated reply) is an invalid attempt for that task, with the reason fed back;
only a systemic failure (``LLMError.is_systemic``) ends the run, and it stops the other tasks'
workers before their next call. Each stored kernel carries the key of the request that produced it,
so a resumed run reuses the verdict instead of judging (and storing) the same reply again. What goes
back to the model is clipped to its context, and harness output names files relative to the run.
"""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.executor import EvalRequest
from harness.result import Status
from kernelgepa.budget import Budget
from kernelgepa.calls import complete_recorded
from kernelgepa.codeblocks import extract_code
from kernelgepa.context import MAX_FEEDBACK_CHARS, clip, fit_messages
from kernelgepa.feedback import result_feedback
from kernelgepa.llm import CHARS_PER_TOKEN, LLMError, LLMReply
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
    reply: str = ""   # what the model said, as echoed back in the refine turn (clipped)
    call_id: str = ""  # the writer call that produced it ("" where the request failed without a record)


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
        self.on_attempt: Callable[[Attempt], None] = lambda attempt: None  # progress, from the first call on
        self._systemic: LLMError | None = None  # set by the first task that hit one: the others stop too

    def run(self, strategy_id: int, strategy: str, task_names: list[str]) -> dict[str, Attempt]:
        """Best attempt per task under this strategy; tasks run concurrently (LLM calls for some
        overlap harness runs of others; the executor's device pool keeps runs from overlapping)."""
        with ThreadPoolExecutor(self.workers, thread_name_prefix="kgepa-task") as pool:
            futures = {t: pool.submit(self._task, strategy_id, strategy, t) for t in task_names}
            return {t: f.result() for t, f in futures.items()}

    def _task(self, strategy_id: int, strategy: str, name: str) -> Attempt:
        task = self.tasks[name]
        prev = self._warm_start(strategy_id, name)
        echo = self._echo_chars()
        sections = self._sections(name, prev["result"] if prev else None)
        shown = [("writer", m) for m in sections]  # every section the conversation holds so far, recorded per kernel
        messages = writer_messages(self.backend, strategy, task,
                                   (clip(prev["source"], echo, "kernel"),
                                    clip(result_feedback(prev["result"]), MAX_FEEDBACK_CHARS, "feedback"))
                                   if prev else None, language=task.language, run=self.run_facts, manual=sections)
        parent_id = prev["id"] if prev else None
        best: Attempt | None = None
        for _ in range(1 + self.rounds):
            self.budget.check(self.store.totals())
            if self._systemic is not None:
                raise self._systemic
            messages = fit_messages(messages, self.writer.prompt_budget())
            attempt = self._attempt(name, messages, strategy_id, parent_id)
            self.store.add_writer_manual(attempt.kernel_id, attempt.call_id, name, strategy_id, shown)
            self.on_attempt(attempt)
            if best is None or attempt.score > best.score:
                best = attempt
            if not self.refine.wanted(attempt.score, attempt.status == Status.OK, prev["score"] if prev else None):
                break
            sections = self._sections(name, attempt.result)
            shown += [("refine", m) for m in sections]
            messages = refine_messages(messages, clip(attempt.reply, echo, "reply"),
                                       clip(attempt.feedback, MAX_FEEDBACK_CHARS, "feedback"), attempt.status,
                                       language=task.language, manual=sections)
            parent_id = attempt.kernel_id
        return best

    def _sections(self, name: str, result: dict | None) -> list[dict]:
        """Manual sections for a writer or refinement prompt: retrieved for the kernel's verdict, or (no
        kernel yet) for the task's kind of operation."""
        if self.manual is None:
            return []
        return self.manual([{"task": name, "result": result or {"status": "first attempt"}}])

    def _echo_chars(self) -> int:
        """How much of a kernel or reply goes back to the model: a quarter of its prompt budget."""
        budget = self.writer.prompt_budget()
        return 24000 if budget is None else max(1000, budget * CHARS_PER_TOKEN // 4)

    def _attempt(self, name: str, messages: list[dict], strategy_id: int, parent_id: int | None) -> Attempt:
        """One writer call and its verdict; an attempt judged before (a resumed run) is reused as it was."""
        key = self.writer.cache_key(messages)
        done = self.store.kernel_by_attempt(name, key)
        if done is not None:
            return self._attempt_of(done)
        try:
            reply = complete_recorded(self.writer, self.store, messages, tag="kernel")
        except LLMError as e:
            if e.is_systemic:
                self._systemic = e
                raise
            return self._judge(name, "", strategy_id, parent_id, e.call.id if e.call else "", key, failure=e.message)
        return self._judge(name, reply.text, strategy_id, parent_id, reply.call.id, key, reply=reply)

    @staticmethod
    def _attempt_of(k: dict) -> Attempt:
        r = k["result"]
        return Attempt(k["task"], k["id"], k["source"], k["status"], k["speedup"], k["score"], result_feedback(r),
                       result=r, reply=k["source"] or r.get("reply", ""), call_id=(k["llm_calls"] or [""])[0])

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

    def _judge(self, name: str, text: str, strategy_id: int, parent_id: int | None, call_id: str, key: str, *,
               reply: LLMReply | None = None, failure: str | None = None) -> Attempt:
        task = self.tasks[name]
        ext = extract_code(text, must_define=task.entry_name, language=task.language)
        cut = (f"your reply was cut off at {reply.call.max_tokens} tokens (the reply limit)"
               if reply is not None and reply.truncated else None)
        if ext.code is None:
            if failure:
                error = f"the request for this attempt failed: {failure}"
            elif cut:
                error = f"{cut} before it held a complete code block; reply with the code only, and shorter"
            else:
                error = f"the reply had no usable code ({ext.reason})"
            result = {"status": "invalid", "rung": "static", "error": error, "attempt": key,
                      "level": getattr(task, "level", None),
                      "reply": clip(text, 4000, "reply"), "finish_reason": reply.call.finish_reason if reply else None}
            kid = self.store.add_kernel(name, "", strategy_id=strategy_id, parent_kernel_id=parent_id,
                                        status="invalid", speedup=None, score=0.0, result=result, llm_calls=[call_id])
            return Attempt(name, kid, "", "invalid", None, 0.0, result_feedback(result), result=result,
                           reply=result["reply"], call_id=call_id)
        seen = self.store.kernel_by_source(name, ext.code)
        if seen is None:
            path = self.kernel_dir / name / (hashlib.sha256(ext.code.encode()).hexdigest()[:16] + task.solution_suffix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(ext.code)
            _, res = self.executor.evaluate_one(EvalRequest(task, path))
            if res.status == Status.INFRA_ERROR:
                raise EvaluationLost(f"{name}: {res.error}")
            r = self._relative(res.to_dict())
            r["attempt"] = key
            if cut:
                r["warnings"] = [*(r.get("warnings") or []), f"{cut}; the code above is what arrived"]
            score = kernel_score(r["status"], r["speedup"], r.get("vector_util"))
            kid = self.store.add_kernel(name, ext.code, strategy_id=strategy_id, parent_kernel_id=parent_id,
                                        status=r["status"], speedup=r["speedup"], score=score, result=r,
                                        llm_calls=[call_id])
            seen = {"id": kid, "status": r["status"], "speedup": r["speedup"], "score": score, "result": r}
        return Attempt(name, seen["id"], ext.code, seen["status"], seen["speedup"], seen["score"],
                       result_feedback(seen["result"]), result=seen["result"], reply=ext.code, call_id=call_id)

    def _relative(self, result: dict) -> dict:
        """``result`` with paths inside the run directory written relative to it, so prompts and their
        cache keys do not depend on where the run lives."""
        blob = json.dumps(result)
        for root in {str(self.kernel_dir.parent.resolve()), str(self.kernel_dir.parent.absolute())}:
            blob = blob.replace(json.dumps(root + "/")[1:-1], "")
        return json.loads(blob)
