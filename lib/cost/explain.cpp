// lib/cost/explain.cpp: autoconv::explain — the cost model's decision for the
// arguments of a call, and its printout.
#include <autoconv/explain.hpp>

#include <cmath>
#include <cstdio>
#include <ostream>

#include "core/value.hpp"
#include "core/views.hpp"
#include "cost/model.hpp"
#include "separable/factor.hpp"
#include "parallel/slices.hpp"

namespace autoconv {

namespace detail::cost {

// Kernels of higher separable rank are run by the other methods (see kernel_terms).
constexpr int max_separable_terms = 4;

Request make_request(Problem pb, std::size_t real_bytes, bool complex_data, const Options& o) {
  Request r;
  r.pb = std::move(pb);
  r.real_bytes = real_bytes;
  r.complex_data = complex_data;
  if (o.threads < 0)
    throw error(std::string(r.pb.api_name()) + ": Options::threads = " + std::to_string(o.threads) +
                " is negative; use 0 for OpenMP's default or a positive count");
  r.workers = max_threads(o.threads);
  r.memory_limit = resolved_memory_limit(o.memory_limit);
  r.one_shot = o.planning == Planning::Estimate;
  return r;
}

std::size_t resolved_memory_limit(std::size_t requested) { return requested ? requested : default_memory_limit(); }

template <class T>
double count_nonfinite(const View<const T>& v) {
  const int D = v.rank();
  std::array<index_t, max_rank> i{};
  double n = 0;
  const std::size_t total = checked_size(v.shape(), "autoconv::explain", "input");
  for (std::size_t t = 0; t < total; ++t) {
    index_t off = 0;
    for (int a = 0; a < D; ++a) off += i[static_cast<std::size_t>(a)] * v.stride(a);
    const T x = v.data()[off];
    if constexpr (is_complex_v<T>)
      n += (std::isfinite(x.real()) && std::isfinite(x.imag())) ? 0 : 1;
    else
      n += std::isfinite(x) ? 0 : 1;
    for (int a = D - 1; a >= 0; --a) {
      if (++i[static_cast<std::size_t>(a)] < v.extent(a)) break;
      i[static_cast<std::size_t>(a)] = 0;
    }
  }
  return n;
}

template <class T>
int kernel_terms(const Problem& pb, const View<const T>& kernel) {
  // Rank is the same for the kernel as given and in correlation order (flips, conj).
  if (!separable_candidate(pb.kernel)) return 0;
  const std::vector<T> k = kernel_in_correlation_order(pb, kernel);
  // More than a few terms is never cheaper than the full kernel's best method for the
  // kernel sizes where passes pay (each term costs a whole pass chain).
  const auto f = factor_kernel(pb.kernel, k.data(), std::min(max_separable_terms, separable_rank_bound(pb.kernel)));
  return f ? f->terms : 0;
}

#define AUTOCONV_COST(T)                                              \
  template double count_nonfinite(const View<const T>&);              \
  template int kernel_terms(const Problem&, const View<const T>&);
AUTOCONV_COST(float)
AUTOCONV_COST(double)
AUTOCONV_COST(std::complex<float>)
AUTOCONV_COST(std::complex<double>)
#undef AUTOCONV_COST

}  // namespace detail::cost

namespace {

using detail::cost::Request;

// Shapes alone (in, k null) or the call's arguments: the kernel's values decide
// separability, the input's non-finite samples are counted.
template <class T>
Decision decide(detail::Problem pb, const Options& o, const View<const T>* in, const View<const T>* k) {
  if (o.method != Method::Auto && o.method != Method::Direct && o.method != Method::FFT &&
      o.method != Method::OverlapAdd && o.method != Method::Separable) {
    throw error("autoconv::explain: unknown Method value " + std::to_string(static_cast<int>(o.method)));
  }
  Request r = detail::cost::make_request<T>(std::move(pb), o);
  if (in) r.nonfinite = detail::cost::count_nonfinite(*in);
  if (k) r.separable_terms = detail::cost::kernel_terms(r.pb, *k);
  return detail::cost::decide(r, detail::cost::machine_profile(), o.method);
}

std::string seconds_str(double s) {
  char b[32];
  if (!std::isfinite(s))
    std::snprintf(b, sizeof b, "-");
  else if (s >= 1)
    std::snprintf(b, sizeof b, "%.2f s", s);
  else if (s >= 1e-3)
    std::snprintf(b, sizeof b, "%.2f ms", s * 1e3);
  else
    std::snprintf(b, sizeof b, "%.1f us", s * 1e6);
  return b;
}

std::string bytes_str(std::size_t n, bool feasible) {
  if (!feasible) return "-";
  char b[32];
  const double v = static_cast<double>(n);
  if (v >= 1024.0 * 1024 * 1024)
    std::snprintf(b, sizeof b, "%.2f GiB", v / (1024.0 * 1024 * 1024));
  else if (v >= 1024.0 * 1024)
    std::snprintf(b, sizeof b, "%.1f MiB", v / (1024.0 * 1024));
  else
    std::snprintf(b, sizeof b, "%.0f KiB", v / 1024.0);
  return b;
}

}  // namespace

std::string Decision::table() const {
  std::string s = "problem: " + problem + "\nprofile: " + profile + "\nchosen:  " + to_string(method) + "\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %-12s %10s %10s  %-42s %s\n", "method", "predicted", "memory", "detail",
                "why not chosen");
  s += line;
  for (const Candidate& c : candidates) {
    std::snprintf(line, sizeof line, "%c %-12s %10s %10s  %-42s %s\n", c.method == method ? '*' : ' ',
                  to_string(c.method), seconds_str(c.seconds).c_str(), bytes_str(c.bytes, c.feasible).c_str(),
                  c.detail.c_str(), c.why_not.c_str());
    s += line;
  }
  return s;
}

std::ostream& operator<<(std::ostream& os, const Decision& d) { return os << d.table(); }

template <class T>
Decision explain(const Shape& input, const Shape& kernel, Mode mode, const Options& options) {
  return decide<T>(detail::make_problem(Operation::Convolve, input, kernel, mode, options.axes), options, nullptr, nullptr);
}

template <class T>
Decision explain(const Shape& input, const Shape& kernel, Mode mode, const Border& border, const Options& options) {
  return decide<T>(detail::make_problem(Operation::Convolve, input, kernel, mode, border, options.axes), options,
                   nullptr, nullptr);
}

template <class T>
Decision explain(const Shape& input, const Shape& kernel, const Border& border, const Options& options) {
  return decide<T>(detail::make_problem(Operation::Convolve, input, kernel, border, options.axes), options, nullptr, nullptr);
}

template <class T>
Decision explain(View<const T> input, View<const T> kernel, Mode mode, const Options& options) {
  return decide<T>(detail::make_problem(Operation::Convolve, input.shape(), kernel.shape(), mode, options.axes),
                   options, &input, &kernel);
}

template <class T>
Decision explain(View<const T> input, View<const T> kernel, Mode mode, const Border& border, const Options& options) {
  return decide<T>(detail::make_problem(Operation::Convolve, input.shape(), kernel.shape(), mode, border, options.axes),
                   options, &input, &kernel);
}

template <class T>
Decision explain(View<const T> input, View<const T> kernel, const Border& border, const Options& options) {
  return decide<T>(detail::make_problem(Operation::Convolve, input.shape(), kernel.shape(), border, options.axes),
                   options, &input, &kernel);
}

#define AUTOCONV_EXPLAIN(T)                                                                                  \
  template Decision explain<T>(const Shape&, const Shape&, Mode, const Options&);                           \
  template Decision explain<T>(const Shape&, const Shape&, Mode, const Border&, const Options&);            \
  template Decision explain<T>(const Shape&, const Shape&, const Border&, const Options&);                   \
  template Decision explain<T>(View<const T>, View<const T>, Mode, const Options&);                         \
  template Decision explain<T>(View<const T>, View<const T>, Mode, const Border&, const Options&);          \
  template Decision explain<T>(View<const T>, View<const T>, const Border&, const Options&);
AUTOCONV_EXPLAIN(float)
AUTOCONV_EXPLAIN(double)
AUTOCONV_EXPLAIN(std::complex<float>)
AUTOCONV_EXPLAIN(std::complex<double>)
#undef AUTOCONV_EXPLAIN

}  // namespace autoconv
