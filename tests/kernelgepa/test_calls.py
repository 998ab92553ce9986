"""Every LLM call lands in the run store, failed ones too; an empty reply is a failed attempt, not a crash."""
from __future__ import annotations

import pytest

from kernelgepa.adapter import KernelAdapter
from kernelgepa.budget import Budget
from kernelgepa.calls import complete_recorded
from kernelgepa.llm import LLMClient, LLMError
from kernelgepa.store import SQLiteStore
from tests.kernelgepa.mock_llm import MockLLMServer


def test_a_failed_call_is_recorded_with_its_error_and_no_secret(tmp_path):
    store = SQLiteStore(tmp_path / "run.db")
    with MockLLMServer(lambda m: "hi") as server:
        llm = LLMClient("openai/mock-model", api_base=server.base_url, api_key="sk-secret-998877", max_retries=0)
        server.fail_next(1, 400)
        with pytest.raises(LLMError):
            complete_recorded(llm, store, [{"role": "user", "content": "x"}], tag="reflection")
        complete_recorded(llm, store, [{"role": "user", "content": "x"}], tag="reflection")
    t = store.totals()
    assert t["llm_calls"] == 2 and t["llm_failed"] == 1
    assert "sk-secret-998877" not in (tmp_path / "run.db").read_bytes().decode(errors="ignore")
    store.close()


def test_an_empty_reply_is_a_recorded_invalid_attempt(tmp_path, task):
    store = SQLiteStore(tmp_path / "run.db")
    with MockLLMServer(lambda m: "") as server:
        llm = LLMClient("openai/mock-model", api_base=server.base_url, api_key="k", max_retries=0)
        adapter = KernelAdapter({"1_ReLU": task("1_ReLU")}, "cpu", llm, None, store, tmp_path, Budget(), rounds=1,
                                workers=1)
        got = adapter.run(1, "any strategy", ["1_ReLU"])["1_ReLU"]
    assert got.status == "invalid" and got.score == 0.0
    kernels = store.kernels("1_ReLU")
    assert len(kernels) == 2 and all(k["status"] == "invalid" and k["llm_calls"][0] for k in kernels)
    assert store.totals()["llm_failed"] == 2
    store.close()
