"""The host unit around a kernel, and the emulation's semantics checked against values computed here."""
import numpy as np

from harness.result import Status
from npueval_tasks.host import ENTRY, host_translation_unit, promote_ternary_branches
from npueval_tasks.task import parse_task


def test_promote_ternary_branches_skips_literals_comments_and_scopes():
    src = 'y = c ? a : b; s = "x ? y : z"; // p ? q : r\nz = f(c ? v[i] : (d ? e : g), 2); aie::vector<int, 4> w;'
    assert promote_ternary_branches(src) == ('y = c ? + a : + b; s = "x ? y : z"; // p ? q : r\n'
                                             'z = f(c ? + v[i] : + (d ? + e : + g), 2); aie::vector<int, 4> w;')


def _task(body: str, n_out: int, expected, x):
    return parse_task({
        "kernel_name": "api_semantics",
        "prompt": '#include <aie_api/aie.hpp>\n#include "aie_kernel_utils.h"\n'
                  "void api_semantics(int16_t *x, int32_t *out) {\n}\n",
        "canonical_solution": body + "\n}",
        "program_code": 'extern "C" void api_semantics_wrapper(int16_t *x, int32_t *out) {\n'
                        "::aie::set_rounding(aie::rounding_mode::positive_inf); event0(); api_semantics(x, out); event1(); }",
        "test_vectors": {"inputs": [{"x": list(map(int, x)), "dtype": "int16"}],
                         "outputs": [{"out": list(map(int, expected)), "dtype": "int32"}]},
        "tolerances": {"atol": 0, "rtol": 0}})


KERNEL = """
    auto v = aie::load_v<32>(x);
    int k = 0;
    auto put = [&](auto vec) { for (unsigned i = 0; i < vec.size(); ++i) out[k++] = int32_t(vec[i]); };
    aie::accum<aie::acc48, 32> acc(v);
    put(acc.to_vector<int16_t>(2));                                  // x/4, nearest, ties toward +inf
    aie::set_rounding(aie::rounding_mode::conv_even);
    put(acc.to_vector<int16_t>(2));                                  // x/4, nearest, ties to even
    aie::set_saturation(aie::saturation_mode::symmetric);
    put(aie::mul(v, int16_t(20)).to_vector<int8_t>(0));              // clamp to [-127, 127]
    put(aie::select(v, aie::neg(v), aie::gt(v, int16_t(5))));        // -x where x > 5
    put(aie::shuffle_down(v, 3));                                    // x[i + 3], zeros shifted in
    put(aie::downshift(v, 1));                                       // arithmetic
    put(aie::logical_downshift(v, 1));                               // zeros shifted in
    out[k++] = aie::reduce_add(v);
    out[k++] = aie::reduce_max(aie::abs(v));
    using namespace aie::operators;
    put((v & int16_t(6)) | aie::broadcast<int16_t, 32>(1));
"""


def test_emulated_api_matches_reference_semantics(npu_eval, sandbox):
    x = np.arange(-8, 24, dtype=np.int64)
    half_up = np.floor(x / 4 + 0.5)
    even = np.round(x / 4)  # numpy rounds half to even
    sym_sat = np.clip(x * 20, -127, 127)
    sel = np.where(x > 5, -x, x)
    shuf = np.concatenate([x[3:], [0, 0, 0]])
    logical = (x & 0xFFFF) >> 1
    logical = np.where(logical >= 1 << 15, logical - (1 << 16), logical)
    bits = (x & 6) | 1
    expected = np.concatenate([half_up, even, sym_sat, sel, shuf, x >> 1, logical, [x.sum(), np.abs(x).max()], bits])
    task = _task(KERNEL, len(expected), expected, x)
    res = npu_eval.evaluate_source(task, task.canonical_source, sandbox)
    assert res.status == Status.OK, res.error or res.messages
    wrong = _task(KERNEL, len(expected), np.where(np.arange(len(expected)) == 40, expected + 1, expected), x)
    res = npu_eval.evaluate_source(wrong, wrong.canonical_source, sandbox)
    assert res.status == Status.INCORRECT and res.mismatch.where == [40]


def test_translation_unit_calls_the_wrapper_with_typed_arguments():
    task = _task("", 1, [0], [0])
    unit = host_translation_unit(task, "void api_semantics(int16_t *x, int32_t *out) {}")
    assert f"void {ENTRY}(void** args)" in unit
    assert "api_semantics_wrapper(static_cast<int16_t*>(args[0]), static_cast<int32_t*>(args[1]));" in unit
