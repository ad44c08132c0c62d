// lib/core/views.hpp: checks of the views a call is given (shape, null data, stride
// overflow, self-overlap, input/output overlap) and the kernel in correlation order:
// shared by Plan (lib/plan.cpp) and Stream (lib/stream/).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <autoconv/view.hpp>

#include "core/problem.hpp"
#include "core/value.hpp"

namespace autoconv::detail {

// Byte range [lo, hi) a view touches.
template <class T>
std::pair<std::uintptr_t, std::uintptr_t> byte_range(const View<T>& v) {
  std::intptr_t lo = 0, hi = 0;
  for (int a = 0; a < v.rank(); ++a) {
    const std::intptr_t span = static_cast<std::intptr_t>(v.extent(a) - 1) * v.stride(a);
    (span < 0 ? lo : hi) += span;
  }
  const auto base = reinterpret_cast<std::uintptr_t>(v.data());
  return {base + static_cast<std::uintptr_t>(lo * static_cast<std::intptr_t>(sizeof(T))),
          base + static_cast<std::uintptr_t>((hi + 1) * static_cast<std::intptr_t>(sizeof(T)))};
}

// True when no two index tuples of `v` reach the same element (sufficient test:
// sorted by |stride|, each stride steps over everything the smaller ones span).
template <class T>
bool is_non_self_overlapping(const View<T>& v) {
  std::array<std::pair<index_t, index_t>, max_rank> ax{};  // (|stride|, extent)
  int n = 0;
  for (int a = 0; a < v.rank(); ++a)
    if (v.extent(a) > 1) ax[static_cast<std::size_t>(n++)] = {v.stride(a) < 0 ? -v.stride(a) : v.stride(a), v.extent(a)};
  for (int i = 1; i < n; ++i)  // insertion sort: n <= max_rank
    for (int j = i; j > 0 && ax[static_cast<std::size_t>(j)] < ax[static_cast<std::size_t>(j - 1)]; --j)
      std::swap(ax[static_cast<std::size_t>(j)], ax[static_cast<std::size_t>(j - 1)]);
  index_t reach = 0;  // largest offset the smaller axes reach
  for (int i = 0; i < n; ++i) {
    const auto [s, e] = ax[static_cast<std::size_t>(i)];
    if (s <= reach) return false;
    reach += s * (e - 1);
  }
  return true;
}

template <class T>
void check_view(const View<T>& v, const Shape& expected, const char* api, const char* what, const char* expected_what) {
  if (v.shape() != expected)
    throw error(std::string(api) + ": " + what + " has shape " + v.shape().str() + " but " + expected_what + " " +
                expected.str());
  if (v.data() == nullptr) throw error(std::string(api) + ": " + what + " data pointer is null, shape " + v.shape().str());
  // Strides times extents must not overflow pointer arithmetic.
  std::intptr_t total = 0;
  for (int a = 0; a < v.rank(); ++a) {
    std::intptr_t span = 0, bytes = 0;
    if (v.stride(a) == std::numeric_limits<index_t>::min() ||  // |stride| not an index_t
        __builtin_mul_overflow(static_cast<std::intptr_t>(v.extent(a) - 1), static_cast<std::intptr_t>(v.stride(a)), &span) ||
        __builtin_mul_overflow(span < 0 ? -span : span, static_cast<std::intptr_t>(sizeof(T)), &bytes) ||
        __builtin_add_overflow(total, bytes, &total))
      throw error(std::string(api) + ": " + what + " strides " + v.strides().str() + " with shape " + v.shape().str() +
                  " overflow the address space");
  }
}

template <class T>
std::vector<T> kernel_in_correlation_order(const Problem& pb, const View<const T>& k) {
  // kc[m] = k[M-1-m] (every axis) for convolve, conj(k[m]) for correlate; C order.
  const int D = pb.rank();
  const std::size_t n = checked_size(pb.kernel, pb.api_name(), "kernel");
  std::vector<T> kc(n);
  std::array<index_t, max_rank> m{};
  for (std::size_t t = 0; t < n; ++t) {
    index_t src = 0;
    for (int a = 0; a < D; ++a) {
      const index_t idx = pb.op == Operation::Convolve ? pb.kernel[a] - 1 - m[static_cast<std::size_t>(a)]
                                                       : m[static_cast<std::size_t>(a)];
      src += idx * k.stride(a);
    }
    T v = k.data()[src];
    if constexpr (is_complex_v<T>)
      if (pb.op == Operation::Correlate) v = std::conj(v);
    kc[t] = v;
    for (int a = D - 1; a >= 0; --a) {
      if (++m[static_cast<std::size_t>(a)] < pb.kernel[a]) break;
      m[static_cast<std::size_t>(a)] = 0;
    }
  }
  return kc;
}

/// True when the memory of `a` and `b` overlaps (by their byte ranges).
template <class T>
bool views_overlap(const View<const T>& a, const View<const T>& b) {
  const auto [alo, ahi] = byte_range(a);
  const auto [blo, bhi] = byte_range(b);
  return alo < bhi && blo < ahi;
}

/// The checks of an execute: input and output shapes against the problem's, then
/// output self-overlap and output/input overlap (in-place is not supported).
template <class T>
void check_call(const Problem& pb, const View<const T>& input, const View<T>& output) {
  const char* api = pb.api_name();
  check_view(input, pb.input, api, "input", "the plan was made for input shape");
  check_view(output, pb.output, api, "output", "the result has shape");
  if (!is_non_self_overlapping(output))
    throw error(std::string(api) + ": output strides " + output.strides().str() + " with shape " +
                output.shape().str() + " make elements overlap");
  if (views_overlap(input, View<const T>(output)))
    throw error(std::string(api) + ": output memory overlaps input memory (input " + input.shape().str() +
                ", output " + output.shape().str() + "); in-place convolution is not supported");
}

}  // namespace autoconv::detail
