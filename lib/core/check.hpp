// lib/core/check.hpp: validation of the views a call is given (shapes, null data,
// stride overflow, self-overlap, output overlapping input), shared by Plan::execute
// and convolve_separable. Everything here throws before any output is written.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include <autoconv/view.hpp>

#include "core/problem.hpp"

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
    if (__builtin_mul_overflow(static_cast<std::intptr_t>(v.extent(a) - 1), static_cast<std::intptr_t>(v.stride(a)), &span) ||
        __builtin_mul_overflow(span < 0 ? -span : span, static_cast<std::intptr_t>(sizeof(T)), &bytes) ||
        __builtin_add_overflow(total, bytes, &total))
      throw error(std::string(api) + ": " + what + " strides " + v.strides().str() + " with shape " + v.shape().str() +
                  " overflow the address space");
  }
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
  const auto [ilo, ihi] = byte_range(input);
  const auto [olo, ohi] = byte_range(View<const T>(output));
  if (ilo < ohi && olo < ihi)
    throw error(std::string(api) + ": output memory overlaps input memory (input " + input.shape().str() +
                ", output " + output.shape().str() + "); in-place convolution is not supported");
}

}  // namespace autoconv::detail
