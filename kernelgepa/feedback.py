"""Harness result -> the text an LLM reads: what happened, where, and how fast (GEPA's side info)."""
from __future__ import annotations

from harness.messages import format_resources


def result_feedback(r: dict) -> str:
    """``r`` is ``EvalResult.to_dict()``. Short, specific, in the order an engineer would read it."""
    lines = [f"status: {r['status']} (reached rung: {r['rung']})"]
    if r.get("capability"):  # NPU: how the verdict was reached (emulated, compiled_only, hardware)
        lines.append(f"capability: {r['capability']}")
    if r.get("error"):
        lines.append(f"error: {r['error']}")
    if r.get("messages"):
        lines.append("compiler/runtime output:\n" + r["messages"].strip()[:3000])
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
    ptxas = [k for k in r.get("resources") or [] if "registers" in k]  # (AIE slot counts are in the profile)
    if ptxas:
        lines.append("resources (ptxas):\n" + format_resources(ptxas))
    if r.get("profile"):
        lines.append("profile:\n" + r["profile"])
    for w in r.get("warnings") or []:
        lines.append(f"note: {w}")
    return "\n".join(lines)
