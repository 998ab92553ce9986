"""Several runs side by side: who wins which task, and the summary numbers next to each other."""
from __future__ import annotations

from kernelgepa.report.load import RunData, TaskRow
from kernelgepa.report.tables import (
    GEOMEAN_CAPTION,
    SUMMARY_FORMATS,
    SUMMARY_HEADERS,
    Table,
    run_summary,
    summary_row,
)

TIE_REL = 0.02  # speedups within 2% of the best are a tie: timing noise is about that large


def unique_names(runs: list[RunData]) -> list[str]:
    """Run names for column headers; repeated directory names get their position appended."""
    names = [r.name for r in runs]
    return [n if names.count(n) == 1 else f"{n} ({i + 1})" for i, n in enumerate(names)]


def task_winners(runs: list[RunData]) -> dict[str, list[int]]:
    """task -> indices of the runs with the best correct speedup (several on a tie; none if no run is correct)."""
    tasks = list(dict.fromkeys(t.task for r in runs for t in r.tasks))
    out = {}
    for name in tasks:
        speeds = {}
        for i, r in enumerate(runs):
            row = _row(r, name)
            if row and row.correct and row.speedup:
                speeds[i] = row.speedup
        top = max(speeds.values(), default=None)
        out[name] = sorted(i for i, s in speeds.items() if s >= top * (1 - TIE_REL)) if top else []
    return out


def _row(run: RunData, task: str) -> TaskRow | None:
    return next((t for t in run.tasks if t.task == task), None)


def _cell(row: TaskRow | None) -> str:
    if row is None:
        return "not in run"
    return f"{row.speedup:.2f}x" if row.correct and row.speedup else row.status


def comparison_tables(runs: list[RunData]) -> list[Table]:
    """``runs`` carry unique names already (``build_report`` de-duplicates them)."""
    names = [r.name for r in runs]
    winners = task_winners(runs)
    wins = [sum(1 for w in winners.values() if w == [i]) for i in range(len(runs))]
    ties = [sum(1 for w in winners.values() if len(w) > 1 and i in w) for i in range(len(runs))]
    rows = [summary_row(r.name, run_summary(r)) + [wins[i], ties[i]] for i, r in enumerate(runs)]
    summary = Table("comparison: summary", ["run"] + SUMMARY_HEADERS[1:] + ["tasks won", "tasks tied"], rows,
                    SUMMARY_FORMATS + ["d", "d"],
                    GEOMEAN_CAPTION + f" A task is won by the run with the best correct speedup; within "
                                      f"{TIE_REL:.0%} of each other is a tie.")
    per_task = []
    for task, w in winners.items():
        cells = [_cell(_row(r, task)) for r in runs]
        who = "no run correct" if not w else ("tie: " + ", ".join(names[i] for i in w) if len(w) > 1 else names[w[0]])
        per_task.append([task] + cells + [who])
    detail = Table("comparison: per task (best correct speedup, else status)", ["task"] + names + ["winner"],
                   per_task, [], "")
    return [summary, detail]
