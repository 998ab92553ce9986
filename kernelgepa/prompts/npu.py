"""The npu backend's part of the prompts (NPUEval AIE2 kernels in C++): seed tactics, the answer
format with a worked example (relu_bf16, no NPUEval task here), how kernels are built and judged."""
from __future__ import annotations

SEED = ("Write the AIE kernel with the AIE API (aie::vector, aie::load_v / aie::store_v, aie::add, aie::max, "
        "aie::mul / aie::mac with accumulators). Use full-width vectors (64 x int8, 32 x int16 or bfloat16, "
        "16 x int32 or float), the buffer sizes from the prompt as compile-time constants, one vector loop "
        "preceded by AIE_PREPARE_FOR_PIPELINING, constants broadcast once before the loop, no per-element "
        "scalar work inside it, and a scalar tail only when the size is not a multiple of the lane count.")

FORMAT = '''Return ONE ```cpp code block holding the whole kernel source: the prompt's two #include lines
and the function with exactly the prompt's signature (no wrapper, no main, no host headers).
Correctness is checked on the task's test vectors (|got - expected| <= atol + rtol*|expected|); among
correct kernels, a higher share of vector work scores better. Example (n not a multiple of 16):
```cpp
#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

void relu_bf16(bfloat16 *in, bfloat16 *out, int32_t n) {
    constexpr int L = 16;  // 16 bfloat16 lanes
    const aie::vector<bfloat16, L> zero = aie::zeros<bfloat16, L>();
    int i = 0;
    AIE_PREPARE_FOR_PIPELINING
    for (; i + L <= n; i += L) {
        aie::vector<bfloat16, L> v = aie::load_v<L>(in + i);
        aie::store_v(out + i, aie::max(v, zero));
    }
    for (; i < n; ++i)  // tail: the last n % L elements
        out[i] = in[i] > bfloat16(0.0f) ? in[i] : bfloat16(0.0f);
}
```
aie::mul and aie::mac return accumulators (aie::accum<accfloat, 16> for bfloat16, acc32 for int8/int16):
convert back with acc.template to_vector<T>(shift), with aie::set_saturation(aie::saturation_mode::saturate)
set first when results must clamp.'''

ROUTES = '''Build and verdict: the kernel is compiled with g++ against a host emulation of the AIE API and run on
the task's test vectors (capability "emulated"); if the AIE compiler (Peano) is configured it is also
compiled for the AIE, and its assembly's share of vector-slot bundles is reported. Headers: only the
prompt's two includes (aie_api/aie.hpp, aie_kernel_utils.h).'''
