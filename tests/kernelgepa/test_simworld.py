"""Fast checks of the simulated kernel world behind benchmarks/test_search_efficiency.py."""
from __future__ import annotations

import math

from benchmarks.simworld import (SimReflector, World, WorldParams, format_strategy, parse_strategy, run_search,
                                 tactics_for)
from kernelgepa.prompts import merge_messages, reflection_messages


def test_strategy_text_round_trips():
    text = format_strategy({"T05", "T01"}, {"task03": {"T07"}, "task01": set()})
    assert text == "TACTICS: T01 T05\nTASK task03: T07"
    assert parse_strategy(text) == ({"T01", "T05"}, {"task03": {"T07"}})
    assert tactics_for(text, "task03", "shared") == {"T01", "T05"}
    assert tactics_for(text, "task03", "no-shared") == {"T07"}
    assert tactics_for(text, "task00", "no-shared") == set()
    assert format_strategy(set()) == "TACTICS:"


def test_judge_needs_required_tactics_and_rewards_bonuses():
    w = World(0)
    name, spec = next((n, s) for n, s in w.tasks.items() if len(s.required) >= 2)
    first = w.judge(name, set())
    assert first["status"] in ("compile_error", "incorrect") and first["speedup"] is None
    assert any(f"missing {t}" in first["messages"] for t in spec.required)
    plain = w.judge(name, set(spec.required))
    assert plain["status"] == "ok" and math.isclose(plain["speedup"], spec.base)
    bonus, factor = next(iter(spec.bonus.items()))
    assert math.isclose(w.judge(name, {*spec.required, bonus})["speedup"], spec.base * factor)
    broken = next((n, s) for n, s in w.tasks.items() if s.breaks)
    assert w.judge(broken[0], {*broken[1].required, *broken[1].breaks})["status"] == "incorrect"


def test_reflector_reads_the_real_prompts():
    w = World(0, WorldParams(p_fix=1.0, p_explore=0.0, p_drop=0.0))
    records = [{"task": "task02", "source": "# tactics: T01",
                "feedback": "status: compile_error (reached rung: compile)\nerror: compilation failed\n"
                            "compiler/runtime output:\nerror: missing T04 (the kernel does not build without it)"}]
    shared = SimReflector(w, mode="shared").complete(reflection_messages("cpu", "TACTICS: T01", records, []))
    assert "<strategy>" in shared.text and "TACTICS: T01 T04" in shared.text
    assert shared.call.to_dict()["cost_usd"] == 0.0
    local = SimReflector(w, mode="no-shared").complete(reflection_messages("cpu", "TACTICS:", records, []))
    assert "TASK task02: T04" in local.text and "TACTICS:\n" in local.text
    merged = SimReflector(w).complete(merge_messages("TACTICS: T01 T03", "TACTICS: T02\nTASK task01: T09", [], []))
    assert "TACTICS: T01 T02 T03" in merged.text and "TASK task01: T09" in merged.text


def test_a_short_search_with_the_real_engine_is_deterministic():
    p = WorldParams(n_tasks=6)
    a = run_search("shared", "pareto", 3, stop_at=None, max_rollouts=120, params=p)
    b = run_search("shared", "pareto", 3, stop_at=None, max_rollouts=120, params=p)
    assert a.tracker.curve == b.tracker.curve and a.rollouts == b.rollouts
    assert a.rollouts == a.tracker.rollouts == 120          # every kernel counted, budget respected
    assert a.iterations > 0 and a.accepted >= 1
    stopped = run_search("shared", "best", 3, stop_at=1 / 6, max_rollouts=400, params=p)
    assert stopped.rollouts_to(1 / 6) == stopped.rollouts   # the run stops at the first rollout that hits it


def test_reflector_reads_gepas_prompt_too():
    """The engine-vs-gepa benchmark is only fair if gepa's prompt carries the same evidence."""
    w = World(0, WorldParams(p_fix=1.0, p_explore=0.0, p_drop=0.0))
    prompt = ("## Current Component\n\nThe component being optimized:\n\n```\nTACTICS: T01\n```\n\n"
              "## Evaluation Results\n\n```\n# Example 1\n## task\ntask02\n\n## harness_feedback\n"
              "status: compile_error\nerror: missing T04 (the kernel does not build without it)\n\n```\n")
    reply = SimReflector(w, mode="shared").gepa_lm(prompt)
    assert reply.startswith("```\n") and reply.rstrip().endswith("```")
    assert parse_strategy(reply.strip("`\n"))[0] == {"T01", "T04"}
