"""Terminal tables and progress for the CLI (rich)."""
from __future__ import annotations

import sys
from contextlib import contextmanager

from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

# Piped output (grep, files, CI logs) gets wide tables so names are never split across lines.
console = Console() if sys.stdout.isatty() else Console(width=200)
_STATUS_STYLE = {"ok": "green", "loaded": "green", "compiled_only": "cyan", "interpreted": "cyan", "incorrect": "yellow",
                 "rejected": "red", "skipped": "dim", "error": "red"}



def fast_p_line(fast_p: dict) -> str:
    """fast_p values on one line: ``fast_0.0=0.50  fast_1.0=0.33 ...``."""
    return "  ".join(f"fast_{p}={v:.2f}" for p, v in fast_p.items())

def _fmt(x, spec=".3f") -> str:
    return "-" if x is None else format(x, spec)


@contextmanager
def progress(total: int, label: str):
    """Yields advance(description); a live bar on a terminal, silent otherwise."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True, disable=not console.is_terminal) as bar:
        tid = bar.add_task(label, total=total)

        def advance(desc: str) -> None:
            bar.update(tid, advance=1, description=f"{label}: {desc}")

        yield advance


def print_tasks(tasks) -> None:
    t = Table(title=f"{len(tasks)} tasks")
    for col in ("level", "task", "status", "inputs", "sizes", "problem"):
        t.add_column(col, overflow="fold")
    for task in tasks:
        t.add_row(str(task.level or "-"), task.name, f"[{_STATUS_STYLE.get(task.status, '')}]{task.status}",
                  ", ".join(map(str, task.inputs)), task.size_label, task.error or "")
    console.print(t)


def speedup_cell(r) -> str:
    """The speedup with its 95% interval, flagged when the interval is too wide to be a claim."""
    if not r.speedup:
        return "-"
    ci = f" ({r.speedup_ci[0]:.2f}-{r.speedup_ci[1]:.2f})" if r.speedup_ci else ""
    return f"{r.speedup:.2f}x{ci}" + (" [yellow]noisy[/]" if r.noisy else "")


def print_results(results, summary: dict) -> None:
    rules = summary.get("rules")
    t = Table(title=f"evaluation (rules: {rules}" + (f", tolerance {summary['tolerance']:g})" if summary.get("tolerance")
                                                   else ")") if rules else "evaluation")
    for col in ("level", "task", "status", "baseline ms", "kernel ms", "speedup", "compile s", "note"):
        t.add_column(col, overflow="fold")
    for r in results:
        uses = f"uses PyTorch ops: {', '.join(r.torch_ops[:4])}" if r.correct and r.torch_ops else ""
        note = r.error or "; ".join([uses, *r.warnings] if uses else r.warnings) or ""
        t.add_row(str(r.level or "-"), r.task, f"[{_STATUS_STYLE.get(r.status.value, 'red')}]{r.status.value}",
                  _fmt(r.baseline_ms), _fmt(r.kernel_ms), speedup_cell(r), _fmt(r.compile_s, ".1f"), note[:160])
    console.print(t)
    fp = fast_p_line(summary["fast_p"])
    gm = summary["geomean_speedup"]
    interpreted = summary.get("n_interpreted")
    note = f"  ({interpreted} more correct under an interpreter, not timed)" if interpreted else ""
    if summary.get("n_infra_error"):
        note += f"  ({summary['n_infra_error']} not evaluated: infrastructure failure, run them again)"
    if summary.get("n_noisy"):
        note += f"  ({summary['n_noisy']} with noisy timings: their speedups are not speed claims)"
    console.print(f"[bold]{summary['n_correct']}/{summary['n_tasks']} correct[/]{note}  {fp}  "
                  f"geomean speedup (correct tasks) = {_fmt(gm, '.2f')}  sizes: {', '.join(summary['size_labels'])}")
    if summary.get("n_uses_torch_ops"):
        console.print(f"{summary['n_uses_torch_ops']} correct kernels keep PyTorch compute ops; pure custom kernels "
                      f"only: {fast_p_line(summary['fast_p_pure'])}")


def print_npu_results(results, summary: dict) -> None:
    t = Table(title="NPU evaluation (host AIE emulation)")
    for col in ("task", "status", "capability", "vector util (est.)", "compile s", "note"):
        t.add_column(col, overflow="fold")
    for r in results:
        note = r.error or "; ".join(r.warnings) or ""
        util = f"{100 * r.vector_util:.1f}%" if r.vector_util is not None else "-"
        t.add_row(r.task, f"[{_STATUS_STYLE.get(r.status.value, 'red')}]{r.status.value}", r.capability or "-",
                  util, _fmt(r.compile_s, ".1f"), note[:160])
    console.print(t)
    console.print(_npu_headline(summary))


def _npu_headline(s: dict) -> str:
    """NPUEval's numbers in one line, with where the utilisation came from."""
    return (f"[bold]{s['n_passed']}/{s['n_tasks']} passed[/] ({100 * s['pass_rate']:.1f}%)  mean vector utilisation "
            f"{100 * s['mean_vector_util']:.2f}% over all tasks, failures as 0 "
            f"({s['vector_util_label'] or s['vector_util_kind'] or 'none measured'})")


def print_baselines(rows: list[dict]) -> None:
    t = Table(title="reference baselines")
    for col in ("level", "task", "status", "median ms", "min ms", "max ms", "cv", "reps", "note"):
        t.add_column(col, overflow="fold")
    for r in rows:
        s = r.get("spread") or {}
        t.add_row(str(r.get("level") or "-"), r["name"], r["status"], _fmt(r.get("baseline_ms")), _fmt(s.get("min_ms")),
                  _fmt(s.get("max_ms")), _fmt(s.get("cv"), ".2f"), str(s.get("reps", "-")),
                  ("noisy (median not known to 10%; not cached for reuse) " if r.get("noisy") else "")
                  + (r.get("error") or "; ".join(r.get("warnings") or []))[:120])
    console.print(t)


def print_run_summary(s: dict) -> None:
    npu = "pass_rate" in s  # NPU runs: pass rate and vector utilisation instead of speedups
    # lazy full evaluation: strategies holding a task's result unmeasured (inherited) or not at all (deferred)
    lazy = ("inherited_by", "deferred_for") if any(r.get("inherited_by") or r.get("deferred_for")
                                                   for r in s["per_task"].values()) else ()
    t = Table(title="best kernel per task")
    cols = ("task", "status", "vector util", "capability") if npu else ("task", "status", "baseline ms", "kernel ms",
                                                                           "speedup")
    for col in cols + ("rollouts", "strategy") + tuple(k.replace("_", " ") for k in lazy):
        t.add_column(col, overflow="fold")
    for name, r in s["per_task"].items():
        if npu:
            util = r["vector_util"]
            cells = [f"{100 * util:.1f}% ({r['vector_util_kind']})" if util is not None else "-", r["capability"] or "-"]
        else:
            cells = [_fmt(r["baseline_ms"]), _fmt(r["kernel_ms"]), _fmt(r["speedup"], ".2f") + (" noisy" if r.get("noisy") else "")]
        t.add_row(name, f"[{_STATUS_STYLE.get(r['status'], 'red')}]{r['status']}", *cells, str(r["rollouts"]),
                  str(r["strategy_id"] or "-"), *(" ".join(f"#{i}" for i in r[k]) or "-" for k in lazy))
    console.print(t)
    if lazy:
        console.print("strategy: the one that wrote the best kernel (always a measured one); inherited by: strategies "
                      "that carry a parent's result there without measuring it (at target); deferred for: strategies "
                      "that have not evaluated the task yet (no score, not a failure)")
    if npu:
        head = _npu_headline(s)
    else:
        fp = fast_p_line(s["fast_p"])
        head = f"[bold]{s['n_correct']}/{s['n_tasks']} solved[/]  {fp}  geomean {_fmt(s['geomean_speedup'], '.2f')}"
        if s.get("n_noisy"):
            head += f"  ({s['n_noisy']} with noisy timings: their speedups are not speed claims)"
    tokens = s.get("prompt_tokens", 0) + s.get("completion_tokens", 0)
    console.print(f"{head}  | {s['rollouts']} rollouts, {s['llm_calls']} LLM calls ({s.get('llm_calls_cached', 0)} "
                  f"cached), {tokens} tokens, ${s['usd']:.3f}, {s['wall_s']:.0f}s "
                  f"({_per_solved(s)}) "
                  f"| stopped: {s.get('stopped', '-')}")


def _per_solved(s: dict) -> str:
    if s.get("usd_per_solved_task") is None:
        return "nothing solved"
    return f"${s['usd_per_solved_task']:.3f} and {s['wall_s_per_solved_task']:.0f}s per solved task"


def print_hits(hits) -> None:
    t = Table(title="manual sections", show_lines=False)
    for col in ("#", "id", "title", "source", "score"):
        t.add_column(col, overflow="fold")
    for i, h in enumerate(hits, 1):
        t.add_row(str(i), h.section.id, h.section.title, h.section.source, f"{h.score:.3f}")
    console.print(t if hits else "no section matches")


def _best_cells(s: dict) -> dict[str, str]:
    """Per task: the best kernel's speedup, or for NPU kernels its vector utilisation, labelled."""
    noisy = set(s.get("noisy_best", ()))
    cells = {t: f"{v:.2f}x" + (" noisy" if t in noisy else "") for t, v in s["best_speedup"].items() if v}
    cells.update({t: f"{100 * v:.1f}% vector ({kind})" for t, (v, kind) in s.get("best_vector_util", {}).items()})
    return cells


def _search_line(s: dict, vector_scored: bool) -> str:
    best = ", ".join(f"{t}={c}" for t, c in _best_cells(s).items())
    fast = "" if vector_scored else f"fast_1 {s['fast_1']:.2f} | "  # NPU kernels are not timed
    return (f"[it {s['iteration']}] {s['event']} | rollouts {s['rollouts']} | ${s['usd']:.3f} | "
            f"frontier {s['frontier']} | {fast}{best}")


def _search_panel(s: dict, events: list[str], vector_scored: bool):
    cols = {"iteration": str(s["iteration"]), "rollouts": str(s["rollouts"]), "LLM $": f"{s['usd']:.3f}",
            "frontier": str(s["frontier"])}
    if not vector_scored:
        cols["fast_1"] = f"{s['fast_1']:.2f}"
    head = Table.grid(padding=(0, 2))
    for _ in cols:
        head.add_column()
    head.add_row(*(f"[bold]{c}[/]" for c in cols))
    head.add_row(*cols.values())
    best = Table(title="best so far", title_justify="left")
    best.add_column("task")
    best.add_column("vector utilisation" if vector_scored else "speedup", justify="right")
    cells = _best_cells(s)
    for t in s["best_speedup"]:
        best.add_row(t, cells.get(t, "-"))
    return Group(head, best, *events[-5:])


@contextmanager
def search_progress(*, vector_scored: bool = False):
    """Yields update(state) for the engine's progress events: a live panel on a terminal (rollouts,
    dollars, frontier size, fast_1, best speedup - or vector utilisation for NPU kernels - per task,
    last events); one line per event otherwise."""
    if not console.is_terminal:
        yield lambda s: console.print(_search_line(s, vector_scored))
        return
    from rich.live import Live

    events: list[str] = []
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        def update(s: dict) -> None:
            events.append(f"[dim]it {s['iteration']}:[/] {s['event']}")
            live.update(_search_panel(s, events, vector_scored))
        yield update
