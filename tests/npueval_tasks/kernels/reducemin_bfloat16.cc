#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// Reduction: lane-wise min over 32-lane chunks, then one tree reduction.
void reducemin_bfloat16(bfloat16 *in_buffer, bfloat16 *out_buffer) {
    constexpr int N = 64, L = 32;
    auto it = aie::begin_vector<L>(in_buffer);
    aie::vector<bfloat16, L> m = *it++;
    for (int i = L; i < N; i += L) m = aie::min(m, aie::vector<bfloat16, L>(*it++));
    *out_buffer = aie::reduce_min(m);
}
