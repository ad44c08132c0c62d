// lib/cost/calibrate.cpp: autoconv-calibrate, which measures this machine's cost-model
// constants in well under a minute and writes them as a profile file.
//
//   autoconv-calibrate [--output PATH] [--quick]
//
// PATH defaults to $AUTOCONV_PROFILE, else ~/.config/autoconv/profile ("-" prints it).
// Each constant is fitted to probe problems timed as one-shot calls (what the model
// predicts for Planning::Estimate), with the model's own operation counts, so the
// constants mean exactly what the model multiplies them by.
#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <sys/stat.h>
#include <vector>

#include <autoconv/explain.hpp>
#include <autoconv/plan.hpp>

#include "cost/model.hpp"
#include "fft/fftw.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

int cores = 1;  // threads the scales are measured with (every core: the default call)

using autoconv::Method;
using autoconv::Mode;
using autoconv::Shape;
namespace cost = autoconv::detail::cost;
using Clock = std::chrono::steady_clock;

double now() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

struct Probe {
  Shape input, kernel;
  Method method;
};

// Median seconds of a one-shot convolve (the first call, which plans FFTW, is not counted).
template <class T>
double time_call(const Probe& pr, int threads, int reps) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> x(static_cast<std::size_t>(autoconv::detail::checked_size(pr.input, "calibrate", "input")));
  std::vector<T> k(static_cast<std::size_t>(autoconv::detail::checked_size(pr.kernel, "calibrate", "kernel")));
  for (auto& v : x) v = static_cast<T>(u(rng));
  for (auto& v : k) v = static_cast<T>(u(rng));
  const Shape os = autoconv::output_shape(pr.input, pr.kernel, Mode::Same);
  std::vector<T> y(static_cast<std::size_t>(autoconv::detail::checked_size(os, "calibrate", "output")));
  autoconv::Options o;
  o.method = pr.method;
  o.threads = threads;
  autoconv::View<const T> xv(x.data(), pr.input), kv(k.data(), pr.kernel);
  autoconv::View<T> yv(y.data(), os);
  autoconv::convolve<T>(xv, kv, Mode::Same, yv, o);
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const double t0 = now();
    autoconv::convolve<T>(xv, kv, Mode::Same, yv, o);
    t.push_back(now() - t0);
  }
  std::nth_element(t.begin(), t.begin() + reps / 2, t.end());
  return t[static_cast<std::size_t>(reps / 2)];
}

// The model's prediction for `pr` under profile `p` (1 thread, one-shot).
template <class T>
double model(const Probe& pr, const cost::Profile& p, int threads = 1) {
  autoconv::Options o;
  o.threads = threads;
  o.planning = autoconv::Planning::Estimate;
  cost::Request r = cost::make_request<T>(
      autoconv::detail::make_problem(autoconv::Operation::Convolve, pr.input, pr.kernel, Mode::Same), o);
  return cost::predict(r, pr.method, p).seconds;
}

cost::Profile zero() {
  cost::Profile p;
  p.direct_tap[0] = p.direct_tap[1] = p.direct_output[0] = p.direct_output[1] = 0;
  p.fft_unit[0] = p.fft_unit[1] = 0;
  p.touch_byte = 0;
  p.parallel_overhead = 0;
  p.thread_efficiency = 1;
  return p;
}

// Least squares t ~ a X + b Y on relative errors (each row divided by t), a, b > 0.
std::pair<double, double> fit2(const std::vector<double>& X, const std::vector<double>& Y, const std::vector<double>& t) {
  double sxx = 0, sxy = 0, syy = 0, sx = 0, sy = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double x = X[i] / t[i], y = Y[i] / t[i];
    sxx += x * x, sxy += x * y, syy += y * y, sx += x, sy += y;
  }
  const double det = sxx * syy - sxy * sxy;
  double a = (sx * syy - sy * sxy) / det, b = (sy * sxx - sx * sxy) / det;
  if (a <= 0 || b <= 0) {  // degenerate probes: attribute everything to the taps
    b = b <= 0 ? 1e-12 : b;
    double num = 0, den = 0;
    for (std::size_t i = 0; i < t.size(); ++i) num += X[i] * (t[i] - b * Y[i]) / (t[i] * t[i]), den += X[i] * X[i] / (t[i] * t[i]);
    a = std::max(num / den, 1e-15);
  }
  return {a, b};
}

template <class T>
void calibrate_precision(cost::Profile& prof, int reps, bool quick) {
  const int pi = sizeof(T) == 4 ? 0 : 1;
  // Direct: small and large kernels in 1-D, 2-D and 3-D, so both the per-tap and the
  // per-output constant are pinned.
  std::vector<Probe> direct = {
      {Shape{1 << 20}, Shape{7}, Method::Direct},         {Shape{1 << 18}, Shape{201}, Method::Direct},
      {Shape{1024, 1024}, Shape{3, 3}, Method::Direct},   {Shape{512, 512}, Shape{15, 15}, Method::Direct},
      {Shape{96, 96, 96}, Shape{3, 3, 3}, Method::Direct}, {Shape{64, 64, 64}, Shape{7, 7, 7}, Method::Direct},
  };
  // FFT: single transforms and overlap-save blocks in 1-D, 2-D and 3-D.
  std::vector<Probe> fftp = {
      {Shape{1 << 20}, Shape{1001}, Method::OverlapAdd}, {Shape{300000}, Shape{20001}, Method::FFT},
      {Shape{1024, 1024}, Shape{31, 31}, Method::FFT},   {Shape{1024, 1024}, Shape{17, 17}, Method::OverlapAdd},
      {Shape{96, 96, 96}, Shape{9, 9, 9}, Method::FFT},  {Shape{128, 128, 128}, Shape{7, 7, 7}, Method::OverlapAdd},
  };
  if (quick) direct.resize(4), fftp.resize(4);
  std::vector<double> X, Y, t;
  cost::Profile tap = zero(), out = zero();
  tap.direct_tap[pi] = 1;
  out.direct_output[pi] = 1;
  for (const Probe& pr : direct) {
    X.push_back(model<T>(pr, tap));
    Y.push_back(model<T>(pr, out));
    t.push_back(time_call<T>(pr, 1, reps));
  }
  const auto [a, b] = fit2(X, Y, t);
  prof.direct_tap[pi] = a;
  prof.direct_output[pi] = b;
  // FFT: t - (fresh memory) = c * units + (fixed cost of a call), fitted over the
  // probes plus two small ones that pin the fixed cost.
  fftp.push_back({Shape{4096}, Shape{257}, Method::FFT});
  fftp.push_back({Shape{64, 64}, Shape{9, 9}, Method::OverlapAdd});
  if (!quick) {
    fftp.push_back({Shape{2048, 2048}, Shape{31, 31}, Method::OverlapAdd});
    fftp.push_back({Shape{192, 192, 192}, Shape{9, 9, 9}, Method::OverlapAdd});
    fftp.push_back({Shape{128, 128, 128}, Shape{17, 17, 17}, Method::OverlapAdd});
    fftp.push_back({Shape{160, 160, 160}, Shape{5, 5, 5}, Method::OverlapAdd});
    fftp.push_back({Shape{64, 64, 64}, Shape{17, 17, 17}, Method::FFT});
    fftp.push_back({Shape{1 << 22}, Shape{3001}, Method::OverlapAdd});
  }
  std::vector<double> U, one, tf;
  cost::Profile unit = zero(), touch = zero();
  unit.fft_unit[pi] = 1;
  touch.touch_byte = prof.touch_byte;
  for (const Probe& pr : fftp) {
    const double tm = time_call<T>(pr, 1, reps);
    U.push_back(model<T>(pr, unit));
    one.push_back(1.0);
    tf.push_back(std::max(0.2 * tm, tm - model<T>(pr, touch)));
  }
  const auto [cu, fixed] = fit2(U, one, tf);
  prof.fft_unit[pi] = cu;
  // Per number of axes: measured over predicted (median), for Direct, single FFTs and
  // blocks; the double probes set them (float's ratios were within ~10% of double's).
  if (pi == 1) {
    std::vector<double> ratio[3][3];  // [kind][axes - 1]
    cost::Profile base = prof;
    for (int i = 0; i < 3; ++i) base.direct_scale[i] = base.fft_scale[i] = base.blocks_scale[i] = 1;
    base.fft_call = fixed;
    auto axes = [](const Probe& pr) {
      int n = 0;
      for (int d = 0; d < pr.kernel.rank(); ++d) n += pr.kernel[d] > 1 ? 1 : 0;
      return std::clamp(n, 1, 3) - 1;
    };
    // Measured with every core (what a default call uses): the scales then also hold
    // how well each kind of work shares the cores beyond thread_efficiency.
    // Direct: the scale applies to the per-output part only (the taps are counted exactly).
    cost::Profile taps_only = base;
    taps_only.direct_output[pi] = 0;
    for (const Probe& pr : direct) {
      const double tm = time_call<T>(pr, cores, reps), taps = model<T>(pr, taps_only, cores);
      ratio[0][axes(pr)].push_back((tm - taps) / std::max(1e-12, model<T>(pr, base, cores) - taps));
    }
    // Probes under 2 ms (there to pin the fixed cost of a call) say little about the
    // per-point costs the scales are for.
    for (const Probe& pr : fftp)
      if (const double tm = time_call<T>(pr, cores, reps); tm > 2e-3)
        ratio[pr.method == Method::FFT ? 1 : 2][axes(pr)].push_back(tm / model<T>(pr, base, cores));
    double* dst[3] = {prof.direct_scale, prof.fft_scale, prof.blocks_scale};
    for (int kind = 0; kind < 3; ++kind)
      for (int a = 0; a < 3; ++a) {
        auto& v = ratio[kind][a];
        if (v.empty()) continue;
        std::sort(v.begin(), v.end());
        // Direct and single transforms: the median. Blocks: the largest ratio — their
        // measured/counted ratio spreads most between shapes (3-D: 1.5-3.5x on the
        // benchmark grid), and a model that under-prices blocks picks them where one
        // transform or Direct is faster; over-pricing them costs little, since where
        // blocks win they win by far (long signals: 5-10x).
        dst[kind][a] = std::clamp(kind == 2 ? v.back() : v[v.size() / 2], 0.25, 8.0);
      }
    std::printf("  scales (1-D, 2-D, 3-D): direct %.2f %.2f %.2f, one FFT %.2f %.2f %.2f, blocks %.2f %.2f %.2f\n",
                prof.direct_scale[0], prof.direct_scale[1], prof.direct_scale[2], prof.fft_scale[0],
                prof.fft_scale[1], prof.fft_scale[2], prof.blocks_scale[0], prof.blocks_scale[1],
                prof.blocks_scale[2]);
  }
  prof.fft_call = std::max(prof.fft_call, std::clamp(fixed, 1e-6, 1e-3));  // one constant for both
  std::printf("  %-6s direct %.4f ns/tap + %.3f ns/output, fft %.4f ns/unit + %.1f us/call\n",
              sizeof(T) == 4 ? "float" : "double", a * 1e9, b * 1e9, cu * 1e9, fixed * 1e6);
}

// Seconds per byte to obtain and touch fresh memory (what a one-shot call's working
// buffers cost): median of a few 64 MiB rounds through the library's allocator.
double measure_touch() {
  const std::size_t bytes = std::size_t(64) << 20;
  std::vector<double> t;
  for (int r = 0; r < 5; ++r) {
    const double t0 = now();
    void* p = autoconv::detail::fft::allocate(bytes);
    std::memset(p, 1, bytes);
    autoconv::detail::fft::release(p, bytes);
    t.push_back(now() - t0);
  }
  std::sort(t.begin(), t.end());
  // memset itself streams at the copy bandwidth; the model charges it separately only
  // through this constant, so keep the whole cost.
  return t[2] / static_cast<double>(bytes);
}

}  // namespace

int main(int argc, char** argv) {
  std::string output;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--output" && i + 1 < argc)
      output = argv[++i];
    else if (a == "--quick")
      quick = true;
    else {
      std::fprintf(stderr,
                   "usage: autoconv-calibrate [--output PATH|-] [--quick]\n"
                   "Measures this machine's cost-model constants (about 20-40 s) and writes a profile\n"
                   "(default: $AUTOCONV_PROFILE, else ~/.config/autoconv/profile).\n");
      return 2;
    }
  }
  if (output.empty()) output = cost::default_profile_path();
  if (output.empty()) {
    std::fprintf(stderr, "autoconv-calibrate: no $AUTOCONV_PROFILE or $HOME: give --output PATH\n");
    return 2;
  }
  const double t0 = now();
  try {
    cost::Profile p = cost::builtin_profile();
    const int reps = quick ? 3 : 5;
    p.touch_byte = measure_touch();
    p.fft_call = 0;
    std::printf("autoconv-calibrate: fresh memory %.3f ns/byte\n", p.touch_byte * 1e9);
    // Threads: a direct probe on every core against one.
    cores = 1;
#ifdef _OPENMP
    cores = omp_get_max_threads();
#endif
    if (cores > 1) {
      // Best of three rounds: other load only ever makes a round look worse.
      const Probe pr{Shape{1024, 1024}, Shape{9, 9}, Method::Direct};
      double t1 = HUGE_VAL, tn = HUGE_VAL;
      for (int round = 0; round < 3; ++round) {
        t1 = std::min(t1, time_call<double>(pr, 1, reps));
        tn = std::min(tn, time_call<double>(pr, cores, reps));
      }
      p.thread_efficiency = std::clamp((t1 / tn - 1.0) / (cores - 1), 0.05, 1.0);
      std::printf("  threads: %d cores, %.2fx on %d -> efficiency %.2f\n", cores, t1 / tn, cores,
                  p.thread_efficiency);
    }
    calibrate_precision<double>(p, reps, quick);
    calibrate_precision<float>(p, reps, quick);
    p.source = output;
    const std::string text = "# machine: measured " + std::to_string(static_cast<long>(std::time(nullptr))) +
                             " (unix time) in " + std::to_string(static_cast<int>(now() - t0)) + " s\n" +
                             cost::format_profile(p);
    if (output == "-") {
      std::fputs(text.c_str(), stdout);
    } else {
      const auto slash = output.find_last_of('/');
      if (slash != std::string::npos) {  // create the directory chain (~/.config/autoconv)
        for (std::size_t i = 1; i <= slash; ++i)
          if (output[i] == '/' || i == slash) mkdir(output.substr(0, i == slash ? slash : i).c_str(), 0755);
      }
      std::ofstream f(output);
      if (!(f << text)) {
        std::fprintf(stderr, "autoconv-calibrate: cannot write %s\n", output.c_str());
        return 1;
      }
      std::printf("autoconv-calibrate: wrote %s in %.1f s\n", output.c_str(), now() - t0);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "autoconv-calibrate: %s\n", e.what());
    return 1;
  }
  return 0;
}
