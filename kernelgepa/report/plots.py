"""The report's figures as PNG bytes (matplotlib, Agg canvas, no global pyplot state).

matplotlib is an optional extra (``pip install 'kernelgepa[report]'``); without it ``make_plots``
raises ``PlotsUnavailable`` with one line and the report goes on without figures.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from harness.metrics import FAST_P_THRESHOLDS, fast_p
from kernelgepa.report.load import RunData

MISSING = "matplotlib is not installed: no plots (pip install 'kernelgepa[report]')"


class PlotsUnavailable(Exception):
    pass


@dataclass
class Plot:
    name: str       # file stem, e.g. "fast_p"
    title: str
    png: bytes


def _figure(width: float = 6.4, height: float = 4.0):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise PlotsUnavailable(MISSING) from None
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def fast_p_plot(runs: list[RunData]) -> Plot:
    """fast_p as a function of the threshold p, one curve per run."""
    fig, ax = _figure()
    top = max([2.0] + [t.speedup for r in runs for t in r.tasks if t.correct and t.speedup])
    grid = [top * 1.05 * i / 400 for i in range(401)]
    for r in runs:
        pairs = [(t.correct, t.speedup) for t in r.tasks]
        ax.step(grid, [fast_p(pairs, p) for p in grid], where="post", label=r.name)
        ax.plot(FAST_P_THRESHOLDS, [fast_p(pairs, p) for p in FAST_P_THRESHOLDS], "o", color=ax.lines[-1].get_color())
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set(xlabel="speedup threshold p", ylabel="fast_p (share of all tasks)", ylim=(-0.02, 1.02),
           title="fast_p versus p")
    ax.legend(fontsize="small")
    return Plot("fast_p", "fast_p versus p", _png(fig))


def progress_plot(runs: list[RunData], by: str) -> Plot | None:
    """fast_1 as the search went on, against rollouts or LLM dollars; None when there is no such axis."""
    with_progress = [r for r in runs if r.progress]
    if by == "usd":
        with_progress = [r for r in with_progress if r.progress[-1].usd > 0]
    if not with_progress:
        return None
    fig, ax = _figure()
    for r in with_progress:
        xs = [0.0] + [getattr(p, by) for p in r.progress]
        ax.step(xs, [0.0] + [p.fast_1 for p in r.progress], where="post", label=f"{r.name}: fast_1")
        ax.step(xs, [0.0] + [p.fast_0 for p in r.progress], where="post", ls=":", color=ax.lines[-1].get_color(),
                label=f"{r.name}: correct (fast_0)")
    label = {"rollouts": "rollouts (kernels evaluated)", "usd": "LLM dollars spent"}[by]
    ax.set(xlabel=label, ylabel="share of all tasks", ylim=(-0.02, 1.02), title=f"search progress: fast_1 versus {by}")
    ax.legend(fontsize="small")
    return Plot(f"progress_{by}", f"fast_1 versus {label}", _png(fig))


def speedup_bars(run: RunData) -> Plot | None:
    """Per-task best speedup, sorted; failed tasks shown as empty slots labelled with their status."""
    if not run.tasks:
        return None
    rows = sorted(run.tasks, key=lambda t: (t.speedup or 0.0) if t.correct else -1.0, reverse=True)
    fig, ax = _figure(max(6.4, 0.35 * len(rows) + 2), 4.2)
    heights = [t.speedup if t.correct and t.speedup else 0.0 for t in rows]
    colors = ["tab:green" if h > 1.0 else "tab:orange" for h in heights]
    ax.bar(range(len(rows)), heights, color=colors)
    for i, t in enumerate(rows):
        if not t.correct:
            ax.text(i, 0.02, t.status, rotation=90, ha="center", va="bottom", fontsize="x-small", color="tab:red")
    ax.axhline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xticks(range(len(rows)), [t.task for t in rows], rotation=60, ha="right", fontsize="small")
    ax.set(ylabel="speedup over eager PyTorch", title=f"{run.name}: best speedup per task")
    return Plot(f"speedups_{_slug(run.name)}", f"{run.name}: best speedup per task", _png(fig))


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def make_plots(runs: list[RunData]) -> tuple[list[Plot], list[str]]:
    """Every figure the report can show, and a line for each one it cannot; raises PlotsUnavailable
    without matplotlib. Run names label curves and name files, so they must be unique (``build_report``
    makes them so)."""
    live = [r for r in runs if not r.empty]
    if not live:
        return [], ["no plots: no run has any task yet"]
    notes = []
    if not any(r.progress for r in live):
        notes.append("no search-progress plots: eval results have no search history")
    elif not any(r.progress and r.progress[-1].usd > 0 for r in live):
        notes.append("no fast_1-versus-dollars plot: no LLM dollars recorded (cached replies or an unpriced model)")
    plots = [fast_p_plot(live), progress_plot(live, "rollouts"), progress_plot(live, "usd")]
    plots += [speedup_bars(r) for r in live]
    return [p for p in plots if p is not None], notes
