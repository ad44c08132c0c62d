// test/common.hpp: shared test tools: an exact long-double reference written
// straight from SEMANTICS.md (independent of lib/), the error bound, random data
// and Eigen layout helpers.
#pragma once

#include <doctest/doctest.h>

#include <autoconv/autoconv.hpp>

#include "core/value.hpp"

#include <algorithm>
#include <cstring>
#include <thread>
#include <atomic>
#include <mutex>
#include <cstdio>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace testing {

using autoconv::index_t;
using autoconv::Shape;

using autoconv::detail::is_complex_v;
using autoconv::detail::real_t;

template <class T>
using wide_t = std::conditional_t<is_complex_v<T>, std::complex<long double>, long double>;

template <class T>
std::string type_name() {
  if (std::is_same_v<T, float>) return "float32";
  if (std::is_same_v<T, double>) return "float64";
  if (std::is_same_v<T, std::complex<float>>) return "complex64";
  return "complex128";
}

inline std::size_t numel(const Shape& s) {
  std::size_t n = 1;
  for (index_t e : s) n *= static_cast<std::size_t>(e);
  return n;
}

// Multi-index helpers over C order.
inline void unravel(std::size_t flat, const Shape& s, index_t* idx) {
  for (int a = s.rank() - 1; a >= 0; --a) {
    idx[a] = static_cast<index_t>(flat % static_cast<std::size_t>(s[a]));
    flat /= static_cast<std::size_t>(s[a]);
  }
}
inline std::size_t ravel(const index_t* idx, const Shape& s) {
  std::size_t f = 0;
  for (int a = 0; a < s.rank(); ++a) f = f * static_cast<std::size_t>(s[a]) + static_cast<std::size_t>(idx[a]);
  return f;
}

// A dense C-order array for tests.
template <class T>
struct Array {
  Shape shape;
  std::vector<T> v;
  Array() = default;
  explicit Array(const Shape& s) : shape(s), v(numel(s)) {}
  autoconv::View<const T> view() const { return autoconv::View<const T>(v.data(), shape); }
  autoconv::View<T> view() { return autoconv::View<T>(v.data(), shape); }
};

template <class T>
T random_value(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  if constexpr (is_complex_v<T>) {
    const double re = u(rng);
    return T(static_cast<real_t<T>>(re), static_cast<real_t<T>>(u(rng)));
  } else {
    return static_cast<T>(u(rng));
  }
}

template <class T>
Array<T> random_array(const Shape& s, std::mt19937_64& rng) {
  Array<T> a(s);
  for (auto& x : a.v) x = random_value<T>(rng);
  return a;
}

// ---- the exact reference, from SEMANTICS.md's definitions ----------------------

enum class Ext { Zero, Reflect, Mirror, Nearest, Wrap, Constant };

inline Ext to_ext(autoconv::Boundary b) {
  switch (b) {
    case autoconv::Boundary::Reflect:
      return Ext::Reflect;
    case autoconv::Boundary::Mirror:
      return Ext::Mirror;
    case autoconv::Boundary::Nearest:
      return Ext::Nearest;
    case autoconv::Boundary::Wrap:
      return Ext::Wrap;
    default:
      return Ext::Constant;
  }
}

// Index p of the extended axis folded back by repeated reflection / wrapping
// (deliberately not the library's modulo formulas); -1 = constant.
inline index_t fold(index_t p, index_t n, Ext e) {
  switch (e) {
    case Ext::Zero:
    case Ext::Constant:
      return (p >= 0 && p < n) ? p : -1;
    case Ext::Nearest:
      return std::clamp<index_t>(p, 0, n - 1);
    case Ext::Wrap:
      while (p < 0) p += n;
      while (p >= n) p -= n;
      return p;
    case Ext::Reflect:  // symmetric about the half-sample edges: -1 -> 0, n -> n-1
      while (p < 0 || p >= n) p = p < 0 ? -p - 1 : 2 * n - 1 - p;
      return p;
    case Ext::Mirror:  // about the samples: -1 -> 1, n -> n-2
      if (n == 1) return 0;
      while (p < 0 || p >= n) p = p < 0 ? -p : 2 * n - 2 - p;
      return p;
  }
  return -1;
}

template <class T>
wide_t<T> ext_value(const Array<T>& x, const index_t* p, Ext e, double cval) {
  index_t idx[autoconv::max_rank];
  for (int a = 0; a < x.shape.rank(); ++a) {
    idx[a] = fold(p[a], x.shape[a], e);
    if (idx[a] < 0) return wide_t<T>(e == Ext::Constant ? cval : 0.0);
  }
  return wide_t<T>(x.v[ravel(idx, x.shape)]);
}

template <class T>
wide_t<T> conj_if(wide_t<T> v) {
  if constexpr (is_complex_v<T>)
    return std::conj(v);
  else
    return v;
}

// Full convolution sum_m x_ext[j - m] k[m] over extended positions, j in [0, N+M-1).
template <class T>
std::vector<wide_t<T>> full_conv(const Array<T>& x, const Array<T>& k, Ext e, double cval, Shape* full_shape) {
  Shape fs = x.shape;
  for (int a = 0; a < fs.rank(); ++a) fs[a] = x.shape[a] + k.shape[a] - 1;
  std::vector<wide_t<T>> out(numel(fs));
  index_t j[autoconv::max_rank], m[autoconv::max_rank], p[autoconv::max_rank];
  for (std::size_t f = 0; f < out.size(); ++f) {
    unravel(f, fs, j);
    wide_t<T> acc = 0;
    for (std::size_t t = 0; t < k.v.size(); ++t) {
      unravel(t, k.shape, m);
      for (int a = 0; a < fs.rank(); ++a) p[a] = j[a] - m[a];
      acc += ext_value(x, p, e, cval) * wide_t<T>(k.v[t]);
    }
    out[f] = acc;
  }
  *full_shape = fs;
  return out;
}

// Reference for signal style: scipy.signal.convolve/correlate (and convolve2d's boundary).
template <class T>
Array<wide_t<T>> reference_signal(bool correlate, const Array<T>& x, const Array<T>& kernel, autoconv::Mode mode,
                                  Ext e = Ext::Zero, double cval = 0.0) {
  Array<T> k = kernel;
  if (correlate) {  // convolve with the kernel flipped on every axis and conjugated
    index_t m[autoconv::max_rank];
    for (std::size_t t = 0; t < k.v.size(); ++t) {
      unravel(t, k.shape, m);
      for (int a = 0; a < k.shape.rank(); ++a) m[a] = k.shape[a] - 1 - m[a];
      if constexpr (is_complex_v<T>)
        k.v[t] = std::conj(kernel.v[ravel(m, k.shape)]);
      else
        k.v[t] = kernel.v[ravel(m, k.shape)];
    }
  }
  if (mode == autoconv::Mode::Valid) e = Ext::Zero;  // the border is unused in 'valid'
  Shape fs;
  const auto full = full_conv(x, k, e, cval, &fs);
  Shape os = x.shape;
  index_t start[autoconv::max_rank];
  for (int a = 0; a < os.rank(); ++a) {
    const index_t n = x.shape[a], mm = k.shape[a];
    if (mode == autoconv::Mode::Full) {
      os[a] = n + mm - 1;
      start[a] = 0;
    } else if (mode == autoconv::Mode::Same) {
      os[a] = n;
      start[a] = (mm - 1) / 2;
    } else {
      os[a] = std::abs(n - mm) + 1;
      start[a] = std::min(n, mm) - 1;
    }
  }
  Array<wide_t<T>> out(os);
  index_t i[autoconv::max_rank];
  for (std::size_t f = 0; f < out.v.size(); ++f) {
    unravel(f, os, i);
    for (int a = 0; a < os.rank(); ++a) i[a] += start[a];
    out.v[f] = full[ravel(i, fs)];
  }
  return out;
}

// Reference for image style: scipy.ndimage.convolve/correlate, straight from the formulas.
template <class T>
Array<wide_t<T>> reference_image(bool correlate, const Array<T>& x, const Array<T>& w, Ext e, double cval,
                                  const std::vector<index_t>& origin) {
  const int r = x.shape.rank();
  Array<wide_t<T>> out(x.shape);
  index_t i[autoconv::max_rank], j[autoconv::max_rank], p[autoconv::max_rank];
  for (std::size_t f = 0; f < out.v.size(); ++f) {
    unravel(f, x.shape, i);
    wide_t<T> acc = 0;
    for (std::size_t t = 0; t < w.v.size(); ++t) {
      unravel(t, w.shape, j);
      for (int a = 0; a < r; ++a) {
        const index_t o = origin.empty() ? 0 : origin[origin.size() == 1 ? 0 : static_cast<std::size_t>(a)];
        const index_t mm = w.shape[a];
        p[a] = correlate ? i[a] + j[a] - mm / 2 - o : i[a] - j[a] + mm / 2 + o;
      }
      const wide_t<T> wv(w.v[t]);
      acc += ext_value(x, p, e, cval) * (correlate ? conj_if<T>(wv) : wv);
    }
    out.v[f] = acc;
  }
  return out;
}

// ---- the error bound ------------------------------------------------------------

// SEMANTICS.md: atol = c * eps(T) * log2(P) * sum|k| * max|x|. For the direct method
// P is the number of taps summed per output (each output is one sequential sum of
// P fused multiply-adds; its rounding error is at most P*eps*sum|k||x| and in
// practice ~sqrt(P)*eps, below log2(P) for every P here); log2(P) is floored at 1.
inline constexpr double bound_c = 8.0;

template <class T>
double error_bound(const Array<T>& x, const Array<T>& k, double cval = 0.0, double P = 0.0) {
  double sk = 0, mx = std::isfinite(cval) ? std::abs(cval) : 0.0;
  for (const auto& v : k.v) sk += std::abs(v);
  for (const auto& v : x.v)
    if (std::isfinite(std::abs(v))) mx = std::max<double>(mx, std::abs(v));
  if (P <= 0) P = static_cast<double>(k.v.size());
  return bound_c * static_cast<double>(std::numeric_limits<real_t<T>>::epsilon()) * std::max(1.0, std::log2(P)) * sk * mx;
}

// The transform size bound for the FFT methods: every transform length is below
// 2 (N + M) per axis (a fast length >= N + M - 1 within a factor 2), so
// P = prod 2 (N + M) bounds log2 of any transform these tests make.
template <class T>
double fft_bound(const Array<T>& x, const Array<T>& k, double cval = 0.0) {
  double P = 1;
  for (int a = 0; a < x.shape.rank(); ++a) P *= 2.0 * static_cast<double>(x.shape[a] + k.shape[a]);
  return error_bound(x, k, cval, P);
}

// Largest |got - ref| over all elements, read from a strided view.
template <class T, class W>
double max_abs_diff(autoconv::View<const T> got, const Array<W>& ref) {
  REQUIRE(got.shape() == ref.shape);
  index_t i[autoconv::max_rank];
  double worst = 0;
  for (std::size_t f = 0; f < ref.v.size(); ++f) {
    unravel(f, ref.shape, i);
    index_t off = 0;
    for (int a = 0; a < got.rank(); ++a) off += i[a] * got.stride(a);
    const auto g = got.data()[off];
    const double d = static_cast<double>(std::abs(wide_t<T>(g) - wide_t<T>(ref.v[f])));
    if (!(d <= worst)) worst = d;  // NaN propagates as "worse"
  }
  return worst;
}

// ---- Eigen layouts ---------------------------------------------------------------

// Copies a C-order test array into an Eigen tensor of rank R and layout L.
template <int R, int L, class T>
Eigen::Tensor<T, R, L> to_tensor(const Array<T>& a) {
  Eigen::array<Eigen::Index, R> d;
  for (int i = 0; i < R; ++i) d[static_cast<std::size_t>(i)] = a.shape[i];
  Eigen::Tensor<T, R, L> t(d);
  index_t idx[autoconv::max_rank];
  for (std::size_t f = 0; f < a.v.size(); ++f) {
    unravel(f, a.shape, idx);
    Eigen::array<Eigen::Index, R> e;
    for (int i = 0; i < R; ++i) e[static_cast<std::size_t>(i)] = idx[i];
    t(e) = a.v[f];
  }
  return t;
}

}  // namespace testing
