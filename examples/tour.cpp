// examples/tour.cpp: a short tour of the API: 1-D smoothing, a 2-D image with a
// border, a 3-D volume filter, a reused plan, forcing a method, writing into a
// caller's buffer, a stream of chunks. Each step prints what it computed and which method ran.
#include <autoconv/autoconv.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main() {
  using namespace autoconv;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0.0, 0.3);

  // 1. Smooth a noisy 1-D series with a 31-tap moving average (scipy.signal.convolve 'same').
  const Eigen::Index n = 1000000;
  Eigen::Tensor<double, 1> series(n), box(31);
  for (Eigen::Index i = 0; i < n; ++i) series(i) = std::sin(2e-4 * static_cast<double>(i)) + noise(rng);
  box.setConstant(1.0 / 31.0);
  auto t0 = std::chrono::steady_clock::now();
  const Eigen::Tensor<double, 1> smooth = convolve(series, box, Mode::Same);
  double rms_raw = 0, rms_smooth = 0;
  for (Eigen::Index i = 1000; i < n - 1000; ++i) {
    const double truth = std::sin(2e-4 * static_cast<double>(i));
    rms_raw += (series(i) - truth) * (series(i) - truth);
    rms_smooth += (smooth(i) - truth) * (smooth(i) - truth);
  }
  std::printf("1-D: %ld samples, 31-tap moving average ('same'): noise rms %.3f -> %.3f in %.1f ms\n",
              static_cast<long>(n), std::sqrt(rms_raw / (n - 2000.0)), std::sqrt(rms_smooth / (n - 2000.0)),
              1e3 * seconds_since(t0));

  // 2. An image with a reflecting border (scipy.ndimage.convolve(mode='reflect')): the
  //    Laplacian of a ramp is zero inside; at the edges the reflection folds the ramp.
  Eigen::Tensor<float, 2, Eigen::RowMajor> image(512, 512), laplace(3, 3);
  for (int i = 0; i < 512; ++i)
    for (int j = 0; j < 512; ++j) image(i, j) = static_cast<float>(i + 2 * j);
  laplace.setValues({{0, 1, 0}, {1, -4, 1}, {0, 1, 0}});
  const auto lap = convolve(image, laplace, Border{Boundary::Reflect});
  std::printf("2-D: Laplacian of a ramp (512x512 float, Reflect): centre %g, corner %g, edge (0,5) %g\n",
              static_cast<double>(lap(256, 256)), static_cast<double>(lap(0, 0)), static_cast<double>(lap(0, 5)));

  // 3. A 3-D volume blurred by a 5x5x5 box, image style with a constant border of 0.5.
  Eigen::Tensor<double, 3> volume(96, 96, 96), blur(5, 5, 5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (Eigen::Index i = 0; i < volume.size(); ++i) volume.data()[i] = u(rng);
  blur.setConstant(1.0 / 125.0);
  t0 = std::chrono::steady_clock::now();
  const auto blurred = convolve(volume, blur, Border{Boundary::Constant, 0.5});
  std::printf("3-D: 96^3 volume, 5^3 box, Constant(0.5): mean %.4f (input ~0.5), corner %.4f in %.1f ms\n",
              static_cast<double>(Eigen::Tensor<double, 0>(blurred.mean())()), blurred(0, 0, 0), 1e3 * seconds_since(t0));

  // 4. A simulation code applying one kernel every time step: plan once, execute many,
  //    into its own buffer (no allocation in steady state).
  Eigen::Tensor<double, 3> state(64, 64, 64), next(64, 64, 64), diffuse(3, 3, 3);
  state.setZero();
  state(32, 32, 32) = 1.0;
  diffuse.setConstant(0.0);
  diffuse(1, 1, 1) = 0.4;
  for (int a = 0; a < 3; ++a) {
    std::array<Eigen::Index, 3> lo{1, 1, 1}, hi{1, 1, 1};
    lo[static_cast<std::size_t>(a)] = 0;
    hi[static_cast<std::size_t>(a)] = 2;
    diffuse(lo) = 0.1;
    diffuse(hi) = 0.1;
  }
  const Plan<double> step(Operation::Convolve, Shape(state.dimensions()), as_view(diffuse), Border{Boundary::Wrap});
  t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < 20; ++s) {
    execute(step, state, next);
    std::swap(state, next);
  }
  const Eigen::Tensor<double, 0> mass = state.sum();
  std::printf("Plan: 20 diffusion steps on 64^3 (Wrap) with method '%s': mass %.12f (conserved), %.2f ms/step\n",
              to_string(step.method()), mass(), 1e3 * seconds_since(t0) / 20);

  // 5. Forcing a method and a thread count: the same numbers (to rounding) by direct
  //    summation, one FFT, or overlap-add blocks; a NaN stays inside its footprint.
  Options opt;
  opt.threads = 1;
  Eigen::Tensor<double, 1> results[3];
  const Method methods[3] = {Method::Direct, Method::FFT, Method::OverlapAdd};
  series(n / 2) = std::nan("");
  for (int m = 0; m < 3; ++m) {
    opt.method = methods[m];
    t0 = std::chrono::steady_clock::now();
    results[m] = correlate(series, box, Mode::Full, opt);
    long nonfinite = 0;
    for (Eigen::Index i = 0; i < results[m].dimension(0); ++i) nonfinite += !std::isfinite(results[m](i));
    double diff = 0;
    for (Eigen::Index i = 0; i < results[m].dimension(0); ++i)
      if (std::isfinite(results[0](i))) diff = std::max(diff, std::abs(results[m](i) - results[0](i)));
    std::printf("Forced %-11s correlate(..., Full), 1 thread: %ld samples, %ld not finite (one NaN in), "
                "max |diff| vs direct %.1e, %.1f ms\n",
                to_string(methods[m]), static_cast<long>(results[m].dimension(0)), nonfinite, diff,
                1e3 * seconds_since(t0));
  }

  // 6. A series arriving in chunks (a sensor, a file too big for memory): a Stream
  //    returns after each chunk the outputs that are final, and all of them together
  //    are the numbers of one call on the whole series.
  series(n / 2) = 0.0;
  const Eigen::Tensor<double, 1> whole = convolve(series, box, Mode::Same);
  Stream<double> live(as_view(box), Mode::Same);
  std::vector<double> streamed;
  t0 = std::chrono::steady_clock::now();
  for (Eigen::Index at = 0; at < n; at += 4096) {
    const Eigen::Index c = std::min<Eigen::Index>(4096, n - at);
    const std::vector<double> part = live.push(View<const double>(series.data() + at, Shape{c}));
    streamed.insert(streamed.end(), part.begin(), part.end());
  }
  const std::vector<double> rest = live.finish();
  streamed.insert(streamed.end(), rest.begin(), rest.end());
  double sdiff = 0;
  for (Eigen::Index i = 0; i < n; ++i) sdiff = std::max(sdiff, std::abs(streamed[static_cast<std::size_t>(i)] - whole(i)));
  std::printf("Stream: %zu samples in chunks of 4096 with method '%s', max |diff| vs one call %.1e, %.1f ms\n",
              streamed.size(), to_string(live.method()), sdiff, 1e3 * seconds_since(t0));
  return 0;
}
