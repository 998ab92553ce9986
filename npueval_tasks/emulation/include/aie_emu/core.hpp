// Host emulation of the AIE API (kernelgepa, written for this project): shared core.
// Rounding/saturation state, the event0/event1 window, and the operation counters behind the
// *estimated* vector-utilisation proxy (see npueval_tasks/emulation/README.md).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <type_traits>

// Every emulation function carries this: the candidate's own code is compiled with
// -fsanitize-coverage=trace-pc (its executed basic blocks are the scalar-work estimate) while the
// emulation stays uninstrumented, and -fno-inline keeps the two apart. For the same reason the
// emulation calls library math as __builtin_*: std:: inline wrappers would be compiled instrumented.
#define AIE_EMU_FN __attribute__((no_sanitize_coverage)) inline

namespace aie_emu {

enum class op_kind : int { load, store, alu, mul, mac, compare, select, shift, bitwise, reduce,
                           convert, shuffle, mmul, math, count_ };

inline const char* const op_names[] = {"load", "store", "alu", "mul", "mac", "compare", "select", "shift",
                                       "bitwise", "reduce", "convert", "shuffle", "mmul", "math"};

// Widths the cost model charges against: one vector-unit issue handles up to 512 bits of lanes,
// one load or store port moves up to 256 bits per cycle.
constexpr unsigned vector_issue_bits = 512;
constexpr unsigned memory_port_bits = 256;

struct op_counter {
    unsigned long long ops = 0, lanes = 0, slots = 0;
};

struct counters {
    op_counter by_kind[static_cast<int>(op_kind::count_)];
    unsigned long long blocks = 0;     // candidate basic blocks executed inside the window
    int events0 = 0, events1 = 0;
    bool in_window = false;
    // Liveness check (harness/worker/aie_host.py): the vector op with this ordinal in the window gets
    // its result perturbed; if the kernel's output does not change, that op's work never reached it.
    long long ablate_at = -1;
    unsigned long long vector_ops = 0, ablated_slots = 0;
};

inline counters stats;

// Counts one operation; for vector-unit work, returns true if this is the op whose result the caller
// must perturb (``perturb``) before using it.
AIE_EMU_FN bool record(op_kind kind, unsigned lanes, unsigned elem_bits, unsigned long long slots = 0) {
    if (!stats.in_window) return false;
    op_counter& c = stats.by_kind[static_cast<int>(kind)];
    const bool memory = kind == op_kind::load || kind == op_kind::store;
    const unsigned port = memory ? memory_port_bits : vector_issue_bits;
    if (slots == 0) slots = (static_cast<unsigned long long>(lanes) * elem_bits + port - 1) / port;
    c.ops += 1;
    c.lanes += lanes;
    c.slots += slots ? slots : 1;
    if (memory) return false;
    const bool hit = static_cast<long long>(stats.vector_ops) == stats.ablate_at;
    stats.vector_ops += 1;
    if (hit) stats.ablated_slots = slots ? slots : 1;
    return hit;
}

// Changes every byte of a result (lanes, accumulator, scalar) so that any use of it shows.
template <typename R>
AIE_EMU_FN void perturb(R& r) {
    unsigned char* p = reinterpret_cast<unsigned char*>(&r);
    for (unsigned i = 0; i < sizeof(R); ++i) p[i] ^= 0x55;
}

// ---- rounding and saturation (tile state; hardware defaults: floor, none) ----------------------
enum class rounding_mode : unsigned { floor, ceil, symmetric_floor, symmetric_ceil, negative_inf, positive_inf,
                                      symmetric_zero, symmetric_inf, conv_even, conv_odd };
enum class saturation_mode : unsigned { none = 0, truncate = 0, saturate = 1, symmetric = 3 };

inline rounding_mode current_rounding = rounding_mode::floor;
inline saturation_mode current_saturation = saturation_mode::none;

// Divide x by 2^shift, rounding as the tile's mode says. Exact for |x| < 2^62.
AIE_EMU_FN long long round_shift(long long x, unsigned shift) {
    if (shift == 0) return x;
    if (shift >= 63) return x < 0 ? -1 : 0;
    const long long q = x >> shift;  // floor
    const long long rem = x - (q << shift);
    const long long half = 1LL << (shift - 1);
    if (rem == 0) return q;
    const bool neg = x < 0;
    switch (current_rounding) {
        case rounding_mode::floor: return q;
        case rounding_mode::ceil: return q + 1;
        case rounding_mode::symmetric_floor: return neg ? q + 1 : q;
        case rounding_mode::symmetric_ceil: return neg ? q : q + 1;
        default: break;
    }
    if (rem < half) return q;
    if (rem > half) return q + 1;
    switch (current_rounding) {  // exactly half way
        case rounding_mode::positive_inf: return q + 1;
        case rounding_mode::negative_inf: return q;
        case rounding_mode::symmetric_zero: return neg ? q + 1 : q;
        case rounding_mode::symmetric_inf: return neg ? q : q + 1;
        case rounding_mode::conv_even: return (q & 1) ? q + 1 : q;
        case rounding_mode::conv_odd: return (q & 1) ? q : q + 1;
        default: return q;
    }
}

// Fit x into T as the saturation mode says (none: keep the low bits, like the hardware).
template <typename T>
AIE_EMU_FN T saturate_to(long long x) {
    static_assert(std::is_integral_v<T>, "saturate_to: integer element types only");
    constexpr long long hi = static_cast<long long>(std::numeric_limits<T>::max());
    constexpr long long lo = static_cast<long long>(std::numeric_limits<T>::min());
    switch (current_saturation) {
        case saturation_mode::saturate: return static_cast<T>(x > hi ? hi : (x < lo ? lo : x));
        case saturation_mode::symmetric: {
            const long long slo = std::is_signed_v<T> ? -hi : lo;
            return static_cast<T>(x > hi ? hi : (x < slo ? slo : x));
        }
        default: return static_cast<T>(static_cast<unsigned long long>(x));
    }
}

template <typename T> struct always_false : std::false_type {};

}  // namespace aie_emu

// Trace events bracketing the measured window, as the NPUEval wrapper calls them.
AIE_EMU_FN void event0() {
    aie_emu::stats.events0 += 1;
    aie_emu::stats.in_window = true;
}
AIE_EMU_FN void event1() {
    aie_emu::stats.events1 += 1;
    aie_emu::stats.in_window = false;
}

extern "C" __attribute__((no_sanitize_coverage, used)) void __sanitizer_cov_trace_pc() {
    if (aie_emu::stats.in_window) aie_emu::stats.blocks += 1;
}
