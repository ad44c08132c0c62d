// lib/core/simd.hpp: the vector types and loads/stores of the real micro-kernels
// (direct engine, separable passes): GCC/Clang vector extensions, no intrinsics but
// the non-temporal store.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "core/value.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace autoconv::detail {

// 64-byte GCC/Clang vectors: one AVX-512 register where the target has it; the
// compiler splits them into two AVX2 or four SSE2 registers elsewhere.
template <class R>
struct simd;
template <>
struct simd<double> {
  typedef double v __attribute__((vector_size(64)));
};
template <>
struct simd<float> {
  typedef float v __attribute__((vector_size(64)));
};

template <class R>
using vec_t = typename simd<R>::v;
template <class R>
inline constexpr int lanes_v = sizeof(vec_t<R>) / sizeof(R);

// The target's own register: 64 bytes with AVX-512, 32 with AVX, else 16; and how many
// of them the ISA names (32 with AVX-512, else 16). Micro-kernels that hold many sums
// size their register blocks from these, not from vec_t: 16 vec_t sums are 16
// registers with AVX-512 but 32 with AVX2, which spill (measured on Zen 3: the
// separable 4096^2 / 31^2 call 14x slower than with register-sized blocks).
#if defined(__AVX512F__)
inline constexpr int native_bytes = 64, native_registers = 32;
#elif defined(__AVX__)
inline constexpr int native_bytes = 32, native_registers = 16;
#else
inline constexpr int native_bytes = 16, native_registers = 16;
#endif
// Native registers per vec_t: 1 with AVX-512, 2 with AVX2, 4 with SSE2. Where it is
// not 1, the micro-kernels block their sums in native registers, not in vec_t.
inline constexpr int vec_regs = 64 / native_bytes;
template <class R>
struct nsimd;
template <>
struct nsimd<double> {
  typedef double v __attribute__((vector_size(native_bytes)));
  typedef double u __attribute__((vector_size(native_bytes), aligned(1), may_alias));
};
template <>
struct nsimd<float> {
  typedef float v __attribute__((vector_size(native_bytes)));
  typedef float u __attribute__((vector_size(native_bytes), aligned(1), may_alias));
};
template <class R>
using nvec_t = typename nsimd<R>::v;
template <class R>
inline constexpr int native_lanes = native_bytes / static_cast<int>(sizeof(R));

// All lanes of a vector V (vec_t<R> or nvec_t<R>) = w. w - 0.0 is exactly w for every
// w, so the compiler emits one broadcast; V{} + w would cost an add (0.0 + -0.0 is
// +0.0) and a lane-by-lane fill compiles to eight masked broadcasts with GCC 12.
template <class V, class R>
inline __attribute__((always_inline)) V splat(R w) {
  return w - V{};
}
template <class R>
inline __attribute__((always_inline)) vec_t<R> broadcast(R w) {
  return splat<vec_t<R>>(w);
}

// Unaligned, aliasing-safe views of a vector's memory: loads and stores through them
// stay in registers (a memcpy from a vector's address made GCC spill accumulators).
template <class R>
struct uvec;
template <>
struct uvec<double> {
  typedef double v __attribute__((vector_size(64), aligned(1), may_alias));
};
template <>
struct uvec<float> {
  typedef float v __attribute__((vector_size(64), aligned(1), may_alias));
};

template <class R>
inline __attribute__((always_inline)) vec_t<R> load(const R* p) {
  return *reinterpret_cast<const typename uvec<R>::v*>(p);
}

// A native register's worth at p (unaligned, aliasing-safe), and stored to p.
template <class R>
inline __attribute__((always_inline)) nvec_t<R> nload(const R* p) {
  return *reinterpret_cast<const typename nsimd<R>::u*>(p);
}
template <class R>
inline __attribute__((always_inline)) void nstore(R* p, const nvec_t<R>& v) {
  *reinterpret_cast<typename nsimd<R>::u*>(p) = v;
}

// A vector V (vec_t<R> or nvec_t<R>) loaded from p (unaligned).
template <class V, class R>
inline __attribute__((always_inline)) V vload(const R* p) {
  if constexpr (sizeof(V) == sizeof(vec_t<R>))
    return load(p);
  else
    return nload(p);
}

// c + a * b rounded as the vector code rounds its `acc += w * x`: one fused
// multiply-add where the target has FMA (-ffp-contract=fast fuses the vector code
// there), else a product and a sum (nothing to fuse into; std::fma would round once,
// unlike the vector code, and in software). Scalar edge paths use it so that an output
// has the same value whichever path computes it (the portable -Dnative=false build had
// output-offset-dependent results before).
template <class R>
inline R madd(R a, R b, R c) {
#if defined(__FMA__) || defined(__AVX512F__)
  return std::fma(a, b, c);
#else
  return a * b + c;
#endif
}

// Elements of R from p up to the next 64-byte boundary (0 on one, or when p is not
// aligned to an element): where aligned vector loads and stores can start.
template <class R>
inline std::ptrdiff_t line_gap(const R* p) {
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  return addr % sizeof(R) != 0 ? 0 : static_cast<std::ptrdiff_t>((64 - addr % 64) % 64 / sizeof(R));
}

// Stores one vector; with `stream` and a 64-byte-aligned address, as a non-temporal
// store that skips the read-for-ownership of the output's cache line. Large outputs
// of small kernels are memory-bound, and the RFO is a third of their traffic.
template <class R>
inline __attribute__((always_inline)) void store(R* p, const vec_t<R>& v, bool stream) {
#if defined(__AVX512F__)
  if (stream && (reinterpret_cast<std::uintptr_t>(p) & 63) == 0) {
    if constexpr (std::is_same_v<R, double>)
      _mm512_stream_pd(p, reinterpret_cast<__m512d>(v));
    else
      _mm512_stream_ps(p, reinterpret_cast<__m512>(v));
    return;
  }
#else
  (void)stream;
#endif
  *reinterpret_cast<typename uvec<R>::v*>(p) = v;
}

// One butterfly stage of a W x W transpose: lanes whose bit B is clear come from a
// (low) or from b shifted by B (high), and the others the other way round.
template <int B, bool Hi, class V, std::size_t... L>
inline __attribute__((always_inline)) V butterfly(const V& a, const V& b, std::index_sequence<L...>) {
  constexpr int W = static_cast<int>(sizeof...(L));
  return __builtin_shufflevector(a, b, (Hi ? ((L & B) ? W + L : L + B) : ((L & B) ? W + L - B : L))...);
}

// Transposes the W x W block x[0..W) of vectors V (W lanes; vector i = row i) in
// registers: log2 W stages of W two-source shuffles.
template <int B, class V, std::size_t... I>
inline __attribute__((always_inline)) void transpose_stage(V* x, std::index_sequence<I...>) {
  constexpr std::size_t W = sizeof...(I);
  auto pair = [&](auto i) {
    if constexpr ((i & B) == 0) {
      const V a = x[i], b = x[i + B];
      x[i] = butterfly<B, false>(a, b, std::make_index_sequence<W>{});
      x[i + B] = butterfly<B, true>(a, b, std::make_index_sequence<W>{});
    }
  };
  (pair(std::integral_constant<std::size_t, I>{}), ...);
}
template <class V, int B = 1>
inline __attribute__((always_inline)) void transpose_regs(V* x) {
  constexpr int W = sizeof(V) / sizeof(x[0][0]);
  if constexpr (B < W) {
    transpose_stage<B>(x, std::make_index_sequence<W>{});
    transpose_regs<V, 2 * B>(x);
  }
}

// Transposes the W x W block x[0..W) of vec_t<R> (vector i = row i, W = lanes_v<R>).
// Where vec_t is the target's register that is transpose_regs. Elsewhere (AVX2, SSE2)
// shuffles of whole vec_t would cross registers, which GCC 12 lowers to one scalar
// move per element; the block goes through a small buffer instead and is transposed
// there as blocks of native registers (block (g, h) of the result = block (h, g)
// transposed).
template <class R>
inline __attribute__((always_inline)) void transpose(vec_t<R>* x) {
  constexpr int W = lanes_v<R>, NW = native_lanes<R>;
  if constexpr (W == NW) {
    transpose_regs(x);
  } else {
    using N = nvec_t<R>;
    alignas(64) R m[W][W], t[W][W];
#pragma GCC unroll 16
    for (int i = 0; i < W; ++i) store(&m[i][0], x[i], false);
#pragma GCC unroll 4
    for (int g = 0; g < W / NW; ++g)
#pragma GCC unroll 4
      for (int h = 0; h < W / NW; ++h) {
        N b[NW];
#pragma GCC unroll 16
        for (int c = 0; c < NW; ++c) b[c] = nload(&m[h * NW + c][g * NW]);
        transpose_regs(b);
#pragma GCC unroll 16
        for (int c = 0; c < NW; ++c) nstore(&t[g * NW + c][h * NW], b[c]);
      }
#pragma GCC unroll 16
    for (int i = 0; i < W; ++i) x[i] = load(&t[i][0]);
  }
}

// A vector V (vec_t<R> or nvec_t<R>) stored to p (unaligned): a vec_t as `store`, a
// native register of AVX2 or SSE2 always as a plain store (non-temporal 32-byte stores
// measured slower on Zen 3: BENCHMARKS.md, "On an AVX2 machine").
template <class V, class R>
inline __attribute__((always_inline)) void vstore(R* p, const V& v, bool stream) {
  if constexpr (sizeof(V) == sizeof(vec_t<R>))
    store(p, v, stream);
  else
    nstore(p, v);
}

// dst[0, n) = src[0, n) for buffers that do not overlap, any of the four value types
// (std::complex<R>[n] is R[2 n]), in vectors, prefetching the source 4 KiB ahead
// within [src, src + n). Measured here copying 80 MB from memory in chunks of 32 KiB
// into a ring in cache: 7.1 ms, against 7.6 for the plain vector loop and 8.6-9.4 for
// std::copy (glibc's memmove).
template <class T>
inline void copy_ahead(T* dst, const T* src, std::ptrdiff_t n) {
  using R = real_t<T>;
  constexpr std::ptrdiff_t W = lanes_v<R>, ahead = 4096 / sizeof(R);
  R* d = reinterpret_cast<R*>(dst);
  const R* s = reinterpret_cast<const R*>(src);
  n *= static_cast<std::ptrdiff_t>(sizeof(T) / sizeof(R));
  std::ptrdiff_t i = 0;
  for (; i + W + ahead <= n; i += W) {
    __builtin_prefetch(s + i + ahead, 0, 2);
    *reinterpret_cast<typename uvec<R>::v*>(d + i) = load(s + i);
  }
  for (; i + W <= n; i += W) *reinterpret_cast<typename uvec<R>::v*>(d + i) = load(s + i);
  for (; i < n; ++i) d[i] = s[i];
}

// Orders the non-temporal stores of this thread before anything that follows.
inline void stream_fence() {
#if defined(__AVX512F__)
  _mm_sfence();
#endif
}

}  // namespace autoconv::detail
