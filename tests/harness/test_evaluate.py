"""The ladder end to end on real compilers and real processes: honest, broken and cheating kernels."""
from __future__ import annotations

import socket
import threading

import pytest

from harness.result import Status
from kernelbench_tasks import EXAMPLES_DIR


def run(cpu_eval, sandbox, task, path):
    return cpu_eval.evaluate(task, path, sandbox, "cpu")


@pytest.mark.parametrize("name", ["1_ReLU", "5_Softmax", "6_LayerNorm", "10_RMSNorm", "1_Linear_Bias_ReLU"])
def test_honest_examples_pass_with_measured_speedup(cpu_eval, sandbox, task, name):
    r = run(cpu_eval, sandbox, task(name), EXAMPLES_DIR / "cpu" / f"{name}.py")
    assert r.status == Status.OK, (r.error, r.messages)
    assert r.correct and r.rung == "timing"
    assert r.kernel.reps >= 5
    # timed in alternation, pair by pair, unless load made the twin look slowed (README "Timing under load")
    assert r.baseline.reps == r.kernel.reps or any("slower than its trusted baseline" in w for w in r.warnings)
    lo, hi = r.speedup_ci
    assert lo <= r.speedup <= hi and r.noisy == (lo < 0.9 * r.speedup or hi > 1.1 * r.speedup)
    assert 0.05 < r.speedup < 50 or r.noisy  # a real measurement, either direction, unless marked noisy
    assert r.sandbox["network_isolated"] and r.sandbox["caps_dropped"]


def test_compile_error_carries_the_compilers_message(cpu_eval, sandbox, task, candidate):
    r = run(cpu_eval, sandbox, task("1_ReLU"), candidate("compile_error"))
    assert r.status == Status.COMPILE_ERROR and r.rung == "compile"
    assert "undeclared_name" in r.messages and "error" in r.messages
    assert "was not declared" in r.error or "error" in r.error


def test_runtime_error_reports_exception_and_candidate_line(cpu_eval, sandbox, task, candidate):
    r = run(cpu_eval, sandbox, task("1_ReLU"), candidate("runtime_error"))
    assert r.status == Status.RUNTIME_ERROR and r.rung == "correctness"
    assert "kernel launch configuration is invalid" in r.error
    assert "runtime_error.py" in r.messages and "torch/" not in r.messages


def test_wrong_values_are_incorrect_with_location(cpu_eval, sandbox, task, candidate):
    r = run(cpu_eval, sandbox, task("1_ReLU"), candidate("wrong_values"))
    assert r.status == Status.INCORRECT
    mm = r.mismatch
    assert mm.n_bad > 0 and mm.max_abs_err > 1e-3 and mm.where is not None
    assert mm.expected == 0.0 and mm.got < 0


def test_hang_times_out_and_the_next_evaluation_still_runs(cache_root, sandbox, task, candidate):
    from harness.backends import get_backend
    from harness.evaluate import Evaluator
    from tests.conftest import fast_config

    ev = Evaluator(get_backend("cpu"), fast_config(run_timeout_s=3), cache_root=cache_root)
    r = ev.evaluate(task("1_ReLU"), candidate("hang"), sandbox, "cpu")
    assert r.status == Status.TIMEOUT and r.rung == "correctness"
    assert r.wall_s < 30
    ok = ev.evaluate(task("1_ReLU"), candidate("relu_ok"), sandbox, "cpu")
    assert ok.status == Status.OK


def test_segfault_is_crashed_with_signal(cpu_eval, sandbox, task, candidate):
    r = run(cpu_eval, sandbox, task("1_ReLU"), candidate("segfault"))
    assert r.status == Status.CRASHED and "SIGSEGV" in r.error


@pytest.mark.parametrize("name, status, words", [
    ("uses_torch_op", Status.REJECTED, "aten::relu"),
    ("hides_torch_op", Status.REJECTED, "getattr"),
    ("try_fallback", Status.REJECTED, "aten::clamp_min"),
    ("numpy_in_forward", Status.REJECTED, "NumPy"),
    ("alias_input", Status.REJECTED, "in place"),
    ("lazy_output", Status.REJECTED, "not a plain torch.Tensor"),
    ("cache_by_pointer", Status.INCORRECT, ""),
    ("half_written", Status.INCORRECT, ""),
])
def test_cheats_are_rejected_or_incorrect(cpu_eval, sandbox, task, candidate, name, status, words):
    r = run(cpu_eval, sandbox, task("1_ReLU"), candidate(name))
    assert r.status == status, (r.status, r.error)
    assert words in (r.error or "")


def test_all_zero_softmax_fails_despite_tiny_outputs(cpu_eval, sandbox, task, candidate):
    # Rows of 8192: outputs ~1e-4, so |0 - y| <= 1e-4 + 1e-4|y| alone would let zeros through.
    r = run(cpu_eval, sandbox, task("5_Softmax"), candidate("softmax_zeros"))
    assert r.status in (Status.INCORRECT, Status.REJECTED)
    # with the op check off, correctness alone must still catch it
    from harness.backends import get_backend
    from harness.evaluate import Evaluator
    from tests.conftest import fast_config

    lax = Evaluator(get_backend("cpu"), fast_config(allowed_ops=cpu_eval.cfg.allowed_ops | {"aten::zeros_like"}),
                    cache_root=cpu_eval.cache_root)
    r2 = lax.evaluate(task("5_Softmax"), candidate("softmax_zeros"), sandbox, "cpu")
    assert r2.status == Status.INCORRECT and "rel L2 err 1" in r2.error


def test_lower_precision_matmul_fails_fp32_tolerance(cpu_eval, sandbox, task, candidate):
    r = run(cpu_eval, sandbox, task("7_MatMul"), candidate("low_precision_matmul"))
    assert r.status == Status.INCORRECT, r.error


# ---- runtime layers hold even with the static gate switched off ---------------------------------
@pytest.fixture(scope="module")
def open_eval(cache_root):
    from harness.backends import get_backend
    from harness.evaluate import Evaluator
    from tests.conftest import fast_config

    return Evaluator(get_backend("cpu"), fast_config(static_checks=False), cache_root=cache_root)


def test_candidate_cannot_read_parent_secret(open_eval, task, candidate, monkeypatch):
    from harness.sandbox.local import LocalProcessSandbox

    secret = "sk-test-9f8e7d6c5b4a"
    monkeypatch.setenv("KGEPA_TEST_API_KEY", secret)
    sb = LocalProcessSandbox(threads=1)  # started while the secret is in our environment
    try:
        r = open_eval.evaluate(task("1_ReLU"), candidate("steal_secret", secret=secret), sb, "cpu")
    finally:
        sb.close()
    assert r.status == Status.RUNTIME_ERROR
    assert "secret not found" in r.error
    assert secret not in repr(r.to_dict())


def test_candidate_has_no_network(open_eval, sandbox, task, candidate):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    srv.settimeout(0.5)
    port = srv.getsockname()[1]
    accepted = []

    def accept():
        try:
            accepted.append(srv.accept())
        except OSError:
            pass

    th = threading.Thread(target=accept)
    th.start()
    r = open_eval.evaluate(task("1_ReLU"), candidate("network", port=port), sandbox, "cpu")
    th.join()
    srv.close()
    assert "network blocked" in r.error, r.error
    assert not accepted


def test_patched_timer_is_caught_by_outside_clock(open_eval, sandbox, task, candidate):
    """A clock slowed 100x claims repetitions far shorter than the parent saw them take: the parent's
    own latencies replace them (harness.pacing). The twin's claims are slowed alike, so the paired
    speedup is not inflated either way; the handshake overhead allowed is calibrated in the reference
    job, so a loaded moment there widens it past this ~1 ms kernel (README "Threat model")."""
    r = open_eval.evaluate(task("1_ReLU"), candidate("patch_timer"), sandbox, "cpu")
    assert r.status == Status.OK, (r.error, r.messages)
    calib = open_eval.reference(task("1_ReLU"), sandbox, "cpu").pacing
    assert any("sits below the parent's clock" in w for w in r.warnings) or calib["gap_ms"] > 0.2, (r.warnings, calib)
    assert r.speedup < 50


def test_patched_torch_cannot_change_the_verdict(open_eval, sandbox, task, candidate):
    r = open_eval.evaluate(task("1_ReLU"), candidate("patch_torch"), sandbox, "cpu")
    assert r.status in (Status.INCORRECT, Status.REJECTED)


def test_work_left_running_after_forward_is_caught(open_eval, sandbox, task, candidate):
    r = open_eval.evaluate(task("1_ReLU"), candidate("background_thread"), sandbox, "cpu")
    assert r.status in (Status.REJECTED, Status.INCORRECT)
    assert r.status == Status.INCORRECT or "after forward returned" in r.error


def test_output_flood_is_capped(cpu_eval, sandbox, task, candidate):
    r = run(cpu_eval, sandbox, task("1_ReLU"), candidate("spam_output"))
    assert r.status in (Status.OK, Status.CRASHED, Status.TIMEOUT)
    assert len(r.messages) < 10_000


def test_stale_cached_baseline_cannot_inflate_the_speedup(cache_root, sandbox, task):
    """The speedup comes from the reference timed beside the kernel, not from a cached baseline measured
    at another moment (here planted 10,000x too slow, as if on a badly loaded machine)."""
    import json

    from harness.backends import get_backend
    from harness.evaluate import Evaluator
    from harness.integrity import seal
    from harness.reference import reference_key
    from tests.conftest import fast_config

    ev = Evaluator(get_backend("cpu"), fast_config(), cache_root=cache_root / "stale")
    t = task("2_LeakyReLU")
    cached = ev.reference(t, sandbox, "cpu").dir / "reference.json"
    data = json.loads(cached.read_text())
    honest_ms = data["timing"]["median_ms"]
    data["timing"]["times_ms"] = [x * 10_000 for x in data["timing"]["times_ms"]]
    for k in ("median_ms", "mean_ms", "min_ms", "max_ms"):
        data["timing"][k] *= 10_000
    cached.write_text(json.dumps(data))
    seal(cached.parent)  # a stale but genuine entry (an unsealed edit would just be re-measured on read)
    assert cached.parent.name == reference_key(t, ev.cfg, ev.seeds(ev.cfg.trials), ev.backend.device_name("cpu"), True)

    r = ev.evaluate(t, EXAMPLES_DIR / "cpu" / "2_LeakyReLU.py", sandbox, "cpu")
    assert r.status == Status.OK
    assert r.baseline.reps == r.kernel.reps and r.baseline_ms < 100 * honest_ms  # timed now, beside the kernel
    assert r.speedup < 100 or r.noisy
    assert not any("plausibility" in w for w in r.warnings) or r.noisy


def test_implausible_speedup_is_checked_again_with_a_clear_message(cache_root, sandbox, task):
    from harness.backends import get_backend
    from harness.evaluate import Evaluator
    from tests.conftest import fast_config

    ev = Evaluator(get_backend("cpu"), fast_config(implausible_speedup=1e-3, reverify_trials=3),
                   cache_root=cache_root / "recheck")
    r = ev.evaluate(task("2_LeakyReLU"), EXAMPLES_DIR / "cpu" / "2_LeakyReLU.py", sandbox, "cpu")
    assert r.status == Status.OK
    [note] = [w for w in r.warnings if "plausibility" in w]
    assert "above the 0.001x plausibility limit, so the kernel was checked again" in note
    assert "outputs matched on 3 fresh input sets" in note and "baseline measured again in its own process" in note


def test_fresh_baseline_is_measured_once_per_evaluator_not_per_candidate(cache_root, sandbox, task):
    from harness.backends import get_backend
    from harness.evaluate import Evaluator
    from tests.conftest import fast_config

    def measured_file(ev, t):  # each measurement writes a new reference.json (a new inode)
        st = (ev.reference(t, sandbox, "cpu", fresh=False).dir / "reference.json").stat()
        return st.st_ino, st.st_mtime_ns

    t, path = task("2_LeakyReLU"), EXAMPLES_DIR / "cpu" / "2_LeakyReLU.py"
    root = cache_root / "fresh-once"
    Evaluator(get_backend("cpu"), fast_config(), cache_root=root).reference(t, sandbox, "cpu")  # an old baseline
    plain = Evaluator(get_backend("cpu"), fast_config(), cache_root=root)
    old = measured_file(plain, t)
    ev = Evaluator(get_backend("cpu"), fast_config(fresh_baseline=True), cache_root=root)
    assert ev.evaluate(t, path, sandbox, "cpu").status == Status.OK
    first = measured_file(plain, t)
    assert first != old  # re-measured for the first evaluation
    assert ev.evaluate(t, path, sandbox, "cpu").status == Status.OK
    assert measured_file(plain, t) == first  # served from the cache for the second


@pytest.mark.parametrize("name, changed", [("slow_reference", "torch.relu"), ("one_thread_reference", "threads")])
def test_candidate_cannot_slow_the_reference_timed_beside_it(open_eval, sandbox, task, candidate, name, changed):
    """The reference timed in the candidate's process is used only if torch is as it was before the
    candidate was imported; otherwise the speedup comes from the separately measured baseline."""
    r = open_eval.evaluate(task("1_ReLU"), candidate(name), sandbox, "cpu")
    assert r.status == Status.OK, (r.error, r.messages)
    [note] = [w for w in r.warnings if "not timed beside the kernel" in w]
    assert changed in note
    assert r.speedup < 50  # the honest kernel is about as fast as torch.relu, not 5 ms faster
