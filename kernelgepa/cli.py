"""``kernelgepa`` command line: tasks, eval, baseline, optimize, index, prompts. Bad input gets one line, never a traceback."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR
from kernelgepa.cli_check import add_check_parser, add_rules_args, cmd_check
from kernelgepa.cli_cache import add_cache_args, add_cache_parser, apply_cache_max, cmd_cache
from kernelgepa.cli_index import add_index_parser, cmd_index
from kernelgepa.cli_prompts import add_prompts_parser, cmd_prompts
from kernelgepa.cli_llm import add_llm_args
from kernelgepa.cli_sandbox import add_sandbox_args, add_sandbox_parser, cmd_sandbox, sandbox_factory


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def _add_task_args(p: argparse.ArgumentParser, *, positional: bool = False) -> None:
    if positional:
        p.add_argument("path", nargs="?", default=str(SUITE_DIR),
                       help="task file, folder, or KernelBench checkout (default: the built-in suite)")
    else:
        p.add_argument("--tasks", default=str(SUITE_DIR),
                       help="task file, folder, or KernelBench checkout (default: the built-in suite)")
    p.add_argument("--profile", help="size profile from the tasks' SIZE_PROFILES (e.g. gpu)")
    p.add_argument("--shrink-to", metavar="SIZE", help="shrink size constants until inputs fit, e.g. 64MB")


def _add_eval_args(p: argparse.ArgumentParser) -> None:
    from harness.backends import BACKENDS

    p.add_argument("--backend", default="cpu", choices=BACKENDS,
                   help="npu: NPUEval-format AIE kernels (--tasks FILE.jsonl, --solutions canonical|DIR of .cc)")
    p.add_argument("--trials", type=int, default=5, help="correctness trials with fresh inputs (default 5)")
    p.add_argument("--trial-seed", type=int, metavar="SEED",
                   help="replay the random trial seed a result recorded (its seeds.random) instead of drawing one")
    p.add_argument("--threads", type=int, help="CPU threads for reference and candidate alike (default: all)")
    p.add_argument("--workers", type=int, help="parallel evaluations (runs still serialize per device; default 1); "
                                                "with --executor ray: Ray workers (default: one per GPU of the cluster)")
    p.add_argument("--executor", choices=("local", "ray"), default="local",
                   help="where evaluations run: this machine, or a Ray cluster (extra ray)")
    p.add_argument("--ray-address", metavar="ADDR", help="Ray cluster to join (HOST:PORT or auto; default: start "
                                                         "a local Ray)")
    p.add_argument("--compile-baseline", action="store_true", help="also time torch.compile of the reference")
    p.add_argument("--fresh-baseline", action="store_true",
                   help="re-measure reference timings instead of using cached ones")
    p.add_argument("--allow-tf32", action="store_true", help="let fp32 matmuls use TF32 (off by default)")
    p.add_argument("--ncu-profile", action="store_true",
                   help="profile correct CUDA kernels with Nsight Compute for feedback; ncu runs the candidate "
                        "OUTSIDE the sandbox, so only for kernels you trust (GPU + ncu)")
    p.add_argument("--cache-dir", help="build and reference cache (default ~/.cache/kernelgepa)")
    add_cache_args(p)
    p.add_argument("--json", metavar="OUT", help="write results as JSON")
    add_rules_args(p)
    add_sandbox_args(p)


# Exit codes of eval and baseline (README "Exit codes").
EXIT_OK, EXIT_INFRA, EXIT_USAGE, EXIT_NOT_OK = 0, 1, 2, 3


def _add_exit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fail-on-not-ok", action="store_true",
                   help=f"exit {EXIT_NOT_OK} when any task is not ok (default: only no task loaded or an "
                        f"infrastructure failure give a non-zero exit)")


def _exit_code(args, tasks, n_infra: int, n_not_ok: int) -> int:
    """Non-zero when nothing was measured, the machinery failed, or (asked for) a task is not ok."""
    if not any(t.status == "loaded" for t in tasks):
        print("kernelgepa: error: no task could be loaded (see `kernelgepa tasks`)", file=sys.stderr)
        return EXIT_USAGE
    if n_infra:
        print(f"kernelgepa: error: {n_infra} task(s) not judged: the infrastructure failed", file=sys.stderr)
        return EXIT_INFRA
    if n_not_ok and args.fail_on_not_ok:
        print(f"kernelgepa: {n_not_ok} task(s) not ok (--fail-on-not-ok)", file=sys.stderr)
        return EXIT_NOT_OK
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="kernelgepa", description="Kernel optimization with GEPA: tasks, harness, search.")
    sub = ap.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("tasks", help="list tasks with level, input shapes and load errors (no timing)")
    _add_task_args(t, positional=True)
    t.add_argument("--json", metavar="OUT", help="write the task list as JSON")

    e = sub.add_parser("eval", help="evaluate solution files (DIR/<task>.py) against the tasks' references")
    _add_task_args(e)
    e.add_argument("--solutions", help="folder with <task>.py solution files "
                                       "(default: the shipped examples for the backend)")
    _add_eval_args(e)
    _add_exit_args(e)

    o = sub.add_parser("optimize", help="GEPA search for fast correct kernels on a batch of tasks")
    _add_task_args(o)
    _add_eval_args(o)
    o.add_argument("--model", required=True, help="litellm model that writes kernels (e.g. openai/gpt-4o, "
                                                   "ollama/qwen2.5-coder, openai/<name> with --api-base)")
    o.add_argument("--reflection-model", help="litellm model that reflects and merges (default: --model)")
    o.add_argument("--api-base", help="OpenAI-compatible server URL (vLLM, llama.cpp, Ollama...)")
    o.add_argument("--api-key-env", help="environment variable holding the API key (never stored or logged)")
    o.add_argument("--budget-rollouts", type=int, default=200, help="max kernel evaluations (default 200)")
    o.add_argument("--budget-usd", type=float, help="max LLM dollars")
    o.add_argument("--budget-wall", type=float, help="max wall-clock seconds")
    o.add_argument("--run-dir", help="run directory; an existing one is resumed (default runs/<timestamp>)")
    o.add_argument("--seed", type=int, default=0)
    o.add_argument("--minibatch", type=int, default=5, help="tasks per reflection minibatch (default 5, as EngineConfig)")
    o.add_argument("--rounds", type=int, default=1, help="refinement rounds per kernel from harness feedback")
    o.add_argument("--seed-strategy", action="append", default=[], metavar="FILE",
                   help="a starting strategy text (repeat for several lineages; default: built-in tactics)")
    o.add_argument("--budget-iterations", "--max-iterations", dest="max_iterations", type=int,
                   help="stop after this many search iterations")
    o.add_argument("--budget-llm-calls", type=int, help="max LLM calls, cached and failed ones included")
    o.add_argument("--stall-iterations", type=int, default=8,
                   help="stop after this many iterations in a row without a new kernel (default 8)")
    o.add_argument("--target-speedup", type=float, default=2.0,
                   help="a task whose best kernel reaches this speedup gets no more search rollouts (default 2)")
    o.add_argument("--no-docs", action="store_true", help="do not give reflection manual sections (docs_index)")
    o.add_argument("--docs-k", type=int, default=4, help="manual sections per reflection (default 4)")
    o.add_argument("--docs-chars", type=int, default=6000, help="character budget for them (default 6000)")
    o.add_argument("--docs-rerank", action="store_true", help="dense re-ranking of sections (extra docs-rerank)")
    o.add_argument("--index-dir", help="manual index location (default ~/.cache/kernelgepa/docs_index)")
    add_llm_args(o)

    b = sub.add_parser("baseline", help="measure and cache the reference timings")
    _add_task_args(b)
    _add_eval_args(b)
    _add_exit_args(b)

    r = sub.add_parser("report", help="fast_p/speedup tables, plots and one HTML file from optimize runs or "
                                      "eval --json files (several: side-by-side comparison)")
    r.add_argument("inputs", nargs="+", metavar="RUN_DIR", help="optimize run directory or eval --json file")
    r.add_argument("--out", help="output folder (default: RUN_DIR/report for one run, else ./kernelgepa-report)")
    r.add_argument("--format", default="md,csv,json,html", help="comma-separated: md,csv,json,html (default: all)")

    add_check_parser(sub)
    add_index_parser(sub)
    add_sandbox_parser(sub)
    add_prompts_parser(sub)
    add_cache_parser(sub)
    return ap


def _load(args):
    from kernelbench_tasks import TaskLoadError, load_tasks, parse_size

    try:
        shrink = parse_size(args.shrink_to) if args.shrink_to else None
    except ValueError as e:
        raise UsageError(f"--shrink-to: {e}") from None
    path = getattr(args, "path", None) or args.tasks
    try:
        return load_tasks(path, profile=args.profile, shrink_to=shrink)
    except TaskLoadError as e:
        raise UsageError(str(e)) from None


def _write_json(path: str, obj: dict) -> None:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(obj, indent=2, default=str))
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror}") from None


def cmd_tasks(args) -> int:
    from kernelgepa.tables import print_tasks

    tasks = _load(args)
    print_tasks(tasks)
    if args.json:
        _write_json(args.json, {"tasks": [t.to_dict() for t in tasks]})
    return 0


def _evaluator(args):
    from harness.backends import get_backend
    from harness.config import EvalConfig
    from harness.evaluate import Evaluator

    if args.trials < 1 or (args.workers or 1) < 1 or (args.threads is not None and args.threads < 1):
        raise UsageError("--trials, --workers and --threads must be positive")
    apply_cache_max(args, UsageError)
    try:
        cfg = EvalConfig(trials=args.trials, threads=args.threads or os.cpu_count(),
                         compile_baseline=args.compile_baseline, allow_tf32=args.allow_tf32,
                         fresh_baseline=args.fresh_baseline, rules=args.rules, tolerance=args.tolerance,
                         trial_seed=args.trial_seed, profile=args.ncu_profile)
    except ValueError as e:
        raise UsageError(f"--tolerance: {e}") from None
    return Evaluator(get_backend(args.backend), cfg, cache_root=Path(args.cache_dir) if args.cache_dir else None)


def _executor(ev, args, threads: int):
    """The executor the flags ask for; ``args.workers`` becomes how many evaluations it runs at once."""
    if args.executor == "ray":
        from harness.ray_executor import RayExecutor

        if args.sandbox != "local":
            raise UsageError("--executor ray runs local-process sandboxes on its workers (no --sandbox docker yet)")
        ex = RayExecutor(ev, address=args.ray_address, workers=args.workers)
        args.workers = ex.capacity  # the search keeps every worker of the cluster busy
        return ex
    if args.ray_address:
        raise UsageError("--ray-address needs --executor ray")
    from harness.executor import LocalExecutor

    args.workers = args.workers or 1
    return LocalExecutor(ev, sandbox_factory(ev, args, threads), workers=args.workers)


def _npu_args(args) -> Path:
    """Checks what --backend npu needs; returns the cache root."""
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be positive")
    args.workers = args.workers or 1
    if args.executor != "local":
        raise UsageError("--backend npu runs on the local executor only")
    if args.sandbox != "local":
        raise UsageError("--backend npu runs in the local sandbox only (--sandbox docker is not supported for it yet)")
    if not str(args.tasks).endswith(".jsonl"):
        raise UsageError("--backend npu needs --tasks FILE.jsonl (NPUEval format)")
    from harness.build import default_cache_root

    return Path(args.cache_dir) if args.cache_dir else default_cache_root()


def _npu_tasks(args):
    """The NPUEval file's tasks (``.tasks``) and the lines that did not load (``.problems``: named on
    stderr and skipped)."""
    from npueval_tasks.task import TaskFormatError, load_npueval

    try:
        loaded = load_npueval(args.tasks)
    except TaskFormatError as e:
        raise UsageError(str(e)) from None
    for p in loaded.problems:
        print(f"kernelgepa: skipped task: {p}", file=sys.stderr)
    return loaded


def cmd_eval_npu(args) -> int:
    from kernelgepa.npu_cmd import check_solutions, npu_evaluator, run_npu_eval
    from kernelgepa.tables import print_npu_results, progress
    from npueval_tasks.task import TaskFormatError

    cache = _npu_args(args)
    solutions = args.solutions or "canonical"
    try:
        check_solutions(solutions)
    except TaskFormatError as e:
        raise UsageError(str(e)) from None
    loaded = _npu_tasks(args)
    ex = _executor(npu_evaluator(cache), args, 1)
    try:
        with progress(len(loaded.tasks), "evaluating") as advance:
            results, summary = run_npu_eval(loaded.tasks, solutions, ex, progress=advance)
    finally:
        ex.close()
    print_npu_results(results, summary)
    if args.json:
        _write_json(args.json, {"results": [r.to_dict() for r in results], "summary": summary,
                                "skipped": [str(p) for p in loaded.problems]})
    return 0


def cmd_eval(args) -> int:
    from harness.executor import EvalRequest

    if args.backend == "npu":
        return cmd_eval_npu(args)
    from harness.metrics import summarize
    from kernelgepa.tables import print_results, progress

    sol_dir = Path(args.solutions) if args.solutions else EXAMPLES_DIR / args.backend
    if not sol_dir.is_dir():
        raise UsageError(f"--solutions: not a directory: {sol_dir}")
    tasks = _load(args)
    ev = _evaluator(args)
    ex = _executor(ev, args, ev.cfg.threads)
    reqs = [EvalRequest(t, (sol_dir / f"{t.name}.py") if (sol_dir / f"{t.name}.py").is_file() else None)
            for t in tasks]
    results = []
    try:
        with progress(len(reqs), "evaluating") as advance:
            for req, res in ex.map(reqs):
                results.append(res)
                advance(f"{res.task}: {res.status.value}")
    finally:
        ex.close()
    order = {t.name: i for i, t in enumerate(tasks)}
    results.sort(key=lambda r: order.get(r.task, 0))
    summary = _summary(results, summarize)
    summary.update(rules=ev.cfg.rules, tolerance=ev.cfg.tolerance)
    print_results(results, summary)
    if args.json:
        _write_json(args.json, {"results": [r.to_dict() for r in results], "summary": summary,
                                "meta": _meta(ev, args)})
    return _exit_code(args, tasks, summary["n_infra_error"], sum(1 for r in results if not r.correct))


def _summary(results, summarize) -> dict:
    labels = sorted({r.size_label for r in results})
    summary = summarize([(r.correct, r.speedup) for r in results])
    summary["size_labels"] = labels
    # Correct but never timed (Triton interpreter): shown apart, never counted as correct or fast.
    summary["n_interpreted"] = sum(1 for r in results if r.status.value == "interpreted")
    # Lost by the cluster, never judged: counted as not correct (fast_p never rises) and named apart.
    summary["n_infra_error"] = sum(1 for r in results if r.status.value == "infra_error")
    # KernelBench's rules allow PyTorch compute ops beside the custom kernels: fast_p split by whether a
    # correct kernel used any (the two add up to fast_p).
    summary["n_uses_torch_ops"] = sum(1 for r in results if r.correct and r.torch_ops)
    summary["fast_p_pure"] = summarize([(r.correct and not r.torch_ops, r.speedup) for r in results])["fast_p"]
    # Correct, but the speedup's interval is too wide to claim a speed (harness.noise): named apart.
    summary["n_noisy"] = sum(1 for r in results if r.correct and r.noisy)
    if len(labels) > 1:  # never mix numbers measured at different sizes into one figure silently
        summary["by_size_label"] = {lab: summarize([(r.correct, r.speedup) for r in results if r.size_label == lab])
                                    for lab in labels}
    return summary


def _meta(ev, args) -> dict:
    import platform

    import torch

    devs = ev.backend.devices()
    return {"backend": ev.backend.name, "device": ev.backend.device_name(devs[0]), "torch": torch.__version__,
            "python": platform.python_version(), "threads": ev.cfg.threads, "trials": ev.cfg.trials,
            "tf32": ev.cfg.allow_tf32, "rules": ev.cfg.rules, "tolerance": ev.cfg.tolerance}


def cmd_baseline(args) -> int:
    from harness.reference import ReferenceFailed
    from kernelgepa.tables import print_baselines, progress

    tasks = _load(args)
    ev = _evaluator(args)
    if not ev.backend.can_run:
        raise UsageError(f"the {args.backend} backend cannot run here ({ev.backend.not_run_reason})")
    ex = _executor(ev, args, ev.cfg.threads)
    rows = []
    try:
        with progress(len(tasks), "baseline") as advance:
            for t in tasks:
                row = {"name": t.name, "level": t.level, "size_label": t.size_label}
                if t.status != "loaded":
                    row.update(status=t.status, error=t.error)
                else:
                    try:
                        ref = ex.reference(t, baseline_only=True)  # --fresh-baseline is in the evaluator's config
                        tm = ref.timing
                        row.update(status="ok", baseline_ms=tm.median_ms if tm else None,
                                   spread={"min_ms": tm.min_ms, "max_ms": tm.max_ms, "cv": tm.cv, "reps": tm.reps} if tm else None,
                                   noisy=bool(ref.data.get("noisy")), warnings=ref.warnings)
                    except ReferenceFailed as e:
                        row.update(status="error", error=str(e))
                rows.append(row)
                advance(f"{t.name}: {row['status']}")
    finally:
        ex.close()
    print_baselines(rows)
    if args.json:
        _write_json(args.json, {"baselines": rows, "meta": _meta(ev, args)})
    return _exit_code(args, tasks, 0, sum(1 for r in rows if r["status"] != "ok"))


def cmd_optimize(args) -> int:
    from kernelgepa.optimize import OptimizeError, run_optimize
    from kernelgepa.tables import console, print_run_summary

    if args.backend == "npu":  # NPUEval tasks on the host AIE emulation (one thread per kernel run)
        from kernelgepa.npu_cmd import npu_evaluator

        cache = _npu_args(args)
        tasks, ev = _npu_tasks(args).tasks, npu_evaluator(cache)
        threads = 1
    else:
        tasks = [t for t in _load(args) if t.status == "loaded"]
        ev = _evaluator(args)
        threads = ev.cfg.threads
    if not tasks:
        raise UsageError("no task could be loaded (see `kernelgepa tasks`)")
    ex = _executor(ev, args, threads)
    try:
        outcome = run_optimize(args, tasks, ex, console)
    except OptimizeError as e:
        raise UsageError(str(e)) from None
    finally:
        ex.close()
    print_run_summary(outcome.summary)
    if outcome.error:
        print(f"kernelgepa: error: {outcome.error}", file=sys.stderr)
    return outcome.exit_code


def cmd_report(args) -> int:
    from rich.markup import escape

    from kernelgepa.report.build import build_report, parse_formats
    from kernelgepa.report.load import ReportInputError
    from kernelgepa.report.tables import run_summary
    from kernelgepa.tables import console, fast_p_line

    try:
        rep = build_report(args.inputs, Path(args.out) if args.out else None, parse_formats(args.format))
    except ReportInputError as e:
        raise UsageError(str(e)) from None
    for m in rep.messages:
        console.print(f"[yellow]note:[/] {escape(m)}", highlight=False)
    for r in rep.runs:
        if not r.empty:
            s = run_summary(r)
            console.print(f"[bold]{escape(r.name)}[/]: {s['n_correct']}/{s['n_tasks']} correct  "
                          f"{fast_p_line(s['fast_p'])}", highlight=False)
    console.print(f"wrote {len(rep.files)} files to {rep.out}", highlight=False)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = {"tasks": cmd_tasks, "eval": cmd_eval, "baseline": cmd_baseline, "optimize": cmd_optimize,
               "report": cmd_report, "index": lambda a: cmd_index(a, UsageError), "sandbox": cmd_sandbox,
               "prompts": lambda a: cmd_prompts(a, UsageError), "check": lambda a: cmd_check(a, _write_json),
               "cache": lambda a: cmd_cache(a, UsageError)}[args.cmd]
    try:
        return handler(args)
    except UsageError as e:
        print(f"kernelgepa: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kernelgepa: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - environment problems (no compiler, sandbox cannot start) get one line
        from harness.cache import CacheWriteError
        from harness.sandbox.local import SandboxStartError

        ray_executor = sys.modules.get("harness.ray_executor")  # loaded (with torch and Ray) only if used
        known = (SandboxStartError, CacheWriteError, *([ray_executor.RayExecutorError] if ray_executor else []))
        if isinstance(e, known):
            print(f"kernelgepa: error: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    raise SystemExit(main())
