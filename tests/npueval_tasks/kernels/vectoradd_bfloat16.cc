#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// Elementwise: 16 bfloat16 lanes per step.
void vectoradd_bfloat16(bfloat16 *in0, bfloat16 *in1, bfloat16 *out) {
    constexpr int N = 256, L = 16;
    for (int i = 0; i < N; i += L) AIE_PREPARE_FOR_PIPELINING AIE_LOOP_MIN_ITERATION_COUNT(16) {
        aie::vector<bfloat16, L> a = aie::load_v<L>(in0 + i);
        aie::vector<bfloat16, L> b = aie::load_v<L>(in1 + i);
        aie::store_v(out + i, aie::add(a, b));
    }
}
