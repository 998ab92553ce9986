"""The triton backend: examples pass through Triton's interpreter on CPU (status ``interpreted``, no
speed claim); wrong kernels, front-end errors and cheats are caught as with every other backend."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import torch

from harness.backends import get_backend
from harness.evaluate import Evaluator
from harness.result import Status
from kernelbench_tasks import EXAMPLES_DIR, SUITE_DIR, load_task, parse_size
from kernelgepa.cli import main
from kernelgepa.scoring import kernel_score
from tests.conftest import fast_config

pytest.importorskip("triton")
interpreted_here = pytest.mark.skipif(torch.cuda.is_available(), reason="the interpreter path is for machines without a GPU")
EXAMPLES = EXAMPLES_DIR / "triton"
SMALL = "1MB"  # the interpreter runs each program as Python: shrink the CPU-sized tasks further


@pytest.fixture(scope="module")
def triton_eval(cache_root):
    return Evaluator(get_backend("triton"), fast_config(trials=2), cache_root=cache_root)


@pytest.fixture(scope="module")
def small_task():
    def get(name: str):
        [path] = SUITE_DIR.rglob(f"{name}.py")
        return load_task(path, shrink_to=parse_size(SMALL))
    return get


def run(ev, sandbox, task, path: Path):
    return ev.evaluate(task, path, sandbox, ev.backend.devices()[0])


@interpreted_here
@pytest.mark.parametrize("name", ["1_ReLU", "5_Softmax", "7_MatMul", "3_SumReduceDim", "12_GELU"])
def test_examples_are_interpreted_correct_without_a_speed_claim(triton_eval, sandbox, small_task, name):
    r = run(triton_eval, sandbox, small_task(name), EXAMPLES / f"{name}.py")
    assert r.status == Status.INTERPRETED, (r.status, r.error, r.messages)
    assert not r.correct and r.kernel is None and r.baseline is None and r.speedup is None
    assert any("interpreter" in w and "no speed claim" in w for w in r.warnings)
    assert r.size_label.startswith("shrunk")
    d = r.to_dict()
    assert d["status"] == "interpreted" and d["correct"] is False and d["kernel_ms"] is None
    assert 0 < kernel_score(d["status"], d["speedup"]) < kernel_score("ok", 0.01)


@interpreted_here
def test_autotuned_kernel_reports_its_chosen_config(triton_eval, sandbox, small_task):
    r = run(triton_eval, sandbox, small_task("12_GELU"), EXAMPLES / "12_GELU.py")
    assert r.status == Status.INTERPRETED
    assert any(w.startswith("autotune: gelu_kernel chose BLOCK: 4096") for w in r.warnings), r.warnings


def test_wrong_kernel_is_incorrect(triton_eval, sandbox, small_task, candidate):
    r = run(triton_eval, sandbox, small_task("1_ReLU"), candidate("triton_wrong_values"))
    assert r.status == Status.INCORRECT and r.mismatch is not None
    assert "expected" in r.error


def test_front_end_error_names_the_candidates_line_not_triton_internals(triton_eval, sandbox, small_task, candidate):
    path = candidate("triton_type_error")
    r = run(triton_eval, sandbox, small_task("1_ReLU"), path)
    assert r.status == Status.COMPILE_ERROR and r.rung == "compile", (r.status, r.error)
    assert "line 12" in r.error and "y = tl.dot(x, x)" in r.error and "ranks" in r.error
    assert "site-packages" not in r.error and "\n" not in r.error


@pytest.mark.parametrize("name, status, words", [
    ("triton_uses_torch_op", Status.REJECTED, "aten::relu"),
    ("triton_op_in_staging", Status.REJECTED, "aten::relu"),
    ("triton_builtin_in_staging", Status.REJECTED, "aten::clamp_min"),
    ("triton_alias_input", Status.REJECTED, "in place"),
])
def test_cheats_are_caught_as_for_every_backend(triton_eval, sandbox, small_task, candidate, name, status, words):
    r = run(triton_eval, sandbox, small_task("1_ReLU"), candidate(name))
    assert r.status == status, (r.status, r.error)
    assert words in (r.error or "")


def test_native_builds_are_refused(triton_eval, sandbox, small_task):
    r = run(triton_eval, sandbox, small_task("1_ReLU"), EXAMPLES_DIR / "cpu" / "1_ReLU.py")
    assert r.status == Status.INVALID and "@triton.jit" in r.error


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("name", ["1_ReLU", "5_Softmax", "7_MatMul", "12_GELU"])
def test_examples_compile_and_are_timed_on_gpu(triton_eval, sandbox, task, name):
    r = run(triton_eval, sandbox, task(name), EXAMPLES / f"{name}.py")
    assert r.status == Status.OK and r.speedup and r.kernel.median_ms > 0, (r.status, r.error, r.messages)


def test_compile_error_maps_to_the_candidates_line():
    """On a GPU the JIT compiler numbers lines from the kernel's def; the message uses the file's."""
    from triton.compiler.errors import CompilationError

    from harness.worker.triton_support import describe_error

    path = str(EXAMPLES / "5_Softmax.py")
    src = Path(path).read_text()
    kernel = src[src.index("def softmax_kernel"):src.index("\n\n\nclass")]
    node = ast.parse(kernel).body[0].body[3]  # the tl.load line, 4th statement of the body
    try:
        try:
            raise CompilationError(kernel, node, "unsupported tensor type")
        except CompilationError as e:
            raise RuntimeError("launch failed") from e
    except RuntimeError as outer:
        info = describe_error(outer, path)
    line = src[:src.index("x = tl.load(x_ptr + row")].count("\n") + 1
    assert info == {"status": "compile_error", "message": f"triton compile error at line {line}: "
                    "x = tl.load(x_ptr + row * cols + offs, mask=mask, other=-float(\"inf\")): unsupported tensor type"}


@interpreted_here
def test_cli_eval_triton_writes_the_usual_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["eval", "--backend", "triton", "--tasks", str(SUITE_DIR / "level1" / "1_ReLU.py"), "--shrink-to", SMALL,
                 "--trials", "2", "--threads", "2", "--cache-dir", str(tmp_path / "cache"), "--json", str(out)]) == 0
    d = json.loads(out.read_text())
    assert set(d) == {"results", "summary", "meta"} and d["meta"]["backend"] == "triton"
    [r] = d["results"]
    assert r["status"] == "interpreted" and r["correct"] is False and r["speedup"] is None
    s = d["summary"]
    assert s["n_correct"] == 0 and s["n_interpreted"] == 1 and s["geomean_speedup"] is None
    assert all(v == 0.0 for v in s["fast_p"].values())
    assert "more correct under an interpreter" in capsys.readouterr().out
