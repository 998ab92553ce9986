"""DockerSandbox on a real engine: the local sandbox's verdicts, no network, read-only outside the work dir."""
from __future__ import annotations

import errno
import re
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

from harness.result import Status
from harness.sandbox.client import SandboxStartError
from harness.sandbox.docker import (
    DockerLimits,
    DockerSandbox,
    gpu_requests,
    missing_mounts,
    reduce_mounts,
    referenced_paths,
)
from kernelbench_tasks import EXAMPLES_DIR
from tests.conftest import CANDIDATES, accepting, fast_config
from tests.conftest import DOCKER_TEST_IMAGE as IMAGE

pytest.importorskip("docker", reason="docker-py not installed (pip install 'kernelgepa[docker]')")


# ---- pure helpers (no engine needed) -------------------------------------------------------------
def test_reduce_mounts_keeps_only_mounts_that_change_access():
    got = reduce_mounts({"/a": False, "/a/b": False, "/a/c": True, "/a/c/d": True, "/a/c/e": False, "/ab": False})
    assert got == {"/a": False, "/ab": False, "/a/c": True, "/a/c/e": False}


def test_missing_mounts_needs_write_access_for_job_roots():
    mounts = {"/cache": False, "/jobs": True}
    assert missing_mounts({"/jobs": True, "/cache/ref/x": False, "/jobs/j1": False}, mounts) == {}
    assert missing_mounts({"/cache/sub": True, "/elsewhere": False}, mounts) == {"/cache/sub": True,
                                                                                  "/elsewhere": False}


def test_referenced_paths_are_the_folders_a_job_names(tmp_path):
    job = tmp_path / "jobs" / "j1"
    job.mkdir(parents=True)
    cand = tmp_path / "cands" / "k.py"
    cand.parent.mkdir()
    cand.write_text("")
    (job / "job.json").write_text(f'{{"candidate_path": "{cand}", "artifacts": {{"a": "{tmp_path}"}}, '
                                  f'"ref_dir": "/no/such/dir", "n_trials": 3}}')
    assert referenced_paths(job) == {str(tmp_path / "jobs"): True, str(cand.parent): False, str(tmp_path): False}


def test_gpu_requests_keep_host_numbering():
    assert gpu_requests(["cpu"]) == []
    [req] = gpu_requests(["cuda:0", "cuda:2"])
    assert req["DeviceIDs"] == ["0", "1", "2"] and req["Capabilities"] == [["gpu"]]
    [req] = gpu_requests(["cuda:1"], visible="4,6,7")  # the parent sees physical GPUs 4, 6, 7 as cuda:0..2
    assert req["DeviceIDs"] == ["4", "6"]
    with pytest.raises(SandboxStartError, match="cuda:3"):
        gpu_requests(["cuda:3"], visible="4,6")


def test_unreachable_engine_is_one_line_saying_what_to_start(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(SandboxStartError) as e:
        DockerSandbox(IMAGE)
    msg = str(e.value)
    assert "\n" not in msg and "/nonexistent/docker.sock" in msg and "dockerd" in msg


# ---- a real engine (docker_image: tests/conftest.py) ----------------------------------------------
@pytest.fixture(scope="session")
def docker_sandbox(docker_image, cpu_eval, tmp_path_factory):
    # Up front: pytest's temp root (caches and candidate files) and the job root, so no test restarts it.
    sb = DockerSandbox(docker_image, threads=2, paths=[tmp_path_factory.getbasetemp()],
                       rw_paths=[cpu_eval.runner.work_root])
    yield sb
    sb.close()


@pytest.fixture(scope="module")
def evaluators(cache_root):
    from harness.backends import get_backend
    from harness.evaluate import Evaluator

    def make(**kw):
        return Evaluator(get_backend("cpu"), fast_config(**kw), cache_root=cache_root)

    return {"gated": make(), "open": make(static_checks=False), "short": make(run_timeout_s=3)}


@pytest.fixture
def loopback_server():
    """A server on the host's loopback; yields (port, accepted connections)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    with accepting(srv) as accepted:
        yield srv.getsockname()[1], accepted


# (candidate, task, evaluator): the adversarial cases of test_evaluate.py, except spam_output (50 MB of
# output per call: ~20 s per sandbox; its cap is applied by the parent to the job's log file either way).
CASES = [
    *[(name, "1_ReLU", "gated") for name in (
        "compile_error", "runtime_error", "wrong_values", "segfault", "uses_torch_op", "hides_torch_op",
        "try_fallback", "alias_input", "lazy_output", "cache_by_pointer", "half_written")],
    ("softmax_zeros", "5_Softmax", "gated"), ("low_precision_matmul", "7_MatMul", "gated"),
    ("hang", "1_ReLU", "short"),
    *[(name, "1_ReLU", "open") for name in ("network", "patch_timer", "patch_torch", "background_thread")],
]


def _words(error: str | None) -> str:
    """An error without numbers and details in parentheses (measured times differ from run to run; a
    blocked connection is ENETUNREACH on the local sandbox's downed loopback, refused in a container)."""
    return re.sub(r"\([^)]*\)|\d+(\.\d+)?", "#", error or "")


@pytest.mark.parametrize("name, task_name, which", CASES, ids=[c[0] for c in CASES])
def test_adversarial_candidates_get_the_local_sandboxs_verdict(name, task_name, which, evaluators, sandbox,
                                                               docker_sandbox, task, candidate, loopback_server):
    ev = evaluators[which]
    path = candidate(name, port=loopback_server[0]) if name == "network" else candidate(name)
    local = ev.evaluate(task(task_name), path, sandbox, "cpu")
    boxed = ev.evaluate(task(task_name), path, docker_sandbox, "cpu")
    assert (boxed.status, boxed.rung) == (local.status, local.rung), (local.error, boxed.error)
    if local.status != Status.INCORRECT:  # (mismatch values depend on the random inputs' handling)
        assert _words(boxed.error) == _words(local.error), (local.error, boxed.error)
    assert boxed.sandbox.get("container", IMAGE) == IMAGE  # (empty for verdicts reached before running)
    assert not loopback_server[1]


def test_honest_kernel_is_ok_with_a_measured_speedup(evaluators, docker_sandbox, task):
    r = evaluators["gated"].evaluate(task("5_Softmax"), EXAMPLES_DIR / "cpu" / "5_Softmax.py", docker_sandbox, "cpu")
    assert r.status == Status.OK and r.rung == "timing", (r.error, r.messages)
    assert r.kernel.reps >= 5
    # the reference timed beside it, in the container, unless load made it look slowed (README "Timing under load")
    assert r.baseline.reps == r.kernel.reps or any("slower than its trusted baseline" in w for w in r.warnings)
    lo, hi = r.speedup_ci
    assert lo <= r.speedup <= hi and (0.05 < r.speedup < 50 or r.noisy)
    iso = r.sandbox
    assert iso["container"] == IMAGE and iso["read_only_root"] and iso["network_isolated"] and iso["caps_dropped"]
    assert docker_sandbox.restarts == 0


def test_network_is_cut(evaluators, docker_sandbox, task, candidate, loopback_server):
    port, accepted = loopback_server
    r = evaluators["open"].evaluate(task("1_ReLU"), candidate("network", port=port), docker_sandbox, "cpu")
    assert r.status == Status.RUNTIME_ERROR and "network blocked" in r.error, r.error
    assert not accepted


def test_filesystem_is_read_only_outside_the_work_dir(evaluators, docker_sandbox, task, candidate):
    import harness

    ev = evaluators["open"]
    r = ev.evaluate(task("1_ReLU"), candidate("write_outside"), docker_sandbox, "cpu")
    assert r.status == Status.RUNTIME_ERROR, r.error
    rofs = f"denied({errno.EROFS})"
    for target in ("usr", "project", "reference"):  # the cached reference it is judged against included
        assert f"{target}={rofs}" in r.error, r.error
    assert "tmp=WRITTEN" in r.error and "work=WRITTEN" in r.error
    assert not (Path(harness.__file__).parent / "kgepa_probe.txt").exists()
    assert not list(ev.cache_root.rglob("kgepa_probe.txt"))


@pytest.fixture(scope="module")
def tight_sandbox(docker_image, cpu_eval, tmp_path_factory):
    """Started with a secret in our environment and a 1.5 GiB memory limit."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KGEPA_TEST_API_KEY", "sk-test-docker-5e4d3c2b1a")
        sb = DockerSandbox(docker_image, threads=1, paths=[tmp_path_factory.getbasetemp()],
                           rw_paths=[cpu_eval.runner.work_root], limits=DockerLimits(memory_bytes=1536 << 20))
    yield sb
    sb.close()


def test_secret_in_the_parent_environment_is_not_visible(evaluators, tight_sandbox, task, candidate):
    secret = "sk-test-docker-5e4d3c2b1a"
    r = evaluators["open"].evaluate(task("1_ReLU"), candidate("steal_secret", secret=secret), tight_sandbox, "cpu")
    assert r.status == Status.RUNTIME_ERROR and "secret not found" in r.error, r.error
    assert secret not in repr(r.to_dict())


def test_memory_limit_kills_the_job_not_the_sandbox(evaluators, tight_sandbox, task, candidate):
    r = evaluators["open"].evaluate(task("1_ReLU"), candidate("memory_hog", gib=2), tight_sandbox, "cpu")
    assert r.status == Status.CRASHED and "SIGKILL" in r.error, r.error
    ok = evaluators["gated"].evaluate(task("1_ReLU"), candidate("relu_ok"), tight_sandbox, "cpu")
    assert ok.status == Status.OK, ok.error


def test_a_candidate_in_a_new_folder_costs_one_restart(evaluators, docker_sandbox, task):
    folder = Path(tempfile.mkdtemp(prefix="kgepa-elsewhere-"))  # outside everything mounted so far
    try:
        for name in ("a", "b"):
            shutil.copy(CANDIDATES / "relu_ok.py", folder / f"{name}.py")
        before = docker_sandbox.restarts
        for name in ("a", "b"):
            r = evaluators["gated"].evaluate(task("1_ReLU"), folder / f"{name}.py", docker_sandbox, "cpu")
            assert r.status == Status.OK, r.error
        assert docker_sandbox.restarts == before + 1
    finally:
        shutil.rmtree(folder)


def test_missing_image_is_one_line_saying_what_to_build(docker_image):
    with pytest.raises(SandboxStartError) as e:
        DockerSandbox("kernelgepa-no-such-image:0")
    assert "\n" not in str(e.value) and "kernelgepa sandbox build-image" in str(e.value)
