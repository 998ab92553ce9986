"""An evaluation the executor lost is never stored or scored as the kernel's verdict."""
from __future__ import annotations

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
