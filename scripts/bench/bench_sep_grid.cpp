// bench_sep_grid: 2-D Gaussians of 2^2 to 31^2 taps on 512^2, 2048^2 and 4096^2 double
// images (Reflect border, reused plans): Method::Direct and Method::Separable forced,
// and Method::Auto with the method it chose. Where the axis-0-first separable path
// (separable_vfirst) meets Direct: which is faster, and what Auto loses.
// Each method: one warm-up execute, then the median of --reps timed executes (fewer
// for the large problems: at least 3). FFT and OverlapAdd are not timed: they are
// 3-20x slower than both on these kernels (bench_separable has them).
//
//   bench_sep_grid [--reps N] [--threads T] [--sizes 512,2048,4096] [--taps 2,3,4,5,6,7,9,15,31]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <autoconv/autoconv.hpp>

namespace {

using autoconv::index_t;
using autoconv::Method;

std::vector<long> parse_list(const char* s) {
  std::vector<long> v;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) v.push_back(std::stol(item));
  return v;
}

struct Timed {
  double seconds = 0;
  Method ran = Method::Direct;
};

Timed run(const std::vector<double>& x, std::vector<double>& y, index_t n, const std::vector<double>& k, index_t m,
          Method method, int threads, int reps) {
  autoconv::Options o;
  o.method = method;
  o.threads = threads;
  o.planning = autoconv::Planning::Measure;
  const autoconv::Shape s{n, n};
  const autoconv::Plan<double> plan(autoconv::Operation::Convolve, s, autoconv::View<const double>(k.data(), autoconv::Shape{m, m}),
                                    autoconv::Border{autoconv::Boundary::Reflect}, o);
  const autoconv::View<const double> in(x.data(), s);
  const autoconv::View<double> out(y.data(), s);
  plan.execute(in, out);
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    plan.execute(in, out);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], plan.method()};
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 11, threads = 1;
  std::vector<long> sizes{512, 2048, 4096}, taps{2, 3, 4, 5, 6, 7, 9, 15, 31};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) reps = std::atoi(argv[++i]);
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--sizes" && i + 1 < argc) sizes = parse_list(argv[++i]);
    else if (a == "--taps" && i + 1 < argc) taps = parse_list(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--reps N] [--threads T] [--sizes 512,2048,4096] [--taps 2,3,...]\n", argv[0]);
      return 2;
    }
  }
  std::printf("threads %d, median of up to %d executes on reused plans, double, Reflect border, 2-D Gaussian (sigma = m / 6)\n\n",
              threads, reps);
  std::printf("| image | kernel | Direct (ms) | Separable (ms) | Auto (ms) | Auto chose | Direct / Separable | Auto / best |\n");
  std::printf("|---|---|---:|---:|---:|---|---:|---:|\n");
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1, 1);
  for (long n : sizes) {
    std::vector<double> x(static_cast<std::size_t>(n * n)), y(x.size());
    for (auto& v : x) v = u(rng);
    for (long m : taps) {
      std::vector<double> g(static_cast<std::size_t>(m)), k(static_cast<std::size_t>(m * m));
      double sum = 0;
      const double sigma = static_cast<double>(m) / 6;
      for (long i = 0; i < m; ++i) {
        const double t = static_cast<double>(i) - static_cast<double>(m - 1) / 2;
        sum += g[static_cast<std::size_t>(i)] = std::exp(-t * t / (2 * sigma * sigma));
      }
      for (long i = 0; i < m; ++i)
        for (long j = 0; j < m; ++j)
          k[static_cast<std::size_t>(i * m + j)] = g[static_cast<std::size_t>(i)] * g[static_cast<std::size_t>(j)] / (sum * sum);
      // About 0.2 s of Direct per method at most.
      const double work = static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(m * m) * 1.5e-11;
      const int r = std::max(3, std::min(reps, static_cast<int>(0.2 / work)));
      const Timed d = run(x, y, n, k, m, Method::Direct, threads, r);
      const Timed s = run(x, y, n, k, m, Method::Separable, threads, r);
      const Timed a = run(x, y, n, k, m, Method::Auto, threads, r);
      std::printf("| %ld² | %ld² | %.3f | %.3f | %.3f | %s | %.2f | %.2f |\n", n, m, d.seconds * 1e3, s.seconds * 1e3,
                  a.seconds * 1e3, autoconv::to_string(a.ran), d.seconds / s.seconds,
                  a.seconds / std::min(d.seconds, s.seconds));
    }
  }
}
