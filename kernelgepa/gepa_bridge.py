"""Drive this project's harness from the ``gepa`` library's ``optimize_anything`` (multi-task mode).

A gepa user keeps gepa's search loop and gets our sandbox, cheat-proof verdicts and harness
feedback: the candidate is the strategy text, each dataset item is a task name, and evaluating a
(strategy, task) pair writes a kernel under that strategy and judges it exactly as ``optimize``
does, recording it in the same run store. Needs the optional extra ``gepa``.
"""
from __future__ import annotations

import logging
from typing import Callable

from kernelgepa.adapter import KernelAdapter
from kernelgepa.budget import BudgetExhausted
from kernelgepa.calls import complete_recorded
from kernelgepa.store import RunStore

OBJECTIVE = ("Write a strategy (optimization tactics, pitfalls, API facts) that makes an LLM write fast, "
             "correct kernels for every task; the score grows with the measured speedup and is 0 for "
             "rejected kernels.")


def _strategy_id(store: RunStore, text: str) -> int:
    for s in store.strategies():
        if s["text"] == text:
            return s["id"]
    sid = store.add_strategy(text, [], "gepa", 0)
    store.accept_strategy(sid)
    return sid


def kernel_evaluator(adapter: KernelAdapter, store: RunStore) -> Callable[[str, str], tuple[float, dict]]:
    """gepa evaluator: (strategy text, task name) -> (score, side info with the harness's feedback)."""
    def evaluate(candidate: str, example: str) -> tuple[float, dict]:
        a = adapter.run(_strategy_id(store, candidate), candidate, [example])[example]
        return a.score, {"task": example, "status": a.status, "speedup": a.speedup,
                         "harness_feedback": a.feedback, "kernel": a.source}
    return evaluate


def reflection_callable(client, store: RunStore) -> Callable:
    """Our LLM client (litellm, retries, cache, accounting) as gepa's reflection language model."""
    def lm(prompt):
        messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
        return complete_recorded(client, store, messages, tag="reflection").text
    return lm


class _GepaLog:
    """gepa's per-iteration log lines go to Python logging (logger ``kernelgepa.gepa``), not stdout."""

    _log = logging.getLogger("kernelgepa.gepa")

    def log(self, message: str) -> None:
        self._log.info(message)


def budget_stopper(adapter: KernelAdapter, store: RunStore) -> Callable[[object], bool]:
    """gepa stop callback: our budget (rollouts, $, wall time, stop file) ends gepa's loop too."""
    def stop(_state) -> bool:
        try:
            adapter.budget.check(store.totals())
        except BudgetExhausted:
            return True
        return False
    return stop


def optimize_with_gepa(adapter: KernelAdapter, store: RunStore, tasks: list[str], *, seed_strategy: str,
                       reflection_lm, max_metric_calls: int | None = None, seed: int = 0, merge: bool = False,
                       minibatch: int | None = None):
    """Run gepa's optimize_anything over our tasks until our budget or ``max_metric_calls`` fires;
    returns gepa's GEPAResult. ``merge``: gepa's merge proposer on (its defaults). ``minibatch``:
    gepa's reflection minibatch size (None: gepa's default, 3 in multi-task mode). gepa counts a re-evaluation of an already judged (strategy, task) pair
    as a metric call; the store (and so our rollout budget) counts only kernels actually evaluated."""
    try:
        from gepa.optimize_anything import (EngineConfig, GEPAConfig, MergeConfig, ReflectionConfig, TrackingConfig,
                                            optimize_anything)
    except ImportError as e:
        raise RuntimeError("the gepa library is not installed: pip install 'kernelgepa[gepa]'") from e
    config = GEPAConfig(engine=EngineConfig(max_metric_calls=max_metric_calls, seed=seed, parallel=False,
                                            raise_on_exception=False),
                        reflection=ReflectionConfig(reflection_lm=reflection_lm, reflection_minibatch_size=minibatch),
                        tracking=TrackingConfig(logger=_GepaLog()), stop_callbacks=[budget_stopper(adapter, store)],
                        merge=MergeConfig() if merge else None)
    return optimize_anything(seed_strategy, evaluator=kernel_evaluator(adapter, store), dataset=list(tasks),
                             objective=OBJECTIVE, config=config)
