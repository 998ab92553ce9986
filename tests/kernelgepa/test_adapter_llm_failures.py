"""The writer call path under real-model failure modes: a refused request, a cut-off reply, runaway
output and a resumed run are attempts for one task; only a systemic failure ends the run."""
from __future__ import annotations

import pytest

from harness.executor import LocalExecutor
from harness.sandbox.local import LocalProcessSandbox
from kernelgepa.adapter import KernelAdapter
from kernelgepa.budget import Budget
from kernelgepa.llm import LLMClient, LLMError, ResponseCache, estimate_tokens
from kernelgepa.store import SQLiteStore
from tests.kernelgepa.mock_llm import MockLLMServer, MockReply

CHAT = "Sure! A ReLU sets negative values to zero. Let me know if you need anything else."
LLAMA_CTX_400 = "the request exceeds the available context size, try increasing it"


def _adapter(server, store, tmp_path, task, names=("1_ReLU",), executor=None, rounds=1, workers=1, cache=None,
             **llm):
    llm.setdefault("max_retries", 0)
    client = LLMClient("openai/mock-model", api_base=server.base_url, api_key="k", cache=cache, **llm)
    return KernelAdapter({n: task(n) for n in names}, "cpu", client, executor, store, tmp_path, Budget(),
                         rounds=rounds, workers=workers)


def test_a_refused_request_is_a_failed_attempt_fed_back_not_the_end_of_the_run(tmp_path, task):
    store = SQLiteStore(tmp_path / "run.db")
    with MockLLMServer(lambda m: CHAT) as server:
        server.fail_next(1, 400, LLAMA_CTX_400)
        got = _adapter(server, store, tmp_path, task).run(1, "any", ["1_ReLU"])["1_ReLU"]
        second = server.requests[-1]["messages"][-1]["content"]
    assert got.status == "invalid"
    first, chat = store.kernels("1_ReLU")
    assert "the request for this attempt failed" in first["result"]["error"] and "context" in first["result"]["error"]
    assert "the request for this attempt failed" in second        # the model hears why
    assert "no code block" in chat["result"]["error"] and chat["result"]["reply"] == CHAT
    assert first["result"]["level"] == 1                          # invalid kernels keep their task's level
    assert store.totals()["llm_failed"] == 1
    store.close()


def test_a_systemic_failure_stops_every_task_before_its_next_call(tmp_path, task):
    store = SQLiteStore(tmp_path / "run.db")
    with MockLLMServer(lambda m: CHAT, delay_s=0.3) as server:
        server.fail_next(1, 500)
        adapter = _adapter(server, store, tmp_path, task, names=("1_ReLU", "2_LeakyReLU"), rounds=3, workers=2)
        with pytest.raises(LLMError) as err:
            adapter.run(1, "any", ["1_ReLU", "2_LeakyReLU"])
        asked = server.request_count
    assert err.value.is_systemic and err.value.kind == "server"
    assert asked <= 3, f"{asked} requests: the other task kept calling after the server failed"
    store.close()


def test_a_cut_off_reply_is_named_as_such_in_the_feedback(tmp_path, task):
    store = SQLiteStore(tmp_path / "run.db")
    cut = "Here is the kernel:\n```python\nimport torch\nclass ModelNew(torch.nn.Module):\n    def forw"
    with MockLLMServer(lambda m: MockReply(cut, "length")) as server:
        _adapter(server, store, tmp_path, task, max_tokens=64).run(1, "any", ["1_ReLU"])
        refine = server.requests[1]["messages"][-1]["content"]
    k = store.kernels("1_ReLU")[0]
    assert "your reply was cut off at 64 tokens" in k["result"]["error"] and k["result"]["finish_reason"] == "length"
    assert "cut off at 64 tokens" in refine and "no code block defines" not in refine
    store.close()


def test_runaway_output_is_refused_and_never_overflows_the_context(tmp_path, task):
    store = SQLiteStore(tmp_path / "run.db")
    runaway = ("```python\nimport torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n        return "
               + "x" * 20_000 + "\n```")
    with MockLLMServer(lambda m: runaway) as server:
        _adapter(server, store, tmp_path, task, rounds=3, context_tokens=4096, max_tokens=1024).run(
            1, "any", ["1_ReLU"])
        requests = list(server.requests)
    assert [k["status"] for k in store.kernels("1_ReLU")] == ["invalid"] * 4
    assert "runaway output" in store.kernels("1_ReLU")[0]["result"]["error"]
    for r in requests:
        assert estimate_tokens(r["messages"]) + r["max_tokens"] <= 4096
    assert any("cut to fit the model's context" in m["content"] for m in requests[-1]["messages"])
    store.close()


def test_a_resumed_task_reuses_its_judged_attempts_invalid_ones_included(tmp_path, task):
    store = SQLiteStore(tmp_path / "run.db")
    with MockLLMServer(lambda m: CHAT) as server, ResponseCache(tmp_path / "cache.db") as cache:
        server.fail_next(1, 400)
        _adapter(server, store, tmp_path, task, cache=cache).run(1, "any", ["1_ReLU"])
        rows, asked = len(store.kernels()), server.request_count
        _adapter(server, store, tmp_path, task, cache=cache).run(1, "any", ["1_ReLU"])  # the resumed run
        assert server.request_count == asked
    assert rows == 2 and len(store.kernels()) == rows and store.totals()["rollouts"] == 2
    store.close()


def test_harness_feedback_names_kernel_files_relative_to_the_run(tmp_path, task, cpu_eval):
    store = SQLiteStore(tmp_path / "run.db")
    reply = ("```python\nimport torch\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n"
             "        raise ValueError('boom')\n```")
    ex = LocalExecutor(cpu_eval, lambda: LocalProcessSandbox(threads=1))
    try:
        with MockLLMServer(lambda m: reply) as server:
            got = _adapter(server, store, tmp_path, task, executor=ex, rounds=0).run(1, "any", ["1_ReLU"])["1_ReLU"]
    finally:
        ex.close()
    assert got.status not in ("ok", "invalid")
    assert "kernels/1_ReLU/" in got.feedback  # the traceback names the file, relative to the run
    assert str(tmp_path) not in got.feedback and str(tmp_path) not in str(store.kernels()[0]["result"])
    store.close()
