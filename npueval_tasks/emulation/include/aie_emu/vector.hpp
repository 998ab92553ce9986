// Host emulation of the AIE API (kernelgepa): vectors, masks, memory access and lane-wise ops.
// Each call records one vector operation (see core.hpp) so the cost model can count them.
#pragma once
#include "bfloat16.hpp"

namespace aie {

using aie_emu::rounding_mode;
using aie_emu::saturation_mode;

AIE_EMU_FN void set_rounding(rounding_mode m) { aie_emu::current_rounding = m; }
AIE_EMU_FN rounding_mode get_rounding() { return aie_emu::current_rounding; }
AIE_EMU_FN void set_saturation(saturation_mode m) { aie_emu::current_saturation = m; }
AIE_EMU_FN saturation_mode get_saturation() { return aie_emu::current_saturation; }

template <typename T, unsigned N>
class vector {
    static_assert(N >= 1 && N <= 1024, "aie::vector: lane count out of range");
    static_assert(std::is_arithmetic_v<T> || std::is_same_v<T, bfloat16>,
                  "aie::vector: element type not supported by the host emulation");
    static_assert(sizeof(T) * 8 * N <= 2048, "aie::vector: wider than 2048 bits (the largest AIE vector)");

  public:
    using value_type = T;
    T data[N];

    // Special members are written out so they carry AIE_EMU_FN: implicit ones would be
    // instrumented and counted as the kernel's scalar work.
    AIE_EMU_FN vector() : data{} {}
    template <typename... Xs, typename = std::enable_if_t<sizeof...(Xs) == N && (N > 1)>>
    AIE_EMU_FN vector(Xs... xs) : data{static_cast<T>(xs)...} {}

    static constexpr unsigned size() { return N; }
    AIE_EMU_FN T& operator[](unsigned i) { return data[i]; }
    AIE_EMU_FN const T& operator[](unsigned i) const { return data[i]; }
    AIE_EMU_FN T get(unsigned i) const { return data[i]; }
    AIE_EMU_FN vector& set(T v, unsigned i) {
        data[i] = v;
        return *this;
    }
    AIE_EMU_FN vector& push(T v) {
        for (unsigned i = N - 1; i > 0; --i) data[i] = data[i - 1];
        data[0] = v;
        return *this;
    }

    template <unsigned M>
    AIE_EMU_FN vector<T, M> extract(unsigned idx) const {
        static_assert(N % M == 0, "vector::extract: the part size must divide the vector size");
        vector<T, M> r;
        for (unsigned i = 0; i < M; ++i) r.data[i] = data[idx * M + i];
        if (aie_emu::record(aie_emu::op_kind::shuffle, M, aie_emu::bits_v<T>)) aie_emu::perturb(r);
        return r;
    }
    template <unsigned M>
    AIE_EMU_FN vector& insert(unsigned idx, const vector<T, M>& part) {
        static_assert(N % M == 0, "vector::insert: the part size must divide the vector size");
        for (unsigned i = 0; i < M; ++i) data[idx * M + i] = part.data[i];
        if (aie_emu::record(aie_emu::op_kind::shuffle, M, aie_emu::bits_v<T>)) aie_emu::perturb(data);
        return *this;
    }
    template <unsigned M>
    AIE_EMU_FN vector<T, M> grow(unsigned idx = 0) const {
        static_assert(M % N == 0, "vector::grow: the new size must be a multiple of the old one");
        vector<T, M> r;
        for (unsigned i = 0; i < N; ++i) r.data[idx * N + i] = data[i];
        return r;
    }
    template <typename U>
    AIE_EMU_FN auto cast_to() const;
};

template <unsigned N>
class mask;
}  // namespace aie

namespace aie_emu {
// A mask's lanes are bools: flipping bits of their bytes would not make valid values, so invert them.
template <unsigned N>
AIE_EMU_FN void perturb(aie::mask<N>& m);
}  // namespace aie_emu

namespace aie {
template <unsigned N>
class mask {
  public:
    bool bits[N];
    AIE_EMU_FN mask() : bits{} {}
    static constexpr unsigned size() { return N; }
    AIE_EMU_FN bool test(unsigned i) const { return bits[i]; }
    AIE_EMU_FN void set(unsigned i) { bits[i] = true; }
    AIE_EMU_FN void clear(unsigned i) { bits[i] = false; }
    AIE_EMU_FN unsigned count() const {
        unsigned c = 0;
        for (unsigned i = 0; i < N; ++i) c += bits[i];
        return c;
    }
    AIE_EMU_FN bool empty() const { return count() == 0; }
    AIE_EMU_FN bool full() const { return count() == N; }
    AIE_EMU_FN mask operator~() const {
        mask r;
        for (unsigned i = 0; i < N; ++i) r.bits[i] = !bits[i];
        return r;
    }
    AIE_EMU_FN mask operator&(const mask& o) const {
        mask r;
        for (unsigned i = 0; i < N; ++i) r.bits[i] = bits[i] && o.bits[i];
        return r;
    }
    AIE_EMU_FN mask operator|(const mask& o) const {
        mask r;
        for (unsigned i = 0; i < N; ++i) r.bits[i] = bits[i] || o.bits[i];
        return r;
    }
};

}  // namespace aie

template <unsigned N>
AIE_EMU_FN void aie_emu::perturb(aie::mask<N>& m) {
    for (unsigned i = 0; i < N; ++i) m.bits[i] = !m.bits[i];
}

namespace aie {
// ---- accumulator tags (the accum class itself is in accum.hpp) -----------------------------------
struct acc32 {};
struct acc48 {};
struct acc64 {};
struct accfloat {};
template <typename Tag, unsigned N> class accum;

// ---- construction and memory ----------------------------------------------------------------
template <typename T, unsigned N>
AIE_EMU_FN auto zeros() {
    if constexpr (std::is_same_v<T, acc32> || std::is_same_v<T, acc48> || std::is_same_v<T, acc64> ||
                  std::is_same_v<T, accfloat>) {
        accum<T, N> r;
        if (aie_emu::record(aie_emu::op_kind::alu, N, 32)) aie_emu::perturb(r.data);
        return r;
    } else {
        vector<T, N> r;
        if (aie_emu::record(aie_emu::op_kind::alu, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
        return r;
    }
}

template <typename T, unsigned N>
AIE_EMU_FN vector<T, N> broadcast(T value) {
    vector<T, N> r;
    for (unsigned i = 0; i < N; ++i) r.data[i] = value;
    if (aie_emu::record(aie_emu::op_kind::alu, N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}

template <unsigned N, typename T>
AIE_EMU_FN vector<std::remove_const_t<T>, N> load_v(T* ptr) {
    using E = std::remove_const_t<T>;
    vector<E, N> r;
    std::memcpy(r.data, ptr, sizeof(E) * N);
    aie_emu::record(aie_emu::op_kind::load, N, aie_emu::bits_v<E>);
    return r;
}

template <unsigned N, typename T>
AIE_EMU_FN vector<std::remove_const_t<T>, N> load_unaligned_v(T* ptr, unsigned aligned_elems = 1) {
    (void)aligned_elems;
    return load_v<N>(ptr);
}

template <typename T, unsigned N>
AIE_EMU_FN T* store_v(T* ptr, const vector<T, N>& v) {
    std::memcpy(ptr, v.data, sizeof(T) * N);
    aie_emu::record(aie_emu::op_kind::store, N, aie_emu::bits_v<T>);
    return ptr;
}

template <typename T, unsigned N>
AIE_EMU_FN T* store_unaligned_v(T* ptr, const vector<T, N>& v, unsigned aligned_elems = 1) {
    (void)aligned_elems;
    return store_v(ptr, v);
}

// Reinterpret the bits of a vector as another element type (same total width).
template <typename U, typename T, unsigned N>
AIE_EMU_FN auto vector_cast(const vector<T, N>& v) {
    static_assert((sizeof(T) * N) % sizeof(U) == 0, "aie::vector_cast: the widths do not divide");
    vector<U, sizeof(T) * N / sizeof(U)> r;
    std::memcpy(r.data, v.data, sizeof(T) * N);
    return r;
}

template <typename T, unsigned N>
template <typename U>
AIE_EMU_FN auto vector<T, N>::cast_to() const {
    return vector_cast<U>(*this);
}

template <typename T, unsigned N>
AIE_EMU_FN vector<T, 2 * N> concat(const vector<T, N>& a, const vector<T, N>& b) {
    vector<T, 2 * N> r;
    for (unsigned i = 0; i < N; ++i) {
        r.data[i] = a.data[i];
        r.data[N + i] = b.data[i];
    }
    if (aie_emu::record(aie_emu::op_kind::shuffle, 2 * N, aie_emu::bits_v<T>)) aie_emu::perturb(r);
    return r;
}

// Vector iterators over memory: *it reads a vector, *it = v writes one, ++ advances by N elements.
template <typename T, unsigned N>
class vector_ref {
  public:
    T* ptr;
    AIE_EMU_FN operator vector<std::remove_const_t<T>, N>() const { return load_v<N>(ptr); }
    AIE_EMU_FN vector_ref& operator=(const vector<std::remove_const_t<T>, N>& v) {
        store_v(ptr, v);
        return *this;
    }
};

template <typename T, unsigned N>
class vector_iterator {
  public:
    T* ptr;
    AIE_EMU_FN vector_ref<T, N> operator*() const { return vector_ref<T, N>{ptr}; }
    AIE_EMU_FN vector_iterator& operator++() {
        ptr += N;
        return *this;
    }
    AIE_EMU_FN vector_iterator operator++(int) {
        vector_iterator old = *this;
        ptr += N;
        return old;
    }
    AIE_EMU_FN vector_iterator& operator+=(int k) {
        ptr += static_cast<long>(k) * N;
        return *this;
    }
    AIE_EMU_FN bool operator!=(const vector_iterator& o) const { return ptr != o.ptr; }
    AIE_EMU_FN bool operator==(const vector_iterator& o) const { return ptr == o.ptr; }
};

template <unsigned N, typename T>
AIE_EMU_FN vector_iterator<T, N> begin_vector(T* ptr) { return vector_iterator<T, N>{ptr}; }
template <unsigned N, typename T>
AIE_EMU_FN vector_iterator<T, N> begin_restrict_vector(T* ptr) { return vector_iterator<T, N>{ptr}; }

}  // namespace aie

namespace aie_emu {
// Apply f lane by lane in the arithmetic value type, recording one vector op of `kind`.
template <typename T, unsigned N, typename F>
AIE_EMU_FN aie::vector<T, N> map1(op_kind kind, const aie::vector<T, N>& a, F f) {
    aie::vector<T, N> r;
    for (unsigned i = 0; i < N; ++i) r.data[i] = elem_from<T>(static_cast<value_t<T>>(f(value_of(a.data[i]))));
    if (record(kind, N, bits_v<T>)) aie_emu::perturb(r);
    return r;
}
template <typename T, unsigned N, typename F>
AIE_EMU_FN aie::vector<T, N> map2(op_kind kind, const aie::vector<T, N>& a, const aie::vector<T, N>& b, F f) {
    aie::vector<T, N> r;
    for (unsigned i = 0; i < N; ++i)
        r.data[i] = elem_from<T>(static_cast<value_t<T>>(f(value_of(a.data[i]), value_of(b.data[i]))));
    if (record(kind, N, bits_v<T>)) aie_emu::perturb(r);
    return r;
}
template <typename T, unsigned N>
AIE_EMU_FN aie::vector<T, N> splat(T s) {
    aie::vector<T, N> r;
    for (unsigned i = 0; i < N; ++i) r.data[i] = s;
    return r;
}
template <typename T, unsigned N, typename F>
AIE_EMU_FN aie::mask<N> compare(const aie::vector<T, N>& a, const aie::vector<T, N>& b, F f) {
    aie::mask<N> m;
    for (unsigned i = 0; i < N; ++i) m.bits[i] = f(value_of(a.data[i]), value_of(b.data[i]));
    if (record(op_kind::compare, N, bits_v<T>)) aie_emu::perturb(m);
    return m;
}
}  // namespace aie_emu
