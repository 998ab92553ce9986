"""Prompts for the kernel writer, its refinement rounds, reflection and merge. Shared text lives in
``common``, task/run facts in ``facts``, one module per backend (``cpu``, ``cuda``, ``triton``,
``cupy``, ``npu``) holds its seed tactics, answer format with a worked example, and compile routes."""
from __future__ import annotations

from kernelgepa.prompts.backends import NAMES, get
from kernelgepa.prompts.common import RULE_SETS, rules_text
from kernelgepa.prompts.facts import RunFacts, run_facts
from kernelgepa.prompts.messages import merge_messages, reflection_messages, refine_messages, writer_messages

SEED_STRATEGY = {b: get(b).SEED for b in NAMES}
FORMAT = {b: get(b).FORMAT for b in NAMES}

__all__ = ["SEED_STRATEGY", "FORMAT", "RULE_SETS", "RunFacts", "run_facts", "rules_text", "writer_messages",
           "refine_messages", "reflection_messages", "merge_messages"]
