// Host emulation of the AIE API (kernelgepa): lane-wise arithmetic, comparisons, select, shifts,
// bitwise ops, reductions, shuffles and float math. Vector-with-scalar forms broadcast the scalar.
#pragma once
#include "vector.hpp"

namespace aie_emu {
#define AIE_EMU_BINARY_FUNCTOR(NAME, EXPR) \
    struct NAME { template <typename A> AIE_EMU_FN auto operator()(A x, A y) const { return EXPR; } };
AIE_EMU_BINARY_FUNCTOR(f_add, x + y)
AIE_EMU_BINARY_FUNCTOR(f_sub, x - y)
AIE_EMU_BINARY_FUNCTOR(f_mul, x * y)
AIE_EMU_BINARY_FUNCTOR(f_max, x < y ? y : x)
AIE_EMU_BINARY_FUNCTOR(f_min, y < x ? y : x)
AIE_EMU_BINARY_FUNCTOR(f_lt, x < y)
AIE_EMU_BINARY_FUNCTOR(f_le, x <= y)
AIE_EMU_BINARY_FUNCTOR(f_gt, x > y)
AIE_EMU_BINARY_FUNCTOR(f_ge, x >= y)
AIE_EMU_BINARY_FUNCTOR(f_eq, x == y)
AIE_EMU_BINARY_FUNCTOR(f_neq, x != y)
AIE_EMU_BINARY_FUNCTOR(f_and, x & y)
AIE_EMU_BINARY_FUNCTOR(f_or, x | y)
AIE_EMU_BINARY_FUNCTOR(f_xor, x ^ y)
#undef AIE_EMU_BINARY_FUNCTOR
struct f_neg { template <typename A> AIE_EMU_FN auto operator()(A x) const { return -x; } };
struct f_abs { template <typename A> AIE_EMU_FN auto operator()(A x) const { return x < 0 ? -x : x; } };
struct f_not { template <typename A> AIE_EMU_FN auto operator()(A x) const { return ~x; } };
struct f_inv { AIE_EMU_FN float operator()(float x) const { return 1.0f / x; } };
struct f_sqrt { AIE_EMU_FN float operator()(float x) const { return __builtin_sqrtf(x); } };
struct f_invsqrt { AIE_EMU_FN float operator()(float x) const { return 1.0f / __builtin_sqrtf(x); } };
struct f_exp2 { AIE_EMU_FN float operator()(float x) const { return __builtin_exp2f(x); } };
struct f_sin { AIE_EMU_FN float operator()(float x) const { return __builtin_sinf(x); } };
struct f_cos { AIE_EMU_FN float operator()(float x) const { return __builtin_cosf(x); } };
struct f_tanh { AIE_EMU_FN float operator()(float x) const { return __builtin_tanhf(x); } };
}  // namespace aie_emu

namespace aie {

// Binary lane-wise ops in three forms: (vector, vector), (vector, scalar) and (scalar, vector).
#define AIE_EMU_LANEWISE(NAME, FUNCTOR, KIND, REQUIRE, WHAT)                                            \
    template <typename T, unsigned N>                                                                  \
    AIE_EMU_FN vector<T, N> NAME(const vector<T, N>& a, const vector<T, N>& b) {                       \
        static_assert(REQUIRE, "aie::" #NAME ": " WHAT);                                               \
        return aie_emu::map2(aie_emu::op_kind::KIND, a, b, aie_emu::FUNCTOR{});                        \
    }                                                                                                  \
    template <typename T, unsigned N, typename S, typename = std::enable_if_t<!std::is_class_v<S> || std::is_same_v<S, bfloat16>>> \
    AIE_EMU_FN vector<T, N> NAME(const vector<T, N>& a, S b) {                                         \
        return NAME(a, aie_emu::splat<T, N>(static_cast<T>(b)));                                       \
    }                                                                                                  \
    template <typename T, unsigned N, typename S, typename = std::enable_if_t<!std::is_class_v<S> || std::is_same_v<S, bfloat16>>> \
    AIE_EMU_FN vector<T, N> NAME(S a, const vector<T, N>& b) {                                         \
        return NAME(aie_emu::splat<T, N>(static_cast<T>(a)), b);                                       \
    }
AIE_EMU_LANEWISE(add, f_add, alu, true, "")
AIE_EMU_LANEWISE(sub, f_sub, alu, true, "")
AIE_EMU_LANEWISE(max, f_max, alu, true, "")
AIE_EMU_LANEWISE(min, f_min, alu, true, "")
AIE_EMU_LANEWISE(bit_and, f_and, bitwise, std::is_integral_v<T>, "integer element types only")
AIE_EMU_LANEWISE(bit_or, f_or, bitwise, std::is_integral_v<T>, "integer element types only")
AIE_EMU_LANEWISE(bit_xor, f_xor, bitwise, std::is_integral_v<T>, "integer element types only")
#undef AIE_EMU_LANEWISE

template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> neg(const vector<T, N>& a) { return aie_emu::map1(aie_emu::op_kind::alu, a, aie_emu::f_neg{}); }
template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> abs(const vector<T, N>& a) { return aie_emu::map1(aie_emu::op_kind::alu, a, aie_emu::f_abs{}); }
template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> bit_not(const vector<T, N>& a) {
    static_assert(std::is_integral_v<T>, "aie::bit_not: integer element types only");
    return aie_emu::map1(aie_emu::op_kind::bitwise, a, aie_emu::f_not{});
}

// Float math the AIE-ML API offers on float/bfloat16 vectors (computed here in float).
#define AIE_EMU_FLOAT_MATH(NAME, FUNCTOR)                                                         \
    template <typename T, unsigned N>                                                             \
    AIE_EMU_FN vector<T, N> NAME(const vector<T, N>& a) {                                         \
        static_assert(aie_emu::is_float_v<T>, "aie::" #NAME ": float/bfloat16 element types only"); \
        return aie_emu::map1(aie_emu::op_kind::math, a, aie_emu::FUNCTOR{});                      \
    }
AIE_EMU_FLOAT_MATH(inv, f_inv)
AIE_EMU_FLOAT_MATH(sqrt, f_sqrt)
AIE_EMU_FLOAT_MATH(invsqrt, f_invsqrt)
AIE_EMU_FLOAT_MATH(exp2, f_exp2)
AIE_EMU_FLOAT_MATH(sin, f_sin)
AIE_EMU_FLOAT_MATH(cos, f_cos)
AIE_EMU_FLOAT_MATH(tanh, f_tanh)
#undef AIE_EMU_FLOAT_MATH

// Comparisons give a mask; select(a, b, m) takes b where m is set and a elsewhere.
#define AIE_EMU_COMPARE(NAME, FUNCTOR)                                                             \
    template <typename T, unsigned N>                                                              \
    AIE_EMU_FN mask<N> NAME(const vector<T, N>& a, const vector<T, N>& b) {                        \
        return aie_emu::compare(a, b, aie_emu::FUNCTOR{});                                         \
    }                                                                                              \
    template <typename T, unsigned N, typename S, typename = std::enable_if_t<!std::is_class_v<S> || std::is_same_v<S, bfloat16>>> \
    AIE_EMU_FN mask<N> NAME(const vector<T, N>& a, S b) {                                          \
        return NAME(a, aie_emu::splat<T, N>(static_cast<T>(b)));                                   \
    }                                                                                              \
    template <typename T, unsigned N, typename S, typename = std::enable_if_t<!std::is_class_v<S> || std::is_same_v<S, bfloat16>>> \
    AIE_EMU_FN mask<N> NAME(S a, const vector<T, N>& b) {                                          \
        return NAME(aie_emu::splat<T, N>(static_cast<T>(a)), b);                                   \
    }
AIE_EMU_COMPARE(lt, f_lt)
AIE_EMU_COMPARE(le, f_le)
AIE_EMU_COMPARE(gt, f_gt)
AIE_EMU_COMPARE(ge, f_ge)
AIE_EMU_COMPARE(eq, f_eq)
AIE_EMU_COMPARE(neq, f_neq)
#undef AIE_EMU_COMPARE

template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> select(const vector<T, N>& a, const vector<T, N>& b, const mask<N>& m) {
    vector<T, N> r;
    for (unsigned i = 0; i < N; ++i) r.data[i] = m.bits[i] ? b.data[i] : a.data[i];
    if (aie_emu::record(aie_emu::op_kind::select, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}
template <typename T, unsigned N, typename S, typename = std::enable_if_t<!std::is_class_v<S> || std::is_same_v<S, bfloat16>>>
AIE_EMU_FN vector<T, N> select(const vector<T, N>& a, S b, const mask<N>& m) {
    return select(a, aie_emu::splat<T, N>(static_cast<T>(b)), m);
}
template <typename T, unsigned N, typename S, typename = std::enable_if_t<!std::is_class_v<S> || std::is_same_v<S, bfloat16>>>
AIE_EMU_FN vector<T, N> select(S a, const vector<T, N>& b, const mask<N>& m) {
    return select(aie_emu::splat<T, N>(static_cast<T>(a)), b, m);
}

// Shifts of integer lanes: upshift/downshift are arithmetic, logical_downshift shifts in zeros.
template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> upshift(const vector<T, N>& a, unsigned s) {
    static_assert(std::is_integral_v<T>, "aie::upshift: integer element types only");
    vector<T, N> r;
    for (unsigned i = 0; i < N; ++i)
        r.data[i] = static_cast<T>(static_cast<unsigned long long>(static_cast<long long>(a.data[i])) << s);
    if (aie_emu::record(aie_emu::op_kind::shift, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}
template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> downshift(const vector<T, N>& a, unsigned s) {
    static_assert(std::is_integral_v<T>, "aie::downshift: integer element types only");
    vector<T, N> r;
    for (unsigned i = 0; i < N; ++i) r.data[i] = static_cast<T>(a.data[i] >> s);
    if (aie_emu::record(aie_emu::op_kind::shift, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}
template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> logical_downshift(const vector<T, N>& a, unsigned s) {
    static_assert(std::is_integral_v<T>, "aie::logical_downshift: integer element types only");
    using U = std::make_unsigned_t<T>;
    vector<T, N> r;
    for (unsigned i = 0; i < N; ++i) r.data[i] = static_cast<T>(static_cast<U>(a.data[i]) >> s);
    if (aie_emu::record(aie_emu::op_kind::shift, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}

// Reductions to one scalar (a log2(N)-step tree on the hardware: charged log2(N) issues).
template <typename T, unsigned N, typename F>
AIE_EMU_FN T reduce_with(const vector<T, N>& v, F f) {
    aie_emu::value_t<T> acc = aie_emu::value_of(v.data[0]);
    for (unsigned i = 1; i < N; ++i) acc = static_cast<aie_emu::value_t<T>>(f(acc, aie_emu::value_of(v.data[i])));
    unsigned steps = 0;
    for (unsigned n = N; n > 1; n = (n + 1) / 2) ++steps;
    T out = aie_emu::elem_from<T>(acc);
    if (aie_emu::record(aie_emu::op_kind::reduce, N, aie_emu::bits_v<T>, steps ? steps : 1)) aie_emu::perturb(out);
    return out;
}
template <typename T, unsigned N>
AIE_EMU_FN T reduce_add(const vector<T, N>& v) { return reduce_with(v, aie_emu::f_add{}); }
template <typename T, unsigned N>
AIE_EMU_FN T reduce_mul(const vector<T, N>& v) { return reduce_with(v, aie_emu::f_mul{}); }
template <typename T, unsigned N>
AIE_EMU_FN T reduce_max(const vector<T, N>& v) { return reduce_with(v, aie_emu::f_max{}); }
template <typename T, unsigned N>
AIE_EMU_FN T reduce_min(const vector<T, N>& v) { return reduce_with(v, aie_emu::f_min{}); }

// Lane moves: shuffle_down(v, n)[i] = v[i + n] (zeros shifted in), shuffle_up the other way.
template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> shuffle_down(const vector<T, N>& v, unsigned n) {
    vector<T, N> r;
    for (unsigned i = 0; i + n < N; ++i) r.data[i] = v.data[i + n];
    if (aie_emu::record(aie_emu::op_kind::shuffle, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}
template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> shuffle_up(const vector<T, N>& v, unsigned n) {
    vector<T, N> r;
    for (unsigned i = n; i < N; ++i) r.data[i] = v.data[i - n];
    if (aie_emu::record(aie_emu::op_kind::shuffle, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}
template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> reverse(const vector<T, N>& v) {
    vector<T, N> r;
    for (unsigned i = 0; i < N; ++i) r.data[i] = v.data[N - 1 - i];
    if (aie_emu::record(aie_emu::op_kind::shuffle, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}

// Float <-> fixed point conversions (to_fixed rounds with the tile's mode and saturates).
template <typename I = int32_t, typename T, unsigned N>
AIE_EMU_FN vector<I, N> to_fixed(const vector<T, N>& v, int shift = 0) {
    static_assert(aie_emu::is_float_v<T> && std::is_integral_v<I>, "aie::to_fixed: float lanes to integer lanes only");
    vector<I, N> r;
    for (unsigned i = 0; i < N; ++i) {
        const double scaled = __builtin_ldexp(static_cast<double>(aie_emu::value_of(v.data[i])), shift + 16);
        const double clamped = scaled > 9.0e18 ? 9.0e18 : (scaled < -9.0e18 ? -9.0e18 : scaled);
        r.data[i] = aie_emu::saturate_to<I>(aie_emu::round_shift(static_cast<long long>(__builtin_floor(clamped)), 16));
    }
    if (aie_emu::record(aie_emu::op_kind::convert, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}
template <typename F = float, typename T, unsigned N>
AIE_EMU_FN vector<F, N> to_float(const vector<T, N>& v, int shift = 0) {
    static_assert(std::is_integral_v<T> && aie_emu::is_float_v<F>, "aie::to_float: integer lanes to float lanes only");
    vector<F, N> r;
    for (unsigned i = 0; i < N; ++i)
        r.data[i] = aie_emu::elem_from<F>(static_cast<float>(__builtin_ldexp(static_cast<double>(v.data[i]), -shift)));
    if (aie_emu::record(aie_emu::op_kind::convert, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}

// `using namespace aie::operators;` enables infix forms.
namespace operators {
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator+(const vector<T, N>& a, const B& b) { return add(a, b); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator-(const vector<T, N>& a, const B& b) { return sub(a, b); }
template <typename T, unsigned N> AIE_EMU_FN auto operator-(const vector<T, N>& a) { return neg(a); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator&(const vector<T, N>& a, const B& b) { return bit_and(a, b); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator|(const vector<T, N>& a, const B& b) { return bit_or(a, b); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator^(const vector<T, N>& a, const B& b) { return bit_xor(a, b); }
template <typename T, unsigned N> AIE_EMU_FN auto operator~(const vector<T, N>& a) { return bit_not(a); }
template <typename T, unsigned N> AIE_EMU_FN auto operator<<(const vector<T, N>& a, unsigned s) { return upshift(a, s); }
template <typename T, unsigned N> AIE_EMU_FN auto operator>>(const vector<T, N>& a, unsigned s) { return downshift(a, s); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator<(const vector<T, N>& a, const B& b) { return lt(a, b); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator<=(const vector<T, N>& a, const B& b) { return le(a, b); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator>(const vector<T, N>& a, const B& b) { return gt(a, b); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator>=(const vector<T, N>& a, const B& b) { return ge(a, b); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator==(const vector<T, N>& a, const B& b) { return eq(a, b); }
template <typename T, unsigned N, typename B> AIE_EMU_FN auto operator!=(const vector<T, N>& a, const B& b) { return neq(a, b); }
}  // namespace operators

}  // namespace aie
