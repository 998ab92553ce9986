"""End to end on the host AIE emulation: real builds, real sandboxed runs, NPUEval's comparison."""
import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.result import Status
from npueval_tasks.task import parse_task
from tests.conftest import NPU_KERNELS as KERNELS, requires_npueval


@requires_npueval
def test_all_npueval_canonical_solutions_pass_with_near_zero_vector_estimate(npueval_tasks, npu_eval, sandbox):
    tasks = list(npueval_tasks.values())
    assert len(tasks) == 102
    with ThreadPoolExecutor(2) as pool:  # compile in parallel; the sandbox runs them one at a time
        builds = list(pool.map(lambda t: npu_eval.build(t, t.canonical_source)[0], tasks))
    assert [t.name for t, b in zip(tasks, builds) if not b.ok] == []
    results = [npu_eval.evaluate_source(t, t.canonical_source, sandbox) for t in tasks]
    failed = {r.task: f"{r.status.value}: {r.error}" for r in results if r.status != Status.OK}
    assert failed == {}
    assert all(r.capability == "emulated" and r.vector_util_kind == "estimated" for r in results)
    assert max(r.vector_util for r in results) < 0.02  # scalar code: almost no vector issue


def _run(npu_eval, sandbox, task, kernel: str):
    return npu_eval.evaluate_source(task, (KERNELS / kernel).read_text(), sandbox)


@requires_npueval
@pytest.mark.parametrize("kernel,task", [
    ("vectoradd_bfloat16.cc", "vectoradd_bfloat16"),       # elementwise bfloat16
    ("relu_int8.cc", "relu_int8"),                         # elementwise int8
    ("reducemin_bfloat16.cc", "reducemin_bfloat16"),       # reduction
    ("vectormult_bfloat16.cc", "vectormult_bfloat16"),     # bfloat16 math through accfloat
    ("matmul_16x16_int8.cc", "matmul_16x16_int8"),         # mmul + int8 saturation
])
def test_vectorized_npueval_kernels_pass_with_high_estimate(npueval_tasks, npu_eval, sandbox, kernel, task):
    res = _run(npu_eval, sandbox, npueval_tasks[task], kernel)
    assert res.status == Status.OK, res.error or res.messages
    scalar = npu_eval.evaluate_source(npueval_tasks[task], npueval_tasks[task].canonical_source, sandbox)
    assert res.vector_util > 0.3 and res.vector_util > 20 * scalar.vector_util
    assert "estimated" in res.profile
    assert "discarded" not in res.profile  # every vector op's result reaches the output: the estimate is kept


@requires_npueval
def test_dead_vector_ops_do_not_raise_a_scalar_kernels_estimate(npueval_tasks, npu_eval, sandbox):
    """A scalar kernel padded with vector ops whose results are thrown away (a volatile sink, a scratch
    array never read) scores as the scalar kernel it is."""
    res = _run(npu_eval, sandbox, npueval_tasks["vectoradd_bfloat16"], "vectoradd_bfloat16_dead_vector.cc")
    assert res.status == Status.OK, res.error or res.messages
    assert res.vector_util == 0.0 and "vector cycles discarded" in res.profile, res.profile


@pytest.mark.parametrize("kernel", ["add_saturate_int8.cc", "scale_q14_int16.cc"])
def test_vectorized_example_kernels_with_saturation_pass(example_tasks, npu_eval, sandbox, kernel):
    res = _run(npu_eval, sandbox, example_tasks[kernel.removesuffix(".cc")], kernel)
    assert res.status == Status.OK, res.error or res.messages
    assert res.vector_util > 0.3


def test_example_tasks_canonical_solutions_pass(example_tasks, npu_eval, sandbox):
    for t in example_tasks.values():
        res = npu_eval.evaluate_source(t, t.canonical_source, sandbox)
        assert res.status == Status.OK, (t.name, res.error)


@requires_npueval
def test_kernel_stopping_early_fails_with_positions(npueval_tasks, npu_eval, sandbox):
    res = _run(npu_eval, sandbox, npueval_tasks["vectoradd_bfloat16"], "vectoradd_bfloat16_short.cc")
    assert res.status == Status.INCORRECT and res.mismatch.n_bad == 16
    assert "at [240] expected" in res.error and "[241]" in res.error and "(+11 more)" in res.error


def test_missing_saturation_wraps_and_fails_with_positions(example_tasks, npu_eval, sandbox):
    task = example_tasks["add_saturate_int8"]
    res = _run(npu_eval, sandbox, task, "add_saturate_int8_wraps.cc")
    a, b = task.inputs[0].values, task.inputs[1].values
    overflow = [i for i in range(256) if not -128 <= a[i] + b[i] <= 127]
    assert res.status == Status.INCORRECT and res.mismatch.n_bad == len(overflow) > 0
    assert f"at [{overflow[0]}] expected {task.output.values[overflow[0]]}, got " in res.error


@requires_npueval
def test_unsupported_api_is_a_compile_error_naming_it(npueval_tasks, npu_eval, sandbox):
    res = _run(npu_eval, sandbox, npueval_tasks["relu_int8"], "uses_unsupported.cc")
    assert res.status == Status.COMPILE_ERROR and "sliding_mul_sym" in res.error
    bad_type = (KERNELS / "relu_int8.cc").read_text().replace("aie::zeros<int8_t, L>()", "aie::bit_not(aie::zeros<float, L>())")
    res = npu_eval.evaluate_source(npueval_tasks["relu_int8"], bad_type, sandbox)
    assert res.status == Status.COMPILE_ERROR and "aie::bit_not: integer element types only" in res.messages


def _cast_task(values, expected):
    """A float32 -> bfloat16 cast task with exact tolerance, to pin down conversion rounding."""
    n = len(values)
    return parse_task({
        "kernel_name": "cast_f32_bf16",
        "prompt": f'#include <aie_api/aie.hpp>\n#include "aie_kernel_utils.h"\nvoid cast_f32_bf16(float *x, bfloat16 *y) {{\n}}\n',
        "canonical_solution": f"for (int i = 0; i < {n}; ++i) y[i] = x[i];\n}}",
        "program_code": 'extern "C" void cast_f32_bf16_wrapper(float *x, bfloat16 *y) {\n'
                        "::aie::set_rounding(aie::rounding_mode::positive_inf); event0(); cast_f32_bf16(x, y); event1(); }",
        "test_vectors": {"inputs": [{"x": values, "dtype": "float32"}], "outputs": [{"y": expected, "dtype": "bfloat16"}]},
        "tolerances": {"atol": 0, "rtol": 0}})


def test_bfloat16_conversion_uses_the_wrappers_positive_inf_rounding(npu_eval, sandbox):
    # 1 + 2^-8 is half way between bfloat16 1 and 1 + 2^-7: positive_inf rounds up, -x rounds toward +inf (down in
    # magnitude); 1 + 3*2^-9 is above half way, so it rounds to nearest whatever the tie rule.
    x = [1 + 2 ** -8, -(1 + 2 ** -8), 1 + 3 * 2 ** -9, 3.0]
    expected = [1 + 2 ** -7, -1.0, 1 + 2 ** -7, 3.0]
    assert npu_eval.evaluate_source(_cast_task(x, expected), _cast_task(x, expected).canonical_source, sandbox).status == Status.OK
    conv_even = [1.0, -1.0, 1 + 2 ** -7, 3.0]
    res = npu_eval.evaluate_source(_cast_task(x, conv_even), _cast_task(x, conv_even).canonical_source, sandbox)
    assert res.status == Status.INCORRECT and res.mismatch.n_bad == 1 and res.mismatch.where == [0]


def test_out_of_bounds_write_and_internal_names_are_caught(example_tasks, npu_eval, sandbox):
    task = example_tasks["add_saturate_int8"]
    src = task.canonical_source.replace("constexpr int32_t N = 256;", "constexpr int32_t N = 260;")
    res = npu_eval.evaluate_source(task, src, sandbox)
    assert res.status == Status.RUNTIME_ERROR and "wrote past the end of out" in res.error
    forged = task.canonical_source.replace("constexpr", "aie_emu::stats.blocks = 0; constexpr", 1)
    res = npu_eval.evaluate_source(task, forged, sandbox)
    assert res.status == Status.REJECTED and "aie_emu" in res.error


def test_missing_events_and_hangs_are_reported(example_tasks, npu_eval, sandbox):
    task = example_tasks["add_saturate_int8"]
    no_events = dataclasses.replace(task, program_code=task.program_code.replace("event0();", ""))
    res = npu_eval.evaluate_source(no_events, task.canonical_source, sandbox)
    assert res.status == Status.INVALID and "event0()" in res.error
    npu_eval.run_timeout_s, saved = 2.0, npu_eval.run_timeout_s
    try:
        res = npu_eval.evaluate_source(task, task.canonical_source.replace("for (int i", "while (true) {} for (int i"), sandbox)
    finally:
        npu_eval.run_timeout_s = saved
    assert res.status == Status.TIMEOUT


def test_result_round_trips_with_capability(example_tasks, npu_eval, sandbox):
    from harness.result import EvalResult

    task = example_tasks["axpy_bfloat16"]
    res = npu_eval.evaluate_source(task, task.canonical_source, sandbox)
    back = EvalResult.from_dict(json.loads(json.dumps(res.to_dict())))
    assert (back.capability, back.vector_util_kind, back.vector_util) == ("emulated", "estimated", res.vector_util)


@pytest.mark.parametrize("forgery", [
    # token pasting builds the internal name only after the source check has read the text
    "#define KG_CAT(a, b) a##b\nstatic void bump() { KG_CAT(aie_, emu)::stats.blocks = 0; }\n",
    # an assembler label reaches the counters by their mangled name, which holds no whole word aie_emu
    'extern "C++" { extern unsigned long long my_blocks asm("_ZN7aie_emu5statsE"); }\n'
    "static void bump() { my_blocks = 0; }\n",
    # switching off the coverage instrumentation that counts the kernel's scalar blocks
    "__attribute__((no_sanitize_coverage)) ",
    "#define QUIET __attribute__((__no_sanitize__(\"coverage\")))\nQUIET ",
    '_Pragma("GCC optimize (\\"O0\\")") ',
])
def test_counters_cannot_be_reached_by_macro_or_symbol_tricks(example_tasks, npu_eval, sandbox, forgery):
    task = example_tasks["add_saturate_int8"]
    src = task.canonical_source.replace("void ", forgery + "void ", 1)
    res = npu_eval.evaluate_source(task, src, sandbox)
    assert res.status == Status.REJECTED, (res.status, res.error)
