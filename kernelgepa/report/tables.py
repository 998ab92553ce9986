"""The report's tables as plain data (headers, raw cell values, per-column formats).

Markdown, CSV, JSON and HTML all render these same ``Table`` objects, so a number can never differ
between formats. Metrics come from ``harness.metrics`` (the KernelBench definitions).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.metrics import FAST_P_THRESHOLDS, summarize, summarize_npu
from kernelgepa.report.load import RunData, TaskRow

GEOMEAN_CAPTION = ("fast_p: share of ALL tasks that are correct with speedup > p (failed and unattempted tasks "
                   "count as not fast). geomean (correct): over correct tasks only. geomean (all): over all "
                   "tasks, a failed or unattempted task counted as speedup 1.0.")
# Lazy full evaluation (kernelgepa.policies): a strategy's score on a task may be its parent's, or not there yet.
INHERITED = "↑"
LAZY_LEGEND = (f"{INHERITED} = inherited: a parent's kernel and score on a task already at target, carried over "
               "without measuring it for this strategy; deferred = not evaluated yet (lazy full evaluation): no "
               "score, neither a failure nor 0.")
MEASURED_NOTE = ("A best kernel is always one the harness measured, credited to the strategy that wrote it, never "
                 "to one that inherited it.")


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]                 # raw values: str, int, float, bool or None
    formats: list[str] = field(default_factory=list)  # format spec per column ("" = str())
    caption: str = ""
    marks: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> suffix in text renderings

    def cell(self, row: list, col: int) -> str:
        value = row[col]
        if value is None:
            return "-"
        spec = self.formats[col] if col < len(self.formats) else ""
        if isinstance(value, bool) or not spec or not isinstance(value, (int, float)):
            return str(value)
        return format(value, spec)

    def text_rows(self) -> list[list[str]]:
        return [[self.cell(r, i) + self.marks.get((j, i), "") for i in range(len(self.headers))]
                for j, r in enumerate(self.rows)]


def run_summary(run: RunData, tasks: list[TaskRow] | None = None) -> dict:
    """fast_p and geomeans over ``tasks`` (default: all of the run's tasks)."""
    tasks = run.tasks if tasks is None else tasks
    return summarize([(t.correct, t.speedup) for t in tasks], len(tasks))


def levels(run: RunData) -> list[int | None]:
    return sorted({t.level for t in run.tasks}, key=lambda lv: (lv is None, lv or 0))


def _level_name(level: int | None) -> str:
    return "unknown level" if level is None else f"level {level}"


def summary_row(name: str, s: dict) -> list:
    """One row under ``SUMMARY_HEADERS`` from a ``run_summary`` dict (also the comparison's per-run row)."""
    return ([name, s["n_tasks"], s["n_correct"]] + [s["fast_p"][str(p)] for p in FAST_P_THRESHOLDS]
            + [s["geomean_speedup"], s["geomean_speedup_all"]])


SUMMARY_HEADERS = (["scope", "tasks", "correct"] + [f"fast_{p:g}" for p in FAST_P_THRESHOLDS]
                   + ["geomean (correct)", "geomean (all, failures = 1.0)"])
SUMMARY_FORMATS = ["", "d", "d"] + [".2f"] * len(FAST_P_THRESHOLDS) + [".3f", ".3f"]


def summary_table(run: RunData) -> Table:
    """fast_p and geomeans for the whole run and per level."""
    rows = [summary_row("all tasks", run_summary(run))]
    lvls = levels(run)
    if len(lvls) > 1 or lvls[:1] != [None]:
        rows += [summary_row(_level_name(lv), run_summary(run, [t for t in run.tasks if t.level == lv]))
                 for lv in lvls]
    if any(t.correct and t.torch_ops for t in run.tasks):  # kernelbench rules: split by PyTorch compute ops kept
        rows.append(summary_row("pure custom kernels only", summarize(
            [(t.correct and not t.torch_ops, t.speedup) for t in run.tasks], len(run.tasks))))
    rules = f" Verdicts under the {run.rules} rules (README \"Rules\")." if run.rules else ""
    return Table(f"{run.name}: fast_p and geometric-mean speedup", list(SUMMARY_HEADERS), rows,
                 list(SUMMARY_FORMATS), GEOMEAN_CAPTION + rules)


def task_table(run: RunData) -> Table:
    """One row per task: verdict, timings, and what it cost the search to get there."""
    headers = ["level", "task", "status", "eager ms", "torch.compile ms", "best kernel ms", "speedup", "timing"]
    formats = ["", "", "", ".4f", ".4f", ".4f", ".2f", ""]
    lazy = any(t.inherited_by or t.deferred_for for t in run.tasks)
    if run.kind == "run":
        headers += ["attempts (task)", "rollouts to best", "$ to best", "strategy"] + (
            ["inherited by", "deferred for"] if lazy else [])
        formats += ["d", "d", ".4f", ""] + (["", ""] if lazy else [])
    rows = []
    for t in run.tasks:
        row = [t.level, t.task, t.status, t.baseline_ms, t.compile_baseline_ms, t.kernel_ms, t.speedup,
               "noisy" if t.noisy else ""]
        if run.kind == "run":
            strat = f"#{t.strategy_id} {t.strategy_label}" if t.strategy_id is not None else None
            row += [t.attempts, t.rollouts_to_best, t.usd_to_best, strat]
            row += [strategy_ids(t.inherited_by), strategy_ids(t.deferred_for)] if lazy else []
        rows.append(row)
    caption = ("speedup = eager ms / kernel ms of the best correct kernel. rollouts to best: kernels evaluated in "
               "the whole run up to and including it; $ to best: LLM dollars spent by then (0 for cached or "
               f"unpriced models). strategy: the one that wrote the best kernel. {MEASURED_NOTE}"
               ) if run.kind == "run" else "speedup = eager ms / kernel ms."
    if lazy:
        caption += (" inherited by: strategies that carry this task's result over from a parent without measuring "
                    "it (at target); deferred for: strategies that have not evaluated this task yet.")
    caption += (" timing noisy: the speedup's 95% interval reaches beyond +-10%, so it is not a speed claim.")
    return Table(f"{run.name}: per task", headers, rows, formats, caption)


def npu_table(run: RunData) -> Table | None:
    """Pass rate and mean vector utilisation, only for runs whose results carry utilisation."""
    measured = [t for t in run.tasks if t.vector_util is not None]
    if not measured:
        return None
    kinds = {t.vector_util_kind for t in measured}
    label = {frozenset({"real"}): "real", frozenset({"estimated"}): "estimated"}.get(
        frozenset(kinds), "mixed or unlabelled: " + ", ".join(sorted(k or "unlabelled" for k in kinds)))
    s = summarize_npu([{"status": t.status, "vector_util": t.vector_util} for t in run.tasks])
    rows = [[s["n_tasks"], s["n_passed"], s["pass_rate"], len(measured), s["mean_vector_util"], label]]
    return Table(f"{run.name}: NPU pass rate and vector utilisation",
                 ["tasks", "passed", "pass rate", "tasks with utilisation", "mean vector utilisation", "source"],
                 rows, ["d", "d", ".2f", "d", ".1%", ""],
                 "mean over all tasks, failed ones counting as 0 (NPUEval's convention); source says whether it "
                 "was measured on hardware (real) or estimated.")


def lineage_table(run: RunData) -> Table | None:
    if not run.strategies:
        return None
    names = [t.task for t in run.tasks]
    fixed = ["id", "strategy", "origin", "parents", "iteration", "accepted"]
    rows = [[s.id, s.label, s.origin, ", ".join(f"#{p}" for p in s.parents) or None, s.iteration,
             "yes" if s.accepted else "no"] + ["deferred" if n in s.deferred else s.scores.get(n) for n in names]
            for s in run.strategies]
    marks = {(j, len(fixed) + names.index(n)): INHERITED for j, s in enumerate(run.strategies)
             for n in s.inherited if n in names}
    caption = ("scores are the search's shaped scores per task (1 + log2 speedup for correct kernels, small "
               "partial credit otherwise), measured for that strategy unless marked; - = not evaluated (a "
               "rejected child is scored on its minibatch only).")
    if any(s.inherited or s.deferred for s in run.strategies):
        caption += " " + LAZY_LEGEND
    return Table(f"{run.name}: strategy lineage", fixed + names, rows, ["d", "", "", "", "d", ""] + [".2f"] * len(names),
                 caption, marks)


def strategy_ids(strategies: list[int]) -> str | None:
    """``#3 #5``, or None (shown as -) for none."""
    return " ".join(f"#{s}" for s in strategies) or None


def run_facts(run: RunData) -> str:
    """One line about what the run spent and why it stopped (or the eval's setup)."""
    t = run.totals
    if run.kind == "eval":
        return ", ".join(f"{k}: {v}" for k, v in (t.get("meta") or {}).items())
    wall = f"{t['wall_s']:.0f}s" if t.get("wall_s") is not None else "not recorded"
    setup = ", ".join(f"{k} {t[k]}" for k in ("backend", "model") if t.get(k))
    return (f"{setup or 'setup not recorded'}: {t.get('rollouts', 0)} rollouts, "
            f"{t.get('llm_calls', 0)} LLM calls ({t.get('llm_cached', 0)} cached), "
            f"{t.get('prompt_tokens', 0) + t.get('completion_tokens', 0)} tokens, ${t.get('usd', 0.0):.4f}, "
            f"{t.get('iterations', 0)} iterations, wall {wall}; stopped: {run.stopped or 'not recorded'}")


def run_tables(run: RunData) -> list[Table]:
    if run.empty:
        return []
    return [t for t in (summary_table(run), task_table(run), npu_table(run), lineage_table(run)) if t is not None]
