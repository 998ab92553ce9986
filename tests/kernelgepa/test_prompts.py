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
    return re.search(r"```python\n(.*?)```", FORMAT[backend], re.S).group(1)


@pytest.mark.parametrize("backend", ["cpu", "cuda", "triton", "cupy"])
def test_examples_pass_static_checks_and_parse(backend):
    code = _example(backend)
    assert check_candidate(code).ok
    assert extract_code(f"```python\n{code}```").code is not None


def test_cpu_example_is_correct_on_relu(cpu_eval, sandbox, task, tmp_path):
    p = tmp_path / "ex.py"
    p.write_text(_example("cpu"))
    r = cpu_eval.evaluate(task("1_ReLU"), p, sandbox, "cpu")
    assert r.status == Status.OK, (r.error, r.messages)


@requires_nvcc
def test_cuda_example_compiles(cache_root, sandbox, task, tmp_path):
    p = tmp_path / "ex.py"
    p.write_text(_example("cuda"))
    ev = Evaluator(get_backend("cuda"), fast_config(), cache_root=cache_root)
    r = ev.evaluate(task("1_ReLU"), p, sandbox, ev.backend.devices()[0])
    assert r.status in (Status.COMPILED_ONLY, Status.OK), (r.error, r.messages)


@pytest.mark.parametrize("backend, fine", [("triton", (Status.INTERPRETED, Status.OK)),
                                           ("cupy", (Status.COMPILED_ONLY, Status.OK))])
def test_triton_and_cupy_examples_pass_the_harness(backend, fine, cache_root, sandbox, tmp_path):
    from harness import nvrtc
    from kernelbench_tasks import SUITE_DIR, load_task, parse_size

    if backend == "cupy" and not (nvrtc.available() or get_backend("cupy").can_run):
        pytest.skip("needs NVRTC or a GPU with CuPy")
    p = tmp_path / "ex.py"
    p.write_text(_example(backend))
    ev = Evaluator(get_backend(backend), fast_config(trials=2), cache_root=cache_root)
    small = load_task(SUITE_DIR / "level1" / "1_ReLU.py", shrink_to=parse_size("1MB"))
    r = ev.evaluate(small, p, sandbox, ev.backend.devices()[0])
    assert r.status in fine, (r.status, r.error, r.messages)


def test_prompts_carry_strategy_task_and_feedback():
    m = writer_messages("cpu", "TACTICS-XYZ", "class Model: ...", ("OLD-KERNEL", "status: incorrect"))
    text = m[-1]["content"]
    assert "TACTICS-XYZ" in text and "class Model" in text and "OLD-KERNEL" in text and "status: incorrect" in text
    r = reflection_messages("cpu", "TACTICS", [{"task": "t", "source": "SRC", "feedback": "error: boom"}],
                            [{"id": "cuda.coalescing", "title": "Coalescing", "source": "docs", "text": "FACT"}])
    assert "error: boom" in r[0]["content"] and "[cuda.coalescing]" in r[0]["content"] and "<strategy>" in r[0]["content"]
