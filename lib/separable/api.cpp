// lib/separable/api.cpp: convolve_separable / correlate_separable: the problem of the
// outer product of the factors, solved by the separable engine with the factors as
// given (never formed, never re-factored).
#include <autoconv/separable.hpp>
#include <autoconv/plan.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/views.hpp"
#include "core/problem.hpp"
#include "parallel/slices.hpp"
#include "separable/engine.hpp"

namespace autoconv::detail {

namespace {

const char* separable_api(Operation op) {
  return op == Operation::Correlate ? "autoconv::correlate_separable" : "autoconv::convolve_separable";
}

// Runs f; an error from the checks shared with the batch call (shapes, modes, views,
// the memory limit) carries that call's name: it is given this one's.
template <class F>
decltype(auto) as_separable(Operation op, F&& f) {
  try {
    return f();
  } catch (const error& e) {
    const std::string what = e.what(), batch = std::string(api_name(op)) + ":";
    if (what.rfind(batch, 0) != 0) throw;
    throw error(separable_api(op) + what.substr(batch.size() - 1));
  }
}

// Scales the factors by powers of two so that their largest magnitudes are within a
// factor 4 of each other, as factor_kernel's are: {1e20, 1e20} x {1e-20, 1e-20} would
// overflow the first pass of a float input of 1e30. Exactly or not at all: the shifts sum
// to zero, and where one would take a nonzero entry below the normal range (losing its
// low bits) the factors are left as given.
template <class T>
void balance(std::vector<std::vector<T>>& f) {
  using R = real_t<T>;
  std::vector<int> e, lo;  // per factor: exponent of the largest and smallest nonzero part
  for (const auto& v : f) {
    R m = 0, n = std::numeric_limits<R>::infinity();
    for (const T& c : v) {
      m = std::max(m, static_cast<R>(std::abs(c)));
      for (R p : {std::real(c), std::imag(c)})
        if (p != 0) n = std::min(n, std::abs(p));
    }
    if (!(m > 0) || !std::isfinite(m)) return;  // a zero or non-finite factor: as given
    e.push_back(std::ilogb(m));
    lo.push_back(std::ilogb(n));
  }
  long sum = 0;
  for (int x : e) sum += x;
  const auto d = static_cast<long>(e.size());
  const long mean = sum >= 0 ? sum / d : -((-sum + d - 1) / d);  // floor
  long rest = sum - mean * d;                                     // in [0, d): one each to the first factors
  std::vector<int> shifts;
  for (std::size_t a = 0; a < f.size(); ++a) {
    const long target = mean + (rest > 0 ? 1 : 0);
    rest -= rest > 0 ? 1 : 0;
    shifts.push_back(static_cast<int>(target - e[a]));
    if (shifts.back() < 0 && lo[a] + shifts.back() < std::numeric_limits<R>::min_exponent - 1) return;
  }
  for (std::size_t a = 0; a < f.size(); ++a) {
    const int shift = shifts[a];
    if (shift == 0) continue;
    for (T& c : f[a]) {
      if constexpr (is_complex_v<T>)
        c = T(std::ldexp(c.real(), shift), std::ldexp(c.imag(), shift));
      else
        c = std::ldexp(c, shift);
    }
  }
}

template <class T>
Problem separable_problem(const View<const T>& x, const std::vector<View<const T>>& f, const SeparableSpec& s,
                          const Options& o) {
  const std::string api = separable_api(s.op);
  if (f.size() != static_cast<std::size_t>(x.rank()))
    throw error(api + ": " + std::to_string(f.size()) + " factors given for an input of shape " + x.shape().str() +
                "; give one 1-D kernel per axis (" + std::to_string(x.rank()) + ")");
  Shape k = x.shape();
  for (std::size_t i = 0; i < f.size(); ++i) {
    const std::string which = "factor " + std::to_string(i);
    if (f[i].rank() != 1)
      throw error(api + ": " + which + " has shape " + f[i].shape().str() + "; each factor must be 1-D (input " +
                  x.shape().str() + ")");
    if (f[i].extent(0) < 1)  // before the pointer check: an empty Eigen vector's data() is null
      throw error(api + ": " + which + " is empty, shape " + f[i].shape().str() + " (input " + x.shape().str() + ")");
    check_view(f[i], f[i].shape(), api.c_str(), which.c_str(), "");
    k[static_cast<int>(i)] = f[i].extent(0);
  }
  if (s.image) return make_problem(s.op, x.shape(), k, s.border, o.axes);
  if (s.has_border) return make_problem(s.op, x.shape(), k, s.mode, s.border, o.axes);
  return make_problem(s.op, x.shape(), k, s.mode, o.axes);
}

}  // namespace

template <class T>
Shape separable_output_shape(const View<const T>& x, const std::vector<View<const T>>& factors,
                             const SeparableSpec& spec, const Options& options) {
  return as_separable(spec.op, [&] { return separable_problem(x, factors, spec, options); }).output;
}

template <class T>
void separable_call(const View<const T>& x, const std::vector<View<const T>>& factors, const SeparableSpec& spec,
                    View<T> out, const Options& o) {
  const Problem pb = as_separable(spec.op, [&] { return separable_problem(x, factors, spec, o); });
  const char* api = separable_api(spec.op);
  if (o.threads < 0)
    throw error(std::string(api) + ": Options::threads = " + std::to_string(o.threads) +
                " is negative; use 0 for OpenMP's default or a positive count");
  SeparableOptions so;
  switch (o.method) {
    case Method::Auto:
    case Method::Separable:
      so.pass_method = Method::Auto;
      break;
    case Method::Direct:
    case Method::FFT:
    case Method::OverlapAdd:
      so.pass_method = o.method;
      break;
    default:
      throw error(std::string(api) + ": unknown Method value " + std::to_string(static_cast<int>(o.method)));
  }
  // A one-shot call: FFT passes are planned with FFTW_ESTIMATE unless asked otherwise
  // (an unknown Planning value is an error, as in every call).
  so.effort = effort_of(one_shot(o).planning, api);
  so.memory_limit = o.memory_limit ? o.memory_limit : default_memory_limit();
  so.workers = max_threads(o.threads);
  // The factors in correlation order: reversed for convolve, conjugated for correlate.
  Factors<T> F;
  F.terms = 1;
  F.kernel = pb.kernel;
  for (int a = 0; a < pb.rank(); ++a) {
    const View<const T>& v = factors[static_cast<std::size_t>(a)];
    const index_t m = v.extent(0);
    std::vector<T> c(static_cast<std::size_t>(m));
    for (index_t i = 0; i < m; ++i) {
      T e = v.data()[(spec.op == Operation::Convolve ? m - 1 - i : i) * v.stride(0)];
      if constexpr (is_complex_v<T>)
        if (spec.op == Operation::Correlate) e = std::conj(e);
      c[static_cast<std::size_t>(i)] = e;
    }
    F.f.push_back(std::move(c));
  }
  balance(F.f);
  as_separable(spec.op, [&] { check_call(pb, x, out); });
  as_separable(spec.op, [&] { return make_separable_engine(pb, F, so); })->run(x, out, o.threads);
}

#define AUTOCONV_SEPARABLE_API(T)                                                                              \
  template Shape separable_output_shape(const View<const T>&, const std::vector<View<const T>>&,               \
                                        const SeparableSpec&, const Options&);                                 \
  template void separable_call(const View<const T>&, const std::vector<View<const T>>&, const SeparableSpec&, \
                               View<T>, const Options&);
AUTOCONV_SEPARABLE_API(float)
AUTOCONV_SEPARABLE_API(double)
AUTOCONV_SEPARABLE_API(std::complex<float>)
AUTOCONV_SEPARABLE_API(std::complex<double>)
#undef AUTOCONV_SEPARABLE_API

}  // namespace autoconv::detail
