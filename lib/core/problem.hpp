// lib/core/problem.hpp: every public call form (signal style, signal style with a
// border, image style; convolve or correlate) reduced to one normalised problem
// that every engine solves:
//
//     out[i] = sum_m kc[m] * x_ext[i + start - (M-1) + m]      (per axis, m in [0, M))
//
// where x_ext is the input extended beyond its edges by `ext`, and kc is the
// kernel in "correlation order": the user's kernel reversed on every axis for
// convolve, conjugated for correlate. Boundaries are therefore padding followed by
// a 'valid' correlation, which is what ARCHITECTURE.md asks of every engine.
#pragma once

#include <array>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <autoconv/types.hpp>

#include "value.hpp"

namespace autoconv::detail {

/// How x_ext is defined outside [0, N) on every axis.
enum class Ext { Zero, Reflect, Mirror, Nearest, Wrap, Constant };

struct Problem {
  Operation op = Operation::Convolve;
  Shape input;   // N per axis
  Shape kernel;  // M per axis
  Shape output;  // L per axis
  /// Per axis: output i reads x_ext at i + start[d] - m for the user's convolve order m,
  /// i.e. window [i + start - (M-1), i + start] in x_ext coordinates.
  std::array<index_t, max_rank> start{};
  Ext ext = Ext::Zero;
  double cval = 0.0;  // value outside for Ext::Constant (Ext::Zero uses 0)
  /// Axes convolved (Options::axes; all when it is empty). On the others the kernel
  /// has extent 1, so they are a batch: output i reads input i.
  std::array<bool, max_rank> convolved{};

  int rank() const { return input.rank(); }
  /// The value x_ext holds outside the input, as a sample of type T: cval for
  /// Ext::Constant, 0 otherwise. A cval beyond float's range gives what IEC 559 rounding
  /// gives (+-FLT_MAX, or +-inf from 2^128 - 2^103 up) without casting the out-of-range
  /// double, which C++ leaves undefined.
  template <class T>
  T outside_value() const {
    using R = real_t<T>;
    if (ext != Ext::Constant) return T(0);
    if constexpr (std::is_same_v<R, float>) {
      const double a = std::fabs(cval);
      if (a >= std::ldexp(1.0, 128) - std::ldexp(1.0, 103))
        return T(std::signbit(cval) ? -std::numeric_limits<R>::infinity() : std::numeric_limits<R>::infinity());
      if (a > static_cast<double>(std::numeric_limits<R>::max()))
        return T(std::signbit(cval) ? std::numeric_limits<R>::lowest() : std::numeric_limits<R>::max());
    }
    return T(static_cast<R>(cval));
  }
  /// "autoconv::convolve" or "autoconv::correlate", for messages.
  const char* api_name() const;
};

/// Name used in error messages.
const char* api_name(Operation op);

/// Signal style (scipy.signal.convolve/correlate).
Problem make_problem(Operation op, const Shape& input, const Shape& kernel, Mode mode,
                     const std::vector<int>& axes = {});
/// Signal style with a border (convolve2d's boundary=, any rank).
Problem make_problem(Operation op, const Shape& input, const Shape& kernel, Mode mode, const Border& border,
                     const std::vector<int>& axes = {});
/// Image style (scipy.ndimage.convolve/correlate).
Problem make_problem(Operation op, const Shape& input, const Shape& kernel, const Border& border,
                     const std::vector<int>& axes = {});

/// Number of elements of `s`; throws autoconv::error naming `what` if the product
/// (or its size in bytes for `elem_bytes` > 0) overflows std::size_t.
std::size_t checked_size(const Shape& s, const char* api, const char* what, std::size_t elem_bytes = 0);

/// Options::memory_limit's default: half of the physical memory (4 GiB if unknown).
std::size_t default_memory_limit();

/// Index in [0, n) that x_ext position p reads, or -1 when it is the constant/zero value.
/// Positions far outside use the extension's period, so kernels larger than the
/// input work under every boundary.
inline index_t extend_index(index_t p, index_t n, Ext ext) {
  if (p >= 0 && p < n) return p;
  switch (ext) {
    case Ext::Zero:
    case Ext::Constant:
      return -1;
    case Ext::Nearest:
      return p < 0 ? 0 : n - 1;
    case Ext::Wrap: {
      index_t r = p % n;
      return r < 0 ? r + n : r;
    }
    case Ext::Reflect: {  // d c b a | a b c d | d c b a, period 2n
      const index_t period = 2 * n;
      index_t r = p % period;
      if (r < 0) r += period;
      return r < n ? r : period - 1 - r;
    }
    case Ext::Mirror: {  // d c b | a b c d | c b a, period 2n-2
      if (n == 1) return 0;
      const index_t period = 2 * n - 2;
      index_t r = p % period;
      if (r < 0) r += period;
      return r < n ? r : period - r;
    }
  }
  return -1;
}

}  // namespace autoconv::detail
