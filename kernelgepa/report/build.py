"""``kernelgepa report``: load runs, build tables and plots once, write each requested format."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from kernelgepa.report.compare import comparison_tables, unique_names
from kernelgepa.report.load import ReportInputError, RunData, load
from kernelgepa.report.plots import PlotsUnavailable, make_plots
from kernelgepa.report.tables import run_tables
from kernelgepa.report.text import (
    render_markdown,
    run_json,
    slug,
    table_csv,
    table_json,
)

FORMATS = ("md", "csv", "json", "html")


@dataclass
class Report:
    runs: list[RunData]
    out: Path
    files: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # one line each: unfinished runs, missing matplotlib


def parse_formats(text: str) -> list[str]:
    wanted = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in wanted if f not in FORMATS]
    if bad or not wanted:
        raise ReportInputError(f"--format: unknown format(s) {', '.join(bad) or '(none)'}; choose from "
                               f"{','.join(FORMATS)}")
    return list(dict.fromkeys(wanted))


def default_out(inputs: list[str]) -> Path:
    """A single run directory gets report/ inside it; anything else gets ./kernelgepa-report."""
    if len(inputs) == 1 and Path(inputs[0]).is_dir():
        return Path(inputs[0]) / "report"
    return Path("kernelgepa-report")


def build_report(inputs: list[str], out: Path | None = None, formats: tuple[str, ...] | list[str] = FORMATS) -> Report:
    """Write the report; raises ReportInputError (one line) for a bad path or an unwritable --out."""
    runs = [load(p) for p in inputs]
    names = unique_names(runs)
    for r, n in zip(runs, names):
        r.name = n
    rep = Report(runs, Path(out) if out else default_out(inputs))
    rep.messages += [f"{r.name}: {n}" for r in runs for n in r.notes]
    per_run = [run_tables(r) for r in runs]
    comparison = comparison_tables([r for r in runs if not r.empty]) if sum(not r.empty for r in runs) > 1 else []
    plots, plot_notes = [], []
    try:
        if {"md", "html"} & set(formats):
            plots, plot_notes = make_plots(runs)
    except PlotsUnavailable as e:
        plot_notes = [str(e)]
        rep.messages.append(str(e))
    try:
        _write(rep, formats, per_run, comparison, plots, plot_notes)
    except OSError as e:
        raise ReportInputError(f"cannot write the report to {rep.out}: {e.strerror or e}") from None
    return rep


def _put(rep: Report, rel: str, data: str | bytes) -> None:
    path = rep.out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data)
    rep.files.append(path)


def _write(rep: Report, formats, per_run, comparison, plots, plot_notes) -> None:
    if "md" in formats:
        for p in plots:
            _put(rep, f"plots/{p.name}.png", p.png)
        _put(rep, "report.md", render_markdown(rep.runs, per_run, comparison, plots, plot_notes))
    if "csv" in formats:
        for t in [t for ts in per_run for t in ts] + comparison:
            _put(rep, f"csv/{slug(t.title)}.csv", table_csv(t))
    if "json" in formats:
        doc = {"runs": [run_json(r) for r in rep.runs], "comparison": [table_json(t) for t in comparison]}
        _put(rep, "report.json", json.dumps(doc, indent=2, default=str))
    if "html" in formats:
        # imported here: pygments is needed only when HTML is asked for
        from kernelgepa.report.html import render_html

        _put(rep, "report.html", render_html(rep.runs, per_run, comparison, plots, plot_notes))
