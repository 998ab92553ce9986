"""Every LLM call the search makes lands in the run store, failed ones included (with their error)."""
from __future__ import annotations

from kernelgepa.context import fit_messages
from kernelgepa.llm import LLMError, LLMReply
from kernelgepa.store import RunStore


def complete_recorded(client, store: RunStore, messages: list[dict], *, tag: str) -> LLMReply:
    """``client.complete`` on ``messages`` fitted to the client's context, whose call record (tokens,
    $, latency, finish reason, error) is committed either way."""
    messages = fit_messages(messages, client.prompt_budget())
    try:
        reply = client.complete(messages, tag=tag)
    except LLMError as e:
        if e.call is not None:
            store.add_llm_call(e.call.to_dict())
        raise
    store.add_llm_call(reply.call.to_dict())
    return reply
