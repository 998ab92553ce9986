#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// Elementwise int8: 64 lanes per step, max with a broadcast zero.
void relu_int8(int8_t *in_buffer, int8_t *out_buffer) {
    constexpr int N = 1024, L = 64;
    const aie::vector<int8_t, L> zero = aie::zeros<int8_t, L>();
    for (int i = 0; i < N; i += L) AIE_PREPARE_FOR_PIPELINING {
        aie::store_v(out_buffer + i, aie::max(aie::load_v<L>(in_buffer + i), zero));
    }
}
