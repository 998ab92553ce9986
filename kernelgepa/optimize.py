"""``kernelgepa optimize``: assemble tasks, harness, LLMs, store and engine for one run directory."""
from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from kernelgepa.budget import Budget
from kernelgepa.store import SQLiteStore


class OptimizeError(Exception):
    """Bad setup, reported as one line before any work starts."""


def _client(model: str, args, cache, role: str):
    from kernelgepa.cli_llm import llm_settings
    from kernelgepa.llm import LLMClient

    key = None
    if args.api_key_env:
        key = os.environ.get(args.api_key_env)
        if not key:
            raise OptimizeError(f"--api-key-env {args.api_key_env}: that environment variable is not set")
    try:
        settings = llm_settings(args, role)
    except ValueError as e:
        raise OptimizeError(str(e)) from None
    return LLMClient(model, api_base=args.api_base, api_key=key, cache=cache, concurrency=args.workers, **settings)


def _manual(args, console):
    """The docs_index hook for reflection, or None with --no-docs."""
    if args.no_docs:
        return None
    from docs_index import DocsIndex, ManualRetriever

    if args.docs_k < 1 or args.docs_chars < 1:
        raise OptimizeError("--docs-k and --docs-chars must be positive")
    try:
        index = DocsIndex.open(Path(args.index_dir) if args.index_dir else None)
    except OSError as e:
        raise OptimizeError(f"manual index: {e}") from None
    for note in index.manifest["notes"]:
        console.print(f"manual index note: {note}")
    reranker = None
    if args.docs_rerank:
        from docs_index.rerank import DenseReranker, RerankUnavailable

        reranker = DenseReranker()
        try:
            reranker.load()
        except RerankUnavailable as e:
            raise OptimizeError(str(e)) from None
    return ManualRetriever(index, args.backend, k=args.docs_k, char_budget=args.docs_chars, reranker=reranker)


def writer_manual(manual):
    """Writer and refinement prompts get fewer manual sections than reflection (they also carry code)."""
    return replace(manual, k=min(2, manual.k), char_budget=min(3000, manual.char_budget)) if manual else None


@dataclass
class Outcome:
    """What ``optimize`` ends with. ``exit_code``: 0 when a budget, the stall limit or the stop file
    ended the search; 1 for a systemic failure (``error`` says which, in one line); 128 + n when
    signal n stopped it."""
    summary: dict
    exit_code: int = 0
    error: str | None = None


@contextmanager
def graceful_signals(budget: Budget):
    """First SIGINT/SIGTERM: the search stops at its next budget check (work in flight finishes and
    the outputs are written); a second one exits at once (the store has committed all finished work)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signo, frame):
        name = signal.Signals(signo).name
        if budget.interrupted:
            os.write(2, f"kernelgepa: {name} again: exiting now\n".encode())
            os._exit(128 + signo)
        budget.interrupted = name
        os.write(2, f"kernelgepa: {name}: finishing the work in flight, then writing best/ and summary.json "
                    "(send it again to exit at once)\n".encode())

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run_optimize(args, tasks, executor, console) -> Outcome:
    from kernelgepa.adapter import EvaluationLost, KernelAdapter
    from kernelgepa.engine import Engine, EngineConfig
    from kernelgepa.llm import LLMError, ResponseCache
    from kernelgepa.outputs import write_outputs
    from kernelgepa.tables import search_progress

    run_dir = Path(args.run_dir or f"runs/{time.strftime('%Y%m%d-%H%M%S')}")
    run_dir.mkdir(parents=True, exist_ok=True)
    store = SQLiteStore(run_dir / "run.db")
    names = [t.name for t in tasks]
    config = {"tasks": names, "backend": args.backend, "model": args.model, "seed": args.seed,
              "reflection_model": args.reflection_model or args.model, "minibatch": args.minibatch,
              "rules": None if args.backend == "npu" else args.rules, "tolerance": args.tolerance}
    old = store.get_meta("config")
    if old and (old["tasks"] != names or old["backend"] != args.backend):
        raise OptimizeError(f"{run_dir} holds a run over other tasks or another backend; use a new --run-dir")
    if old and (old.get("rules", config["rules"]), old.get("tolerance")) != (config["rules"], config["tolerance"]):
        raise OptimizeError(f"{run_dir} was run with --rules {old.get('rules')} and --tolerance {old.get('tolerance')}; "
                            "resume it with the same, or use a new --run-dir")
    store.set_meta("config", config)
    cache = ResponseCache(run_dir / "llm_cache.db")
    writer = _client(args.model, args, cache, "writer")
    reflector = _client(args.reflection_model or args.model, args, cache, "reflection")
    try:
        writer.preflight()
        if reflector.model != writer.model:
            reflector.preflight()
        else:  # the same model on the same server: the context the writer's preflight learned
            reflector.context_tokens = reflector.context_tokens or writer.context_tokens
    except LLMError as e:
        raise OptimizeError(str(e)) from None
    if args.stall_iterations < 1:
        raise OptimizeError("--stall-iterations must be at least 1")
    if args.target_speedup <= 0:
        raise OptimizeError("--target-speedup must be positive")
    store.set_meta("llm", {"writer": writer.settings(), "reflection": reflector.settings()})
    budget = Budget(max_rollouts=args.budget_rollouts, max_usd=args.budget_usd, max_wall_s=args.budget_wall,
                    stop_file=run_dir / "STOP", max_llm_calls=args.budget_llm_calls,
                    max_iterations=args.max_iterations)
    from kernelgepa.prompts import run_facts

    manual = _manual(args, console)
    ev = executor.evaluator
    adapter = KernelAdapter({t.name: t for t in tasks}, args.backend, writer, executor, store, run_dir, budget,
                            rounds=args.rounds, workers=args.workers, manual=writer_manual(manual),
                            run=run_facts(ev.backend, getattr(ev, "cfg", None)))

    seeds = []
    for f in args.seed_strategy:
        try:
            seeds.append(Path(f).read_text())
        except OSError as e:
            raise OptimizeError(f"--seed-strategy {f}: {e.strerror}") from None
    engine = Engine(adapter, reflector, store, names, budget,
                    EngineConfig(minibatch=args.minibatch, seed=args.seed, seed_strategies=tuple(seeds),
                                 stall_iterations=args.stall_iterations,
                                 target_speedup=None if args.backend == "npu" else args.target_speedup),
                    manual=manual)
    adapter.on_attempt = lambda a: engine._progress(
        store.get_meta("iteration", 0), f"{a.task}: kernel {a.kernel_id} {a.status}")
    console.print(f"optimize: {len(names)} tasks, writer {writer.model}, reflection {reflector.model}, "
                  f"run dir {run_dir}", highlight=False)
    t0 = time.monotonic()
    error = None
    try:
        with graceful_signals(budget), search_progress(vector_scored=args.backend == "npu") as progress:
            engine.on_progress = progress
            reason = engine.run()
    except LLMError as e:
        reason = error = f"LLM error: {e}"
    except EvaluationLost as e:
        reason = error = f"evaluation lost by the executor ({e}); re-run the same command to resume"
    store.set_meta("stopped", reason)
    summary = write_outputs(run_dir, store, names, time.monotonic() - t0 + store.get_meta("wall_s", 0.0),
                            suffix=tasks[0].solution_suffix, vector_scored=args.backend == "npu", stopped=reason)
    store.set_meta("wall_s", summary["wall_s"])
    store.close()
    code = 1 if error else 128 + signal.Signals[budget.interrupted] if budget.interrupted else 0
    return Outcome(summary, code, error)
