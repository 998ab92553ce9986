#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// bfloat16 math through the float accumulator: to_vector rounds with the tile's mode.
void vectormult_bfloat16(bfloat16 *in_buffer1, bfloat16 *in_buffer2, bfloat16 *out_buffer, int32_t vector_size) {
    constexpr int L = 16;
    for (int i = 0; i < vector_size; i += L) AIE_PREPARE_FOR_PIPELINING {
        aie::accum<aie::accfloat, L> acc = aie::mul(aie::load_v<L>(in_buffer1 + i), aie::load_v<L>(in_buffer2 + i));
        aie::store_v(out_buffer + i, acc.to_vector<bfloat16>());
    }
}
