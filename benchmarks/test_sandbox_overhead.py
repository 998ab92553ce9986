"""Per-evaluation overhead of the Docker sandbox next to the local process sandbox.

Same workload as test_harness_overhead.py (a 4 KiB ReLU, build and reference cached, one trial, no
timing), so what is measured is the harness plus the sandbox. Evaluations alternate between the
two sandboxes so both see the same machine noise. The Docker sandbox keeps one warm container per
worker; the cost of starting one (what a container per evaluation would add) is reported too.
"""
from __future__ import annotations

import statistics
import time

import pytest
from test_harness_overhead import CAND, TASK

from harness.backends import get_backend
from harness.config import EvalConfig
from harness.evaluate import Evaluator
from harness.result import Status
from harness.sandbox.local import LocalProcessSandbox
from kernelbench_tasks import load_task
from tests.conftest import docker_image  # noqa: F401 - the engine fixture (skips without one)

ROUNDS = 30


@pytest.fixture(scope="module")
def setup(tmp_path_factory, docker_image):  # noqa: F811
    from harness.sandbox.docker import DockerSandbox

    d = tmp_path_factory.mktemp("sandbox-overhead")
    (d / "relu_small.py").write_text(TASK)
    (d / "cand.py").write_text(CAND)
    ev = Evaluator(get_backend("cpu"), EvalConfig(trials=1, threads=1, time_kernels=False, profile=False),
                   cache_root=d / "cache", work_root=d)
    task = load_task(d / "relu_small.py")
    local = LocalProcessSandbox(threads=1)
    assert ev.evaluate(task, d / "cand.py", local, "cpu").status == Status.OK  # fills build + reference caches

    def start_docker():
        t0 = time.perf_counter()
        sb = DockerSandbox(docker_image, threads=1, paths=[d], rw_paths=[ev.runner.work_root])
        return sb, time.perf_counter() - t0

    starts = []
    for _ in range(3):
        sb, s = start_docker()
        starts.append(s)
        sb.close()
    boxed, _ = start_docker()
    assert ev.evaluate(task, d / "cand.py", boxed, "cpu").status == Status.OK
    yield ev, task, d / "cand.py", local, boxed, statistics.median(starts)
    local.close()
    boxed.close()


def test_docker_sandbox_overhead_per_evaluation(benchmark, setup, report_ratio):
    ev, task, cand, local, boxed, start_s = setup
    walls: dict[str, list[float]] = {"docker": [], "local": []}

    def one():
        for name, sb in (("docker", boxed), ("local", local)):
            r = ev.evaluate(task, cand, sb, "cpu")
            assert r.status == Status.OK, r.error
            walls[name].append(r.wall_s)

    benchmark.pedantic(one, rounds=ROUNDS, iterations=1, warmup_rounds=2)
    docker_s, local_s = statistics.median(walls["docker"]), statistics.median(walls["local"])
    report_ratio("sandbox overhead per evaluation", "docker-warm", docker_s, "local", local_s)
    report_ratio("docker sandbox per evaluation", "warm-container", docker_s, "container-per-eval",
                 docker_s + start_s)
    print(f"\nper evaluation: docker (warm container) {docker_s * 1e3:.1f} ms, local {local_s * 1e3:.1f} ms; "
          f"starting a container (fork server ready) {start_s * 1e3:.0f} ms")
    assert boxed.restarts == 0
    assert docker_s < start_s  # the warm container is what keeps start-up out of each evaluation
