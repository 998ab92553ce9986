"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests of the LLM layer.

Usage::

    with MockLLMServer(lambda messages: "hello") as server:
        client = LLMClient("openai/mock-model", api_base=server.base_url, api_key="sk-mock-key-123456")

The server speaks just enough of the OpenAI API for litellm's OpenAI provider: ``GET /v1/models``
and ``POST /v1/chat/completions`` (non-streaming). Behaviour is scripted with a ``responder``
(messages -> reply text, or a ``MockReply`` with a finish reason), ``fail_next(n, status, message)`` for
HTTP errors, and ``delay_s`` for slow replies. ``replay(fixtures)`` answers with recorded real replies.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from dataclasses import dataclass
from typing import Callable, Iterable

MOCK_MODEL = "mock-model"

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    502: "server_error",
    503: "server_error",
}


@dataclass
class MockReply:
    """A scripted reply with its finish reason ("length": cut off at max_tokens)."""
    text: str
    finish_reason: str = "stop"


def replay(fixtures: Iterable[dict]) -> Callable[[list[dict]], MockReply]:
    """A responder that answers with recorded replies (``{"reply", "finish_reason"}``) in turn, cycling."""
    items = [MockReply(f["reply"], f.get("finish_reason") or "stop") for f in fixtures]
    state = {"n": 0}
    lock = threading.Lock()

    def respond(messages: list[dict]) -> MockReply:
        with lock:
            item = items[state["n"] % len(items)]
            state["n"] += 1
        return item
    return respond


def _default_responder(messages: list[dict]) -> str:
    last = messages[-1].get("content", "") if messages else ""
    return f"echo: {last}"


class MockLLMServer:
    """OpenAI-compatible chat-completions server in a daemon thread (context manager)."""

    def __init__(self, responder: Callable[[list[dict]], str] | None = None, *, delay_s: float = 0.0,
                 require_key: str | None = None, served_context: int | None = None):
        self.responder = responder or _default_responder
        self.delay_s = delay_s
        # when set, requests must carry "Authorization: Bearer <require_key>"; others get an
        # OpenAI-style 401 that echoes the key they sent (as careless servers do)
        self.require_key = require_key
        self.served_context = served_context    # when set, GET /props answers as llama.cpp's server does
        self.requests: list[dict] = []          # every chat-completions request body, in arrival order
        self.max_in_flight = 0                  # most chat-completions requests being served at once
        self._in_flight = 0
        self._fail_queue: list[tuple[int, str | None]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting -------------------------------------------------------------------------------
    def fail_next(self, n: int, status: int = 429, message: str | None = None) -> None:
        """Make the next ``n`` chat-completions requests answer HTTP ``status`` with an error body."""
        with self._lock:
            self._fail_queue.extend([(status, message)] * n)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "MockLLMServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):  # keep test output quiet
                pass

            def _send_json(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def _key_rejected(self) -> bool:
                if server.require_key is None:
                    return False
                auth = self.headers.get("Authorization", "")
                sent = auth[7:] if auth.startswith("Bearer ") else auth
                if sent == server.require_key:
                    return False
                self._send_json(401, {"error": {"message": f"Incorrect API key provided: {sent}.",
                                                "type": "invalid_request_error", "param": None,
                                                "code": "invalid_api_key"}})
                return True

            def do_GET(self):
                if self._key_rejected():
                    return
                if self.path.rstrip("/") in ("/v1/models", "/models"):
                    self._send_json(200, {"object": "list", "data": [
                        {"id": MOCK_MODEL, "object": "model", "created": 0, "owned_by": "mock"}]})
                elif self.path.rstrip("/") == "/props" and server.served_context:
                    self._send_json(200, {"default_generation_settings": {"n_ctx": server.served_context}})
                else:
                    self._send_json(404, _error_body(404, f"no route GET {self.path}"))

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if self._key_rejected():
                    return
                if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
                    self._send_json(404, _error_body(404, f"no route POST {self.path}"))
                    return
                try:  # a client killed mid-request sends a short or empty body: not a request
                    body = json.loads(raw)
                    if not isinstance(body, dict) or "messages" not in body:
                        raise json.JSONDecodeError("no messages", "", 0)
                except json.JSONDecodeError:
                    self._send_json(400, _error_body(400, "request body is not JSON"))
                    return
                with server._lock:
                    server.requests.append(body)
                    server._in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server._in_flight)
                    status, message = server._fail_queue.pop(0) if server._fail_queue else (None, None)
                try:
                    if server.delay_s:
                        time.sleep(server.delay_s)
                    if status is not None:
                        self._send_json(status, _error_body(status, message or f"mock error {status}"))
                        return
                    messages = body.get("messages", [])
                    try:
                        got = server.responder(messages)
                    except Exception as e:  # a broken responder is a server error, not a hang
                        self._send_json(500, _error_body(500, f"responder failed: {e}"))
                        return
                    got = got if isinstance(got, MockReply) else MockReply(got)
                    text = got.text
                    prompt_chars = sum(len(str(m.get("content", ""))) for m in messages)
                    prompt_tokens = prompt_chars // 4
                    completion_tokens = len(text) // 4
                    self._send_json(200, {
                        "id": "chatcmpl-" + uuid.uuid4().hex[:24],
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": body.get("model", MOCK_MODEL),
                        "choices": [{"index": 0,
                                     "message": {"role": "assistant", "content": text},
                                     "finish_reason": got.finish_reason}],
                        "usage": {"prompt_tokens": prompt_tokens,
                                  "completion_tokens": completion_tokens,
                                  "total_tokens": prompt_tokens + completion_tokens},
                    })
                finally:
                    with server._lock:
                        server._in_flight -= 1

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mock-llm", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "MockLLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _error_body(status: int, message: str) -> dict:
    return {"error": {"message": message, "type": _ERROR_TYPES.get(status, "server_error"),
                      "param": None, "code": str(status)}}
