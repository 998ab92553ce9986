"""The worked examples we show the kernel-writing LLM must themselves pass the harness."""
import re

import pytest

from harness.backends import get_backend
from harness.evaluate import Evaluator
from harness.result import Status
from harness.static_checks import check_candidate
from kernelgepa.codeblocks import extract_code
from kernelgepa.prompts import FORMAT, reflection_messages, writer_messages
from tests.conftest import fast_config, requires_nvcc


def _example(backend: str) -> str:
    return re.search(r"```(?:python|cpp)\n(.*?)```", FORMAT[backend], re.S).group(1)


@pytest.mark.parametrize("backend", ["cpu", "cuda", "triton", "cupy"])
def test_examples_pass_static_checks_and_parse(backend):
    code = _example(backend)
    assert check_candidate(code).ok
    assert extract_code(f"```python\n{code}```").code is not None


SQDIFF_TASK = """import torch
import torch.nn as nn

rows = 64
cols = 1000


class Model(nn.Module):
    def forward(self, a, b):
        return (a - b) ** 2


def get_inputs():
    return [torch.randn(rows, cols), torch.randn(rows, cols)]


def get_init_inputs():
    return []
"""


@pytest.fixture
def sqdiff(tmp_path):
    """The task the examples solve: a squared difference, which is no suite task."""
    from kernelbench_tasks import load_task

    p = tmp_path / "sqdiff.py"
    p.write_text(SQDIFF_TASK)
    return load_task(p)


def test_cpu_example_is_correct_on_its_own_task(cpu_eval, sandbox, sqdiff, tmp_path):
    p = tmp_path / "ex.py"
    p.write_text(_example("cpu"))
    r = cpu_eval.evaluate(sqdiff, p, sandbox, "cpu")
    assert r.status == Status.OK, (r.error, r.messages)


def test_the_example_solves_no_suite_task(cpu_eval, sandbox, tmp_path):
    """A writer that copies the example must not "solve" a suite task: the example's ModelNew takes no
    constructor arguments and two inputs, so only such tasks could accept it, and it fails each of them."""
    from kernelbench_tasks import SUITE_DIR, load_tasks, parse_size

    tasks = load_tasks(SUITE_DIR, shrink_to=parse_size("1MB"))
    assert len(tasks) == 18 and all(t.status == "loaded" for t in tasks)
    fits = [t for t in tasks if not t.init_args and len(t.inputs) == 2]
    assert {t.name for t in fits} == {"7_MatMul", "8_BatchedMatMul"}
    p = tmp_path / "ex.py"
    p.write_text(_example("cpu"))
    for t in fits:
        r = cpu_eval.evaluate(t, p, sandbox, "cpu")
        assert r.status == Status.INCORRECT, (t.name, r.status, r.error)


@requires_nvcc
def test_cuda_example_compiles(cache_root, sandbox, sqdiff, tmp_path):
    p = tmp_path / "ex.py"
    p.write_text(_example("cuda"))
    ev = Evaluator(get_backend("cuda"), fast_config(), cache_root=cache_root)
    r = ev.evaluate(sqdiff, p, sandbox, ev.backend.devices()[0])
    assert r.status in (Status.COMPILED_ONLY, Status.OK), (r.error, r.messages)


@pytest.mark.parametrize("backend, fine", [("triton", (Status.INTERPRETED, Status.OK)),
                                           ("cupy", (Status.COMPILED_ONLY, Status.OK))])
def test_triton_and_cupy_examples_pass_the_harness(backend, fine, cache_root, sandbox, sqdiff, tmp_path):
    from harness import nvrtc

    if backend == "cupy" and not (nvrtc.available() or get_backend("cupy").can_run):
        pytest.skip("needs NVRTC or a GPU with CuPy")
    p = tmp_path / "ex.py"
    p.write_text(_example(backend))
    ev = Evaluator(get_backend(backend), fast_config(trials=2), cache_root=cache_root)
    r = ev.evaluate(sqdiff, p, sandbox, ev.backend.devices()[0])
    assert r.status in fine, (r.status, r.error, r.messages)


def test_prompts_carry_strategy_task_and_feedback():
    m = writer_messages("cpu", "TACTICS-XYZ", "class Model: ...", ("OLD-KERNEL", "status: incorrect"))
    text = m[-1]["content"]
    assert "TACTICS-XYZ" in text and "class Model" in text and "OLD-KERNEL" in text and "status: incorrect" in text
    r = reflection_messages("cpu", "TACTICS", [{"task": "t", "source": "SRC", "feedback": "error: boom"}],
                            [{"id": "cuda.coalescing", "title": "Coalescing", "source": "docs", "text": "FACT"}])
    assert "error: boom" in r[0]["content"] and "[cuda.coalescing]" in r[0]["content"] and "<strategy>" in r[0]["content"]


def test_npu_example_passes_the_host_emulation_with_a_tail(npu_eval, sandbox, tmp_path):
    """The AIE example (16-lane loop plus scalar tail) on a task whose size is not a multiple of 16."""
    from npueval_tasks.task import parse_task

    values = [(-1) ** i * (i % 7) * 0.25 for i in range(520)]  # 32 vectors and a tail of 8
    task = parse_task({
        "kernel_name": "relu_bf16",
        "prompt": '#include <aie_api/aie.hpp>\nvoid relu_bf16(bfloat16 *in, bfloat16 *out, int32_t n) {\n}\n',
        "program_code": 'extern "C" { void relu_bf16_wrapper(bfloat16 *in, bfloat16 *out, int32_t n) '
                        '{ event0(); relu_bf16(in, out, n); event1(); } }',
        "test_vectors": {"inputs": [{"in": values, "dtype": "bfloat16"}],
                         "outputs": [{"out": [max(v, 0.0) for v in values], "dtype": "bfloat16"}],
                         "rtps": [{"n": 520, "dtype": "int32"}]}})
    code = _example("npu")
    assert extract_code(f"```cpp\n{code}```", must_define="relu_bf16", language="cpp").code == code
    p = tmp_path / "relu_bf16.cc"
    p.write_text(code)
    r = npu_eval.evaluate(task, p, sandbox)
    assert r.status == Status.OK and r.vector_util > 0.3, (r.error, r.messages, r.vector_util)
    wrong = tmp_path / "no_tail.cc"
    wrong.write_text(code.replace("for (; i < n; ++i)", "for (; i < 0; ++i)"))
    r = npu_eval.evaluate(task, wrong, sandbox)
    assert r.status == Status.INCORRECT and "[512]" in r.error, r.error  # the tail's first element


def test_npu_writer_prompt_fences_the_task_and_kernels_as_cpp():
    m = writer_messages("npu", "TACTICS", "/* task */ void k(int8_t *a) {\n}", ("OLD", "status: incorrect"),
                        language="cpp")[-1]["content"]
    assert m.startswith("Write this AMD NPU (AIE2) kernel") and "```cpp\n/* task */" in m and "```cpp\nOLD" in m
    assert "```python" not in m and "TACTICS" in m
