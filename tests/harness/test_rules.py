"""The two rule sets end to end (README "Rules"): KernelBench's (PyTorch compute ops allowed and
recorded, but the candidate's own kernels must do real work) and strict (no PyTorch compute op)."""
from __future__ import annotations

import pytest
import torch

from harness.backends import get_backend
from harness.config import EvalConfig
from harness.evaluate import Evaluator
from harness.result import Status
from kernelbench_tasks import SUITE_DIR, load_task, parse_size
from tests.conftest import fast_config


@pytest.fixture(scope="module")
def strict_eval(cache_root):
    return Evaluator(get_backend("cpu"), fast_config(rules="strict"), cache_root=cache_root)


def run(ev, sandbox, task, path):
    return ev.evaluate(task, path, sandbox, ev.backend.devices()[0])


def test_default_rules_are_kernelbench_and_recorded(cpu_eval, sandbox, task, candidate):
    assert EvalConfig().rules == "kernelbench"
    r = run(cpu_eval, sandbox, task("1_ReLU"), candidate("relu_ok"))
    assert r.status == Status.OK, r.error
    d = r.to_dict()
    assert d["rules"] == "kernelbench" and d["tolerance"] is None and d["torch_ops"] == []


def test_partial_replacement_passes_and_records_its_torch_ops(cpu_eval, sandbox, task, candidate):
    r = run(cpu_eval, sandbox, task("1_Linear_Bias_ReLU"), candidate("partial_linear_fused"))
    assert r.status == Status.OK, (r.error, r.messages)
    assert r.torch_ops == ["aten::mm"]


def test_strict_rules_refuse_the_same_partial_replacement(strict_eval, sandbox, task, candidate):
    r = run(strict_eval, sandbox, task("1_Linear_Bias_ReLU"), candidate("partial_linear_fused"))
    assert r.status == Status.REJECTED and "aten::mm" in r.error and "--rules strict" in r.error
    assert r.rules == "strict"


@pytest.mark.parametrize("task_name, name, words", [
    # every compute op of the reference still dispatched: the identity kernel replaced nothing
    ("1_Linear_Bias_ReLU", "decorative_full_torch", "replace none"),
    ("1_ReLU", "uses_torch_op", "replace none"),
    # another PyTorch op computes the answer; the kernel's output never reaches it
    ("1_ReLU", "decorative_scratch", "decorative kernel"),
    # no kernel ran at all
    ("1_ReLU", "torch_rewrite", "no kernel of its own"),
    ("1_ReLU", "try_fallback", "no kernel of its own"),
])
def test_decorative_kernels_are_refused(cpu_eval, sandbox, task, candidate, task_name, name, words):
    r = run(cpu_eval, sandbox, task(task_name), candidate(name))
    assert r.status == Status.REJECTED, (r.status, r.error)
    assert words in r.error and "aten::" in r.error


def test_tolerance_override_is_applied_and_recorded(cpu_eval, cache_root, sandbox, task, candidate):
    loose = Evaluator(get_backend("cpu"), fast_config(tolerance=1e-2), cache_root=cache_root)
    assert loose.cfg.tolerance_for("float32") == {"atol": 1e-2, "rtol": 1e-2, "rel_l2": 1e-2}
    assert loose.cfg.tolerance_for("float16")["atol"] == 1e-2
    r = run(loose, sandbox, task("1_ReLU"), candidate("relu_slightly_off"))
    assert r.status == Status.OK, r.error
    assert r.to_dict()["tolerance"] == 1e-2
    assert run(cpu_eval, sandbox, task("1_ReLU"), candidate("relu_slightly_off")).status == Status.INCORRECT


def test_bad_rules_or_tolerance_are_one_clear_error():
    with pytest.raises(ValueError, match="unknown rules 'loose'"):
        EvalConfig(rules="loose")
    with pytest.raises(ValueError, match="tolerance must be between 0 and 1"):
        EvalConfig(tolerance=2.0)


@pytest.fixture(scope="module")
def triton_eval(cache_root):
    pytest.importorskip("triton")
    return Evaluator(get_backend("triton"), fast_config(trials=2), cache_root=cache_root)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the interpreter path is for machines without a GPU")
@pytest.mark.parametrize("task_name, name, status", [
    ("1_Linear_Bias_ReLU", "triton_partial_linear", Status.INTERPRETED),
    ("1_ReLU", "triton_decorative_scratch", Status.REJECTED),
])
def test_triton_launches_are_ablated_too(triton_eval, sandbox, candidate, task_name, name, status):
    [path] = SUITE_DIR.rglob(f"{task_name}.py")
    r = run(triton_eval, sandbox, load_task(path, shrink_to=parse_size("1MB")), candidate(name))
    assert r.status == status, (r.status, r.error, r.messages)
    if status == Status.REJECTED:
        assert "decorative kernel" in r.error


@pytest.mark.parametrize("name", ["2_Conv2d_GroupNorm_ReLU", "3_Linear_Scale_Sigmoid", "1_MLPBlock"])
def test_shipped_partial_replacements_pass_kernelbench_rules_only(cpu_eval, strict_eval, sandbox, task, name):
    from kernelbench_tasks import EXAMPLES_DIR

    path = EXAMPLES_DIR / "cpu" / f"{name}.py"
    r = run(cpu_eval, sandbox, task(name), path)
    assert r.status == Status.OK, (r.error, r.messages)
    assert r.torch_ops and r.speedup > 0  # a real measurement, either direction
    s = run(strict_eval, sandbox, task(name), path)
    assert s.status == Status.REJECTED and "--rules strict" in s.error


def test_kernels_calling_pytorch_below_the_dispatcher_are_refused(cpu_eval, sandbox, task, candidate):
    from harness.symbols import below_dispatcher

    r = run(cpu_eval, sandbox, task("1_ReLU"), candidate("calls_aten_native"))
    assert r.status == Status.REJECTED and "below the dispatcher" in r.error and "at::native::relu_" in r.error
    assert below_dispatcher(["at::cuda::getCurrentCUDAStream(signed char)", "at::_ops::relu::call(at::Tensor const&)",
                             "at::cuda::relu(at::Tensor const&)", "at::cpu::add(at::Tensor const&)"]) \
        == ["at::cuda::relu(at::Tensor const&)", "at::cpu::add(at::Tensor const&)"]
