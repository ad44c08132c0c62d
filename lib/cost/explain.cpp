// lib/cost/explain.cpp: autoconv::explain — the cost model's decision for the
// arguments of a call, and its printout.
#include <autoconv/explain.hpp>
#include <autoconv/plan.hpp>

#include <cmath>
#include <complex>
#include <limits>
#include <cstdio>
#include <ostream>

#include "core/format.hpp"
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
  checked_size(v.shape(), "autoconv::explain", "input");
  if (D == 0) return finite_value(v.data()[0]) ? 0 : 1;
  // Rows along the last axis in a tight loop (it vectorises for unit stride), the other
  // axes by an odometer: explain on a 2048^2 double input took 14 ms with the index
  // arithmetic done per element, 1.3 ms so.
  const index_t len = v.extent(D - 1), st = v.stride(D - 1);
  if (len == 0) return 0;
  std::array<index_t, max_rank> i{};
  double n = 0;
  for (;;) {
    index_t off = 0;
    for (int a = 0; a + 1 < D; ++a) off += i[static_cast<std::size_t>(a)] * v.stride(a);
    const T* row = v.data() + off;
    index_t bad = 0;
    if (st == 1)
      for (index_t j = 0; j < len; ++j) bad += finite_value(row[j]) ? 0 : 1;
    else
      for (index_t j = 0; j < len; ++j) bad += finite_value(row[j * st]) ? 0 : 1;
    n += static_cast<double>(bad);
    int a = D - 2;
    for (; a >= 0; --a) {
      if (++i[static_cast<std::size_t>(a)] < v.extent(a)) break;
      i[static_cast<std::size_t>(a)] = 0;
    }
    if (a < 0) return n;
  }
}

// A screen run before the exact factorisation (a long-double Jacobi SVD, ~0.1-250 ms
// for 15^2-129^2 kernels): on each unfolding K_(s) (m_s x n/m_s), `terms` steps of
// Gaussian elimination with complete pivoting (cross approximation). A matrix of rank
// r <= terms leaves a residual of rounding size after r steps. A kernel within
// factor_kernel's tolerance of a sum of r outer products has every unfolding within it
// of rank r, so the first unfolding that `terms` steps leave more than 1e3 times that
// tolerance away from settles it: no such factorisation exists and the SVD is skipped.
// O(terms * n) work, mostly on one unfolding for a kernel that is not separable (each
// step one pass that subtracts the pivot's cross and finds the next pivot).
template <class T>
bool few_terms_possible(const Shape& ks, const std::vector<T>& k, int terms) {
  using R = real_t<T>;
  using W = std::conditional_t<is_complex_v<T>, std::complex<double>, double>;  // work type
  int d = 0;
  for (int a = 0; a < ks.rank(); ++a) d += ks[a] > 1 ? 1 : 0;
  const double n = static_cast<double>(k.size());
  double norm2 = 0;
  for (const T& v : k) norm2 += static_cast<double>(std::norm(std::complex<R>(v)));
  if (!std::isfinite(norm2)) return false;
  if (norm2 == 0) return true;
  const double tol = 1e3 * 8.0 * d * std::max(1.0, std::log2(n)) * std::numeric_limits<R>::epsilon() * std::sqrt(norm2);
  std::vector<W> res(k.size()), row;
  for (int s = 0; s < ks.rank(); ++s) {
    if (ks[s] <= 1) continue;
    // Unfolding along axis s: row i = index on axis s, column = the other indices.
    const std::size_t rows = static_cast<std::size_t>(ks[s]), cols = k.size() / rows;
    std::size_t inner = 1;
    for (int a = s + 1; a < ks.rank(); ++a) inner *= static_cast<std::size_t>(ks[a]);
    for (std::size_t t = 0; t < k.size(); ++t) {
      const std::size_t i = (t / inner) % rows, c = (t / (inner * rows)) * inner + t % inner;
      res[i * cols + c] = W(k[t]);
    }
    // The largest |entry| of row i, and where it is in the row.
    auto row_max = [&](std::size_t i, std::size_t* at) {
      const W* r = res.data() + i * cols;
      double big = 0;
      for (std::size_t c = 0; c < cols; ++c) big = std::max(big, std::norm(r[c]));
      for (std::size_t c = 0; c < cols; ++c)
        if (std::norm(r[c]) == big) {
          *at = c;
          break;
        }
      return big;
    };
    std::size_t pi = 0, pc = 0;  // the pivot
    double big = 0;
    for (std::size_t i = 0; i < rows; ++i) {
      std::size_t c = 0;
      if (const double m = row_max(i, &c); m > big) big = m, pi = i, pc = c;
    }
    for (int step = 0; step < terms && big > 0; ++step) {
      const W piv = res[pi * cols + pc];
      row.assign(res.begin() + static_cast<long>(pi * cols), res.begin() + static_cast<long>((pi + 1) * cols));
      const std::size_t col = pc;
      big = 0;
      for (std::size_t i = 0; i < rows; ++i) {
        W* r = res.data() + i * cols;
        const W f = r[col] / piv;
        if (f != W(0))
          for (std::size_t c = 0; c < cols; ++c) r[c] -= f * row[c];
        std::size_t c = 0;
        if (const double m = row_max(i, &c); m > big) big = m, pi = i, pc = c;
      }
    }
    double left = 0;
    for (const W& v : res) left += std::norm(v);
    if (std::sqrt(left) > tol) return false;
  }
  return true;
}

template <class T>
int kernel_terms(const Problem& pb, const View<const T>& kernel) {
  // Rank is the same for the kernel as given and in correlation order (flips, conj).
  if (!separable_candidate(pb.kernel)) return 0;
  const std::vector<T> k = kernel_in_correlation_order(pb, kernel);
  // Terms that could pay: r terms cost r * (sum of extents) taps per output against the
  // kernel's product of extents (before any FFT pass), so larger r are not looked for.
  double taps = 1, sum = 0;
  for (int a = 0; a < pb.rank(); ++a) taps *= static_cast<double>(pb.kernel[a]), sum += static_cast<double>(pb.kernel[a]);
  const int useful = static_cast<int>(std::min<double>(max_separable_terms, std::floor((taps - 1) / sum)));
  if (useful < 1 || !few_terms_possible(pb.kernel, k, useful)) return 0;
  // More than a few terms is never cheaper than the full kernel's best method for the
  // kernel sizes where passes pay (each term costs a whole pass chain).
  const auto f = factor_kernel(pb.kernel, k.data(), std::min(useful, separable_rank_bound(pb.kernel)));
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
// separability, the input's non-finite samples are counted. The options are read as
// the one-shot call reads them (Planning::Auto: Estimate, setup priced); Measure or
// Patient price a Plan made once and executed many times.
template <class T>
Decision decide(detail::Problem pb, const Options& options, const View<const T>* in, const View<const T>* k) {
  const Options o = detail::one_shot(options);
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

std::string memory_str(std::size_t n, bool feasible) {
  return feasible ? detail::bytes_str(static_cast<double>(n)) : "-";
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
                  to_string(c.method), seconds_str(c.seconds).c_str(), memory_str(c.bytes, c.feasible).c_str(),
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
