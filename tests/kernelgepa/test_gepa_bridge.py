"""gepa's optimize_anything driving our harness: real gepa loop, mock LLM over HTTP, real sandbox."""
from __future__ import annotations

import pytest

from harness.executor import LocalExecutor
from harness.sandbox.local import LocalProcessSandbox
from kernelgepa.adapter import KernelAdapter
from kernelgepa.budget import Budget
from kernelgepa.llm import LLMClient, ResponseCache
from kernelgepa.store import SQLiteStore
from tests.kernelgepa.kernel_world import KernelWorld
from tests.kernelgepa.mock_llm import MockLLMServer

gepa = pytest.importorskip("gepa")

TASKS = ["1_ReLU", "2_LeakyReLU", "5_Softmax"]


class GepaWorld(KernelWorld):
    """KernelWorld's writer, plus an answer to gepa's own reflection prompt: propose MERGED."""

    def __call__(self, messages):
        prompts = " ".join(m["content"] for m in messages if m["role"] == "user")
        if "Optimize this PyTorch reference" not in prompts:  # gepa's own reflection template
            self.gepa_reflections = getattr(self, "gepa_reflections", 0) + 1
            return "```\nMERGED: fuse every pass, vectorize inner loops.\n```"
        return super().__call__(messages)


def test_optimize_anything_drives_our_harness(tmp_path, cpu_eval, task):
    from kernelgepa.gepa_bridge import optimize_with_gepa, reflection_callable

    world = GepaWorld()
    with MockLLMServer(world) as server:
        store = SQLiteStore(tmp_path / "run.db")
        llm = LLMClient("openai/mock-model", api_base=server.base_url, api_key="sk-mock-key-123456",
                        cache=ResponseCache(tmp_path / "cache.db"), max_retries=1, backoff_s=0.05)
        ex = LocalExecutor(cpu_eval, lambda: LocalProcessSandbox(threads=2), workers=1)
        adapter = KernelAdapter({t: task(t) for t in TASKS}, "cpu", llm, ex, store, tmp_path, Budget(), rounds=0,
                                workers=1)
        try:
            result = optimize_with_gepa(adapter, store, TASKS, seed_strategy="SEED-A: write plain loops.",
                                        reflection_lm=reflection_callable(llm, store), max_metric_calls=12)
        finally:
            ex.close()
    assert getattr(world, "gepa_reflections", 0) >= 1
    assert result.best_candidate.startswith("MERGED")
    statuses = {(k["task"], k["status"]) for k in store.kernels()}
    assert ("2_LeakyReLU", "compile_error") in statuses  # the seed's kernel, judged by our harness
    assert all(store.best_kernel(t) for t in TASKS)      # MERGED solved every task through our sandbox
    assert store.totals()["llm_calls"] >= 4


def test_our_budget_stops_gepas_loop(tmp_path):
    """No metric-call limit given: the rollout budget alone ends optimize_anything."""
    from kernelgepa.adapter import Attempt
    from kernelgepa.gepa_bridge import optimize_with_gepa

    store = SQLiteStore(tmp_path / "run.db")

    class CountingAdapter:  # a harness stand-in: every evaluation is one stored kernel (rollout)
        budget = Budget(max_rollouts=7)

        def run(self, sid, text, names):
            out = {}
            for n in names:
                kid = store.add_kernel(n, f"{text}:{store.totals()['rollouts']}", strategy_id=sid, parent_kernel_id=None,
                                       status="incorrect", speedup=None, score=0.1, result={}, llm_calls=[])
                out[n] = Attempt(n, kid, "", "incorrect", None, 0.1, "status: incorrect")
            return out

    optimize_with_gepa(CountingAdapter(), store, ["a", "b", "c"], seed_strategy="S0",
                       reflection_lm=lambda prompt: "```\nS1\n```")
    assert 7 <= store.totals()["rollouts"] <= 7 + 3  # stops at the first check after the budget fires
    store.close()
