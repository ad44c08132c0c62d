// bench_direct: autoconv's direct engine against Eigen's Tensor::convolve, one thread.
//
// For each case (1-D, 2-D, 3-D; double and float) it times, as the median of R
// repetitions after one warm-up call each:
//   - autoconv plan:     a reused autoconv::Plan (Method::Direct, threads = 1) executing
//                        into a preallocated Tensor: the steady-state user path;
//   - autoconv one-shot: autoconv::convolve(x, k, Mode::Same, opts) (plans and allocates);
//   - Eigen:             x.pad(...) into a preallocated padded Tensor, then
//                        padded.convolve(flipped k, dims) into a preallocated Tensor,
//                        on Eigen's default (single-threaded) device; pad + convolve timed together.
// and checks that autoconv and Eigen agree (max |diff| / max |result| below 1e-10
// for double, 1e-4 for float). Prints a Markdown table.
//
// Usage: bench_direct [--reps N] [--quick] [--type double|float|both] [--eigen padded|fused]
//   --eigen fused times x.pad(...).convolve(...) as one expression instead (slower here).
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

#include <autoconv/autoconv.hpp>

namespace {

using Clock = std::chrono::steady_clock;
using Index = Eigen::Index;

// Keeps the optimiser from discarding a result.
template <class T>
void keep(const T& v) {
  asm volatile("" : : "g"(&v) : "memory");
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto c = line.find(':');
      if (c != std::string::npos) {
        std::string s = line.substr(c + 1);
        s.erase(0, s.find_first_not_of(" \t"));
        return s;
      }
    }
  }
  return "unknown";
}

struct Row {
  std::string name, type;
  double plan_ms = 0, oneshot_ms = 0, eigen_ms = 0, gflops = 0, rel_diff = 0, oneshot_diff = 0;
  bool ok = true;
};

template <class T, int D>
Row run_case(const std::string& name, const std::array<Index, D>& n, const std::array<Index, D>& m, int reps,
             bool eigen_fused, std::uint64_t seed) {
  using Tensor = Eigen::Tensor<T, D>;  // column-major, Eigen's default
  Eigen::DSizes<Index, D> nd, md, pd;
  Eigen::array<std::pair<Index, Index>, D> pads;
  Eigen::array<Index, D> dims;
  for (int a = 0; a < D; ++a) {
    nd[a] = n[static_cast<std::size_t>(a)];
    md[a] = m[static_cast<std::size_t>(a)];
    // scipy 'same' starts at (M-1)//2 of 'full'. Correlating with the flipped kernel,
    // output i reads x[i - M//2 .. i + (M-1)//2]: pad M//2 before and (M-1)//2 after.
    pads[static_cast<std::size_t>(a)] = {md[a] / 2, (md[a] - 1) / 2};
    pd[a] = nd[a] + md[a] - 1;
    dims[static_cast<std::size_t>(a)] = a;
  }

  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(-1.0, 1.0);
  Tensor x(nd), k(md);
  for (Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<T>(uni(rng));
  for (Index i = 0; i < k.size(); ++i) k.data()[i] = static_cast<T>(uni(rng));
  Eigen::array<bool, D> rev;
  rev.fill(true);
  Tensor kf = k.reverse(rev);  // Eigen's convolve is a correlation

  autoconv::Options opts;
  opts.method = autoconv::Method::Direct;
  opts.threads = 1;
  const autoconv::Plan<T> plan(autoconv::Operation::Convolve, autoconv::as_view(x).shape(), autoconv::as_view(k),
                               autoconv::Mode::Same, opts);

  Tensor out_plan(nd), out_eigen(nd), padded(pd), out_oneshot;
  out_plan.setZero();
  out_eigen.setZero();
  padded.setZero();

  auto do_plan = [&] { autoconv::execute(plan, x, out_plan); };
  auto do_oneshot = [&] {
    out_oneshot = autoconv::convolve(x, k, autoconv::Mode::Same, opts);  // move-assigns the new Tensor
  };
  auto do_eigen = [&] {
    if (eigen_fused) {
      out_eigen = x.pad(pads).convolve(kf, dims);
    } else {
      padded = x.pad(pads);
      out_eigen = padded.convolve(kf, dims);
    }
  };

  // One warm-up each, then R rounds; the three are interleaved within a round so
  // drifts in machine speed hit them alike.
  do_plan();
  do_oneshot();
  do_eigen();
  std::vector<double> tp, to, te;
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    do_plan();
    tp.push_back(ms_since(t0));
    keep(out_plan.data()[0]);
    t0 = Clock::now();
    do_oneshot();
    to.push_back(ms_since(t0));
    keep(out_oneshot.data()[0]);
    t0 = Clock::now();
    do_eigen();
    te.push_back(ms_since(t0));
    keep(out_eigen.data()[0]);
  }

  Row row;
  row.name = name;
  row.type = std::is_same_v<T, double> ? "double" : "float";
  row.plan_ms = median(tp);
  row.oneshot_ms = median(to);
  row.eigen_ms = median(te);
  const double taps = static_cast<double>(k.size());
  row.gflops = 2.0 * static_cast<double>(x.size()) * taps / (row.plan_ms * 1e6);

  double maxref = 0, maxdiff = 0, maxdiff1 = 0;
  for (Index i = 0; i < out_eigen.size(); ++i) {
    const double e = static_cast<double>(out_eigen.data()[i]);
    maxref = std::max(maxref, std::abs(e));
    maxdiff = std::max(maxdiff, std::abs(static_cast<double>(out_plan.data()[i]) - e));
    maxdiff1 = std::max(maxdiff1, std::abs(static_cast<double>(out_oneshot.data()[i]) - e));
  }
  const double tol = std::is_same_v<T, double> ? 1e-10 : 1e-4;
  row.rel_diff = maxdiff / maxref;
  row.oneshot_diff = maxdiff1 / maxref;
  bool same_shape = out_oneshot.size() == out_eigen.size();
  for (int a = 0; a < D; ++a) same_shape = same_shape && out_oneshot.dimension(a) == out_eigen.dimension(a);
  row.ok = maxref > 0 && row.rel_diff < tol && row.oneshot_diff < tol && same_shape;
  return row;
}

template <class T>
void run_all(std::vector<Row>& rows, bool quick, int reps, bool fused) {
  const Index n1 = quick ? 100000 : 1000000;
  const Index n2 = quick ? 512 : 2048;
  const Index n3 = quick ? 48 : 128;
  const std::uint64_t seed = std::is_same_v<T, double> ? 20240601u : 20240602u;
  auto label = [](const std::string& dims, const std::string& kern) { return dims + ", k " + kern; };
  rows.push_back(run_case<T, 1>(label("1-D " + std::to_string(n1), "31"), {n1}, {31}, reps, fused, seed + 1));
  // A short kernel on a cache-sized signal: the plain 1-D path (no lane layout).
  const Index n1s = quick ? 10000 : 100000;
  rows.push_back(run_case<T, 1>(label("1-D " + std::to_string(n1s), "5"), {n1s}, {5}, reps, fused, seed + 30));
  for (Index kk : {3, 7}) {
    const std::string ks = std::to_string(kk);
    rows.push_back(run_case<T, 2>(label("2-D " + std::to_string(n2) + "x" + std::to_string(n2), ks + "x" + ks),
                                  {n2, n2}, {kk, kk}, reps, fused, seed + 2 + static_cast<std::uint64_t>(kk)));
  }
  for (Index kk : {3, 7}) {
    const std::string ks = std::to_string(kk);
    rows.push_back(run_case<T, 3>(label("3-D " + std::to_string(n3) + "^3", ks + "^3"), {n3, n3, n3},
                                  {kk, kk, kk}, reps, fused, seed + 20 + static_cast<std::uint64_t>(kk)));
  }
}

[[noreturn]] void usage(const char* argv0, int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: %s [--reps N] [--quick] [--type double|float|both] [--eigen padded|fused]\n"
               "  --reps N      timed repetitions per measurement, median reported (default 7)\n"
               "  --quick       smaller sizes, for a smoke run\n"
               "  --type T      double, float or both (default both)\n"
               "  --eigen V     padded: x.pad() into a preallocated tensor, then convolve (default);\n"
               "                fused: x.pad().convolve() as one expression\n",
               argv0);
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 7;
  bool quick = false, fused = false;
  std::string type = "both";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(argv[0], 2);
      return argv[++i];
    };
    if (a == "--reps") {
      reps = std::atoi(value().c_str());
      if (reps < 1) usage(argv[0], 2);
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--type") {
      type = value();
      if (type != "double" && type != "float" && type != "both") usage(argv[0], 2);
    } else if (a == "--eigen") {
      const std::string v = value();
      if (v != "padded" && v != "fused") usage(argv[0], 2);
      fused = v == "fused";
    } else if (a == "--help" || a == "-h") {
      usage(argv[0], 0);
    } else {
      usage(argv[0], 2);
    }
  }

  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + std::string(argv[i]);

  std::printf("### bench_direct: autoconv direct engine vs Eigen Tensor::convolve, 1 thread, mode 'same'\n\n");
  std::printf("Machine: nproc %ld, CPU \"%s\"; autoconv %s, Eigen %d.%d.%d, %s%s. Command: `%s`\n\n",
              sysconf(_SC_NPROCESSORS_ONLN), cpu_model().c_str(), autoconv::version(), EIGEN_WORLD_VERSION,
              EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION,
#if defined(__clang__)
              "clang " __clang_version__,
#elif defined(__GNUC__)
              "GCC " __VERSION__,
#else
              "unknown compiler",
#endif
#if defined(__AVX512F__)
              ", AVX-512",
#elif defined(__AVX2__)
              ", AVX2",
#else
              "",
#endif
              cmd.c_str());
  std::fflush(stdout);

  std::vector<Row> rows;
  if (type == "double" || type == "both") run_all<double>(rows, quick, reps, fused);
  if (type == "float" || type == "both") run_all<float>(rows, quick, reps, fused);

  std::printf("Median of %d runs (each after one warm-up); Eigen = %s; ratio = Eigen / autoconv plan; "
              "GFLOP/s = 2 x output size x taps / autoconv plan time.\n\n",
              reps, fused ? "x.pad().convolve() as one expression" : "pad into a preallocated tensor + convolve");
  std::printf("| case | type | autoconv plan (ms) | autoconv one-shot (ms) | Eigen pad+convolve (ms) | "
              "Eigen / autoconv | autoconv GFLOP/s | max rel diff |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
  bool all_ok = true;
  double min_ratio = 1e300;
  for (const Row& r : rows) {
    const double ratio = r.eigen_ms / r.plan_ms;
    min_ratio = std::min(min_ratio, ratio);
    std::printf("| %s | %s | %.3f | %.3f | %.3f | %.2fx | %.1f | %.1e%s |\n", r.name.c_str(), r.type.c_str(),
                r.plan_ms, r.oneshot_ms, r.eigen_ms, ratio, r.gflops, r.rel_diff, r.ok ? "" : " FAIL");
    all_ok = all_ok && r.ok;
  }
  std::printf("\nSmallest Eigen / autoconv ratio: %.2fx. Results %s (tolerance 1e-10 double, 1e-4 float; "
              "one-shot checked too).\n",
              min_ratio, all_ok ? "agree" : "DISAGREE");
  return all_ok ? 0 : 1;
}
