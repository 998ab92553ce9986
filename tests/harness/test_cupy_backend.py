"""The cupy backend: RawKernel/RawModule sources compiled by the harness with NVRTC. Without a GPU
that is a real compile-only check (``compiled_only``, never ``ok``); with one, a full run."""
from __future__ import annotations

import pytest
import torch

from harness import nvrtc
from harness.backends import get_backend
from harness.build import Builder, BuildRequest
from harness.evaluate import Evaluator
from harness.result import Status
from harness.static_checks import check_candidate
from kernelbench_tasks import EXAMPLES_DIR
from tests.conftest import fast_config

needs_nvrtc = pytest.mark.skipif(not nvrtc.available(), reason="NVRTC not installed (pip install nvidia-cuda-nvrtc)")
no_gpu = pytest.mark.skipif(torch.cuda.is_available(), reason="compile-only path is for machines without a GPU")
gpu = pytest.mark.skipif(not (torch.cuda.is_available() and get_backend("cupy").can_run), reason="needs a GPU and CuPy")
EXAMPLES = EXAMPLES_DIR / "cupy"


@pytest.fixture(scope="module")
def cupy_eval(cache_root):
    return Evaluator(get_backend("cupy"), fast_config(), cache_root=cache_root)


def run(ev, sandbox, task, path):
    return ev.evaluate(task, path, sandbox, ev.backend.devices()[0])


@needs_nvrtc
@no_gpu
@pytest.mark.parametrize("name", ["1_ReLU", "5_Softmax"])
def test_without_gpu_examples_are_compiled_only_never_ok(cupy_eval, sandbox, task, name):
    r = run(cupy_eval, sandbox, task(name), EXAMPLES / f"{name}.py")
    assert r.status == Status.COMPILED_ONLY and not r.correct and r.speedup is None, (r.status, r.error)
    assert "needs a CUDA GPU" in r.error and "NVRTC" in r.error
    assert r.resources and all(k["registers"] > 0 and k["arch"] == "sm_90" for k in r.resources)


@needs_nvrtc
@no_gpu
def test_nvrtc_error_is_the_compilers_line(cupy_eval, sandbox, task, tmp_path):
    src = (EXAMPLES / "1_ReLU.py").read_text().replace("y[i] = v < 0.f ? 0.f : v;", "y[i] = v < 0.f ? 0.f : w;")
    path = tmp_path / "bad.py"
    path.write_text(src)
    r = run(cupy_eval, sandbox, task("1_ReLU"), path)
    assert r.status == Status.COMPILE_ERROR and 'identifier "w" is undefined' in r.error
    assert "y[i] = v < 0.f ? 0.f : w;" in r.messages


@needs_nvrtc
def test_nvrtc_build_is_cached_and_yields_a_cubin(tmp_path):
    b = Builder(tmp_path, link_cuda=False)
    req = BuildRequest(kind="nvrtc", name="k", sources=('extern "C" __global__ void k(float* y) { y[0] = 1.f; }',))
    first, second = b.build(req), b.build(req)
    assert first.ok and not first.cached and second.cached and first.artifact.endswith("kernel.cubin")
    assert open(first.artifact, "rb").read(4) == b"\x7fELF"
    assert first.resources[0]["kernel"] == "k"


@pytest.mark.parametrize("source, words", [
    ("import cupy as cp\ny = cp.exp(1)\nclass ModelNew: pass\n", "cupy.exp is not allowed"),
    ("from cupy import asarray\nclass ModelNew: pass\n", "cupy.asarray is not allowed"),
])
def test_cupy_array_library_is_refused(source, words):
    v = check_candidate(source)
    assert not v.ok and v.status == "rejected" and words in v.reason


def test_cuda_route_is_refused(cupy_eval, sandbox, task):
    r = run(cupy_eval, sandbox, task("1_ReLU"), EXAMPLES_DIR / "cuda" / "1_ReLU.py")
    assert r.status == Status.INVALID and ("RawKernel" in r.error or "needs a CUDA GPU" in r.error)


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("name", ["1_ReLU", "5_Softmax"])
def test_examples_run_on_gpu(cupy_eval, sandbox, task, name):
    r = run(cupy_eval, sandbox, task(name), EXAMPLES / f"{name}.py")
    assert r.status == Status.OK and r.speedup and r.kernel.median_ms > 0, (r.status, r.error, r.messages)
