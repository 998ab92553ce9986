#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// Deliberately wrong: stops one vector early, so the last 16 outputs are never written.
void vectoradd_bfloat16(bfloat16 *in0, bfloat16 *in1, bfloat16 *out) {
    constexpr int N = 256, L = 16;
    for (int i = 0; i < N - L; i += L) {
        aie::store_v(out + i, aie::add(aie::load_v<L>(in0 + i), aie::load_v<L>(in1 + i)));
    }
}
