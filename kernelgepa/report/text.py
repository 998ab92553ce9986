"""Markdown, CSV and JSON renderings of the report's tables (the HTML lives in html.py)."""
from __future__ import annotations

import csv
import io
from dataclasses import asdict

from kernelgepa.report.load import RunData
from kernelgepa.report.plots import Plot
from kernelgepa.report.tables import Table, levels, run_facts, run_summary


def slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip("_")


def markdown_table(t: Table) -> str:
    def esc(s: str) -> str:
        return s.replace("|", "\\|")

    lines = [f"**{t.title}**", "", "| " + " | ".join(map(esc, t.headers)) + " |",
             "|" + "|".join("---" for _ in t.headers) + "|"]
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in t.text_rows()]
    if t.caption:
        lines += ["", f"_{t.caption}_"]
    return "\n".join(lines) + "\n"


def render_markdown(runs: list[RunData], per_run: list[list[Table]], comparison: list[Table], plots: list[Plot],
                    plot_notes: list[str]) -> str:
    out = ["# kernelgepa report: " + ", ".join(r.name for r in runs), ""]
    if comparison:
        out += ["## comparison", ""] + [markdown_table(t) for t in comparison]
    out += ["## plots", ""]
    out += [f"![{p.title}](plots/{p.name}.png)\n" for p in plots] + [f"_{n}_\n" for n in plot_notes]
    for r, tables in zip(runs, per_run):
        out += [f"## {r.name}", "", f"`{r.path}` ({r.kind_label})", ""]
        out += [f"> **note:** {n}\n" for n in r.notes]
        facts = run_facts(r)
        out += [facts + "\n"] if facts else []
        out += [markdown_table(t) for t in tables]
    out.append("Best kernels, their diffs, the manual sections their writer was shown and the strategy lineage are "
               "in report.html.\n")
    return "\n".join(out)


def table_csv(t: Table) -> str:
    """Raw values (full precision, empty for missing) so spreadsheets can recompute anything."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(t.headers)
    for r in t.rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def run_json(run: RunData) -> dict:
    """Everything the tables show for one run, machine-readable (kernel sources left out)."""
    tasks = []
    for t in run.tasks:
        d = asdict(t)
        d.pop("best_source")
        d.pop("first_correct_source")
        d["correct"] = t.correct
        tasks.append(d)
    by_level = {str(lv): run_summary(run, [t for t in run.tasks if t.level == lv]) for lv in levels(run)}
    return {"name": run.name, "path": str(run.path), "kind": run.kind, "notes": run.notes, "stopped": run.stopped,
            "totals": run.totals, "summary": run_summary(run) if run.tasks else None, "by_level": by_level,
            "tasks": tasks, "progress": [asdict(p) for p in run.progress],
            "strategies": [asdict(s) for s in run.strategies], "manual": run.manual,
            "writer_manual": run.writer_manual}


def table_json(t: Table) -> dict:
    return {"title": t.title, "headers": t.headers, "rows": t.rows, "caption": t.caption}
