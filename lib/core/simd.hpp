// lib/core/simd.hpp: the vector types and loads/stores of the real micro-kernels
// (direct engine, separable passes): GCC/Clang vector extensions, no intrinsics but
// the non-temporal store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

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

// All lanes = w. w - 0.0 is exactly w for every w, so the compiler emits one
// broadcast; V{} + w would cost an add (0.0 + -0.0 is +0.0) and a lane-by-lane
// fill compiles to eight masked broadcasts with GCC 12.
template <class R>
inline __attribute__((always_inline)) vec_t<R> broadcast(R w) {
  return w - vec_t<R>{};
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
