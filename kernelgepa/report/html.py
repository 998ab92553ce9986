"""One self-contained HTML file: inline CSS, plots as base64 PNG, code highlighted by pygments.

Nothing in the page points outside it (no scripts, fonts or images from URLs), so it can be mailed
or archived as is.
"""
from __future__ import annotations

import base64
import difflib
from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import CppLexer, DiffLexer, PythonLexer

from kernelgepa.report.load import RunData, StrategyNode, TaskRow
from kernelgepa.report.plots import Plot
from kernelgepa.report.tables import INHERITED, LAZY_LEGEND, MEASURED_NOTE, Table, run_facts, strategy_ids

_FORMATTER = HtmlFormatter(cssclass="hl")
_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
       color: #1d232a; line-height: 1.45; padding: 0 1em; }
h1 { border-bottom: 2px solid #2b6cb0; padding-bottom: .2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ccd; }
table { border-collapse: collapse; margin: .8em 0; font-size: 0.9em; }
th, td { border: 1px solid #d5d9e0; padding: .3em .6em; text-align: right; }
th { background: #eef2f7; } td:nth-child(-n+3) { text-align: left; }
tr:nth-child(even) td { background: #f8f9fb; }
caption { caption-side: bottom; text-align: left; font-size: .85em; color: #555; padding-top: .3em; }
.note { background: #fff6db; border-left: 4px solid #d69e2e; padding: .5em .8em; margin: .5em 0; }
.ok { color: #276749; font-weight: 600; } .bad { color: #c53030; }
figure { display: inline-block; margin: .5em 1em .5em 0; } figcaption { font-size: .85em; color: #555; }
details { margin: .4em 0; } summary { cursor: pointer; font-weight: 600; }
.hl { font-size: .85em; overflow-x: auto; padding: .2em .6em; border: 1px solid #e2e8f0; }
ul.tree { list-style: none; padding-left: 1.2em; border-left: 1px dashed #bbb; }
"""


def _table(t: Table) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.headers)
    body = []
    for raw, cells in zip(t.rows, t.text_rows()):
        tds = []
        for h, value, text in zip(t.headers, raw, cells):
            cls = ""
            if h == "status":
                cls = ' class="ok"' if value == "ok" else ' class="bad"'
            tds.append(f"<td{cls}>{escape(text)}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    cap = f"<caption>{escape(t.caption)}</caption>" if t.caption else ""
    return f"<h3>{escape(t.title)}</h3><table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _plot(p: Plot) -> str:
    data = base64.b64encode(p.png).decode()
    return (f'<figure><img alt="{escape(p.title)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(p.title)}</figcaption></figure>")


def _code(source: str, run: RunData) -> str:
    """NPU kernels are AIE C++ (``NpuTask.solution_suffix`` is .cc); every other backend's are Python files."""
    lexer = CppLexer() if run.totals.get("backend") == "npu" else PythonLexer()
    return highlight(source, lexer, _FORMATTER)


def _headline(t: TaskRow) -> str:
    """What the best kernel achieved: its speedup, or for NPU kernels (no speedup) its labelled utilisation."""
    if t.speedup is not None:
        return f"{t.speedup:.2f}x"
    if t.vector_util is not None:
        return f"{t.vector_util:.1%} vector utilisation ({t.vector_util_kind or 'unlabelled'})"
    return "correct"


def kernel_diff(first: str, best: str, task: str) -> str:
    """Unified diff from the first correct kernel to the best one (empty when they are the same)."""
    return "".join(difflib.unified_diff(first.splitlines(keepends=True), best.splitlines(keepends=True),
                                        f"{task}: first correct kernel", f"{task}: best kernel"))


def _carried(t: TaskRow) -> str:
    """Which strategies hold this task's result without having measured it (lazy full evaluation)."""
    parts = [f"inherited {INHERITED} by {strategy_ids(t.inherited_by)}"] if t.inherited_by else []
    parts += [f"deferred (not evaluated yet) for {strategy_ids(t.deferred_for)}"] if t.deferred_for else []
    return "".join("; " + p for p in parts)


def _writer_sections(run: RunData, kernel_id: int | None) -> str:
    """The manual sections in the writer's conversation when it wrote this kernel (``RunStore.writer_manual``)."""
    rows: dict[str, dict] = {}
    for m in run.writer_manual or []:
        if m["kernel_id"] == kernel_id:
            rows.setdefault(m["section_id"], m)  # first shown: the first prompt's before a refinement turn's
    if not rows:
        return ""
    items = "".join(f"<li><code>{escape(m['section_id'])}</code> {escape(m['title'])} ({escape(m['source'])}"
                    f"{', in a refinement turn' if m['tag'] == 'refine' else ''})</li>" for m in rows.values())
    return f"<h4>manual sections the writer was shown</h4><ul>{items}</ul>"


def _kernels(run: RunData) -> str:
    parts = []
    for t in run.tasks:
        if not t.best_source:
            continue
        diff = kernel_diff(t.first_correct_source or "", t.best_source, t.task)
        diff_html = (highlight(diff, DiffLexer(), _FORMATTER) if diff
                     else "<p>The first correct kernel is the best one: no diff.</p>")
        parts.append(f"<details><summary>{escape(t.task)}: {escape(_headline(t))}, kernel #{t.kernel_id}, measured, "
                     f"written by strategy #{t.strategy_id}{escape(_carried(t))}</summary><h4>best kernel</h4>"
                     f"{_code(t.best_source, run)}{_writer_sections(run, t.kernel_id)}"
                     f"<h4>diff from the first correct kernel</h4>{diff_html}</details>")
    if not parts:
        return "<p>No correct kernel yet.</p>"
    return f"<p>{escape(MEASURED_NOTE)}</p>" + "".join(parts)


def _tree(nodes: list[StrategyNode]) -> str:
    """Which strategy begat which; a merge child is listed under its first parent."""
    children: dict[int | None, list[StrategyNode]] = {}
    for n in nodes:
        children.setdefault(n.parents[0] if n.parents else None, []).append(n)

    def render(parent: int | None) -> str:
        items = []
        for n in children.get(parent, []):
            how = f"merge of {' + '.join(f'#{p}' for p in n.parents)}" if n.origin == "merge" else n.origin
            verdict = '<span class="ok">accepted</span>' if n.accepted else '<span class="bad">rejected</span>'
            mean = sum(n.scores.values()) / len(n.scores) if n.scores else None
            score = f", mean score {mean:.2f} over {len(n.scores)} tasks" if mean is not None else ""
            score += f" ({len(n.inherited)} {INHERITED} inherited)" if n.inherited else ""
            score += f", {len(n.deferred)} deferred" if n.deferred else ""
            items.append(f"<li>#{n.id} <code>{escape(n.label)}</code> ({how}, iteration {n.iteration}, {verdict}"
                         f"{score}){render(n.id)}</li>")
        return f'<ul class="tree">{"".join(items)}</ul>' if items else ""

    return render(None)


def _manual(run: RunData) -> str:
    """Which manual sections each reflection read (``RunStore.manual_shown`` rows)."""
    if not run.manual:
        return "<p>Reflection was shown no manual sections (docs_index off, or no reflection yet).</p>"
    rows = []
    for m in run.manual:
        score = "" if m.get("score") is None else f"{m['score']:.2f}"
        cells = (str(m["iteration"]), m.get("task") or "", f"<code>{escape(m['section_id'])}</code>", m["title"],
                 m["source"], score)
        rows.append("<tr>" + "".join(f"<td>{c if c.startswith('<code>') else escape(c)}</td>" for c in cells) + "</tr>")
    return ("<table><tr><th>iteration</th><th>for task</th><th>section</th><th>title</th><th>source</th>"
            f"<th>score</th></tr>{''.join(rows)}</table>")


def _run_section(run: RunData, tables: list[Table]) -> str:
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in run.notes)
    out = [f"<h2>{escape(run.name)}</h2><p><code>{escape(str(run.path))}</code> ({run.kind_label})</p>", notes,
           f"<p>{escape(run_facts(run))}</p>"]
    out += [_table(t) for t in tables]
    if run.kind == "run" and not run.empty:
        out.append(f"<h3>{escape(run.name)}: best kernels</h3>{_kernels(run)}")
        lazy = f"<p>{escape(LAZY_LEGEND)}</p>" if any(n.inherited or n.deferred for n in run.strategies) else ""
        out.append(f"<h3>{escape(run.name)}: strategy lineage</h3>{_tree(run.strategies) or '<p>No strategies yet.</p>'}"
                   + lazy)
        out.append(f"<h3>{escape(run.name)}: manual sections used by reflection</h3>{_manual(run)}")
    return "".join(out)


def render_html(runs: list[RunData], per_run: list[list[Table]], comparison: list[Table], plots: list[Plot],
                plot_notes: list[str]) -> str:
    title = "kernelgepa report: " + ", ".join(r.name for r in runs)
    body = [f"<h1>{escape(title)}</h1>"]
    if comparison:
        body.append("<h2>comparison</h2>" + "".join(_table(t) for t in comparison))
    body.append("<h2>plots</h2>")
    body += [_plot(p) for p in plots] + [f'<p class="note">{escape(n)}</p>' for n in plot_notes]
    body += [_run_section(r, ts) for r, ts in zip(runs, per_run)]
    css = _CSS + _FORMATTER.get_style_defs(".hl")
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{css}</style></head><body>{''.join(body)}</body></html>\n")
