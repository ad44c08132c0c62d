// test/calls.hpp: one description of a call (Spec) and the ways to make it:
// through raw views, strided views, Eigen tensors of both layouts and TensorMap.
// Shared by the randomized and the scipy-reference suites.
#pragma once

#include "common.hpp"

namespace testing {

using autoconv::Border;
using autoconv::Boundary;
using autoconv::Mode;

struct Spec {
  bool correlate = false;
  int style = 0;  // 0 signal, 1 signal with border, 2 image
  Mode mode = Mode::Same;
  Border border{};
};

inline std::string describe(const Spec& s, const Shape& x, const Shape& k) {
  std::string d = std::string(s.correlate ? "correlate" : "convolve") + " x" + x.str() + " k" + k.str();
  if (s.style != 2) d += std::string(" mode=") + autoconv::to_string(s.mode);
  if (s.style != 0) {
    d += std::string(" border=") + autoconv::to_string(s.border.boundary) + " cval=" + std::to_string(s.border.cval);
    if (s.style == 2) {
      d += " origin=(";
      for (auto o : s.border.origin) d += std::to_string(o) + ",";
      d += ")";
    }
  }
  return d;
}

template <class T>
Array<wide_t<T>> reference(const Spec& s, const Array<T>& x, const Array<T>& k) {
  if (s.style == 2) return reference_image(s.correlate, x, k, to_ext(s.border.boundary), s.border.cval, s.border.origin);
  const Ext e = s.style == 1 ? to_ext(s.border.boundary) : Ext::Zero;
  return reference_signal(s.correlate, x, k, s.mode, e, s.border.cval);
}

template <class T>
void call_view(const Spec& s, autoconv::View<const T> x, autoconv::View<const T> k, autoconv::View<T> out,
               const autoconv::Options& o = {}) {
  if (s.correlate) {
    if (s.style == 0) autoconv::correlate<T>(x, k, s.mode, out, o);
    if (s.style == 1) autoconv::correlate<T>(x, k, s.mode, s.border, out, o);
    if (s.style == 2) autoconv::correlate<T>(x, k, s.border, out, o);
  } else {
    if (s.style == 0) autoconv::convolve<T>(x, k, s.mode, out, o);
    if (s.style == 1) autoconv::convolve<T>(x, k, s.mode, s.border, out, o);
    if (s.style == 2) autoconv::convolve<T>(x, k, s.border, out, o);
  }
}

template <class X, class K>
auto call_eigen(const Spec& s, const X& x, const K& k) {
  using R = decltype(autoconv::convolve(x, k, s.mode));
  if (s.correlate) {
    if (s.style == 0) return R(autoconv::correlate(x, k, s.mode));
    if (s.style == 1) return R(autoconv::correlate(x, k, s.mode, s.border));
    return R(autoconv::correlate(x, k, s.border));
  }
  if (s.style == 0) return R(autoconv::convolve(x, k, s.mode));
  if (s.style == 1) return R(autoconv::convolve(x, k, s.mode, s.border));
  return R(autoconv::convolve(x, k, s.border));
}

// A copy of `a` in a buffer with col-major axis order, a gap of 2 on the innermost
// axis and a negative stride on axis 0: the least friendly layout a View allows.
template <class T>
struct Strided {
  std::vector<T> buf;
  autoconv::View<T> view;
  explicit Strided(const Shape& s) {
    Shape st = s;
    index_t step = 2;
    for (int a = 0; a < s.rank(); ++a) {
      st[a] = step;
      step *= s[a] + 1;
    }
    buf.assign(static_cast<std::size_t>(step) + 2, T(0));
    // Negative on axis 0 (the innermost by |stride| here) and on the last axis (the
    // outermost): both directions of every engine's read and write loops.
    index_t base = 1;
    base += (s[0] - 1) * st[0];
    st[0] = -st[0];
    if (s.rank() >= 2) {
      const int last = s.rank() - 1;
      base += (s[last] - 1) * st[last];
      st[last] = -st[last];
    }
    view = autoconv::View<T>(buf.data() + base, s, st);
  }
  void set(const Array<T>& a) {
    index_t i[autoconv::max_rank];
    for (std::size_t f = 0; f < a.v.size(); ++f) {
      unravel(f, a.shape, i);
      index_t off = 0;
      for (int r = 0; r < a.shape.rank(); ++r) off += i[r] * view.stride(r);
      view.data()[off] = a.v[f];
    }
  }
};

template <int R, int L, class T>
void check_eigen_layout(const Spec& s, const Array<T>& x, const Array<T>& k, const Array<wide_t<T>>& ref, double atol,
                        const std::string& what) {
  const auto X = to_tensor<R, L>(x);
  const auto K = to_tensor<R, L>(k);
  const auto Y = call_eigen(s, X, K);
  CHECK_MESSAGE(max_abs_diff<T>(autoconv::as_view(Y), ref) <= atol, what, (L == Eigen::RowMajor ? " RowMajor" : " ColMajor"));
  // TensorMap input (no copy) into a caller-provided TensorMap output.
  Eigen::TensorMap<const Eigen::Tensor<T, R, L>> XM(X.data(), X.dimensions());
  Eigen::Tensor<T, R, L> out(Y.dimensions());
  Eigen::TensorMap<Eigen::Tensor<T, R, L>> OM(out.data(), out.dimensions());
  if (s.correlate) {
    if (s.style == 0) autoconv::correlate(XM, K, s.mode, OM);
    if (s.style == 1) autoconv::correlate(XM, K, s.mode, s.border, OM);
    if (s.style == 2) autoconv::correlate(XM, K, s.border, OM);
  } else {
    if (s.style == 0) autoconv::convolve(XM, K, s.mode, OM);
    if (s.style == 1) autoconv::convolve(XM, K, s.mode, s.border, OM);
    if (s.style == 2) autoconv::convolve(XM, K, s.border, OM);
  }
  CHECK_MESSAGE(max_abs_diff<T>(autoconv::as_view(out), ref) <= atol, what, " TensorMap");
}

template <int R, class T>
void check_eigen(const Spec& s, const Array<T>& x, const Array<T>& k, const Array<wide_t<T>>& ref, double atol,
                 const std::string& what) {
  check_eigen_layout<R, Eigen::RowMajor>(s, x, k, ref, atol, what);
  check_eigen_layout<R, Eigen::ColMajor>(s, x, k, ref, atol, what);
}

// A random call form: operation, style, mode, boundary, cval (0 or `cval`) and, image
// style, an origin per axis at the extremes of its range or 0.
inline Spec random_spec(std::mt19937_64& rng, const Shape& k, double cval = 0.5) {
  Spec s;
  s.correlate = rng() % 2;
  s.style = static_cast<int>(rng() % 3);
  s.mode = static_cast<Mode>(rng() % 3);
  s.border.boundary = static_cast<Boundary>(rng() % 5);
  s.border.cval = (rng() % 2) ? 0.0 : cval;
  if (s.style == 2) {
    for (int a = 0; a < k.rank(); ++a) {
      const index_t m = k[a];
      const index_t lo = -(m / 2), hi = (m - 1) / 2;
      const int pick = static_cast<int>(rng() % 3);
      s.border.origin.push_back(pick == 0 ? lo : pick == 1 ? hi : 0);
    }
  }
  return s;
}

// Is 'valid' possible: one operand at least as large as the other on every axis?
inline bool valid_possible(const Shape& x, const Shape& k) {
  bool xl = true, kl = true;
  for (int a = 0; a < x.rank(); ++a) {
    xl = xl && x[a] >= k[a];
    kl = kl && k[a] >= x[a];
  }
  return xl || kl;
}

// Both Eigen layouts, any rank from 1 to 6 (ranks are compile-time in Eigen).
template <class T>
void check_eigen_rank(const Spec& s, const Array<T>& x, const Array<T>& k, const Array<wide_t<T>>& ref, double atol,
                      const std::string& what) {
  switch (x.shape.rank()) {
    case 1:
      return check_eigen<1>(s, x, k, ref, atol, what);
    case 2:
      return check_eigen<2>(s, x, k, ref, atol, what);
    case 3:
      return check_eigen<3>(s, x, k, ref, atol, what);
    case 4:
      return check_eigen<4>(s, x, k, ref, atol, what);
    case 5:
      return check_eigen<5>(s, x, k, ref, atol, what);
    default:
      return check_eigen<6>(s, x, k, ref, atol, what);
  }
}

}  // namespace testing
