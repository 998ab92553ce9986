"""Read an ``optimize`` run directory or an ``eval --json`` file into one typed ``RunData``.

Everything a report shows comes from here, so tables, plots and HTML never touch the store. A run
that is empty or still going loads fine: ``RunData.notes`` says what is missing instead of failing.
"""
from __future__ import annotations

import json
import sqlite3
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from kernelgepa.outputs import llm_spend
from kernelgepa.store import SQLiteStore, deferred_evaluations, unmeasured


class ReportInputError(Exception):
    """A path that is neither a run directory nor an eval JSON file: one line for the user."""


@dataclass
class TaskRow:
    task: str
    level: int | None
    status: str                      # "ok" when some kernel is correct, else the last attempt's status
    speedup: float | None
    baseline_ms: float | None        # eager PyTorch reference
    compile_baseline_ms: float | None  # torch.compile reference, where measured
    kernel_ms: float | None
    kernel_id: int | None = None
    strategy_id: int | None = None
    strategy_label: str | None = None
    attempts: int = 0                # this task's kernels in the store
    attempts_to_best: int | None = None  # this task's kernels up to and including the best one
    rollouts_to_best: int | None = None  # run-wide kernels up to and including the best one
    usd_to_best: float | None = None     # run-wide LLM dollars spent when the best one was stored
    best_source: str | None = None
    first_correct_source: str | None = None
    vector_util: float | None = None
    vector_util_kind: str | None = None  # "real" | "estimated" | None (not labelled)
    torch_ops: list[str] = field(default_factory=list)  # PyTorch compute ops the best kernel kept (kernelbench rules)
    noisy: bool = False              # the speedup's 95% interval is too wide to be a speed claim
    # lazy full evaluation: strategies that carry a parent's result here unmeasured, or have none yet
    inherited_by: list[int] = field(default_factory=list)
    deferred_for: list[int] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return self.status == "ok"


@dataclass
class ProgressPoint:
    """The run's state right after one more kernel was stored."""
    rollouts: int
    usd: float
    fast_1: float
    fast_0: float  # share of tasks with any correct kernel


@dataclass
class StrategyNode:
    id: int
    label: str
    text: str
    parents: list[int]
    origin: str                      # seed | mutation | merge
    iteration: int
    accepted: bool
    scores: dict[str, float] = field(default_factory=dict)  # task -> search score
    inherited: list[str] = field(default_factory=list)  # tasks whose score is a parent's, not measured for it
    deferred: list[str] = field(default_factory=list)   # tasks not evaluated yet (no score, not a failure)


@dataclass
class RunData:
    name: str
    path: Path
    kind: str                        # "run" (optimize directory) | "eval" (eval --json file)
    tasks: list[TaskRow]
    progress: list[ProgressPoint] = field(default_factory=list)
    strategies: list[StrategyNode] = field(default_factory=list)
    manual: list[dict] | None = None  # manual sections each reflection was shown (store rows); None for eval JSON
    writer_manual: list[dict] | None = None  # manual sections the writer was shown, per kernel (store rows)
    totals: dict = field(default_factory=dict)
    stopped: str | None = None
    notes: list[str] = field(default_factory=list)  # what is missing or unfinished, for people
    rules: str | None = None         # the rule set its verdicts were made under (README "Rules")

    @property
    def empty(self) -> bool:
        return not self.tasks

    @property
    def kind_label(self) -> str:
        return "optimize run" if self.kind == "run" else "eval --json results"


def strategy_label(text: str, limit: int = 48) -> str:
    """A short name for a strategy: its first line, shortened."""
    first = (text.strip().splitlines() or [""])[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _vector_util(result: dict) -> tuple[float | None, str | None]:
    """NPU results (``EvalResult.vector_util``/``vector_util_kind``): a hardware trace is real, the
    emulation's cost model an estimate; anything unlabelled stays unlabelled."""
    if result.get("vector_util") is None:
        return None, None
    kind = {"trace": "real", "estimated": "estimated"}.get(str(result.get("vector_util_kind") or "").lower())
    return float(result["vector_util"]), kind


def _compile_ms(result: dict) -> float | None:
    return (result.get("compile_baseline") or {}).get("median_ms")


def _row_from_result(task: str, result: dict, level: int | None = None) -> TaskRow:
    util, kind = _vector_util(result)
    return TaskRow(task=task, level=result.get("level", level), status=result.get("status", "unknown"),
                   speedup=result.get("speedup") if result.get("status") == "ok" else None,
                   baseline_ms=result.get("baseline_ms"), compile_baseline_ms=_compile_ms(result),
                   kernel_ms=result.get("kernel_ms"), vector_util=util, vector_util_kind=kind,
                   torch_ops=list(result.get("torch_ops") or []),
                   noisy=bool(result.get("noisy")) and result.get("status") == "ok")


def load(path: str | Path) -> RunData:
    """A run directory (or its run.db) or an eval --json file; anything else is a ReportInputError."""
    p = Path(path)
    if p.is_file() and p.name == "run.db":
        p = p.parent
    if p.is_dir():
        if not (p / "run.db").is_file():
            raise ReportInputError(f"{p}: not a run directory (no run.db) and not an eval --json file")
        return _load_run(p)
    if p.is_file():
        return _load_eval(p)
    raise ReportInputError(f"{p}: no such file or directory")


# ---- eval --json ------------------------------------------------------------------------------
def _load_eval(path: Path) -> RunData:
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ReportInputError(f"{path}: not readable as eval --json output ({type(e).__name__})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise ReportInputError(f"{path}: not an eval --json file (no \"results\" list)")
    rows = []
    for r in doc["results"]:
        if not isinstance(r, dict) or "task" not in r:
            raise ReportInputError(f"{path}: a result without a \"task\" field; not eval --json output")
        rows.append(_row_from_result(r["task"], r))
    notes = [] if rows else ["the eval file holds no results"]
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    return RunData(name=path.stem, path=path, kind="eval", tasks=rows, notes=notes, totals={"meta": doc.get("meta")},
                   rules=meta.get("rules") or _rules_of(doc["results"]))


def _rules_of(results: list[dict]) -> str | None:
    """The rule set results were judged under; older results without the field were strict."""
    found = {r.get("rules") or "strict" for r in results if isinstance(r, dict)}
    return found.pop() if len(found) == 1 else ("mixed" if found else None)


# ---- optimize run directory ---------------------------------------------------------------------
def _open_store(run_dir: Path) -> SQLiteStore:
    try:
        store = SQLiteStore(run_dir / "run.db")
        store.totals()
        return store
    except sqlite3.DatabaseError as e:
        raise ReportInputError(f"{run_dir / 'run.db'}: not a readable run store ({e})") from None


def _load_run(run_dir: Path) -> RunData:
    store = _open_store(run_dir)
    try:
        return _read_store(run_dir, store)
    finally:
        store.close()


def _read_store(run_dir: Path, store: SQLiteStore) -> RunData:
    kernels = store.kernels()
    config = store.get_meta("config") or {}
    names = list(config.get("tasks") or dict.fromkeys(k["task"] for k in kernels))
    calls = store.llm_calls()
    call_times = [c["created"] for c in calls]
    cum_usd = [0.0]
    for c in calls:
        cum_usd.append(cum_usd[-1] + c["cost_usd"])

    def usd_at(created: float) -> float:
        return cum_usd[bisect_right(call_times, created)]

    strategies = store.strategies()
    labels = {s["id"]: strategy_label(s["text"]) for s in strategies}
    rows = [_task_row(t, [k for k in kernels if k["task"] == t], kernels, labels, usd_at) for t in names]
    nodes = [StrategyNode(s["id"], labels[s["id"]], s["text"], s["parents"], s["origin"], s["iteration"],
                          s["accepted"]) for s in strategies]
    by_id = {n.id: n for n in nodes}
    for e in store.evaluations():
        if e["strategy_id"] in by_id:
            by_id[e["strategy_id"]].scores[e["task"]] = e["score"]
            if e["kind"] == "inherited":
                by_id[e["strategy_id"]].inherited.append(e["task"])
    for sid, tasks in deferred_evaluations(store).items():
        if sid in by_id:
            by_id[sid].deferred = tasks
    how = unmeasured(store, names)
    for row in rows:
        row.inherited_by, row.deferred_for = how[row.task]["inherited_by"], how[row.task]["deferred_for"]
    summary = _summary(run_dir)
    totals = {**store.totals(), **llm_spend(calls), "wall_s": store.get_meta("wall_s", summary.get("wall_s")),
              "iterations": store.get_meta("iteration", 0), "model": config.get("model"), "backend": config.get("backend")}
    run = RunData(name=run_dir.name, path=run_dir, kind="run", tasks=rows,
                  progress=_progress(kernels, len(names), usd_at), strategies=nodes,
                  manual=store.manual_shown(), writer_manual=store.writer_manual(), totals=totals,
                  stopped=store.get_meta("stopped"), rules=config.get("rules", "strict" if kernels else None))
    run.notes = _run_notes(summary, run, len(kernels))
    return run


def _task_row(task: str, mine: list[dict], everything: list[dict], labels: dict[int, str], usd_at) -> TaskRow:
    correct = [k for k in mine if k["status"] == "ok"]
    if not mine:
        return TaskRow(task, None, "not_attempted", None, None, None, None)
    # the store's own ranking (search score, then speedup): NPU kernels have no speedup, and rank by utilisation
    best = max(correct, key=lambda k: (k["score"], k["speedup"] or 0.0, -k["id"])) if correct else None
    shown = best or mine[-1]
    level = next((k["result"].get("level") for k in mine if k["result"].get("level") is not None), None)
    row = _row_from_result(task, shown["result"], level)
    if row.baseline_ms is None:  # an invalid reply never reached timing; any sibling's baseline will do
        row.baseline_ms = next((k["result"].get("baseline_ms") for k in mine if k["result"].get("baseline_ms")), None)
        row.compile_baseline_ms = next((_compile_ms(k["result"]) for k in mine if _compile_ms(k["result"])), None)
    row.attempts = len(mine)
    if best:
        row.kernel_id, row.strategy_id = best["id"], best["strategy_id"]
        row.strategy_label = labels.get(best["strategy_id"])
        row.attempts_to_best = sum(1 for k in mine if k["id"] <= best["id"])
        row.rollouts_to_best = sum(1 for k in everything if k["id"] <= best["id"])
        row.usd_to_best = usd_at(best["created"])
        row.best_source, row.first_correct_source = best["source"], correct[0]["source"]
    return row


def _progress(kernels: list[dict], n_tasks: int, usd_at) -> list[ProgressPoint]:
    """fast_1 and fast_0 after each stored kernel, in store order (the search's own clock). A kernel is
    correct by its status alone: NPU kernels pass without a speedup."""
    best: dict[str, float] = {}
    correct: set[str] = set()
    points = []
    n = max(1, n_tasks)
    for i, k in enumerate(kernels, 1):
        if k["status"] == "ok":
            correct.add(k["task"])
            best[k["task"]] = max(best.get(k["task"], 0.0), k["speedup"] or 0.0)
        points.append(ProgressPoint(i, usd_at(k["created"]), sum(1 for s in best.values() if s > 1.0) / n,
                                    len(correct) / n))
    return points


def _summary(run_dir: Path) -> dict:
    """summary.json as written at the end of a run; {} while there is none (or it is unreadable)."""
    try:
        doc = json.loads((run_dir / "summary.json").read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return doc if isinstance(doc, dict) else {}


def _run_notes(summary: dict, run: RunData, n_kernels: int) -> list[str]:
    if run.empty:
        return ["empty run: the store holds no tasks and no kernels yet (was the run started?)"]
    notes = []
    if n_kernels == 0:
        notes.append("no kernel has been evaluated yet")
    if not summary:
        notes.append("unfinished run: no summary.json (still running, or stopped before the end); "
                     "numbers are what the store holds so far")
    else:
        done = summary.get("rollouts")
        if done is not None and done < n_kernels:
            notes.append(f"summary.json covers {done} rollouts but the store holds {n_kernels}: "
                         "the run was resumed and has not finished; numbers are from the store")
    missing = [t.task for t in run.tasks if t.status == "not_attempted"]
    if missing:
        notes.append(f"{len(missing)} of {len(run.tasks)} tasks not attempted yet: {', '.join(missing)}")
    return notes
