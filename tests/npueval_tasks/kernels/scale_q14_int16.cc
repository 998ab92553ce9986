#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// Fixed point: multiply into a 64-bit accumulator, shift down 14 with the wrapper's rounding, saturate.
void scale_q14_int16(int16_t *in_buffer, int16_t *out_buffer, int16_t scale) {
    constexpr int N = 128, L = 32;
    aie::set_saturation(aie::saturation_mode::saturate);
    for (int i = 0; i < N; i += L) AIE_PREPARE_FOR_PIPELINING {
        auto acc = aie::mul(aie::load_v<L>(in_buffer + i), scale);
        aie::store_v(out_buffer + i, acc.template to_vector<int16_t>(14));
    }
}
