#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// int8 saturation: widen into a 32-bit accumulator, add, convert back with saturation on.
void add_saturate_int8(int8_t *in0, int8_t *in1, int8_t *out) {
    constexpr int N = 256, L = 32;
    aie::set_saturation(aie::saturation_mode::saturate);
    for (int i = 0; i < N; i += L) AIE_PREPARE_FOR_PIPELINING {
        aie::accum<aie::acc32, L> acc;
        acc.from_vector(aie::load_v<L>(in0 + i));
        acc = aie::mac(acc, aie::load_v<L>(in1 + i), int8_t(1));  // in0 + in1 * 1
        aie::store_v(out + i, acc.to_vector<int8_t>());
    }
}
