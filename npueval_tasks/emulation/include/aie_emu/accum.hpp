// Host emulation of the AIE API (kernelgepa): accumulators, mul/mac/msc, to_vector with the tile's
// rounding and saturation, and aie::mmul matrix tiles.
#pragma once
#include "ops.hpp"

namespace aie_emu {
template <typename Tag> struct acc_traits;
template <> struct acc_traits<aie::acc32> { using storage = long long; static constexpr unsigned bits = 32; };
template <> struct acc_traits<aie::acc48> { using storage = long long; static constexpr unsigned bits = 48; };
template <> struct acc_traits<aie::acc64> { using storage = long long; static constexpr unsigned bits = 64; };
template <> struct acc_traits<aie::accfloat> { using storage = float; static constexpr unsigned bits = 32; };

// Integer accumulator lanes keep `bits` bits, two's complement, like the hardware register.
template <typename Tag>
AIE_EMU_FN typename acc_traits<Tag>::storage fit(typename acc_traits<Tag>::storage x) {
    if constexpr (std::is_same_v<Tag, aie::accfloat> || acc_traits<Tag>::bits == 64) {
        return x;
    } else {
        constexpr unsigned b = acc_traits<Tag>::bits;
        const unsigned long long m = (1ULL << b) - 1;
        unsigned long long u = static_cast<unsigned long long>(x) & m;
        if (u >> (b - 1)) u |= ~m;
        return static_cast<long long>(u);
    }
}

// Accumulator an aie::mul of these operand types produces when none is named.
template <typename A, typename B>
AIE_EMU_FN constexpr auto default_acc() {
    if constexpr (is_float_v<A> && is_float_v<B>) return aie::accfloat{};
    else if constexpr (std::is_integral_v<A> && std::is_integral_v<B> && bits_v<A> + bits_v<B> <= 24) return aie::acc32{};
    else if constexpr (std::is_integral_v<A> && std::is_integral_v<B>) return aie::acc64{};
    else static_assert(always_false<A>::value, "aie::mul/mac: mixing float and integer operands is not supported");
}
template <typename A, typename B> using default_acc_t = decltype(default_acc<A, B>());

// MACs per cycle the cost model charges an mmul with operands this wide.
AIE_EMU_FN constexpr unsigned macs_per_cycle(unsigned bits_a, unsigned bits_b, bool is_float) {
    const unsigned widest = bits_a > bits_b ? bits_a : bits_b;
    if (widest <= 8) return 256;
    if (widest <= 16) return is_float ? 128 : 64;
    return 16;
}
}  // namespace aie_emu

namespace aie {

template <typename Tag, unsigned N>
class accum {
    using S = typename aie_emu::acc_traits<Tag>::storage;

  public:
    using value_type = S;
    S data[N];

    AIE_EMU_FN accum() : data{} {}
    template <typename T>
    AIE_EMU_FN accum(const vector<T, N>& v, int shift = 0) { from_vector(v, shift); }

    static constexpr unsigned size() { return N; }

    template <typename T>
    AIE_EMU_FN accum& from_vector(const vector<T, N>& v, int shift = 0) {
        for (unsigned i = 0; i < N; ++i) {
            if constexpr (std::is_same_v<Tag, accfloat>) {
                data[i] = __builtin_ldexpf(static_cast<float>(aie_emu::value_of(v.data[i])), shift);
            } else {
                static_assert(std::is_integral_v<T>, "accum::from_vector: integer accumulators take integer vectors");
                data[i] = aie_emu::fit<Tag>(static_cast<long long>(static_cast<unsigned long long>(
                              static_cast<long long>(v.data[i])) << shift));
            }
        }
        if (aie_emu::record(aie_emu::op_kind::convert, N, aie_emu::acc_traits<Tag>::bits)) aie_emu::perturb(data);
        return *this;
    }

    template <typename T>
    AIE_EMU_FN vector<T, N> to_vector(int shift = 0) const {
        vector<T, N> r;
        for (unsigned i = 0; i < N; ++i) {
            if constexpr (std::is_same_v<Tag, accfloat>) {
                static_assert(aie_emu::is_float_v<T>, "accum<accfloat>::to_vector: float accumulators convert to "
                                                      "float or bfloat16 vectors only (use aie::to_fixed for integers)");
                r.data[i] = aie_emu::elem_from<T>(__builtin_ldexpf(data[i], -shift));
            } else {
                static_assert(std::is_integral_v<T>, "accum::to_vector: integer accumulators convert to integer vectors only");
                r.data[i] = aie_emu::saturate_to<T>(aie_emu::round_shift(data[i], static_cast<unsigned>(shift)));
            }
        }
        if (aie_emu::record(aie_emu::op_kind::convert, N, aie_emu::acc_traits<Tag>::bits)) aie_emu::perturb(r);
        return r;
    }

    template <unsigned M>
    AIE_EMU_FN accum<Tag, M> extract(unsigned idx) const {
        static_assert(N % M == 0, "accum::extract: the part size must divide the accumulator size");
        accum<Tag, M> r;
        for (unsigned i = 0; i < M; ++i) r.data[i] = data[idx * M + i];
        return r;
    }
    template <unsigned M>
    AIE_EMU_FN accum<Tag, M> grow(unsigned idx = 0) const {
        static_assert(M % N == 0, "accum::grow: the new size must be a multiple of the old one");
        accum<Tag, M> r;
        for (unsigned i = 0; i < N; ++i) r.data[idx * N + i] = data[i];
        return r;
    }
};

namespace detail_emu {
template <typename Tag, unsigned N, typename A, typename B>
AIE_EMU_FN accum<Tag, N> product(const vector<A, N>& a, const vector<B, N>& b, aie_emu::op_kind kind) {
    accum<Tag, N> r;
    for (unsigned i = 0; i < N; ++i) {
        if constexpr (std::is_same_v<Tag, accfloat>) {
            r.data[i] = static_cast<float>(aie_emu::value_of(a.data[i])) * static_cast<float>(aie_emu::value_of(b.data[i]));
        } else {
            r.data[i] = aie_emu::fit<Tag>(static_cast<long long>(a.data[i]) * static_cast<long long>(b.data[i]));
        }
    }
    const unsigned wide = aie_emu::bits_v<A> > aie_emu::bits_v<B> ? aie_emu::bits_v<A> : aie_emu::bits_v<B>;
    if (aie_emu::record(kind, N, wide)) aie_emu::perturb(r);
    return r;
}
template <typename Tag, unsigned N>
AIE_EMU_FN accum<Tag, N> combine(const accum<Tag, N>& acc, const accum<Tag, N>& p, int sign) {
    accum<Tag, N> r;
    for (unsigned i = 0; i < N; ++i) {
        if constexpr (std::is_same_v<Tag, accfloat>) r.data[i] = acc.data[i] + sign * p.data[i];
        else r.data[i] = aie_emu::fit<Tag>(acc.data[i] + sign * p.data[i]);
    }
    return r;
}
// The second operand of mac/msc: a vector as is, a scalar broadcast to every lane.
template <typename T, unsigned N, typename B>
AIE_EMU_FN vector<T, N> as_vector(const B& b) {
    if constexpr (std::is_same_v<B, vector<T, N>>) return b;
    else return aie_emu::splat<T, N>(static_cast<T>(b));
}
}  // namespace detail_emu

// aie::mul(a, b) -> accumulator (tag chosen from the operand types, or named: aie::mul<acc64>(a, b)).
template <typename Tag = void, typename A, typename B, unsigned N>
AIE_EMU_FN auto mul(const vector<A, N>& a, const vector<B, N>& b) {
    using T = std::conditional_t<std::is_void_v<Tag>, aie_emu::default_acc_t<A, B>, Tag>;
    return detail_emu::product<T>(a, b, aie_emu::op_kind::mul);
}
template <typename Tag = void, typename A, unsigned N, typename S, typename = std::enable_if_t<!std::is_class_v<S> || std::is_same_v<S, bfloat16>>>
AIE_EMU_FN auto mul(const vector<A, N>& a, S b) { return mul<Tag>(a, aie_emu::splat<A, N>(static_cast<A>(b))); }
template <typename Tag = void, typename A, unsigned N, typename S, typename = std::enable_if_t<!std::is_class_v<S> || std::is_same_v<S, bfloat16>>>
AIE_EMU_FN auto mul(S a, const vector<A, N>& b) { return mul<Tag>(aie_emu::splat<A, N>(static_cast<A>(a)), b); }

// mac: acc + a*b; msc: acc - a*b (b may be a scalar).
template <typename Tag, unsigned N, typename A, typename B>
AIE_EMU_FN accum<Tag, N> mac(const accum<Tag, N>& acc, const vector<A, N>& a, const B& b) {
    return detail_emu::combine(acc, detail_emu::product<Tag>(a, detail_emu::as_vector<A, N>(b), aie_emu::op_kind::mac), 1);
}
template <typename Tag, unsigned N, typename A, typename B>
AIE_EMU_FN accum<Tag, N> msc(const accum<Tag, N>& acc, const vector<A, N>& a, const B& b) {
    return detail_emu::combine(acc, detail_emu::product<Tag>(a, detail_emu::as_vector<A, N>(b), aie_emu::op_kind::mac), -1);
}

// Accumulator addition: add(acc, acc) and add(acc, vector).
template <typename Tag, unsigned N>
AIE_EMU_FN accum<Tag, N> add(const accum<Tag, N>& a, const accum<Tag, N>& b) {
    accum<Tag, N> r = detail_emu::combine(a, b, 1);
    if (aie_emu::record(aie_emu::op_kind::alu, N, aie_emu::acc_traits<Tag>::bits)) aie_emu::perturb(r.data);
    return r;
}
template <typename Tag, unsigned N>
AIE_EMU_FN accum<Tag, N> sub(const accum<Tag, N>& a, const accum<Tag, N>& b) {
    accum<Tag, N> r = detail_emu::combine(a, b, -1);
    if (aie_emu::record(aie_emu::op_kind::alu, N, aie_emu::acc_traits<Tag>::bits)) aie_emu::perturb(r.data);
    return r;
}
template <typename Tag, unsigned N, typename T>
AIE_EMU_FN accum<Tag, N> add(const accum<Tag, N>& a, const vector<T, N>& v) {
    return add(a, accum<Tag, N>(v));
}

// C (M x N) = A (M x K) * B (K x N), row-major tiles held in vectors.
template <unsigned M, unsigned K, unsigned N, typename TA, typename TB, typename AccTag = void>
class mmul {
  public:
    using acc_tag = std::conditional_t<std::is_void_v<AccTag>, aie_emu::default_acc_t<TA, TB>, AccTag>;
    static constexpr unsigned size_A = M * K, size_B = K * N, size_C = M * N;
    accum<acc_tag, M * N> c;

    AIE_EMU_FN mmul() : c() {}
    AIE_EMU_FN explicit mmul(const accum<acc_tag, M * N>& init) : c(init) {}

    AIE_EMU_FN void mul(const vector<TA, M * K>& a, const vector<TB, K * N>& b) {
        c = accum<acc_tag, M * N>();
        mac(a, b);
    }
    AIE_EMU_FN void mac(const vector<TA, M * K>& a, const vector<TB, K * N>& b) {
        for (unsigned i = 0; i < M; ++i)
            for (unsigned j = 0; j < N; ++j) {
                if constexpr (std::is_same_v<acc_tag, accfloat>) {
                    float s = c.data[i * N + j];
                    for (unsigned k = 0; k < K; ++k)
                        s += static_cast<float>(aie_emu::value_of(a.data[i * K + k])) *
                             static_cast<float>(aie_emu::value_of(b.data[k * N + j]));
                    c.data[i * N + j] = s;
                } else {
                    long long s = c.data[i * N + j];
                    for (unsigned k = 0; k < K; ++k)
                        s += static_cast<long long>(a.data[i * K + k]) * static_cast<long long>(b.data[k * N + j]);
                    c.data[i * N + j] = aie_emu::fit<acc_tag>(s);
                }
            }
        const unsigned rate = aie_emu::macs_per_cycle(aie_emu::bits_v<TA>, aie_emu::bits_v<TB>, aie_emu::is_float_v<TA>);
        if (aie_emu::record(aie_emu::op_kind::mmul, M * N, 32, (M * K * N + rate - 1) / rate)) aie_emu::perturb(c.data);
    }
    template <typename T>
    AIE_EMU_FN vector<T, M * N> to_vector(int shift = 0) const { return c.template to_vector<T>(shift); }
    AIE_EMU_FN accum<acc_tag, M * N> to_accum() const { return c; }
};

}  // namespace aie
