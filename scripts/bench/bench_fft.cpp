// bench_fft: the FFT engines against their floors, one thread, double.
//
//   bench_fft bound [--reps N]   Method::FFT on a reused Plan against the raw FFTW bound
//                                at the same transform size: r2c + pointwise multiply +
//                                c2r on preallocated buffers, plans made with the same
//                                flags (FFTW_MEASURE, capped at 1 s) and the same memory.
//   bench_fft oa [--reps N]      Method::OverlapAdd against Method::FFT (reused plans).
//   bench_fft one CASE METHOD    runs one case with one method a few times and exits,
//                                for /usr/bin/time -v (peak memory); CASE is oa1d or
//                                oa3d, METHOD fft or oa.
//
// scripts/bench/run_bench_fft.sh runs all three and prints the tables.
#include <fftw3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <autoconv/autoconv.hpp>

#include "fft/fftw.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using autoconv::index_t;

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Case {
  std::string name;
  std::vector<index_t> n, m;
};

std::vector<double> noise(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> v(n);
  for (auto& x : v) x = u(rng);
  return v;
}

std::size_t prod(const std::vector<index_t>& v) {
  std::size_t p = 1;
  for (index_t e : v) p *= static_cast<std::size_t>(e);
  return p;
}

// Median ms of plan.execute (after one warm-up call).
double time_plan(const autoconv::Plan<double>& plan, const std::vector<double>& x, std::vector<double>& y,
                 const std::vector<index_t>& n, int reps) {
  const autoconv::Shape s(n);
  autoconv::View<const double> in(x.data(), s);
  autoconv::View<double> out(y.data(), s);
  plan.execute(in, out);
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    plan.execute(in, out);
    t.push_back(ms_since(t0));
  }
  return median(t);
}

autoconv::Plan<double> make_plan(const Case& c, const std::vector<double>& k, autoconv::Method m) {
  autoconv::Options o;
  o.method = m;
  o.threads = 1;
  o.planning = autoconv::Planning::Measure;
  return autoconv::Plan<double>(autoconv::Operation::Convolve, autoconv::Shape(c.n),
                                autoconv::View<const double>(k.data(), autoconv::Shape(c.m)), autoconv::Mode::Same, o);
}

// The raw FFTW bound: r2c + multiply + c2r at lengths F, in place, MEASURE (1 s cap).
double time_raw(const std::vector<int>& F, int reps) {
  std::vector<int> half(F);
  half.back() = F.back() / 2 + 1;
  std::size_t nc = 1;
  for (int v : half) nc *= static_cast<std::size_t>(v);
  auto* buf = static_cast<double*>(autoconv::detail::fft::allocate(2 * nc * sizeof(double)));
  auto* ker = static_cast<double*>(autoconv::detail::fft::allocate(2 * nc * sizeof(double)));
  fftw_set_timelimit(1.0);
  fftw_plan f = fftw_plan_dft_r2c(static_cast<int>(F.size()), F.data(), buf, reinterpret_cast<fftw_complex*>(buf),
                                  FFTW_MEASURE);
  fftw_plan b = fftw_plan_dft_c2r(static_cast<int>(F.size()), F.data(), reinterpret_cast<fftw_complex*>(buf), buf,
                                  FFTW_MEASURE);
  for (std::size_t i = 0; i < 2 * nc; ++i) buf[i] = ker[i] = 1e-3 * static_cast<double>(i % 1000);
  std::vector<double> t;
  for (int r = 0; r <= reps; ++r) {
    const auto t0 = Clock::now();
    fftw_execute_dft_r2c(f, buf, reinterpret_cast<fftw_complex*>(buf));
    for (std::size_t k = 0; k < nc; ++k) {
      const double a = buf[2 * k], bb = buf[2 * k + 1], c = ker[2 * k], d = ker[2 * k + 1];
      buf[2 * k] = a * c - bb * d;
      buf[2 * k + 1] = a * d + bb * c;
    }
    fftw_execute_dft_c2r(b, reinterpret_cast<fftw_complex*>(buf), buf);
    if (r > 0) t.push_back(ms_since(t0));
  }
  fftw_destroy_plan(f);
  fftw_destroy_plan(b);
  autoconv::detail::fft::release(buf, 2 * nc * sizeof(double));
  autoconv::detail::fft::release(ker, 2 * nc * sizeof(double));
  return median(t);
}

const std::vector<Case> bound_cases = {
    {"1-D 1000000, k 3001", {1000000}, {3001}},
    {"2-D 2048^2, k 31^2", {2048, 2048}, {31, 31}},
    {"3-D 128^3, k 15^3", {128, 128, 128}, {15, 15, 15}},
};
const std::vector<Case> oa_cases = {
    {"1-D 10000000, k 101", {10000000}, {101}},
    {"3-D 256^3, k 9^3", {256, 256, 256}, {9, 9, 9}},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s bound|oa [--reps N] | one oa1d|oa3d fft|oa\n", argv[0]);
    return 2;
  }
  const std::string what = argv[1];
  int reps = 5;
  for (int i = 2; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--reps") reps = std::max(1, std::atoi(argv[i + 1]));

  if (what == "bound") {
    std::printf("| case | transform | autoconv FFT execute (ms) | raw FFTW r2c*c2r (ms) | ratio | \n|---|---|---:|---:|---:|\n");
    for (const Case& c : bound_cases) {
      const auto x = noise(prod(c.n), 1), k = noise(prod(c.m), 2);
      std::vector<double> y(x.size());
      const auto plan = make_plan(c, k, autoconv::Method::FFT);
      const double ours = time_plan(plan, x, y, c.n, reps);
      // Same lengths as the engine: 'same' mode, zero border: N + M - 1 to a fast length.
      std::vector<int> F;
      std::string dims;
      for (std::size_t i = 0; i < c.n.size(); ++i) {
        F.push_back(static_cast<int>(autoconv::detail::fft::good_size(c.n[i] + c.m[i] - 1)));
        dims += (dims.empty() ? "" : "x") + std::to_string(F.back());
      }
      const double raw = time_raw(F, reps);
      std::printf("| %s | %s | %.2f | %.2f | %.2fx |\n", c.name.c_str(), dims.c_str(), ours, raw, ours / raw);
      std::fflush(stdout);
    }
    return 0;
  }
  if (what == "oa") {
    std::printf("| case | FFT (ms) | OverlapAdd (ms) | FFT / OverlapAdd |\n|---|---:|---:|---:|\n");
    for (const Case& c : oa_cases) {
      const auto x = noise(prod(c.n), 1), k = noise(prod(c.m), 2);
      std::vector<double> y(x.size());
      double t[2];
      int i = 0;
      for (auto m : {autoconv::Method::FFT, autoconv::Method::OverlapAdd}) {
        const auto plan = make_plan(c, k, m);
        t[i++] = time_plan(plan, x, y, c.n, reps);
      }
      std::printf("| %s | %.1f | %.1f | %.2fx |\n", c.name.c_str(), t[0], t[1], t[0] / t[1]);
      std::fflush(stdout);
    }
    return 0;
  }
  if (what == "one" && argc >= 4) {
    const Case& c = oa_cases[std::string(argv[2]) == "oa1d" ? 0 : 1];
    const auto m = std::string(argv[3]) == "fft" ? autoconv::Method::FFT : autoconv::Method::OverlapAdd;
    const auto x = noise(prod(c.n), 1), k = noise(prod(c.m), 2);
    std::vector<double> y(x.size());
    const auto plan = make_plan(c, k, m);
    const double ms = time_plan(plan, x, y, c.n, 2);
    std::printf("%s %s %.1f ms; input + output = %.1f MiB\n", c.name.c_str(), argv[3], ms,
                2.0 * static_cast<double>(x.size()) * sizeof(double) / (1024.0 * 1024));
    return 0;
  }
  std::fprintf(stderr, "unknown command %s\n", what.c_str());
  return 2;
}
