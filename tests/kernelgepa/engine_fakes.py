"""In-process stand-ins for the writer+harness and the reflection model: fast engine tests.

``FakeAdapter`` writes one kernel per (strategy text, task) whose source is derived from the text,
so an identical strategy writes identical code (no new kernel, as with a real cached writer); the
score of a task is ``scores[first word of the strategy][task]`` (0.0 when not listed), and
``results[first word][task]`` (optional) adds fields to the harness result (speedup, noisy, ...).
``ScriptedReflector`` answers every call with ``reply(messages)`` and records what it was sent.
"""
from __future__ import annotations

from kernelgepa.adapter import Attempt
from kernelgepa.llm import LLMCall, LLMError, LLMReply


class FakeAdapter:
    backend, language = "cpu", "python"

    def __init__(self, store, budget, scores: dict[str, dict[str, float]],
                 results: dict[str, dict[str, dict]] | None = None):
        self.store, self.budget, self.scores, self.results = store, budget, scores, results or {}
        self.evaluated: list[tuple[int, str]] = []

    def run(self, strategy_id: int, strategy: str, task_names: list[str]) -> dict[str, Attempt]:
        out = {}
        for t in task_names:
            self.budget.check(self.store.totals())
            word = strategy.split()[0].rstrip(":")
            score = self.scores.get(word, {}).get(t, 0.0)
            src = f"# {' '.join(strategy.split())} :: {t}"
            seen = self.store.kernel_by_source(t, src)
            if seen is None:
                result = {"status": "ok", "rung": "timing", "task": t, **self.results.get(word, {}).get(t, {})}
                kid = self.store.add_kernel(t, src, strategy_id=strategy_id, parent_kernel_id=None, status="ok",
                                            speedup=result.get("speedup"), score=score, result=result,
                                            llm_calls=["fake"])
                self.evaluated.append((strategy_id, t))
                seen = {"id": kid, "score": score}
            out[t] = Attempt(t, seen["id"], src, "ok", None, seen["score"], "")
        return out


class ScriptedReflector:
    model = "scripted"

    def __init__(self, reply, cache: dict | None = None):
        self.reply, self.sent, self.cache = reply, [], cache if cache is not None else {}

    def prompt_budget(self) -> int | None:
        return None  # no context limit known: nothing clipped

    def complete(self, messages: list[dict], *, tag: str = "", seed: int | None = None) -> LLMReply:
        """Identical prompts get the cached reply, like the real response cache."""
        key = repr(messages)
        call = LLMCall(model=self.model, tag=tag, cached=key in self.cache)
        if not call.cached:
            self.sent.append(messages)
            text = self.reply(messages)
            if text == "":
                raise LLMError("model returned an empty reply", kind="empty_reply", call=call)
            self.cache[key] = text
        return LLMReply(self.cache[key], call)
