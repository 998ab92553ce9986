"""Evaluations per minute versus worker count on the CPU suite: LocalExecutor versus RayExecutor.

The batch is every task with a shipped CPU solution, evaluated with builds and baselines already
cached (a warm-up pass fills them), so what is measured is evaluation throughput: sandboxed loads,
correctness trials and timing. LocalExecutor treats the CPU as one device, so its runs never
overlap whatever the worker count; RayExecutor reserves ``threads`` CPUs per evaluation, so with
two one-thread workers on a two-core machine two evaluations run at once. Ray runs in a private
network namespace (only loopback), as in tests/harness/test_ray_executor.py.
"""
from __future__ import annotations

import time

import pytest

from harness.executor import LocalExecutor
from harness.sandbox.local import LocalProcessSandbox
from tests.harness.ray_scenarios import (bench_config, example_requests, finish, netns_unavailable_reason,
                                         scenario_evaluator, start_scenario)


def _local_seconds(evaluator, workers: int) -> float:
    ex = LocalExecutor(evaluator, lambda: LocalProcessSandbox(threads=1), workers=workers)
    try:
        t0 = time.perf_counter()
        statuses = [res.status.value for _, res in ex.map(example_requests())]
        seconds = time.perf_counter() - t0
    finally:
        ex.close()
    assert statuses.count("ok") == len(statuses), statuses
    return seconds


def test_executor_throughput(tmp_path, report_ratio):
    pytest.importorskip("ray", reason="ray is not installed (pip install 'kernelgepa[ray]')")
    reason = netns_unavailable_reason()
    if reason:
        pytest.skip(reason)
    cache = tmp_path / "cache"
    evaluator = scenario_evaluator(str(cache), **bench_config())
    _local_seconds(evaluator, 1)  # warm-up: builds and baselines into the shared cache
    local = {w: _local_seconds(evaluator, w) for w in (1, 2)}
    ray = {int(w): s for w, s in finish(start_scenario("throughput", cache, tmp_path)).get("seconds").items()}
    n = len(example_requests())
    for w in (1, 2):
        # Per minute, as ratios of evaluations per minute: ray/local > 1 means Ray got through more.
        report_ratio(f"evaluations per minute, {n} CPU examples, {w} worker(s)", "ray", 60 * n / ray[w],
                     "local", 60 * n / local[w], unit="evals/min")
    report_ratio("Ray: evaluations per minute, 2 workers vs 1", "2w", 60 * n / ray[2], "1w", 60 * n / ray[1],
                 unit="evals/min")
    report_ratio("local: evaluations per minute, 2 workers vs 1", "2w", 60 * n / local[2], "1w",
                 60 * n / local[1], unit="evals/min")
