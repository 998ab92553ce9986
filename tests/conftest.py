"""Shared fixtures: one real sandbox and evaluator per session, small timing budgets for speed."""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.backends import get_backend
from harness.config import EvalConfig, TimingConfig
from harness.evaluate import Evaluator
from harness.sandbox.local import LocalProcessSandbox
from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR, load_task
from npueval_tasks import EXAMPLES_FILE
from npueval_tasks.task import load_npueval

CANDIDATES = Path(__file__).parent / "harness" / "candidates"
# The NPUEval data set (not shipped with the project): $KERNELGEPA_NPUEVAL or ../shared/data/npueval.
NPUEVAL = Path(os.environ.get("KERNELGEPA_NPUEVAL")
               or Path(__file__).resolve().parents[2] / "shared" / "data" / "npueval" / "npueval.jsonl")
NPU_KERNELS = Path(__file__).parent / "npueval_tasks" / "kernels"
requires_npueval = pytest.mark.skipif(not NPUEVAL.is_file(), reason=f"NPUEval data not at {NPUEVAL}")


def fast_config(**kw) -> EvalConfig:
    base = dict(trials=3, threads=2, timing=TimingConfig(warmup=2, min_reps=5, max_reps=30, target_s=0.1, audits=2, max_s=0.5),
                run_timeout_s=60, load_timeout_s=60)
    base.update(kw)
    return EvalConfig(**base)


@pytest.fixture(scope="session", autouse=True)
def private_default_cache(tmp_path_factory):
    """The tests never write into the user's own cache (``~/.cache/kernelgepa``, $KERNELGEPA_CACHE):
    whatever uses the default cache, in process or in a subprocess, gets one of this session's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERNELGEPA_CACHE", str(tmp_path_factory.mktemp("default-cache")))
        yield


@pytest.fixture(scope="session")
def cache_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("kgepa-cache")


@pytest.fixture(scope="session")
def sandbox():
    sb = LocalProcessSandbox(threads=2)
    yield sb
    sb.close()


@pytest.fixture(scope="session")
def cpu_eval(cache_root) -> Evaluator:
    return Evaluator(get_backend("cpu"), fast_config(), cache_root=cache_root)


@pytest.fixture(scope="session")
def task():
    """Load a suite task by stem, e.g. task('1_ReLU')."""
    cache = {}

    def get(name: str):
        if name not in cache:
            [path] = [p for p in SUITE_DIR.rglob(f"{name}.py")]
            cache[name] = load_task(path)
        return cache[name]

    return get


@pytest.fixture
def candidate(tmp_path):
    """Path of a candidate file from tests/harness/candidates, formatted with keyword values."""
    def get(name: str, **fmt) -> Path:
        src = (CANDIDATES / f"{name}.py").read_text()
        if fmt:
            src = src.format(**fmt)
        out = tmp_path / f"{name}.py"
        out.write_text(src)
        return out

    return get


@pytest.fixture(scope="session")
def examples() -> Path:
    return EXAMPLES_DIR


requires_nvcc = pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")


@pytest.fixture(scope="session")
def npueval_tasks():
    return {t.name: t for t in load_npueval(NPUEVAL).tasks}


@pytest.fixture(scope="session")
def example_tasks():
    return {t.name: t for t in load_npueval(EXAMPLES_FILE).tasks}


@pytest.fixture(scope="session")
def npu_eval(cache_root):
    from harness.build import Builder
    from harness.npu_eval import NpuEmulationEvaluator

    return NpuEmulationEvaluator(Builder(cache_root / "npu-build"))


DOCKER_TEST_IMAGE = "kernelgepa-host:test"


def _docker_problem() -> str | None:
    """Why no Docker engine can be used (one line), or None."""
    from harness.sandbox.client import SandboxStartError
    from harness.sandbox.docker import connect

    try:
        connect()
        return None
    except SandboxStartError as e:
        return str(e)


@pytest.fixture(scope="session")
def docker_image(tmp_path_factory) -> str:
    """The Docker sandbox's test image on a reachable engine. With none reachable, starts dockerd (if
    installed and we are root) and stops it at the end; else skips with the reason."""
    proc = None
    problem = _docker_problem()
    if problem and "docker-py" not in problem and "DOCKER_HOST" not in os.environ and shutil.which("dockerd") \
            and os.geteuid() == 0:  # dockerd serves the default socket only
        log = tmp_path_factory.mktemp("dockerd") / "dockerd.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(["dockerd", "--iptables=false", "--bridge=none"], stdout=out,
                                    stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while (problem := _docker_problem()) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        if problem:
            proc.terminate()
            problem += f" (and the dockerd started here did not come up: {log})"
    if problem:
        pytest.skip(problem)
    from harness.sandbox.docker import build_host_image

    yield build_host_image(DOCKER_TEST_IMAGE)
    if proc is not None:
        proc.terminate()
        proc.wait(60)


@contextmanager
def accepting(srv):
    """Accept connections on the listening socket ``srv`` in the background; yields the accepted list."""
    srv.settimeout(0.3)
    accepted: list = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                accepted.append(srv.accept())
            except OSError:
                pass

    th = threading.Thread(target=accept, daemon=True)
    th.start()
    try:
        yield accepted
    finally:
        stop.set()
        th.join()
        srv.close()


def gone(find, within_s: float = 5.0) -> bool:
    """Whether the processes ``find()`` lists are all gone within ``within_s`` (any left are killed)."""
    deadline = time.monotonic() + within_s
    while find() and time.monotonic() < deadline:
        time.sleep(0.1)
    left = find()
    for pid in left:  # clean up after a failing run
        os.kill(pid, 9)
    return not left
