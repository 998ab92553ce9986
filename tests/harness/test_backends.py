"""cpu vs cuda backends: routes, refusals, compile-only honesty; GPU runs when a GPU exists."""

import pytest
import torch

from harness.backends import get_backend
from harness.evaluate import Evaluator
from harness.result import Status
from kernelbench_tasks import EXAMPLES_DIR
from tests.conftest import fast_config, requires_nvcc

gpu = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def cuda_eval(cache_root):
    return Evaluator(get_backend("cuda"), fast_config(), cache_root=cache_root)


def _device(ev):
    return ev.backend.devices()[0]


@requires_nvcc
@pytest.mark.skipif(torch.cuda.is_available(), reason="compile-only path is for machines without a GPU")
@pytest.mark.parametrize("name", ["1_ReLU", "5_Softmax", "1_Linear_Bias_ReLU"])
def test_cuda_without_gpu_is_compiled_only_never_ok(cuda_eval, sandbox, task, name):
    r = cuda_eval.evaluate(task(name), EXAMPLES_DIR / "cuda" / f"{name}.py", sandbox, _device(cuda_eval))
    assert r.status == Status.COMPILED_ONLY and not r.correct and r.speedup is None
    assert "not run" in r.error
    assert r.resources and all(k["registers"] > 0 for k in r.resources)
    assert "registers" in r.messages


def test_backends_refuse_the_other_route(cuda_eval, cpu_eval, sandbox, task):
    r = cpu_eval.evaluate(task("1_ReLU"), EXAMPLES_DIR / "cuda" / "1_ReLU.py", sandbox, "cpu")
    assert r.status == Status.INVALID and "--backend cuda" in r.error
    r = cuda_eval.evaluate(task("1_ReLU"), EXAMPLES_DIR / "cpu" / "1_ReLU.py", sandbox, _device(cuda_eval))
    assert r.status == Status.INVALID and "expects CUDA" in r.error


@pytest.mark.slow
def test_official_load_inline_solution_runs_on_cpu(cpu_eval, sandbox, task):
    r = cpu_eval.evaluate(task("1_ReLU"), EXAMPLES_DIR / "cpu_load_inline" / "1_ReLU.py", sandbox, "cpu")
    assert r.status == Status.OK, (r.error, r.messages)
    assert r.compile_s is not None and r.speedup > 0


@pytest.mark.slow
@requires_nvcc
@pytest.mark.skipif(torch.cuda.is_available(), reason="compile-only path is for machines without a GPU")
def test_official_cuda_load_inline_is_compiled_only(cuda_eval, sandbox, task):
    r = cuda_eval.evaluate(task("1_ReLU"), EXAMPLES_DIR / "cuda_load_inline" / "1_ReLU.py", sandbox,
                           _device(cuda_eval))
    assert r.status == Status.COMPILED_ONLY, (r.error, r.messages)
    assert any(k["kernel"].startswith("_Z11relu_kernel") for k in r.resources)


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("sub", ["cuda", "cuda_load_inline"])
def test_cuda_examples_run_on_gpu(cuda_eval, sandbox, task, sub):
    for f in sorted((EXAMPLES_DIR / sub).glob("*.py")):
        r = cuda_eval.evaluate(task(f.stem), f, sandbox, _device(cuda_eval))
        assert r.status == Status.OK, (f.name, r.error, r.messages)
        assert r.kernel.reps >= 5 and r.speedup > 0 and r.resources


@pytest.mark.gpu
@gpu
def test_gpu_cheats_still_caught(cuda_eval, sandbox, task, tmp_path):
    cheat = tmp_path / "cheat.py"
    cheat.write_text("import torch\nimport torch.nn as nn\nclass ModelNew(nn.Module):\n"
                     "    def forward(self, x):\n        return torch.relu(x)\n")
    r = cuda_eval.evaluate(task("1_ReLU"), cheat, sandbox, _device(cuda_eval))
    assert r.status == Status.REJECTED and "aten::relu" in r.error
