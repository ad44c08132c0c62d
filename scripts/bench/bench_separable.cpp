// bench_separable: issue 6's acceptance 1. Method::Separable against the best
// non-separable method (Direct, FFT, OverlapAdd) on reused plans, double (--float: float):
//   vol:   3-D 256^3 volume, 19^3 Gaussian (sigma 3), Reflect border (image style)
//   img:   2-D 4096^2 image, 31^2 Gaussian (sigma 5), Reflect border
//   rank2: 2-D 2048^2 image, 31^2 sum of two different Gaussians (rank 2), Reflect border
// Each method: one warm-up execute, then the median of --reps timed executes. The error
// column is max |method - Direct| against the bound 8 eps log2(taps) sum|k| max|x| that
// every method keeps from the exact result (so two methods differ by at most twice it).
//
//   bench_separable [--reps N] [--threads T] [--cases vol,img,rank2] [--auto] [--skip-direct] [--float]
//   --auto adds Method::Auto (the cost model's choice); --skip-direct leaves Direct out
//   of the timing (it is still run once, as the error reference); --float runs every
//   method in float (the kernel rounded from the double one; the bound with float eps).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <autoconv/autoconv.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using autoconv::index_t;
using autoconv::Method;

std::vector<double> gauss1(index_t m, double sigma) {
  std::vector<double> g(static_cast<std::size_t>(m));
  for (index_t i = 0; i < m; ++i) {
    const double t = static_cast<double>(i) - static_cast<double>(m - 1) / 2;
    g[static_cast<std::size_t>(i)] = std::exp(-t * t / (2 * sigma * sigma));
  }
  return g;
}

// Isotropic Gaussian of `rank` axes of extent m, from its N-D formula, normalised.
std::vector<double> gauss_nd(int rank, index_t m, double sigma) {
  std::size_t n = 1;
  for (int a = 0; a < rank; ++a) n *= static_cast<std::size_t>(m);
  std::vector<double> k(n);
  double sum = 0;
  for (std::size_t t = 0; t < n; ++t) {
    std::size_t r = t;
    double r2 = 0;
    for (int a = 0; a < rank; ++a) {
      const double c = static_cast<double>(r % static_cast<std::size_t>(m)) - static_cast<double>(m - 1) / 2;
      r /= static_cast<std::size_t>(m);
      r2 += c * c;
    }
    k[t] = std::exp(-r2 / (2 * sigma * sigma));
    sum += k[t];
  }
  for (auto& v : k) v /= sum;
  return k;
}

struct Case {
  std::string key, name;
  std::vector<index_t> n, m;
  std::vector<double> k;
};

Case make_case(const std::string& key) {
  if (key == "vol") return {key, "3-D 256^3, 19^3 Gaussian sigma 3", {256, 256, 256}, {19, 19, 19}, gauss_nd(3, 19, 3.0)};
  if (key == "img") return {key, "2-D 4096^2, 31^2 Gaussian sigma 5", {4096, 4096}, {31, 31}, gauss_nd(2, 31, 5.0)};
  // Rank 2: a narrow Gaussian minus half of a wide, anisotropic one.
  std::vector<double> k = gauss_nd(2, 31, 2.0);
  const auto a = gauss1(31, 7.0), b = gauss1(31, 4.0);
  for (index_t i = 0; i < 31; ++i)
    for (index_t j = 0; j < 31; ++j) k[static_cast<std::size_t>(i * 31 + j)] -= 0.004 * a[static_cast<std::size_t>(i)] * b[static_cast<std::size_t>(j)];
  return {key, "2-D 2048^2, 31^2 rank 2 (two Gaussians)", {2048, 2048}, {31, 31}, k};
}

struct Result {
  double seconds = 0, err = 0;
  Method ran = Method::Direct;
};

template <class T>
Result run(const Case& c, const std::vector<T>& x, std::vector<T>& y, const std::vector<T>* ref, Method m, int threads,
           int reps) {
  autoconv::Options o;
  o.method = m;
  o.threads = threads;
  o.planning = autoconv::Planning::Measure;
  const autoconv::Shape s(c.n);
  const std::vector<T> k(c.k.begin(), c.k.end());
  const autoconv::Plan<T> plan(autoconv::Operation::Convolve, s, autoconv::View<const T>(k.data(), autoconv::Shape(c.m)),
                               autoconv::Border{autoconv::Boundary::Reflect}, o);
  const autoconv::View<const T> in(x.data(), s);
  const autoconv::View<T> out(y.data(), s);
  plan.execute(in, out);  // warm: buffers and FFTW plans
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    plan.execute(in, out);
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  Result res;
  res.seconds = t.empty() ? 0 : t[t.size() / 2];
  res.ran = plan.method();
  if (ref)
    for (std::size_t i = 0; i < y.size(); ++i)
      res.err = std::max(res.err, static_cast<double>(std::abs(y[i] - (*ref)[i])));
  return res;
}

// One case: every method on the same input, the table row.
template <class T>
void run_case(const Case& c, int threads, int reps, bool with_auto, bool skip_direct) {
  std::size_t n = 1;
  for (index_t v : c.n) n *= static_cast<std::size_t>(v);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> x(n), ref(n), y(n);
  for (auto& v : x) v = static_cast<T>(u(rng));
  const Result direct = run<T>(c, x, ref, nullptr, Method::Direct, threads, skip_direct ? 0 : reps);
  const Result fft = run<T>(c, x, y, &ref, Method::FFT, threads, reps);
  const Result oa = run<T>(c, x, y, &ref, Method::OverlapAdd, threads, reps);
  const Result sep = run<T>(c, x, y, &ref, Method::Separable, threads, reps);
  Result aut;
  if (with_auto) aut = run<T>(c, x, y, &ref, Method::Auto, threads, reps);
  double best = std::min(fft.seconds, oa.seconds);
  if (!skip_direct) best = std::min(best, direct.seconds);
  double sk = 0;
  for (double v : c.k) sk += std::abs(v);
  const double bound = 8 * static_cast<double>(std::numeric_limits<T>::epsilon()) *
                       std::log2(static_cast<double>(c.k.size())) * sk;
  char dcol[32], acol[64] = "";
  if (skip_direct) std::snprintf(dcol, sizeof dcol, "-");
  else std::snprintf(dcol, sizeof dcol, "%.3f", direct.seconds);
  if (with_auto) std::snprintf(acol, sizeof acol, " %.3f (%s) |", aut.seconds, autoconv::to_string(aut.ran));
  std::printf("| %s | %s | %.3f | %.3f | %.3f |%s %.1fx | %.1e | %.1e |\n", c.name.c_str(), dcol, fft.seconds,
              oa.seconds, sep.seconds, acol, best / sep.seconds, sep.err, bound);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 3, threads = 1;
  bool with_auto = false, skip_direct = false, single = false;
  std::string cases = "vol,img,rank2";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--threads" && i + 1 < argc) threads = std::max(1, std::atoi(argv[++i]));
    else if (a == "--cases" && i + 1 < argc) cases = argv[++i];
    else if (a == "--auto") with_auto = true;
    else if (a == "--skip-direct") skip_direct = true;
    else if (a == "--float") single = true;
    else {
      std::fprintf(stderr,
                   "usage: %s [--reps N] [--threads T] [--cases vol,img,rank2] [--auto] [--skip-direct] [--float]\n",
                   argv[0]);
      return 2;
    }
  }
  std::printf("threads %d, median of %d executes on a reused plan (after one warm-up), %s, Reflect border\n\n", threads,
              reps, single ? "float" : "double");
  std::printf("| case | Direct (s) | FFT (s) | OverlapAdd (s) | Separable (s) |%s best non-separable / Separable | "
              "max err vs Direct (Separable) | bound |\n|---|---:|---:|---:|---:|%s---:|---:|---:|\n",
              with_auto ? " Auto (s) |" : "", with_auto ? "---:|" : "");
  std::size_t pos = 0;
  while (pos <= cases.size()) {
    const std::size_t comma = std::min(cases.find(',', pos), cases.size());
    const Case c = make_case(cases.substr(pos, comma - pos));
    pos = comma + 1;
    if (single)
      run_case<float>(c, threads, reps, with_auto, skip_direct);
    else
      run_case<double>(c, threads, reps, with_auto, skip_direct);
  }
  return 0;
}
