"""Harness result -> the text an LLM reads: what happened, where, and how fast (GEPA's side info);
plus the per-strategy evidence reflection and merge read (attempt histories, per-task results)."""
from __future__ import annotations

import re

from harness.messages import format_resources

# ptxas's own report lines; shown once, as the parsed resources summary, when one exists
_PTXAS_LINE = re.compile(r"^\s*(ptxas info\s*:|\d+ bytes stack frame|Used \d+ registers|Compile time =)")


def _messages_without_resources(messages: str, summary: str) -> str:
    drop = set(summary.splitlines())
    return "\n".join(ln for ln in messages.splitlines() if ln not in drop and not _PTXAS_LINE.match(ln)).strip()


def result_feedback(r: dict) -> str:
    """``r`` is ``EvalResult.to_dict()``. Short, specific, in the order an engineer would read it."""
    lines = [f"status: {r['status']} (reached rung: {r['rung']})"]
    if r.get("capability"):  # NPU: how the verdict was reached (emulated, compiled_only, hardware)
        lines.append(f"capability: {r['capability']}")
    if r.get("error"):
        lines.append(f"error: {r['error']}")
    ptxas = [k for k in r.get("resources") or [] if "registers" in k]  # (AIE slot counts are in the profile)
    summary = format_resources(ptxas) if ptxas else ""
    messages = (r.get("messages") or "").strip()
    if summary:  # the compile log carries ptxas's report (and compiled_only results its summary): once is enough
        messages = _messages_without_resources(messages, summary)
    if messages:
        lines.append("compiler/runtime output:\n" + messages[:3000])
    mm = r.get("mismatch")
    if mm and mm.get("where") is not None:
        lines.append(f"worst mismatch: trial {mm['trial']} output {mm['output']} at index {tuple(mm['where'])}: "
                     f"expected {mm['expected']:.6g}, got {mm['got']:.6g}; {mm['n_bad']}/{mm['n_total']} elements "
                     f"out of tolerance; relative L2 error {mm['rel_l2']:.3g}")
    if r.get("baseline_ms") is not None and r.get("kernel_ms") is not None:
        k = r.get("kernel") or {}
        lines.append(f"timing: kernel {r['kernel_ms']:.4f} ms (median of {k.get('reps', '?')}, cv {k.get('cv', 0):.2f}) "
                     f"vs PyTorch {r['baseline_ms']:.4f} ms -> speedup {r['speedup']:.3f}x")
    elif r.get("baseline_ms") is not None:
        lines.append(f"PyTorch reference takes {r['baseline_ms']:.4f} ms")
    if summary:
        lines.append("resources (ptxas):\n" + summary)
    if r.get("profile"):
        lines.append("profile:\n" + r["profile"])
    for w in r.get("warnings") or []:
        lines.append(f"note: {w}")
    return "\n".join(lines)


def key_line(r: dict) -> str:
    """The one line that says most about a result: its error, else its timing, else nothing."""
    error = str(r.get("error") or "").strip()
    if error:
        return error.splitlines()[0][:240]
    if r.get("kernel_ms") is not None and r.get("baseline_ms") is not None:
        return f"kernel {r['kernel_ms']:.4g} ms vs PyTorch {r['baseline_ms']:.4g} ms"
    if r.get("vector_util") is not None:
        return f"vector utilisation {r['vector_util']:.2f}"
    return ""


def attempt_history(store, strategy_id: int, task: str, limit: int = 8) -> list[dict]:
    """Every kernel written under a strategy for a task (the last ``limit``), oldest first: status,
    score and key line each, so the errors fixed during refinement reach reflection too."""
    rows = [k for k in store.kernels(task) if k.get("strategy_id") == strategy_id]
    return [{"id": k["id"], "parent": k.get("parent_kernel_id"), "status": k["status"], "speedup": k.get("speedup"),
             "score": k.get("score") or 0.0, "key": key_line(k.get("result") or {})} for k in rows[-limit:]]


def strategy_evidence(store, strategy_id: int, tasks: list[str]) -> dict[str, dict]:
    """Per task, the kernel a strategy's evaluation kept: status, speedup, score and key line (merge's evidence)."""
    out = {}
    for t in tasks:
        ev = store.evaluation(f"{strategy_id}:{t}")
        k = store.kernel(ev["kernel_id"]) if ev and ev.get("kernel_id") is not None else None
        if k:
            out[t] = {"status": k["status"], "speedup": k.get("speedup"), "score": ev["score"],
                      "key": key_line(k.get("result") or {})}
    return out


def reflection_records(store, strategy_id: int, batch: list[str], language: str) -> list[dict]:
    """A strategy's kernels on a minibatch with the harness's feedback and each task's attempt history:
    reflection's evidence."""
    out = []
    for t in batch:
        ev = store.evaluation(f"{strategy_id}:{t}")
        k = store.kernel(ev["kernel_id"]) if ev and ev["kernel_id"] is not None else None
        if k:
            out.append({"task": t, "source": k["source"], "feedback": result_feedback(k["result"]),
                        "result": k["result"], "language": language,
                        "history": attempt_history(store, strategy_id, t)})
    return out
