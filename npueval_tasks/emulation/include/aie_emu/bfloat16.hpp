// Host emulation of the AIE API (kernelgepa): the bfloat16 scalar type.
// Stored as the top 16 bits of an IEEE float; float -> bfloat16 rounds with the tile's current
// rounding mode (the NPUEval wrapper sets positive_inf: nearest, ties toward +infinity).
#pragma once
#include "core.hpp"

namespace aie_emu {

AIE_EMU_FN uint16_t float_to_bf16_bits(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if (__builtin_isnan(f)) return static_cast<uint16_t>((u >> 16) | 0x40);  // stay a (quiet) NaN
    // Round the magnitude's low 16 bits away like an integer shift of the signed value.
    const bool neg = (u >> 31) != 0;
    const long long mag = static_cast<long long>(u & 0x7fffffffu);
    long long r;
    if (neg) {
        r = -round_shift(-mag, 16);
    } else {
        r = round_shift(mag, 16);
    }
    if (r > 0x7f80) r = 0x7f80;  // rounded past the largest finite value: infinity
    return static_cast<uint16_t>((neg ? 0x8000u : 0u) | static_cast<uint32_t>(r));
}

AIE_EMU_FN float bf16_bits_to_float(uint16_t b) {
    const uint32_t u = static_cast<uint32_t>(b) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

}  // namespace aie_emu

struct bfloat16 {
    uint16_t bits;  // uninitialised by default, like the AIE compiler's scalar type

    bfloat16() = default;
    template <typename U, typename = std::enable_if_t<std::is_arithmetic_v<U>>>
    AIE_EMU_FN bfloat16(U v) : bits(aie_emu::float_to_bf16_bits(static_cast<float>(v))) {}
    AIE_EMU_FN operator float() const { return aie_emu::bf16_bits_to_float(bits); }
    AIE_EMU_FN static bfloat16 from_bits(uint16_t b) {
        bfloat16 r;
        r.bits = b;
        return r;
    }
    AIE_EMU_FN bfloat16& operator+=(float v) { return *this = bfloat16(float(*this) + v); }
    AIE_EMU_FN bfloat16& operator-=(float v) { return *this = bfloat16(float(*this) - v); }
    AIE_EMU_FN bfloat16& operator*=(float v) { return *this = bfloat16(float(*this) * v); }
    AIE_EMU_FN bfloat16& operator/=(float v) { return *this = bfloat16(float(*this) / v); }
};
static_assert(sizeof(bfloat16) == 2, "bfloat16 must be two bytes");

namespace aie_emu {
template <typename T> struct elem_traits {
    static constexpr bool is_float = std::is_floating_point_v<T>;
    static constexpr unsigned bits = sizeof(T) * 8;
};
template <> struct elem_traits<bfloat16> {
    static constexpr bool is_float = true;
    static constexpr unsigned bits = 16;
};
template <typename T> inline constexpr bool is_float_v = elem_traits<T>::is_float;
template <typename T> inline constexpr unsigned bits_v = elem_traits<T>::bits;

// Arithmetic value type of an element: float for bfloat16, itself otherwise.
template <typename T> using value_t = std::conditional_t<std::is_same_v<T, bfloat16>, float, T>;

template <typename T>
AIE_EMU_FN value_t<T> value_of(T x) {
    if constexpr (std::is_same_v<T, bfloat16>) return bf16_bits_to_float(x.bits);
    else return x;
}

template <typename T>
AIE_EMU_FN T elem_from(value_t<T> v) {
    if constexpr (std::is_same_v<T, bfloat16>) return bfloat16::from_bits(float_to_bf16_bits(v));
    else return static_cast<T>(v);
}
}  // namespace aie_emu
