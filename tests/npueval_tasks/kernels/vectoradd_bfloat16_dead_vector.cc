#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// Adversarial: the scalar loop computes the output; vector ops on the same data pad the estimate,
// their results folded into a value that is thrown away (or stored into a scratch array never read).
void vectoradd_bfloat16(bfloat16 *in0, bfloat16 *in1, bfloat16 *out) {
    constexpr int N = 256, L = 16;
    bfloat16 scratch[L];
    aie::vector<bfloat16, L> junk = aie::zeros<bfloat16, L>();
    for (int i = 0; i < N; i += L) {
        aie::vector<bfloat16, L> a = aie::load_v<L>(in0 + i);
        aie::vector<bfloat16, L> b = aie::load_v<L>(in1 + i);
        for (int k = 0; k < 8; ++k) junk = aie::max(aie::add(junk, aie::mul(a, b).to_vector<bfloat16>()), a);
        aie::store_v(scratch, junk);
        volatile bfloat16 sink = aie::reduce_add(junk);
        (void)sink;
    }
    for (int i = 0; i < N; ++i) out[i] = in0[i] + in1[i];
}
