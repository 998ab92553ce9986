"""Every LLM call the search makes lands in the run store, failed ones included (with their error)."""
from __future__ import annotations

from kernelgepa.llm import LLMError, LLMReply
from kernelgepa.store import RunStore


def complete_recorded(client, store: RunStore, messages: list[dict], *, tag: str) -> LLMReply:
    """``client.complete`` whose call record (tokens, $, latency, error) is committed either way."""
    try:
        reply = client.complete(messages, tag=tag)
    except LLMError as e:
        if e.call is not None:
            store.add_llm_call(e.call.to_dict())
        raise
    store.add_llm_call(reply.call.to_dict())
    return reply
