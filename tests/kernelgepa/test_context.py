"""What goes back to a model is clipped to its context, with a marker that says so."""
from __future__ import annotations

from kernelgepa.context import clip, fit_messages
from kernelgepa.llm import estimate_tokens


def test_clip_keeps_head_and_tail_and_names_the_cut():
    text = "HEAD" + "x" * 10_000 + "TAIL"
    out = clip(text, 1200, "reply")
    assert out.startswith("HEAD") and out.endswith("TAIL") and len(out) < 1400
    assert "characters of this reply cut to fit the model's context" in out
    assert clip("short", 1200) == "short"


def test_fit_messages_trims_the_longest_turn_first_and_fits():
    msgs = [{"role": "system", "content": "sys"}, {"role": "user", "content": "task " * 200},
            {"role": "assistant", "content": "R" * 30_000}, {"role": "user", "content": "feedback " * 300}]
    out = fit_messages(msgs, 2000)
    assert estimate_tokens(out) <= 2000
    assert out[0] == msgs[0] and out[1] == msgs[1]          # task and system prompt untouched
    assert "cut to fit" in out[2]["content"] and msgs[2]["content"] == "R" * 30_000  # input not mutated
    assert fit_messages(msgs, None) is msgs


def test_fit_messages_clips_the_task_too_when_nothing_else_is_left():
    msgs = [{"role": "system", "content": "s"}, {"role": "user", "content": "T" * 20_000}]
    out = fit_messages(msgs, 1500)
    assert estimate_tokens(out) <= 1500 and "cut to fit" in out[1]["content"]
