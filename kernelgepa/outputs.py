"""What a run directory holds for people: best/<task>.<suffix>, strategies/, summary.json."""
from __future__ import annotations

import json
from pathlib import Path

from harness.metrics import summarize, summarize_npu
from kernelgepa.store import RunStore, deferred_evaluations, unmeasured


def llm_spend(calls: list[dict]) -> dict:
    """LLM calls split into paid (sent to the model), cached (replayed) and failed, and the tokens
    the paid ones used; ``calls`` as ``RunStore.llm_calls`` returns them."""
    paid = [c["record"] for c in calls if not c["cached"]]
    return {"llm_calls_paid": len(paid), "llm_calls_cached": len(calls) - len(paid),
            "llm_calls_failed": sum(c["record"].get("error") is not None for c in calls),
            "prompt_tokens": sum(r.get("prompt_tokens") or 0 for r in paid),
            "completion_tokens": sum(r.get("completion_tokens") or 0 for r in paid)}


def write_outputs(run_dir: Path, store: RunStore, tasks: list[str], wall_s: float, *, suffix: str = ".py",
                  vector_scored: bool = False, stopped: str | None = None) -> dict:
    """``suffix``: the solution file type (``Task.solution_suffix``). ``vector_scored``: NPU kernels,
    judged by pass rate and mean vector utilisation (NPUEval's numbers) instead of fast_p/speedup.
    ``stopped``: why the run ended, as the summary states it. The best kernel per task is always one
    the harness measured; which strategies merely inherited a task's result (at target) or never
    evaluated it (deferred) is listed per task, and a best kernel whose timing was noisy is flagged
    (its speedup is no speed claim)."""
    run_dir = Path(run_dir)
    (run_dir / "best").mkdir(parents=True, exist_ok=True)
    (run_dir / "strategies").mkdir(parents=True, exist_ok=True)
    for s in store.strategies():
        (run_dir / "strategies" / f"{s['id']:04d}.txt").write_text(s["text"])
    per_task, pairs, shown = {}, [], []
    all_kernels = store.kernels()
    evaluations, deferred, by_task = store.evaluations(), deferred_evaluations(store), unmeasured(store, tasks)
    for t in tasks:
        best = store.best_kernel(t)
        if best:
            (run_dir / "best" / f"{t}{suffix}").write_text(best["source"])
        mine = [k for k in all_kernels if k["task"] == t]
        upto = [k for k in mine if best and k["id"] <= best["id"]]
        r = best["result"] if best else {}
        per_task[t] = {"status": best["status"] if best else (mine[-1]["status"] if mine else "not_attempted"),
                       "speedup": best["speedup"] if best else None, "baseline_ms": r.get("baseline_ms"),
                       "kernel_ms": r.get("kernel_ms"), "kernel_id": best["id"] if best else None,
                       "strategy_id": best["strategy_id"] if best else None, "rollouts": len(mine),
                       "rollouts_to_best": len(upto) if best else None,
                       "noisy": bool(best and r.get("noisy")), **by_task[t]}
        if vector_scored:
            per_task[t].update(vector_util=r.get("vector_util"), vector_util_kind=r.get("vector_util_kind"),
                               capability=r.get("capability"))
        pairs.append((best is not None, best["speedup"] if best else None))
        shown.append(r if best else {"status": per_task[t]["status"]})
    if vector_scored:
        summary = summarize_npu(shown)
        summary["n_correct"] = summary["n_passed"]
    else:
        summary = summarize(pairs)
        cfg = store.get_meta("config") or {}
        pure = [(ok and not r.get("torch_ops"), sp) for (ok, sp), r in zip(pairs, shown)]
        summary.update(rules=cfg.get("rules"), tolerance=cfg.get("tolerance"), fast_p_pure=summarize(pure)["fast_p"],
                       n_noisy=sum(r["noisy"] for r in per_task.values()))
    totals = store.totals()
    solved = summary["n_correct"]  # nothing solved: no per-solved-task figure (not the totals)
    summary.update(per_task=per_task, usd=totals["usd"], llm_calls=totals["llm_calls"], rollouts=totals["rollouts"],
                   wall_s=wall_s, usd_per_solved_task=totals["usd"] / solved if solved else None,
                   wall_s_per_solved_task=wall_s / solved if solved else None,
                   iterations=store.get_meta("iteration", 0), stopped=stopped, **llm_spend(store.llm_calls()),
                   evaluations={"measured": sum(e["kind"] != "inherited" for e in evaluations),
                                "inherited": sum(e["kind"] == "inherited" for e in evaluations),
                                "deferred": sum(len(ts) for ts in deferred.values())})
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary
