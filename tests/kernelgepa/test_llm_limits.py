"""Per-call limits and failure classes of the LLM layer, through litellm against the mock server."""
from __future__ import annotations

import pytest

from kernelgepa.llm import LLMClient, LLMError, ResponseCache, estimate_tokens
from tests.kernelgepa.mock_llm import MockLLMServer, MockReply

LLAMA_CTX_400 = "the request exceeds the available context size, try increasing it"


def _client(server, **kw) -> LLMClient:
    kw.setdefault("max_retries", 0)
    return LLMClient("openai/mock-model", api_base=server.base_url, api_key="sk-mock-key-123456", backoff_s=0.01,
                     **kw)


@pytest.mark.parametrize("status,message,kind,systemic", [
    (401, None, "auth", True),
    (500, None, "server", True),
    (400, None, "bad_request", False),
    (400, LLAMA_CTX_400, "context", False),
])
def test_failures_say_whether_they_are_systemic(status, message, kind, systemic):
    with MockLLMServer(lambda m: "hi") as server:
        llm = _client(server, max_retries=1)
        server.fail_next(2, status, message)
        with pytest.raises(LLMError) as err:
            llm.complete([{"role": "user", "content": "x"}])
    assert err.value.kind == kind and err.value.is_systemic is systemic
    assert err.value.call is not None and err.value.call.error


def test_a_prompt_that_cannot_fit_is_not_sent_and_the_reply_limit_shrinks_to_fit():
    with MockLLMServer(lambda m: "ok") as server:
        llm = _client(server, context_tokens=2000, max_tokens=1500)
        with pytest.raises(LLMError) as err:
            llm.complete([{"role": "user", "content": "y" * 6000}])   # ~2000 tokens: no room for a reply
        assert err.value.kind == "context" and not err.value.is_systemic and server.request_count == 0
        assert "2000" in str(err.value)
        prompt = [{"role": "user", "content": "z" * 3000}]           # ~1000 tokens: 1000 left of 1500 asked
        reply = llm.complete(prompt)
        sent = server.requests[-1]["max_tokens"]
    assert sent == reply.call.max_tokens and sent <= 2000 - estimate_tokens(prompt) and sent >= 256


def test_finish_reason_is_recorded_and_kept_by_the_cache(tmp_path):
    with MockLLMServer(lambda m: MockReply("```python\nclass Mod", "length")) as server:
        with ResponseCache(tmp_path / "c.db") as cache:
            llm = _client(server, cache=cache, max_tokens=64)
            first = llm.complete([{"role": "user", "content": "x"}])
            again = llm.complete([{"role": "user", "content": "x"}])
    assert first.call.finish_reason == "length" and first.truncated and first.call.max_tokens == 64
    assert again.call.cached and again.truncated and server.request_count == 1


def test_settings_record_what_shapes_every_call_without_the_key():
    with MockLLMServer(lambda m: "ok") as server:
        llm = _client(server, temperature=0.2, max_tokens=300, timeout_s=9, max_retries=3, context_tokens=4096)
        s, base = llm.settings(), server.base_url
    assert s == {"model": "openai/mock-model", "api_base": base, "temperature": 0.2, "max_tokens": 300,
                 "timeout_s": 9, "retries": 3, "context_tokens": 4096}
    assert "sk-mock" not in str(s)


def test_known_models_have_a_context_size_unknown_local_ones_none():
    assert (LLMClient("openai/gpt-4o").context_tokens or 0) >= 100_000
    assert LLMClient("openai/some-local-gguf").context_tokens is None


def test_preflight_learns_a_llama_cpp_servers_context_size():
    with MockLLMServer(lambda m: "ok", served_context=2048) as server:
        llm = _client(server)
        llm.preflight()
        assert llm.context_tokens == 2048
        given = _client(server, context_tokens=1000)
        given.preflight()
        assert given.context_tokens == 1000
    with MockLLMServer(lambda m: "ok") as server:      # other servers: unknown, as before
        llm = _client(server)
        llm.preflight()
        assert llm.context_tokens is None
