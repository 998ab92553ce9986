"""The LLM layer, end to end through litellm over real HTTP to a mock OpenAI-compatible server.

Nothing here leaves 127.0.0.1: a guard fixture refuses any other socket connection."""
from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from kernelgepa.llm import LLMCall, LLMClient, LLMError, ResponseCache, scrub_secrets
from tests.kernelgepa.mock_llm import MockLLMServer

MODEL = "openai/mock-model"
KEY = "sk-mock-key-123456"
MSG = [{"role": "user", "content": "write a relu kernel"}]


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail any test that tries to connect anywhere but 127.0.0.1 / ::1 / a unix socket."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def check(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise AssertionError(f"test tried to connect to {address}")

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def server():
    with MockLLMServer(lambda messages: "REPLY:" + messages[-1]["content"]) as s:
        yield s


def client(server, **kw) -> LLMClient:
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("timeout_s", 10)
    return LLMClient(MODEL, api_base=server.base_url, api_key=KEY, **kw)


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_completion_returns_scripted_text_and_usage(server):
    c = client(server, temperature=0.2, max_tokens=100)
    reply = c.complete(MSG, tag="kernel", seed=7)
    assert reply.text == "REPLY:write a relu kernel"
    call = reply.call
    assert call.tag == "kernel" and call.model == MODEL and not call.cached and call.attempts == 1
    assert call.prompt_tokens == len(MSG[0]["content"]) // 4
    assert call.completion_tokens == len(reply.text) // 4
    assert call.cost_usd == 0.0 and call.priced is False       # litellm has no price for mock-model
    assert call.latency_s > 0 and call.error is None and len(call.id) == 32
    [body] = server.requests
    assert body["model"] == "mock-model" and body["messages"] == MSG
    assert body["temperature"] == 0.2 and body["max_tokens"] == 100 and body["seed"] == 7
    t = c.totals()
    assert t["calls"] == 1 and t["cached_calls"] == 0
    assert t["prompt_tokens"] == call.prompt_tokens and t["completion_tokens"] == call.completion_tokens
    assert c.calls == [call]


def test_known_model_is_priced(server):
    # litellm prices the reply by the model name the server echoes; gpt-4o is in its bundled price map
    c = LLMClient("openai/gpt-4o", api_base=server.base_url, api_key=KEY)
    reply = c.complete(MSG)
    assert reply.call.priced is True and reply.call.cost_usd > 0
    assert c.totals()["cost_usd"] == pytest.approx(reply.call.cost_usd)


def test_extra_params_reach_the_server(server):
    c = client(server, extra={"top_p": 0.5})
    c.complete(MSG)
    assert server.requests[-1]["top_p"] == 0.5


def test_cache_hit_skips_server(server, tmp_path):
    cache = ResponseCache(tmp_path / "llm.sqlite")
    c = client(server, cache=cache)
    first = c.complete(MSG)
    assert server.request_count == 1 and not first.call.cached
    second = c.complete(MSG)
    assert server.request_count == 1                        # not sent again
    assert second.text == first.text and second.call.cached and second.call.attempts == 0
    assert second.call.cost_usd == 0.0
    assert second.call.original_cost_usd == first.call.cost_usd
    assert second.call.prompt_tokens == first.call.prompt_tokens
    c.complete([{"role": "user", "content": "something else"}])
    assert server.request_count == 2                        # a different prompt is a miss
    c.complete(MSG, seed=1)
    assert server.request_count == 3                        # so is a different seed
    t = c.totals()
    assert t["calls"] == 4 and t["cached_calls"] == 1
    assert len(cache) == 3


def test_cache_keeps_original_cost(server, tmp_path):
    cache = ResponseCache(tmp_path / "llm.sqlite")
    paid = LLMClient("openai/gpt-4o", api_base=server.base_url, api_key=KEY, cache=cache).complete(MSG)
    again = LLMClient("openai/gpt-4o", api_base=server.base_url, api_key=KEY, cache=cache).complete(MSG)
    assert paid.call.cost_usd > 0
    assert again.call.cached and again.call.cost_usd == 0.0
    assert again.call.original_cost_usd == pytest.approx(paid.call.cost_usd)


def test_cache_persists_across_clients(server, tmp_path):
    path = tmp_path / "sub" / "llm.sqlite"
    cache1 = ResponseCache(path)
    client(server, cache=cache1).complete(MSG)
    cache1.close()
    cache2 = ResponseCache(path)
    reply = client(server, cache=cache2).complete(MSG)
    assert reply.call.cached and server.request_count == 1
    # a client with other sampling settings does not share the entry
    client(server, cache=cache2, temperature=0.0).complete(MSG)
    assert server.request_count == 2


def test_cache_key_depends_on_every_input():
    base = dict(model="m", messages=MSG, temperature=0.7, max_tokens=10, seed=None, extra={"a": 1})
    k = ResponseCache.make_key(**base)
    assert k == ResponseCache.make_key(**{**base, "extra": {"a": 1}})
    for change in ({"model": "n"}, {"messages": [{"role": "user", "content": "x"}]}, {"temperature": 0.1},
                   {"max_tokens": 11}, {"seed": 0}, {"extra": {"a": 2}}):
        assert ResponseCache.make_key(**{**base, **change}) != k


def test_cache_is_thread_safe(tmp_path):
    cache = ResponseCache(tmp_path / "c.sqlite")

    def work(i):
        for j in range(20):
            cache.put(f"{i}-{j}", model="m", reply="r", prompt_tokens=1, completion_tokens=2, cost_usd=0.1)
            assert cache.get(f"{i}-{j}")["reply"] == "r"

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 160


def test_rate_limit_is_retried(server):
    server.fail_next(2, status=429)
    reply = client(server).complete(MSG)
    assert reply.text.startswith("REPLY:") and reply.call.attempts == 3
    assert server.request_count == 3                         # litellm/openai did no retries of their own


def test_service_unavailable_is_retried(server):
    server.fail_next(1, status=503)
    assert client(server).complete(MSG).call.attempts == 2


def test_persistent_server_error_gives_up(server):
    server.fail_next(100, status=500)
    c = client(server, max_retries=3)
    with pytest.raises(LLMError) as ei:
        c.complete(MSG, tag="kernel")
    err = ei.value
    assert server.request_count == 4 and err.call.attempts == 4
    assert err.kind == "server" and "500" in str(err) and "4 attempts" in str(err)
    assert "\n" not in str(err)
    assert c.calls == [err.call] and err.call.error == str(err)
    assert c.totals()["failed_calls"] == 1


def test_auth_error_is_not_retried(server):
    server.fail_next(5, status=401)
    with pytest.raises(LLMError) as ei:
        client(server).complete(MSG)
    err = ei.value
    assert err.kind == "auth" and err.call.attempts == 1 and server.request_count == 1
    assert str(err).startswith("authentication failed for model openai/mock-model")
    assert KEY not in str(err) and "\n" not in str(err)


def test_bad_request_is_not_retried(server):
    server.fail_next(5, status=400)
    with pytest.raises(LLMError) as ei:
        client(server).complete(MSG)
    assert ei.value.kind == "bad_request" and ei.value.call.attempts == 1
    assert "rejected the request (HTTP 400)" in str(ei.value)


def test_timeout_is_retried_then_fails(server):
    server.delay_s = 2.0
    c = client(server, timeout_s=0.5, max_retries=1, backoff_s=0.01)
    t0 = time.monotonic()
    with pytest.raises(LLMError) as ei:
        c.complete(MSG)
    elapsed = time.monotonic() - t0
    assert ei.value.kind == "timeout" and "timeout" in str(ei.value)
    assert ei.value.call.attempts == 2 and server.request_count == 2
    assert elapsed < 1.9                                     # the client gave up; it did not wait 2 s


def test_unreachable_server_is_a_connection_error():
    c = LLMClient(MODEL, api_base=f"http://127.0.0.1:{closed_port()}/v1", api_key=KEY,
                  max_retries=1, backoff_s=0.01, timeout_s=5)
    with pytest.raises(LLMError) as ei:
        c.complete(MSG)
    assert ei.value.kind == "connection" and ei.value.call.attempts == 2


def test_empty_reply_is_an_error():
    with MockLLMServer(lambda messages: "") as s:
        c = client(s)
        with pytest.raises(LLMError, match="model returned an empty reply") as ei:
            c.complete(MSG)
        assert ei.value.kind == "empty_reply" and s.request_count == 1


def test_empty_reply_is_not_cached(tmp_path):
    replies = iter(["", "second"])
    with MockLLMServer(lambda messages: next(replies)) as s:
        c = client(s, cache=ResponseCache(tmp_path / "c.sqlite"))
        with pytest.raises(LLMError):
            c.complete(MSG)
        assert c.complete(MSG).text == "second" and s.request_count == 2


def test_concurrency_limit(server):
    server.delay_s = 0.3
    c = client(server, concurrency=2)
    results, errors = [], []

    def one(i):
        try:
            results.append(c.complete([{"role": "user", "content": f"task {i}"}]).text)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 6
    assert server.max_in_flight == 2          # the limit is reached and never exceeded
    assert c.totals()["calls"] == 6


def test_key_never_leaks(server, monkeypatch):
    monkeypatch.setenv("SOME_PROVIDER_API_KEY", "secret-value-abcdef")
    server.responder = lambda messages: (_ for _ in ()).throw(RuntimeError("oops"))  # -> HTTP 500
    c = client(server, max_retries=0)
    with pytest.raises(LLMError) as ei:
        c.complete(MSG)
    record = json.dumps(ei.value.call.to_dict())
    assert KEY not in str(ei.value) and KEY not in record and KEY not in repr(c)
    assert scrub_secrets(f"bad key {KEY} and secret-value-abcdef and sk-abcdefghijk") == \
        "bad key sk-*** and *** and sk-***"
    assert KEY not in str(LLMError(f"echo of {KEY}"))


def test_llm_call_to_dict_round_trips():
    call = LLMCall(model="m", tag="merge", prompt_tokens=3)
    d = call.to_dict()
    assert set(d) >= {"id", "model", "tag", "prompt_tokens", "completion_tokens", "cost_usd", "priced",
                      "original_cost_usd", "latency_s", "cached", "attempts", "error"}
    assert LLMCall(**json.loads(json.dumps(d))) == call


# -- preflight ---------------------------------------------------------------------------------------
def test_preflight_local_server_ok(server):
    client(server).preflight()                # no key env var needed with --api-base


def test_preflight_unreachable_server():
    base = f"http://127.0.0.1:{closed_port()}/v1"
    c = LLMClient(MODEL, api_base=base, api_key=KEY)
    with pytest.raises(LLMError) as ei:
        c.preflight()
    msg = str(ei.value)
    assert msg.startswith(f"cannot reach model server at {base}") and "\n" not in msg
    assert ei.value.kind == "unreachable"


def test_preflight_missing_cloud_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(LLMError) as ei:
        LLMClient("openai/gpt-4o").preflight()
    assert "OPENAI_API_KEY" in str(ei.value) and ei.value.kind == "missing_key"
    assert "\n" not in str(ei.value)


def test_preflight_cloud_key_present(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-000000000")
    LLMClient("anthropic/claude-sonnet-4-20250514").preflight()   # no network call without api_base


def test_preflight_explicit_key_counts(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    LLMClient("openai/gpt-4o", api_key="sk-explicit-000000000").preflight()


def test_preflight_unknown_model():
    with pytest.raises(LLMError) as ei:
        LLMClient("definitely-not-a-model").preflight()
    assert "--model" in str(ei.value) and ei.value.kind == "unknown_model"


def test_preflight_rejected_key():
    with MockLLMServer(require_key="sk-the-right-key-0000") as s:
        with pytest.raises(LLMError) as ei:
            client(s).preflight()
        assert ei.value.kind == "auth" and "HTTP 401" in str(ei.value) and KEY not in str(ei.value)
        LLMClient(MODEL, api_base=s.base_url, api_key="sk-the-right-key-0000").preflight()


def test_wrong_key_echoed_by_server_is_scrubbed():
    with MockLLMServer(require_key="sk-the-right-key-0000") as s:
        c = client(s)
        with pytest.raises(LLMError) as ei:
            c.complete(MSG)
        assert ei.value.kind == "auth" and ei.value.call.attempts == 1
        assert KEY not in str(ei.value) and KEY not in json.dumps(c.calls[0].to_dict())


def test_local_server_without_any_key(server, monkeypatch):
    # vLLM/ollama-style servers need no key; the openai client would refuse to start without one
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    c = LLMClient(MODEL, api_base=server.base_url, backoff_s=0.01)
    c.preflight()
    assert c.complete(MSG).call.attempts == 1


def test_llm_error_pickles():
    import pickle
    err = pickle.loads(pickle.dumps(LLMError(f"line one\nline two {KEY}", kind="auth", call=LLMCall(model="m"))))
    assert str(err) == "line one line two sk-***" and err.kind == "auth" and err.call.model == "m"
