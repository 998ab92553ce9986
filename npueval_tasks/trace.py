"""NPUEval's vector score from a hardware trace converted to Chrome-trace JSON.

The trace is a list of events ``{"name", "ph": "B" | "E", "ts"}``. The window starts at the first
``INSTR_EVENT_0`` begin and ends at the first ``INSTR_EVENT_1`` begin after it; the score is the
summed duration of ``INSTR_VECTOR`` begin/end pairs inside the window divided by its length.
A vector pair straddling an edge counts only its part inside the window.
"""
from __future__ import annotations

import json
from pathlib import Path


class TraceError(ValueError):
    """The trace cannot give a score (no window, malformed events)."""


def _events(trace) -> list[dict]:
    if isinstance(trace, dict):  # the Chrome format also allows {"traceEvents": [...]}
        trace = trace.get("traceEvents")
    if not isinstance(trace, list):
        raise TraceError("trace must be a list of events or {'traceEvents': [...]}")
    out = []
    for e in trace:
        if not isinstance(e, dict) or "name" not in e or "ph" not in e:
            continue  # metadata and other records carry no timing
        if e["ph"] in ("B", "E"):
            if not isinstance(e.get("ts"), (int, float)):
                raise TraceError(f"event {e['name']!r} has no numeric ts")
            out.append(e)
    return out


def vector_score(trace) -> float:
    """Fraction of the event0..event1 window spent in INSTR_VECTOR (0..1)."""
    events = _events(trace)
    start = min((e["ts"] for e in events if e["name"] == "INSTR_EVENT_0" and e["ph"] == "B"), default=None)
    if start is None:
        raise TraceError("no INSTR_EVENT_0 begin event (the kernel's event0() was not traced)")
    end = min((e["ts"] for e in events if e["name"] == "INSTR_EVENT_1" and e["ph"] == "B" and e["ts"] >= start),
              default=None)
    if end is None:
        raise TraceError("no INSTR_EVENT_1 begin event after INSTR_EVENT_0")
    if end <= start:
        return 0.0
    busy = 0.0
    open_at = None
    for e in sorted((e for e in events if e["name"] == "INSTR_VECTOR"), key=lambda e: (e["ts"], e["ph"] == "B")):
        if e["ph"] == "B" and open_at is None:
            open_at = e["ts"]
        elif e["ph"] == "E" and open_at is not None:
            busy += max(0.0, min(e["ts"], end) - max(open_at, start))
            open_at = None
    return busy / (end - start)


def vector_score_file(path: str | Path) -> float:
    try:
        return vector_score(json.loads(Path(path).read_text()))
    except (OSError, ValueError) as e:
        if isinstance(e, TraceError):
            raise
        raise TraceError(f"cannot read trace {path}: {e}") from None
