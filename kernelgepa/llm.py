"""The LLM layer: every model call goes through ``LLMClient.complete`` (litellm underneath).

What it adds on top of ``litellm.completion``:

* retries with exponential backoff and jitter on rate limits, timeouts, connection errors and 5xx,
  and an immediate, one-line ``LLMError`` on authentication and bad-request errors;
* a concurrency limit shared by all threads using the client;
* a persistent response cache (``ResponseCache``, SQLite) keyed by everything that shapes the reply;
* per-call accounting (``LLMCall``: tokens, cost, latency, attempts, finish_reason) and running totals;
* a context budget: with a known (litellm's model info) or given context size, a request whose prompt
  cannot fit is refused before it is sent (``kind="context"``) and ``max_tokens`` shrinks to what fits;
* ``preflight()``: one clear line about a missing key, an unknown model or an unreachable server,
  before any work starts;
* API keys never appear in errors, records or logs.

litellm is imported lazily (it takes seconds to import).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LLMCall", "LLMReply", "LLMError", "ResponseCache", "LLMClient", "scrub_secrets", "estimate_tokens",
           "SYSTEMIC_KINDS"]

_litellm = None
SYSTEMIC_KINDS = frozenset({"auth", "missing_key", "unknown_model", "not_found", "unreachable", "connection",
                            "server", "rate_limit", "other"})
CHARS_PER_TOKEN = 3      # conservative: code and English average 3.5-4 characters per token
MIN_REPLY_TOKENS = 256   # a request that leaves less room than this for the reply is not sent
_litellm_lock = threading.Lock()


def _lite():
    """Import litellm once, quietly (no 'Give Feedback / Get Help' banners on stdout)."""
    global _litellm
    if _litellm is None:
        with _litellm_lock:
            if _litellm is None:
                import litellm
                litellm.suppress_debug_info = True
                litellm.telemetry = False
                _litellm = litellm
    return _litellm


# ------------------------------------------------------------------------------------------------
# secrets and one-line messages
# ------------------------------------------------------------------------------------------------
_KEY_PATTERN = re.compile(r"sk-[A-Za-z0-9_\-]{8,}")
_SECRET_ENV = re.compile(r"(_API_KEY|_TOKEN|_SECRET|_KEY)$", re.I)
_BEARER = re.compile(r"(?i)(bearer\s+|api[-_]?key[\"'\s:=]+)[A-Za-z0-9_\-\.]{8,}")


def scrub_secrets(text: str, extra: tuple[str | None, ...] = ()) -> str:
    """``text`` with API-key-like strings replaced by ``***``: values of environment variables named
    ``*_API_KEY``, ``*_TOKEN``, ``*_SECRET``, the given ``extra`` values, ``sk-...`` strings and
    bearer tokens."""
    if not text:
        return text
    secrets = {v for k, v in os.environ.items() if _SECRET_ENV.search(k) and v and len(v) >= 6}
    secrets.update(v for v in extra if v and len(v) >= 4)
    for s in sorted(secrets, key=len, reverse=True):
        text = text.replace(s, "***")
    text = _KEY_PATTERN.sub("sk-***", text)
    return _BEARER.sub(lambda m: m.group(1) + "***", text)


def _one_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class LLMError(Exception):
    """A failed LLM call or setup problem, as one line without secrets.

    ``kind`` is one of: auth, bad_request, context, not_found, rate_limit, timeout, connection, server,
    empty_reply, unknown_model, missing_key, unreachable, other. ``call`` is the failed call's
    record when there was one. ``is_systemic``: every further call would fail the same way (bad key,
    no server, server errors after all retries), so the run must stop; the others belong to one
    request (context overflow, a 4xx, a runaway reply hitting the timeout, an empty reply)."""

    def __init__(self, message: str, *, kind: str = "other", call: "LLMCall | None" = None,
                 secrets: tuple[str | None, ...] = ()):
        self.message = _one_line(scrub_secrets(str(message), secrets))
        self.kind = kind
        self.call = call
        super().__init__(self.message)

    @property
    def is_systemic(self) -> bool:
        return self.kind in SYSTEMIC_KINDS

    def __reduce__(self):  # picklable across processes, message already scrubbed
        return (_rebuild_llm_error, (self.message, self.kind, self.call))


def _rebuild_llm_error(message: str, kind: str, call: "LLMCall | None") -> LLMError:
    return LLMError(message, kind=kind, call=call)


# ------------------------------------------------------------------------------------------------
# records
# ------------------------------------------------------------------------------------------------
@dataclass
class LLMCall:
    model: str
    tag: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0               # what this run paid (0 for cache hits and unpriced models)
    priced: bool = False                # whether litellm knew the model's price
    original_cost_usd: float = 0.0      # for cache hits: what the cached reply cost when it was made
    latency_s: float = 0.0
    cached: bool = False
    attempts: int = 0                   # HTTP requests made (0 for cache hits)
    error: str | None = None
    finish_reason: str | None = None    # "stop", or "length" when the reply hit max_tokens
    max_tokens: int | None = None       # the reply limit this request was sent with
    started: float = field(default_factory=time.time)
    seed: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class LLMReply:
    text: str
    call: LLMCall

    @property
    def truncated(self) -> bool:
        return self.call.finish_reason == "length"


def estimate_tokens(messages: list[dict]) -> int:
    """An upper-side token estimate of a chat prompt (no tokenizer needed, never under by much)."""
    return sum(len(str(m.get("content", ""))) // CHARS_PER_TOKEN + 8 for m in messages) + 8


def model_context_tokens(model: str) -> int | None:
    """The model's input context size as litellm's (local) model map knows it, else None."""
    try:
        info = _lite().get_model_info(model)
    except Exception:  # noqa: BLE001 - unknown model (a local server's): no known size
        return None
    return info.get("max_input_tokens") or info.get("max_tokens") or None


# ------------------------------------------------------------------------------------------------
# cache
# ------------------------------------------------------------------------------------------------
class ResponseCache:
    """Replies stored in an SQLite file (WAL mode), shared by threads and processes.

    One connection guarded by a lock: cache operations take microseconds next to an LLM call."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False,
                                     isolation_level=None)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, reply TEXT, "
                "prompt_tokens INTEGER, completion_tokens INTEGER, cost_usd REAL, created REAL)")
            cols = {r[1] for r in self._conn.execute("PRAGMA table_info(responses)")}
            if "finish_reason" not in cols:  # caches written before finish reasons were kept
                self._conn.execute("ALTER TABLE responses ADD COLUMN finish_reason TEXT")

    @staticmethod
    def make_key(model: str, messages: list[dict], temperature: float | None, max_tokens: int | None,
                 seed: int | None, extra: dict | None = None) -> str:
        payload = {"model": model, "messages": messages, "temperature": temperature,
                   "max_tokens": max_tokens, "seed": seed, "extra": extra or {}}
        blob = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()

    def get(self, key: str) -> dict | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT model, reply, prompt_tokens, completion_tokens, cost_usd, created, finish_reason "
                "FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return dict(zip(("model", "reply", "prompt_tokens", "completion_tokens", "cost_usd", "created",
                         "finish_reason"), row))

    def put(self, key: str, *, model: str, reply: str, prompt_tokens: int, completion_tokens: int,
            cost_usd: float, finish_reason: str | None = None) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO responses (key, model, reply, prompt_tokens, completion_tokens, cost_usd, "
                "created, finish_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (key, model, reply, int(prompt_tokens), int(completion_tokens), float(cost_usd), time.time(),
                 finish_reason))

    def __len__(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "ResponseCache":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------------------------------------
# error classification
# ------------------------------------------------------------------------------------------------
_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}


_CONTEXT_TEXT = re.compile(r"context (size|length|window)|exceeds the available context|maximum context|"
                           r"too many tokens|prompt is too long", re.I)


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    try:
        return int(status) if status is not None else None
    except (TypeError, ValueError):
        return None


def _classify(exc: BaseException) -> tuple[str, bool]:
    """(kind, retryable) for an exception raised by litellm.completion.

    litellm's exception classes are not a reliable guide on their own (an OpenAI-compatible server's
    HTTP 401 with an "invalid_request_error" body becomes ``BadRequestError``; a refused connection
    becomes ``InternalServerError`` with status 500), so the HTTP status decides when there is one."""
    lite = _lite()
    if isinstance(exc, getattr(lite, "Timeout", ())) or "timed out" in str(exc).lower():
        return "timeout", True
    status = _status_of(exc)
    text = str(exc)
    if (status in (401, 403) or isinstance(exc, (lite.AuthenticationError, lite.PermissionDeniedError))
            or "Missing credentials" in text or "api_key client option must be set" in text):
        return "auth", False
    if status == 429 or isinstance(exc, lite.RateLimitError):
        return "rate_limit", True
    if "Connection error" in text or (isinstance(exc, lite.APIConnectionError) and status in (None, 500)):
        return "connection", True
    if status == 404 or isinstance(exc, lite.NotFoundError):
        return "not_found", False
    if isinstance(exc, lite.ContextWindowExceededError) or _CONTEXT_TEXT.search(text):
        return "context", False
    if status is not None and (status in _RETRY_STATUS or status >= 500):
        return "server", True
    if isinstance(exc, (lite.InternalServerError, lite.ServiceUnavailableError, lite.APIConnectionError)):
        return "server", True
    if status is not None and 400 <= status < 500 or isinstance(exc, lite.BadRequestError):
        return "bad_request", False
    return "other", False


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        value = headers.get("retry-after")
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


_PROVIDER_KEYS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "gemini": "GEMINI_API_KEY",
                  "azure": "AZURE_API_KEY", "openrouter": "OPENROUTER_API_KEY", "deepseek": "DEEPSEEK_API_KEY",
                  "together_ai": "TOGETHERAI_API_KEY", "mistral": "MISTRAL_API_KEY", "groq": "GROQ_API_KEY",
                  "xai": "XAI_API_KEY", "fireworks_ai": "FIREWORKS_AI_API_KEY", "cohere": "COHERE_API_KEY"}


def _provider(model: str, api_base: str | None = None) -> str | None:
    try:
        return _lite().get_llm_provider(model=model, api_base=api_base)[1]
    except Exception:
        return None


def _key_hint(model: str, api_base: str | None) -> str:
    if api_base:
        return f"check the API key for {api_base} (--api-key-env)"
    provider = _provider(model) or ""
    var = _PROVIDER_KEYS.get(provider, f"{provider.upper()}_API_KEY" if provider else "the provider's API key")
    return f"set {var} (or pass --api-key-env)"


# ------------------------------------------------------------------------------------------------
# client
# ------------------------------------------------------------------------------------------------
class LLMClient:
    """Thread-safe chat-completion client with retries, a concurrency limit, caching and accounting."""

    def __init__(self, model: str, *, api_base: str | None = None, api_key: str | None = None,
                 temperature: float = 0.7, max_tokens: int = 8192, timeout_s: float = 300,
                 max_retries: int = 5, backoff_s: float = 1.0, concurrency: int = 4,
                 cache: ResponseCache | None = None, extra: dict | None = None,
                 context_tokens: int | None = None):
        if not model or not model.strip():
            raise LLMError("no model given: pass --model, e.g. --model openai/gpt-4o", kind="unknown_model")
        self.model = model.strip()
        self.api_base = api_base.rstrip("/") if api_base else None
        self._api_key = api_key
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.timeout_s = timeout_s
        self.max_retries = max(0, int(max_retries))
        self.backoff_s = backoff_s
        self.max_backoff_s = 60.0
        self.concurrency = max(1, int(concurrency))
        self.cache = cache
        self.extra = dict(extra or {})
        # the model's context window in tokens (prompt + reply): given, else litellm's, else unknown
        self.context_tokens = context_tokens or model_context_tokens(self.model)
        self.calls: list[LLMCall] = []
        self._sem = threading.Semaphore(self.concurrency)
        self._lock = threading.Lock()
        self._keyless: bool | None = None

    def __repr__(self) -> str:  # never shows the key
        return f"LLMClient(model={self.model!r}, api_base={self.api_base!r})"

    # -- helpers -------------------------------------------------------------------------------
    def _error(self, message: str, kind: str, call: LLMCall | None = None) -> LLMError:
        err = LLMError(message, kind=kind, call=call, secrets=(self._api_key,))
        if call is not None:
            call.error = err.message
        return err

    def _record(self, call: LLMCall) -> None:
        with self._lock:
            self.calls.append(call)

    def _backoff(self, attempt: int, exc: BaseException) -> float:
        delay = self.backoff_s * (2 ** (attempt - 1)) * (0.5 + random.random())
        hinted = _retry_after(exc)
        if hinted is not None:
            delay = max(delay, hinted)
        return min(delay, self.max_backoff_s)

    def _keyless_server(self) -> bool:
        if self._keyless is None:
            try:
                env = _lite().validate_environment(model=self.model, api_base=self.api_base)
                self._keyless = bool((env or {}).get("missing_keys"))
            except Exception:  # noqa: BLE001
                self._keyless = False
        return self._keyless

    def cache_key(self, messages: list[dict], seed: int | None = None) -> str:
        return ResponseCache.make_key(self.model, messages, self.temperature, self.max_tokens, seed, self.extra)

    def prompt_budget(self) -> int | None:
        """Tokens a prompt may take so that the full ``max_tokens`` reply still fits (None: no limit
        known). Callers trim what they send back to the model to this."""
        if not self.context_tokens:
            return None
        return max(self.context_tokens - self.max_tokens, min(self.context_tokens // 2, MIN_REPLY_TOKENS * 4))

    def reply_limit(self, messages: list[dict]) -> int | None:
        """``max_tokens`` for this prompt, shrunk to what the context leaves; None when it cannot fit."""
        if not self.context_tokens:
            return self.max_tokens
        room = self.context_tokens - estimate_tokens(messages)
        return min(self.max_tokens, room) if room >= min(MIN_REPLY_TOKENS, self.max_tokens) else None

    def settings(self) -> dict:
        """What shapes every call, for the run's record (no key)."""
        return {"model": self.model, "api_base": self.api_base, "temperature": self.temperature,
                "max_tokens": self.max_tokens, "timeout_s": self.timeout_s, "retries": self.max_retries,
                "context_tokens": self.context_tokens}

    # -- the call --------------------------------------------------------------------------------
    def complete(self, messages: list[dict], *, tag: str = "", seed: int | None = None) -> LLMReply:
        """One chat completion. Raises ``LLMError`` (one line, no secrets) when it cannot get a reply."""
        call = LLMCall(model=self.model, tag=tag, seed=seed)
        t0 = time.monotonic()
        key = self.cache_key(messages, seed) if self.cache is not None else None
        if key is not None:
            try:
                hit = self.cache.get(key)
            except sqlite3.Error:
                hit = None  # an unreadable cache is a miss, not a failed call
            if hit is not None:
                call.cached = True
                call.priced = True
                call.prompt_tokens = hit["prompt_tokens"] or 0
                call.completion_tokens = hit["completion_tokens"] or 0
                call.original_cost_usd = hit["cost_usd"] or 0.0
                call.finish_reason = hit.get("finish_reason")
                call.latency_s = time.monotonic() - t0
                self._record(call)
                return LLMReply(hit["reply"], call)

        call.max_tokens = self.reply_limit(messages)
        if call.max_tokens is None:
            call.latency_s = time.monotonic() - t0
            err = self._error(f"request not sent: the prompt needs about {estimate_tokens(messages)} tokens, "
                              f"the context of model {self.model} holds {self.context_tokens}", "context", call)
            self._record(call)
            raise err
        lite = _lite()
        kwargs: dict[str, Any] = dict(model=self.model, messages=messages, timeout=self.timeout_s,
                                      temperature=self.temperature, max_tokens=call.max_tokens,
                                      num_retries=0, max_retries=0)
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self._api_key:
            kwargs["api_key"] = self._api_key
        elif self.api_base and self._keyless_server():
            # a local OpenAI-compatible server needs no key, but the openai client refuses to start
            # without one ("Missing credentials"); give it a placeholder
            kwargs["api_key"] = "no-key-required"
        if seed is not None:
            kwargs["seed"] = seed
        kwargs.update(self.extra)

        response = None
        try:
            while True:
                call.attempts += 1
                try:
                    with self._sem:
                        response = lite.completion(**kwargs)
                    break
                except Exception as exc:  # noqa: BLE001 - litellm raises many types; classified below
                    kind, retryable = _classify(exc)
                    if retryable and call.attempts <= self.max_retries:
                        time.sleep(self._backoff(call.attempts, exc))
                        continue
                    raise self._error(self._describe(exc, kind, call.attempts), kind, call) from None
        finally:
            call.latency_s = time.monotonic() - t0
            if response is None:
                self._record(call)

        text = _reply_text(response)
        call.finish_reason = _finish_reason(response)
        usage = getattr(response, "usage", None)
        call.prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        call.completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        try:
            cost = lite.completion_cost(completion_response=response)
            call.cost_usd, call.priced = float(cost or 0.0), cost is not None
        except Exception:  # noqa: BLE001 - unknown model: no price
            call.cost_usd, call.priced = 0.0, False
        if not text.strip():
            finish = call.finish_reason
            hint = f" (finish_reason={finish})" if finish and finish != "stop" else ""
            err = self._error(f"model returned an empty reply{hint}", "empty_reply", call)
            self._record(call)
            raise err
        self._record(call)
        if key is not None:
            try:
                self.cache.put(key, model=self.model, reply=text, prompt_tokens=call.prompt_tokens,
                               completion_tokens=call.completion_tokens, cost_usd=call.cost_usd,
                               finish_reason=call.finish_reason)
            except sqlite3.Error:
                pass  # a cache that cannot be written must not lose a paid reply
        return LLMReply(text, call)

    def _describe(self, exc: BaseException, kind: str, attempts: int) -> str:
        status = _status_of(exc)
        detail = _one_line(_strip_litellm_prefix(str(exc)), 200)
        tries = f" after {attempts} attempt{'s' if attempts != 1 else ''}"
        where = f" at {self.api_base}" if self.api_base else ""
        if kind == "auth":
            return (f"authentication failed for model {self.model}{where} (HTTP {status or '401'}): "
                    f"{_key_hint(self.model, self.api_base)}")
        if kind == "timeout":
            return f"request to model {self.model}{where} hit the {self.timeout_s:g} s timeout{tries}"
        if kind == "rate_limit":
            return f"rate limited by the provider of model {self.model}{tries}: {detail}"
        if kind == "connection":
            return f"cannot connect to the server of model {self.model}{where}{tries}: {detail}"
        if kind == "server":
            return f"server error from model {self.model}{where} (HTTP {status}){tries}: {detail}"
        if kind == "not_found":
            return f"model {self.model} not found{where} (HTTP 404; check --model): {detail}"
        if kind == "context":
            return f"model {self.model} rejected the request as too long for its context (HTTP {status or 400}): {detail}"
        if kind == "bad_request":
            if "LLM Provider NOT provided" in str(exc):
                return _unknown_model_message(self.model)
            return f"model {self.model} rejected the request (HTTP {status or 400}): {detail}"
        return f"call to model {self.model} failed ({type(exc).__name__}){tries}: {detail}"

    # -- accounting ------------------------------------------------------------------------------
    def totals(self) -> dict:
        with self._lock:
            calls = list(self.calls)
        return {
            "calls": len(calls),
            "cached_calls": sum(c.cached for c in calls),
            "failed_calls": sum(c.error is not None for c in calls),
            "prompt_tokens": sum(c.prompt_tokens for c in calls if not c.cached),
            "completion_tokens": sum(c.completion_tokens for c in calls if not c.cached),
            "cost_usd": sum(c.cost_usd for c in calls),
        }

    # -- preflight -------------------------------------------------------------------------------
    def preflight(self) -> None:
        """Fail fast, with one line, on an unknown model, a missing key or an unreachable server."""
        provider = _provider(self.model, self.api_base)
        if provider is None:
            raise self._error(_unknown_model_message(self.model), "unknown_model")
        if self.api_base:
            self._check_reachable()
            if not self.context_tokens:
                self.context_tokens = self._served_context()
            return
        try:
            env = _lite().validate_environment(model=self.model, api_key=self._api_key)
        except Exception as exc:  # noqa: BLE001
            raise self._error(f"cannot check the environment for model {self.model}: {exc}", "other") from None
        missing = [k for k in (env or {}).get("missing_keys", []) if k]
        if missing:
            if len(missing) == 1:
                need = missing[0]
            elif all(k.endswith(("_API_KEY", "_TOKEN")) for k in missing) and provider == "gemini":
                need = " or ".join(missing)
            else:
                need = ", ".join(missing)
            raise self._error(f"no credentials for model {self.model}: set {need} (or pass --api-key-env)",
                              "missing_key")

    def _get(self, url: str):
        """An opened GET request to the model server (no proxy for a local one)."""
        req = urllib.request.Request(url, method="GET")
        if self._api_key:
            req.add_header("Authorization", f"Bearer {self._api_key}")
        host = urllib.parse.urlparse(url).hostname or ""
        handlers = [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
        return urllib.request.build_opener(*handlers).open(req, timeout=5)

    def _served_context(self) -> int | None:
        """The context size a llama.cpp server was started with (its ``/props``), else None."""
        root = re.sub(r"/v1$", "", self.api_base or "")
        try:
            with self._get(f"{root}/props") as resp:
                props = json.loads(resp.read(1 << 20))
            n_ctx = (props.get("default_generation_settings") or {}).get("n_ctx") or props.get("n_ctx")
            return int(n_ctx) if n_ctx else None
        except (urllib.error.URLError, OSError, ValueError, TypeError, AttributeError):
            return None

    def _check_reachable(self) -> None:
        url = f"{self.api_base}/models"
        try:
            with self._get(url) as resp:
                resp.read(1 << 16)
        except urllib.error.HTTPError as e:
            if e.code in (401, 403):
                raise self._error(f"model server at {self.api_base} rejected the API key (HTTP {e.code}): "
                                  f"{_key_hint(self.model, self.api_base)}", "auth") from None
            return  # it answered: reachable (some servers do not implement /models)
        except (urllib.error.URLError, OSError, ValueError) as e:
            reason = getattr(e, "reason", None) or e
            raise self._error(f"cannot reach model server at {self.api_base}: {reason}", "unreachable") from None


def _unknown_model_message(model: str) -> str:
    return (f"unknown model {model!r}: litellm cannot tell its provider; pass --model as provider/name, "
            f"e.g. openai/gpt-4o, anthropic/claude-sonnet-4-20250514, or openai/<name> with --api-base "
            f"for an OpenAI-compatible server")


def _strip_litellm_prefix(text: str) -> str:
    # "litellm.RateLimitError: RateLimitError: OpenAIException - mock error 429" -> "mock error 429"
    text = re.sub(r"^(litellm\.\w+:\s*)?(\w+Error:\s*)?(\w+Exception\s*-\s*)?", "", text.strip())
    return text or "no details"


def _reply_text(response) -> str:
    try:
        content = response.choices[0].message.content
    except (AttributeError, IndexError, KeyError, TypeError):
        return ""
    if isinstance(content, list):  # content parts
        content = "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return content or ""


def _finish_reason(response) -> str | None:
    try:
        return response.choices[0].finish_reason
    except (AttributeError, IndexError, KeyError, TypeError):
        return None
