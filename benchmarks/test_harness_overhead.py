"""Harness overhead per evaluation, excluding compile and kernel time (target: < 50 ms median).

The candidate is an honest ReLU on a 4 KiB input with its build and the reference cached, timing
off and one correctness trial: what remains is the harness itself (static checks, a sandboxed child
from the warm fork server, the build-cache lookup, file exchange, the 20 ms settle window that
catches work left running, comparison in the parent); the kernel itself runs for microseconds.
Side by side: the naive design that starts a fresh interpreter per evaluation (only
``import torch``, nothing evaluated).
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time

import pytest

from harness.backends import get_backend
from harness.config import EvalConfig
from harness.evaluate import Evaluator
from harness.result import Status
from harness.sandbox.local import LocalProcessSandbox
from kernelbench_tasks import load_task

TASK = '''
import torch
import torch.nn as nn
class Model(nn.Module):
    def forward(self, x):
        return torch.relu(x)
n = 1024
def get_inputs():
    return [torch.randn(n)]
def get_init_inputs():
    return []
'''
CAND = '''
import torch
import torch.nn as nn
from harness.native import load_cpp
_lib = load_cpp(r"""
extern "C" void relu(const float* x, float* y, long n) { for (long i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f; }
""", functions={"relu": ["ptr", "ptr", "int64"]}, name="relu_bench")
class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        _lib.relu(x, y, x.numel())
        return y
'''


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("overhead")
    (d / "relu_small.py").write_text(TASK)
    (d / "cand.py").write_text(CAND)
    sb = LocalProcessSandbox(threads=1)
    ev = Evaluator(get_backend("cpu"), EvalConfig(trials=1, threads=1, time_kernels=False, profile=False),
                   cache_root=d / "cache")
    task = load_task(d / "relu_small.py")
    warm = ev.evaluate(task, d / "cand.py", sb, "cpu")  # fills build + reference caches
    assert warm.status == Status.OK, warm.error
    yield ev, sb, task, d / "cand.py"
    sb.close()


def test_harness_overhead_per_evaluation(benchmark, setup, report_ratio):
    ev, sb, task, cand = setup
    walls = []

    def one():
        r = ev.evaluate(task, cand, sb, "cpu")
        assert r.status == Status.OK
        walls.append(r.wall_s)

    benchmark.pedantic(one, rounds=30, iterations=1, warmup_rounds=2)
    median = statistics.median(walls)

    def fresh_interpreter():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        return time.perf_counter() - t0

    naive = statistics.median(fresh_interpreter() for _ in range(5))
    report_ratio("harness overhead per evaluation", "fork-server", median, "fresh-interpreter", naive)
    print(f"\nharness overhead median {median * 1e3:.1f} ms (target < 50 ms); fresh interpreter {naive * 1e3:.0f} ms")
    assert median < 0.050
