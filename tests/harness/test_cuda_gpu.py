"""The cheats and failures a real GPU adds: side streams, aliases and caches in device memory, a hung or
faulting kernel (and a GPU still usable after it). Runs where torch sees a CUDA GPU (scripts/gpu_check.sh)."""

import pytest
import torch

from harness.backends import get_backend
from harness.evaluate import Evaluator
from harness.result import Status
from kernelbench_tasks import EXAMPLES_DIR
from tests.conftest import fast_config

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


@pytest.fixture(scope="module")
def cuda_eval(cache_root):
    return Evaluator(get_backend("cuda"), fast_config(run_timeout_s=20), cache_root=cache_root)


def _eval(ev, sandbox, task, path):
    return ev.evaluate(task("1_ReLU"), path, sandbox, ev.backend.devices()[0])


def _still_usable(ev, sandbox, task):
    ok = _eval(ev, sandbox, task, EXAMPLES_DIR / "cuda" / "1_ReLU.py")
    assert ok.status == Status.OK, (ok.error, ok.messages)


@pytest.mark.parametrize("name, status, words", [
    ("cuda_alias_input", Status.REJECTED, "in place"),
    ("cuda_cache_by_pointer", Status.INCORRECT, ""),
    ("cuda_wrong_values", Status.INCORRECT, ""),
])
def test_device_memory_cheats_fail(cuda_eval, sandbox, task, candidate, name, status, words):
    r = _eval(cuda_eval, sandbox, task, candidate(name))
    assert r.status == status, (r.status, r.error)
    assert words in (r.error or "")


def test_wrong_values_are_located(cuda_eval, sandbox, task, candidate):
    r = _eval(cuda_eval, sandbox, task, candidate("cuda_wrong_values"))
    assert r.status == Status.INCORRECT and r.mismatch.where is not None
    assert r.mismatch.expected == 0.0 and r.mismatch.got < 0


def test_work_on_a_side_stream_is_timed(cuda_eval, sandbox, task, candidate):
    # each call spins ~3 ms on a private stream; a timer that only watched the current stream would see ~0
    r = _eval(cuda_eval, sandbox, task, candidate("cuda_side_stream"))
    assert r.status == Status.OK, (r.error, r.messages)
    assert r.kernel.median_ms > 1.5, r.kernel


def test_hung_kernel_times_out_and_the_gpu_stays_usable(cache_root, sandbox, task, candidate):
    ev = Evaluator(get_backend("cuda"), fast_config(run_timeout_s=5), cache_root=cache_root)
    r = _eval(ev, sandbox, task, candidate("cuda_hang"))
    assert r.status == Status.TIMEOUT, (r.status, r.error)
    _still_usable(ev, sandbox, task)


def test_illegal_address_is_reported_and_the_gpu_stays_usable(cuda_eval, sandbox, task, candidate):
    r = _eval(cuda_eval, sandbox, task, candidate("cuda_illegal_address"))
    assert r.status in (Status.RUNTIME_ERROR, Status.CRASHED), (r.status, r.error)
    assert "illegal" in (r.error + r.messages).lower(), r.error
    _still_usable(cuda_eval, sandbox, task)
