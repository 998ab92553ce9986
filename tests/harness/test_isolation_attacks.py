"""Adversarial candidates against the sandbox's isolation, each run on the local AND the Docker sandbox.

Each attack reports what it reached in its error (words in capitals mean it succeeded); the test also
looks at the side effects from outside: the cache's bytes, the host's process table, the parent's
own deadline. See README "Threat model" for which guarantee each case backs.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from dataclasses import replace
from pathlib import Path

import pytest

from harness.backends import get_backend
from harness.evaluate import Evaluator
from harness.result import Status
from harness.sandbox.local import LocalProcessSandbox
from tests.conftest import CANDIDATES, accepting, fast_config

SUCCESS = re.compile(r"\b(CONNECTED|READ|SEEN|PLANTED|OPENED|WORKED|GAINED|LISTED|WRITTEN)\b")


@pytest.fixture(scope="module", params=["local", "docker"])
def box(request, tmp_path_factory):
    """(kind, sandbox, evaluators) with a cache of its own: some attacks try to damage it."""
    cache = tmp_path_factory.mktemp(f"attack-cache-{request.param}")

    def make(**kw):
        return Evaluator(get_backend("cpu"), fast_config(**kw), cache_root=cache)

    evs = {"open": make(static_checks=False), "gated": make(), "short": make(static_checks=False, run_timeout_s=3)}
    if request.param == "local":
        sb = LocalProcessSandbox(threads=2)
    else:
        pytest.importorskip("docker", reason="docker-py not installed")
        from harness.sandbox.docker import DockerSandbox

        image = request.getfixturevalue("docker_image")
        sb = DockerSandbox(image, threads=2, paths=[tmp_path_factory.getbasetemp()],
                           rw_paths=[evs["open"].runner.work_root])
    yield request.param, sb, evs, cache
    sb.close()


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.endswith(".lock")}


def _run(box, task, path, which="open"):
    kind, sb, evs, cache = box
    return evs[which].evaluate(task("1_ReLU"), path, sb, "cpu")


def _warm(box, task):
    """An honest evaluation first, so the cache holds a reference, a baseline and a built kernel."""
    r = _run(box, task, CANDIDATES / "relu_ok.py", "gated")
    assert r.status == Status.OK, (r.error, r.messages)
    return r


def _refused(r, words: str):
    assert r.status != Status.OK and r.rung != "static", (r.status, r.error)
    assert not SUCCESS.search(r.error or ""), r.error
    assert words in (r.error or ""), (r.status, r.error, r.messages)


# ---- (a) expected outputs and the cache are out of reach ---------------------------------------------
@pytest.mark.parametrize("name, which", [("read_reference", "open"), ("read_reference_via_torch", "gated"),
                                         ("read_harness_state", "gated")])
def test_expected_outputs_are_not_readable(box, task, candidate, name, which):
    _warm(box, task)
    r = _run(box, task, candidate(name, cache=box[3]) if name != "read_harness_state" else candidate(name), which)
    _refused(r, "not")


# ---- (b) cached reference outputs and baselines cannot be changed ------------------------------------
@pytest.mark.parametrize("name", ["overwrite_reference", "overwrite_baseline"])
def test_cache_cannot_be_overwritten(box, task, candidate, name):
    before_ok = _warm(box, task)
    before = _digest(box[3] / "ref")
    r = _run(box, task, candidate(name, cache=box[3]))
    assert r.status != Status.OK, r.error
    assert _digest(box[3] / "ref") == before
    after_ok = _warm(box, task)
    # the baseline is timed again beside the kernel on each run: equal within (loaded-machine) noise, not 1000x
    assert after_ok.baseline.median_ms < 100 * before_ok.baseline.median_ms


# ---- (c) no artifact can be planted under another kernel's build key ---------------------------------
def test_artifact_cannot_be_planted_for_another_kernel(box, task, candidate, tmp_path_factory):
    kind, sb, evs, _ = box
    cache = tmp_path_factory.mktemp("plant-cache")  # relu_ok not built yet here
    ev = Evaluator(get_backend("cpu"), fast_config(static_checks=False), cache_root=cache)
    r = ev.evaluate(task("1_ReLU"), candidate("plant_artifact", cache=cache), sb, "cpu")
    _refused(r, "plant")
    honest = ev.evaluate(task("1_ReLU"), CANDIDATES / "relu_ok.py", sb, "cpu")
    assert honest.status == Status.OK, (honest.error, honest.messages)


# ---- (d) a forged result file does not make a verdict ------------------------------------------------
def test_forged_result_file_is_not_ok(box, task, candidate):
    _warm(box, task)
    r = _run(box, task, candidate("forge_result", cache=box[3]))
    assert r.status in (Status.INCORRECT, Status.REJECTED, Status.CRASHED), (r.status, r.error)


# ---- (e) no home folders, no other jobs' folders -----------------------------------------------------
def test_credentials_and_other_jobs_are_not_visible(box, task, candidate, tmp_path):
    secret = tmp_path / "home" / ".netrc"
    secret.parent.mkdir()
    secret.write_text("machine example.com login me password hunter2\n")
    r = _run(box, task, candidate("read_credentials", secret_path=secret))
    _refused(r, "credentials not reachable")


# ---- (f) no sockets of any family --------------------------------------------------------------------
@pytest.fixture
def unix_server(tmp_path):
    path = str(tmp_path / "s.sock")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    os.chmod(path, 0o777)
    srv.listen(1)
    with accepting(srv) as accepted:
        yield path, accepted


def test_unix_sockets_cannot_be_reached(box, task, candidate, unix_server):
    path, accepted = unix_server
    r = _run(box, task, candidate("unix_socket", sock_path=path))
    _refused(r, "blocked")
    assert not accepted


@pytest.mark.parametrize("name, which, words", [("socket_families", "open", "none opened"),
                                                ("ctypes_socket", "gated", "refused")])
def test_no_socket_of_any_family(box, task, candidate, name, which, words):
    _refused(_run(box, task, candidate(name), which), words)


# ---- (g) no ptrace, no new namespaces ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["ptrace", "new_namespaces"])
def test_no_ptrace_and_no_namespaces(box, task, candidate, name):
    _refused(_run(box, task, candidate(name)), "refused")


# ---- (h) nothing outlives its job --------------------------------------------------------------------
def _pids_named(name: str) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and Path(f"/proc/{d}/comm").read_text().strip() == name:
                out.append(int(d))
        except OSError:
            pass
    return out


def test_detached_process_dies_with_its_job(box, task, candidate):
    name = f"kgb{os.getpid() % 100000}{box[0][0]}"
    r = _run(box, task, candidate("detached_burner", comm=name))
    assert "burner spawned" in (r.error or ""), r.error
    deadline = time.monotonic() + 5
    while _pids_named(name) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = _pids_named(name)
    for pid in survivors:  # clean up after a failing run
        os.kill(pid, 9)
    assert not survivors


# ---- (i) the parent cannot be hung or crashed --------------------------------------------------------
def test_request_flood_does_not_hang_the_parent(box, task, candidate):
    t0 = time.monotonic()
    r = _run(box, task, candidate("request_flood"), "short")
    assert time.monotonic() - t0 < 60
    assert r.status in (Status.CRASHED, Status.TIMEOUT), (r.status, r.error)
    assert "\n" not in r.error


@pytest.mark.parametrize("kind, depth, words", [("deep", 100_000, "malformed result"),
                                               ("spec", 300, "malformed result"), ("huge", 0, "result file too large")])
def test_pathological_result_is_crashed_in_one_line(box, task, candidate, kind, depth, words):
    r = _run(box, task, candidate("pathological_result", kind=kind, depth=depth))
    assert r.status == Status.CRASHED and words in r.error and "\n" not in r.error, (r.status, r.error)


# ---- CPU affinity is enforced, not requested ---------------------------------------------------------
def _pinned_sandbox(kind: str, request, work_root, tmp_path_factory):
    """A sandbox whose jobs are pinned to CPU 0 (Docker: also the container's cpuset)."""
    if kind == "local":
        return LocalProcessSandbox(threads=1, cpus=[0])
    pytest.importorskip("docker", reason="docker-py not installed")
    from harness.sandbox.docker import DockerLimits, DockerSandbox

    return DockerSandbox(request.getfixturevalue("docker_image"), threads=1, paths=[tmp_path_factory.getbasetemp()],
                         rw_paths=[work_root], limits=DockerLimits(cpuset="0"))


@pytest.mark.parametrize("kind", ["local", "docker"])
@pytest.mark.parametrize("name, seen", [("widen_affinity", "cpus 0"), ("widen_affinity_thread", "cpus 0 0")])
def test_cpu_affinity_cannot_be_widened(kind, name, seen, task, candidate, cpu_eval, tmp_path_factory, request):
    """From the main thread, from another thread, or by the raw syscall: the job stays on CPU 0."""
    sb = _pinned_sandbox(kind, request, cpu_eval.runner.work_root, tmp_path_factory)
    try:
        ev = Evaluator(get_backend("cpu"), fast_config(static_checks=False), cache_root=cpu_eval.cache_root)
        r = ev.evaluate(task("1_ReLU"), candidate(name), sb, "cpu")
    finally:
        sb.close()
    assert r.error == f"RuntimeError: {seen}", r.error
    assert r.sandbox["cpus"] == [0] and r.sandbox["seccomp"]


# ---- timing a candidate cannot forge (parent-paced repetitions, hidden audits: harness/pacing.py) ------
def _not_believed(r, words: str):
    assert r.status == Status.REJECTED and r.rung == "timing" and words in r.error, (r.status, r.error)
    assert "\n" not in r.error


def _audited(box, task, name: str, path: Path):
    """Evaluated with 4 audits per 5 repetitions (p = 0.8 each at first): audits are random, and these
    tests' runs are short, so at the usual rate an attack would sometimes go unaudited (as designed)."""
    kind, sb, evs, cache = box
    cfg = fast_config(static_checks=False)
    cfg.timing = replace(cfg.timing, audits=4)
    return Evaluator(get_backend("cpu"), cfg, cache_root=cache).evaluate(task(name), path, sb, "cpu")


def test_forged_timing_of_a_correct_kernel_is_not_believed(box, task, candidate):
    r = _run(box, task, candidate("forge_timing"))
    _not_believed(r, "it lists 100 kernel repetitions, the parent paced 0")


@pytest.mark.parametrize("mode", ["fewer", "more"])
def test_reported_repetitions_must_be_the_ones_paced(box, task, candidate, mode):
    _not_believed(_run(box, task, candidate("misreport_reps", mode=mode)), "the parent paced")


@pytest.mark.parametrize("name", ["lazy_audit", "finish_after_done"])
def test_outputs_computed_when_audited_are_not_believed(box, task, candidate, name):
    """Garbage from forward, the real answer computed when the worker writes outputs; or the work
    finished on a thread after the repetition ended: audits take as long as the skipped work."""
    _not_believed(_audited(box, task, "7_MatMul", candidate(name)), "computed only when asked for")


def test_skipping_work_on_unaudited_repetitions_is_caught(box, task, candidate):
    r = _audited(box, task, "1_ReLU", candidate("skip_unaudited"))
    assert r.status == Status.INCORRECT and r.rung == "timing" and "during timing" in r.error, (r.status, r.error)


def test_outputs_remembered_by_input_content_gain_nothing(box, task, candidate):
    """Timed repetitions get inputs made from a seed sent with each go signal, so a kernel that
    returns remembered outputs for inputs it has seen before computes in every one: its speedup is
    its naive loop's (far below BLAS), not the microseconds of a lookup."""
    r = _audited(box, task, "7_MatMul", candidate("content_cache"))
    assert r.status == Status.OK, (r.status, r.error, r.messages)
    assert r.speedup < 1, (r.speedup, r.kernel, r.baseline)


def test_work_done_while_inputs_are_handed_over_gains_nothing(box, task, candidate):
    """The inputs arrive ready-made (harness.feed): work started when they arrive runs inside the
    parent's window, which allows only the handshake's own cost, so it is seen, not hidden. Judged
    against the same loop done honestly in forward, measured alike (under load a multi-threaded
    reference slows far more than a one-thread loop, so a bare speedup says little); hidden and
    believed, it would claim microseconds, 30x and more."""
    honest = _run(box, task, candidate("relu_naive"))
    assert honest.status == Status.OK and honest.speedup, (honest.error, honest.messages)
    r = _run(box, task, candidate("prep_hidden_work"))
    assert r.status != Status.OK or r.speedup < 2 * honest.speedup, (r.speedup, honest.speedup, r.kernel, r.baseline)
    assert r.seeds["timing_inputs"].startswith("fresh inputs per repetition, written by the harness"), r.seeds


def test_timed_inputs_cannot_be_found_before_their_go_signal(box, task, candidate):
    r = _run(box, task, candidate("feed_spy"))
    _refused(r, "feed folder exists: True; not listed; not made listable")


def test_slowed_twin_does_not_inflate_the_speedup(box, task, candidate):
    r = _run(box, task, candidate("slow_twin"))
    assert r.status == Status.OK, (r.error, r.messages)
    assert any("ran slower than its trusted baseline allows" in w for w in r.warnings), r.warnings
    assert r.speedup < 5, (r.speedup, r.warnings)  # about torch.relu's speed, not 100 ms faster


@pytest.mark.parametrize("kind, status, words", [("string", Status.CRASHED, "malformed timing report"),
                                                 ("long", Status.CRASHED, "malformed timing report"),
                                                 ("nested", Status.CRASHED, "malformed result file")])
def test_malformed_timing_report_is_crashed_in_one_line(box, task, candidate, kind, status, words):
    r = _run(box, task, candidate("bad_timing_report", kind=kind))
    assert r.status == status and words in r.error and "\n" not in r.error, (r.status, r.error)


# ---- issue 13: trials nobody can precompute; a PID namespace per job; compiles see only their folder --
def test_outputs_precomputed_for_the_public_seeds_fail_on_the_drawn_one(box, task, candidate):
    r = _run(box, task, candidate("precomputed_outputs"))
    assert r.status == Status.INCORRECT, (r.status, r.error)
    assert f"on random seed {r.seeds['random'][0]}:" in r.error and "\n" not in r.error, r.error
    assert r.mismatch.trial >= len(r.seeds["fixed"])  # every fixed trial passed


def test_kernel_right_only_on_the_usual_value_range_fails_there(box, task, candidate):
    r = _run(box, task, candidate("relu_range_limited"), "gated")
    assert r.status == Status.INCORRECT, (r.status, r.error)
    assert "on inputs scaled by 1000 (random seed" in r.error and "\n" not in r.error, r.error
    assert "scaled_x1000" in r.seeds["value_ranges"]


def test_compile_cannot_read_outside_its_build_folder(box, task, candidate):
    _warm(box, task)
    entry = next(p.name for p in (box[3] / "ref").iterdir() if not p.name.startswith("."))
    r = _run(box, task, candidate("incbin_outside", target=f"../../ref/{entry}/reference.json"))
    assert r.status == Status.COMPILE_ERROR and not SUCCESS.search(r.error or ""), (r.status, r.error)


def test_nothing_a_job_leaves_survives_its_pid_namespace(box, task, candidate):
    from tests.conftest import gone

    name = f"kgs{os.getpid() % 100000}{box[0][0]}"
    r = _run(box, task, candidate("orphan_survivor", comm=name))
    assert "survivor spawned" in (r.error or ""), r.error
    assert r.sandbox["job_pid_namespace"] is True, r.sandbox
    assert gone(lambda: _pids_named(name))


def test_a_job_sees_no_process_but_its_own(box, task, candidate):
    r = _run(box, task, candidate("list_processes"))
    assert r.error == "RuntimeError: pids [1] me 1", r.error
