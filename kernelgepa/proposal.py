"""Asking the reflection model for a child strategy (a mutation or a merge).

A proposal is a reply with a usable ``<strategy>`` block; a reply without one (prose, a kernel, an
empty or oversized block, an empty reply) is a failed try, never a strategy. Failed tries are
retried a few times with a note that changes the prompt, so the response cache cannot hand back
the same useless reply; every try is a recorded LLM call and so counts toward the LLM-call budget.
The note is derived from the run seed, the iteration and the try, so a resumed run sends the same
prompts and hits the cache.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kernelgepa.budget import Budget
from kernelgepa.calls import complete_recorded
from kernelgepa.codeblocks import extract_text_block
from kernelgepa.llm import LLMError
from kernelgepa.store import RunStore

MAX_STRATEGY_CHARS = 16_000  # a strategy is prepended to every writer prompt: keep it bounded


def normalize(text: str) -> str:
    """Whitespace-insensitive form of a strategy text: two texts equal here are the same strategy."""
    return " ".join(text.split())


def usable_strategy(reply: str) -> tuple[str | None, str]:
    """(strategy, "") or (None, why the reply holds no usable strategy)."""
    text = extract_text_block(reply, "strategy", strict=True)
    if not text:
        return None, "the reply had no <strategy> block"
    if "strategy>" in text.lower() or "<strategy" in text.lower():  # e.g. "<strategy></strategy>"
        return None, "the <strategy> block is empty or malformed"
    if len(text) > MAX_STRATEGY_CHARS:
        return None, f"the strategy is {len(text)} characters (limit {MAX_STRATEGY_CHARS})"
    return text, ""


def with_nonce(messages: list[dict], nonce: str) -> list[dict]:
    """The same request with a note that makes it a different prompt (so a new reply)."""
    note = (f"\n\n(Proposal {nonce}: earlier proposals here were rejected, repeated an existing strategy or "
            "had no <strategy> block. Propose a clearly different strategy, inside <strategy></strategy>.)")
    return messages[:-1] + [{**messages[-1], "content": messages[-1]["content"] + note}]


@dataclass
class Proposal:
    text: str | None                 # None: no usable strategy after every try
    call_id: str = ""                # the last try's LLM call
    failures: list[str] = field(default_factory=list)


class Proposer:
    def __init__(self, client, store: RunStore, budget: Budget, retries: int = 2):
        self.client, self.store, self.budget, self.retries = client, store, budget, retries

    def propose(self, messages: list[dict], *, tag: str, nonce: str | None) -> Proposal:
        """``nonce``: None sends ``messages`` as they are on the first try; retries always carry one."""
        out = Proposal(None)
        for attempt in range(1 + self.retries):
            if attempt:
                self.budget.check(self.store.totals())
            key = nonce if attempt == 0 else f"{nonce or 'retry'}/{attempt}"
            sent = messages if key is None else with_nonce(messages, key)
            try:
                reply = complete_recorded(self.client, self.store, sent, tag=tag)
            except LLMError as e:
                if e.is_systemic:  # every further call would fail alike (auth, unreachable...): end the run
                    raise
                out.call_id = e.call.id if e.call else ""  # this request only (empty reply, context, 4xx)
                out.failures.append("empty reply" if e.kind == "empty_reply" else f"failed call ({e.kind})")
                continue
            out.call_id = reply.call.id
            text, why = usable_strategy(reply.text)
            if text is not None:
                out.text = text
                return out
            out.failures.append(why)
        return out
