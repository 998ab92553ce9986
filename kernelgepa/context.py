"""Fit what goes back to a model into its context: clip long texts with a stated marker.

Real models answer with runaway text (a 20,000-character "identifier", a reply that repeats until
``max_tokens``); sent back verbatim in the next prompt it overflows the context and the server
refuses the request. Everything the search feeds back (raw replies, extracted code, harness
feedback, reflection evidence) is clipped here, keeping its head and tail, and the marker says so.
"""
from __future__ import annotations

from kernelgepa.llm import CHARS_PER_TOKEN, estimate_tokens

MAX_FEEDBACK_CHARS = 6000   # harness feedback in one refine message, whatever the context
_MIN_KEEP = 400             # a clipped text keeps at least this many characters


def clip(text: str, max_chars: int, what: str = "text") -> str:
    """``text`` if it fits in ``max_chars``, else its head and tail around a marker naming the cut."""
    if len(text) <= max_chars:
        return text
    keep = max(max_chars, _MIN_KEEP)
    head, tail = keep * 2 // 3, keep // 3
    cut = len(text) - head - tail
    return f"{text[:head]}\n[... {cut} characters of this {what} cut to fit the model's context ...]\n{text[-tail:]}"


def fit_messages(messages: list[dict], budget_tokens: int | None) -> list[dict]:
    """``messages`` with the longest contents clipped until the prompt estimate fits ``budget_tokens``.
    The system message and the first user message (task and strategy) are clipped last. Returns the
    input unchanged when it fits or no budget is known; may still not fit when everything is at its
    minimum (the client then refuses to send it)."""
    if budget_tokens is None or estimate_tokens(messages) <= budget_tokens:
        return messages
    out = [dict(m) for m in messages]
    protected = set(range(min(2, len(out))))
    for pool in ([i for i in range(len(out)) if i not in protected], list(range(len(out)))):
        while estimate_tokens(out) > budget_tokens:
            sizes = [(len(str(out[i].get("content", ""))), i) for i in pool]
            size, i = max(sizes, default=(0, -1))
            if size <= _MIN_KEEP + 200:
                break
            excess = (estimate_tokens(out) - budget_tokens) * CHARS_PER_TOKEN + 200
            what = "reply" if out[i].get("role") == "assistant" else "message"
            out[i]["content"] = clip(str(out[i]["content"]), max(size - excess - 100, _MIN_KEEP), what)
        if estimate_tokens(out) <= budget_tokens:
            break
    return out
