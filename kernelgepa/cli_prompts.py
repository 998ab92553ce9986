"""``kernelgepa prompts TASK...``: print the exact prompts a run would send, without calling a model.

From the built-in suite (or --tasks) a writer prompt under the seed strategy; from a run directory
also the stored state: the best strategy, the best kernel so far, refinement on a stored kernel,
reflection on the tasks as a minibatch, merge of the run's two best strategies.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kernelgepa.cli_check import add_rules_args

KINDS = ("writer", "refine", "reflection", "merge")


def add_prompts_parser(sub) -> None:
    from harness.backends import BACKENDS

    p = sub.add_parser("prompts", help="print the prompts a run would send (writer, refine, reflection, merge); "
                                       "no model is called")
    p.add_argument("task_names", nargs="+", metavar="TASK", help="task names (file stems, or NPUEval kernel names)")
    p.add_argument("--backend", default="cpu", choices=BACKENDS)
    p.add_argument("--tasks", help="task file/folder (default: the built-in suite; npu: the shipped examples.jsonl)")
    p.add_argument("--profile", help="size profile from the tasks' SIZE_PROFILES (e.g. gpu)")
    p.add_argument("--shrink-to", metavar="SIZE", help="shrink size constants until inputs fit, e.g. 64MB")
    p.add_argument("--kind", default="writer", choices=KINDS, help="which prompt (default writer); refine, "
                                                                   "reflection and merge need --run-dir; refine shows the "
                                                                   "round after the task's latest stored kernel")
    p.add_argument("--run-dir", help="an optimize run directory: its strategies and stored kernels")
    p.add_argument("--strategy-file", help="strategy text for a writer prompt (default: the run's best, else the seed)")
    p.add_argument("--allow-tf32", action="store_true", help="as the run's --allow-tf32")
    p.add_argument("--threads", type=int, help="as the run's --threads (default: all cores)")
    p.add_argument("--trials", type=int, default=5, help="as the run's --trials (default 5)")
    p.add_argument("--no-docs", action="store_true", help="no manual sections (as optimize --no-docs)")
    p.add_argument("--docs-k", type=int, default=4, help="as optimize --docs-k (default 4)")
    p.add_argument("--docs-chars", type=int, default=6000, help="as optimize --docs-chars (default 6000)")
    p.add_argument("--index-dir", help="manual index location (default ~/.cache/kernelgepa/docs_index)")
    p.add_argument("--json", metavar="OUT", help="also write the prompts as JSON")
    add_rules_args(p)


def _load_tasks(args, usage_error) -> dict:
    """The named tasks, loaded at the sizes the run would use (only those are loaded)."""
    if args.backend == "npu":
        from npueval_tasks import EXAMPLES_FILE
        from npueval_tasks.task import TaskFormatError, load_npueval

        try:
            found = {t.name: t for t in load_npueval(args.tasks or EXAMPLES_FILE).tasks}
        except TaskFormatError as e:
            raise usage_error(str(e)) from None
        load = found.get
    else:
        from kernelbench_tasks import SUITE_DIR, TaskLoadError, load_task, parse_size
        from kernelbench_tasks.task import discover

        try:
            shrink = parse_size(args.shrink_to) if args.shrink_to else None
            found = {f.stem: f for f in discover(args.tasks or SUITE_DIR)}
        except (TaskLoadError, ValueError) as e:
            raise usage_error(str(e)) from None

        def load(name):
            return load_task(found[name], profile=args.profile, shrink_to=shrink)
    missing = [n for n in args.task_names if n not in found]
    if missing:
        raise usage_error(f"no task {', '.join(missing)} (have: {', '.join(sorted(found))})")
    tasks = {n: load(n) for n in args.task_names}
    bad = [f"{n}: {t.error}" for n, t in tasks.items() if getattr(t, "status", "loaded") != "loaded"]
    if bad:
        raise usage_error(f"task did not load: {bad[0]}")
    return tasks


def _run_facts(args):
    from harness.backends import get_backend
    from harness.config import EvalConfig
    from kernelgepa.prompts import run_facts

    return run_facts(get_backend(args.backend), EvalConfig(trials=args.trials, threads=args.threads or os.cpu_count(),
                                                           allow_tf32=args.allow_tf32, rules=args.rules,
                                                           tolerance=args.tolerance))


def _open_store(args, usage_error):
    from kernelgepa.store import SQLiteStore

    db = Path(args.run_dir) / "run.db"
    if not db.is_file():
        raise usage_error(f"--run-dir {args.run_dir}: no run.db (not an optimize run directory)")
    store = SQLiteStore(db)
    config = store.get_meta("config") or {}
    if config.get("backend") not in (None, args.backend):
        store.close()
        raise usage_error(f"--run-dir {args.run_dir} is a {config['backend']} run; pass --backend {config['backend']}")
    return store


def _ranked_strategies(store, tasks: list[str]) -> list[int]:
    """Accepted strategies, best total score over ``tasks`` first."""
    totals: dict[int, float] = {s["id"]: 0.0 for s in store.strategies(accepted_only=True)}
    for e in store.evaluations():
        if e["strategy_id"] in totals and e["task"] in tasks:
            totals[e["strategy_id"]] += e["score"]
    return sorted(totals, key=lambda s: (-totals[s], s))


def render(args, usage_error) -> list[dict]:
    """[{task, kind, messages}] for the command's arguments."""
    from rich.console import Console

    from kernelgepa.feedback import reflection_records, result_feedback, strategy_evidence
    from kernelgepa.frontier import build_frontier
    from kernelgepa.optimize import OptimizeError, _manual, writer_manual
    from kernelgepa.prompts import SEED_STRATEGY, merge_messages, reflection_messages, refine_messages, writer_messages

    if args.kind != "writer" and not args.run_dir:
        raise usage_error(f"--kind {args.kind} needs --run-dir (a run with stored kernels and strategies)")
    tasks = _load_tasks(args, usage_error)
    try:
        run = _run_facts(args)
    except ValueError as e:  # --tolerance out of range
        raise usage_error(f"--tolerance: {e}") from None
    args.docs_rerank = False
    try:
        manual = _manual(args, Console(stderr=True))  # index notes to stderr
    except OptimizeError as e:
        raise usage_error(str(e)) from None
    sections = writer_manual(manual) or (lambda records: [])
    store = _open_store(args, usage_error) if args.run_dir else None
    try:
        texts = {s["id"]: s["text"] for s in store.strategies()} if store else {}
        ranked = _ranked_strategies(store, list(tasks)) if store else []
        if args.strategy_file:
            try:
                strategy = Path(args.strategy_file).read_text()
            except OSError as e:
                raise usage_error(f"--strategy-file: {e.strerror}") from None
        else:
            strategy = texts[ranked[0]] if ranked else SEED_STRATEGY[args.backend]
        language = next(iter(tasks.values())).language
        if args.kind == "reflection":
            if not ranked:
                raise usage_error(f"--run-dir {args.run_dir} has no accepted strategy yet")
            records = reflection_records(store, ranked[0], list(tasks), language)
            return [{"task": ",".join(tasks), "kind": "reflection",
                     "messages": reflection_messages(args.backend, texts[ranked[0]], records, manual(records) if manual else [],
                                                     tasks=tasks, run=run)}]
        if args.kind == "merge":
            if len(ranked) < 2:
                raise usage_error(f"--run-dir {args.run_dir} has fewer than two accepted strategies to merge")
            a, b = ranked[:2]
            ea, eb = strategy_evidence(store, a, list(tasks)), strategy_evidence(store, b, list(tasks))
            scores = {s: {t: e["score"] for t, e in ev.items()} for s, ev in ((a, ea), (b, eb))}
            winners = build_frontier(scores, list(tasks)).winners
            won = {s: sorted(t for t, ws in winners.items() if s in ws) for s in (a, b)}
            return [{"task": ",".join(tasks), "kind": "merge",
                     "messages": merge_messages(texts[a], texts[b], won[a], won[b], evidence_a=ea, evidence_b=eb)}]
        out = []
        for name, task in tasks.items():
            prev = store.best_kernel(name) if store else None
            msgs = writer_messages(args.backend, strategy, task,
                                   (prev["source"], result_feedback(prev["result"])) if prev else None,
                                   language=task.language, run=run,
                                   manual=sections([{"task": name, "result": prev["result"] if prev else
                                                     {"status": "first attempt"}}]))
            if args.kind == "refine":  # on the task's latest stored kernel, whatever its verdict
                stored = store.kernels(name)
                if not stored:
                    raise usage_error(f"--run-dir {args.run_dir} holds no kernel for {name}")
                k = stored[-1]
                msgs = refine_messages(msgs, k["source"], result_feedback(k["result"]), k["status"],
                                       language=task.language, manual=sections([{"task": name, "result": k["result"]}]))
            out.append({"task": name, "kind": args.kind, "messages": msgs})
        return out
    finally:
        if store:
            store.close()


def cmd_prompts(args, usage_error) -> int:
    rendered = render(args, usage_error)
    try:
        for r in rendered:
            for i, m in enumerate(r["messages"]):
                print(f"===== {r['task']} · {r['kind']} · message {i + 1}/{len(r['messages'])} · {m['role']} · "
                      f"{len(m['content'])} chars =====")
                print(m["content"])
                print()
        sys.stdout.flush()
    except BrokenPipeError:  # `kernelgepa prompts ... | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if args.json:
        try:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(rendered, indent=1))
        except OSError as e:
            raise usage_error(f"cannot write {args.json}: {e.strerror}") from None
    return 0
