#include <aie_api/aie.hpp>
#include "aie_kernel_utils.h"

// aie::mmul 4x8x4 tiles over a 16x16x16 int8 product, saturated back to int8.
void matmul_16x16_int8(int8_t *a, int8_t *b, int8_t *out) {
    constexpr int S = 16, M = 4, K = 8, N = 4;
    using MMUL = aie::mmul<M, K, N, int8_t, int8_t>;
    aie::set_saturation(aie::saturation_mode::saturate);
    for (int i = 0; i < S; i += M)
        for (int j = 0; j < S; j += N) {
            MMUL m;
            for (int k = 0; k < S; k += K) {
                aie::vector<int8_t, M * K> ta;
                aie::vector<int8_t, K * N> tb;
                for (int r = 0; r < M; ++r) ta.insert(r, aie::load_v<K>(a + (i + r) * S + k));
                for (int r = 0; r < K; ++r) tb.insert(r, aie::load_v<N>(b + (k + r) * S + j));
                if (k == 0) m.mul(ta, tb); else m.mac(ta, tb);
            }
            aie::vector<int8_t, M * N> c = m.to_vector<int8_t>();
            for (int r = 0; r < M; ++r) aie::store_v(out + (i + r) * S + j, c.extract<N>(r));
        }
}
