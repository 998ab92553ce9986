"""A scripted LLM for the NPU search tests: which AIE kernel each strategy writes for each task.

Tasks are three of our own NPUEval-format examples. Any strategy but VECTOR (the built-in seed, or a
user's) writes: add_saturate_int8 with vectors but without saturation (wrong at known positions),
scale_q14_int16 as the scalar canonical loop (correct, estimate ~0), and axpy_bfloat16 calling
``load_v`` without ``aie::`` (a compile error) - also after the harness's feedback. The reflection
answers VECTOR, under which add_saturate_int8 is fixed from its mismatch feedback, scale_q14_int16
is vectorized at once, and axpy_bfloat16 is fixed from its compile error to the scalar loop.
"""
from __future__ import annotations

import re

from npueval_tasks import EXAMPLES_FILE, load_npueval
from tests.conftest import NPU_KERNELS

TASKS = ["add_saturate_int8", "scale_q14_int16", "axpy_bfloat16"]
_CANONICAL = {t.name: t.canonical_source for t in load_npueval(EXAMPLES_FILE).tasks}

BROKEN_AXPY = """#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

void axpy_bfloat16(bfloat16 *x, bfloat16 *y, bfloat16 *out, bfloat16 alpha) {
    for (int i = 0; i < 256; i += 16) {
        aie::vector<bfloat16, 16> v = load_v<16>(x + i);
        aie::store_v(out + i, v);
    }
}
"""

KERNELS = {
    "wraps": lambda t: (NPU_KERNELS / f"{t}_wraps.cc").read_text(),
    "vector": lambda t: (NPU_KERNELS / f"{t}.cc").read_text(),
    "scalar": lambda t: _CANONICAL[t],
    "broken": lambda t: BROKEN_AXPY,
}

PLAN = {  # strategy label -> task -> (first reply, reply after the harness's feedback)
    "SEED": {"add_saturate_int8": ("wraps", "wraps"), "scale_q14_int16": ("scalar", "scalar"),
             "axpy_bfloat16": ("broken", "broken")},
    "VECTOR": {"add_saturate_int8": ("wraps", "vector"), "scale_q14_int16": ("vector", "vector"),
               "axpy_bfloat16": ("broken", "scalar")},
}


class NpuWorld:
    def __init__(self):
        self.reflections: list[str] = []

    def __call__(self, messages: list[dict]) -> str:
        first = messages[1]["content"] if len(messages) > 1 else messages[0]["content"]
        last = messages[-1]["content"]
        if "You maintain the strategy" in last:
            self.reflections.append(last)
            return ("<strategy>\nVECTOR: use 32-lane aie::vector loops, accumulators with saturation on, and "
                    "qualify every AIE API call with aie::.\n</strategy>")
        label = re.search(r"Strategy to follow:\n(\S+)", first).group(1).rstrip(":")
        task = re.search(r">>> (\w+)\(", first).group(1)
        kinds = PLAN.get(label, PLAN["SEED"])[task]
        kind = kinds[1] if last.startswith("Harness feedback") else kinds[0]
        return f"Here is the kernel:\n```cpp\n{KERNELS[kind](task)}```\nIt follows the strategy."
