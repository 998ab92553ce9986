"""An evaluation the executor lost is never stored or scored as the kernel's verdict."""
from __future__ import annotations

import sqlite3

import pytest

from harness.executor import LocalExecutor
from harness.result import EvalResult, Status
from harness.sandbox.local import LocalProcessSandbox
from kernelgepa.adapter import EvaluationLost, KernelAdapter
from kernelgepa.budget import Budget
from kernelgepa.llm import LLMClient
from kernelgepa.scoring import kernel_score
from kernelgepa.store import SQLiteStore
from tests.kernelgepa.kernel_world import FAST
from tests.kernelgepa.mock_llm import MockLLMServer


class LostEveryWorker:
    """The executor seam as RayExecutor answers once every attempt lost its worker."""

    def evaluate_one(self, req):
        return req, EvalResult(task=req.task.name, backend="cpu", status=Status.INFRA_ERROR, rung="static",
                               error="not evaluated after 2 attempt(s): worker 123 on node ab lost: ActorDiedError")


def test_infra_error_has_no_score():
    with pytest.raises(ValueError, match="not a verdict"):
        kernel_score("infra_error", None)


def test_a_lost_evaluation_stops_the_run_unstored_and_a_resume_evaluates_it(tmp_path, task, cpu_eval):
    store = SQLiteStore(tmp_path / "run.db")
    reply = f"```python\n{FAST['1_ReLU']}\n```"
    with MockLLMServer(lambda m: reply) as server:
        llm = LLMClient("openai/mock-model", api_base=server.base_url, api_key="k", max_retries=0)
        tasks = {"1_ReLU": task("1_ReLU")}
        lost = KernelAdapter(tasks, "cpu", llm, LostEveryWorker(), store, tmp_path, Budget(), rounds=0, workers=1)
        with pytest.raises(EvaluationLost, match="1_ReLU: not evaluated after 2 attempt"):
            lost.run(1, "any strategy", ["1_ReLU"])
        assert store.kernels("1_ReLU") == []  # no verdict recorded for the kernel
        ex = LocalExecutor(cpu_eval, lambda: LocalProcessSandbox(threads=2))
        try:
            got = KernelAdapter(tasks, "cpu", llm, ex, store, tmp_path, Budget(), rounds=0,
                                workers=1).run(1, "any strategy", ["1_ReLU"])["1_ReLU"]
        finally:
            ex.close()
    assert got.status == "ok" and got.score >= 0.5
    assert [k["status"] for k in store.kernels("1_ReLU")] == ["ok"]
    store.close()


class ByComment:
    """The executor seam judging by a comment in the code: ``# broken`` is incorrect, else ok at 2x."""

    def evaluate_one(self, req):
        bad = "# broken" in req.candidate.read_text()
        return req, EvalResult(task=req.task.name, backend="cpu", status=Status.INCORRECT if bad else Status.OK,
                               rung="correctness" if bad else "timing", speedup=None if bad else 2.0)


def _manual(records):
    """A docs_index stand-in: one section named after the verdict the prompt is about."""
    r = records[0]
    sid = "cpu." + r["result"]["status"].replace(" ", "-")
    return [{"id": sid, "title": f"on {sid}", "source": "cpu.md", "text": "SECTION TEXT", "score": 0.5,
             "task": r["task"]}]


def test_writer_manual_sections_are_recorded_per_kernel_and_a_resumed_older_store_gains_them(tmp_path, task):
    """The sections in the writer's conversation are stored for the kernel each call wrote (the first
    prompt's as ``writer``, a refinement turn's as ``refine``); a store from before this table opens,
    and resuming records the reused kernels' sections without asking the model again."""
    def reply(messages):
        fixed = messages[-1]["content"].startswith("Harness feedback")
        return f"```python\n{FAST['1_ReLU']}\n{'' if fixed else '# broken'}\n```"

    def run(store):
        adapter = KernelAdapter({"1_ReLU": task("1_ReLU")}, "cpu", llm, ByComment(), store, tmp_path, Budget(),
                                rounds=1, workers=1, manual=_manual)
        return adapter.run(1, "any strategy", ["1_ReLU"])["1_ReLU"]

    with MockLLMServer(reply) as server:
        llm = LLMClient("openai/mock-model", api_base=server.base_url, api_key="k", max_retries=0)
        store = SQLiteStore(tmp_path / "run.db")
        assert run(store).status == "ok"
        k1, k2 = store.kernels("1_ReLU")
        expected = [(k1["id"], k1["llm_calls"][0], "writer", "cpu.first-attempt"),
                    (k2["id"], k2["llm_calls"][0], "writer", "cpu.first-attempt"),
                    (k2["id"], k2["llm_calls"][0], "refine", "cpu.incorrect")]
        got = [(r["kernel_id"], r["llm_call_id"], r["tag"], r["section_id"]) for r in store.writer_manual()]
        assert got == expected and all(r["task"] == "1_ReLU" and r["strategy_id"] == 1 for r in store.writer_manual())
        assert [r["section_id"] for r in store.writer_manual(k1["id"])] == ["cpu.first-attempt"]
        first, second = (r["messages"][-1]["content"] for r in server.requests)
        assert "[cpu.first-attempt]" in first and "[cpu.incorrect]" in second  # what is recorded was shown
        store.close()

        db = sqlite3.connect(tmp_path / "run.db")  # as a store written before writer sections were recorded
        db.execute("DROP TABLE manual_shown_writer")
        db.commit()
        db.close()
        asked = len(server.requests)
        store = SQLiteStore(tmp_path / "run.db")
        assert store.writer_manual() == [] and run(store).kernel_id == k2["id"]
        assert len(server.requests) == asked and len(store.kernels()) == 2  # nothing asked or judged again
        got = [(r["kernel_id"], r["llm_call_id"], r["tag"], r["section_id"]) for r in store.writer_manual()]
        assert got == expected
        run(store)  # and once more: nothing duplicated
        assert len(store.writer_manual()) == len(expected)
        store.close()
