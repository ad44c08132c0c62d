// examples/blur_volume.cpp: a synthetic 3-D volume (bright spheres of several sizes
// in a dim background, plus strong noise) filtered by a 7x7x7 Gaussian through a
// Plan with a reflecting border (scipy.ndimage.convolve(mode='reflect')). Prints the
// method the plan chose and the time, how much noise the filter removed, and writes
// the middle slice before and after as blur_volume_before.png / blur_volume_after.png.
//
//   blur_volume [output folder]
#include <autoconv/autoconv.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "picture.hpp"

int main(int argc, char** argv) {
  const std::string dir = picture::output_dir(argc, argv);
  using namespace autoconv;

  // 128^3 floats: background 0.1, 14 spheres of radius 4 to 16 voxels and brightness 0.5 to 1.
  const int n = 128;
  Eigen::Tensor<float, 3> clean(n, n, n), noisy(n, n, n), filtered(n, n, n);
  clean.setConstant(0.1f);
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int s = 0; s < 14; ++s) {
    const double r = 4 + 12 * u(rng), cx = r + (n - 2 * r) * u(rng), cy = r + (n - 2 * r) * u(rng);
    // Half the spheres are centred on the middle slice, so it cuts them at full size.
    const double cz = s % 2 ? n / 2.0 : r + (n - 2 * r) * u(rng);
    const float level = static_cast<float>(0.5 + 0.5 * u(rng));
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        for (int k = 0; k < n; ++k)
          if ((i - cx) * (i - cx) + (j - cy) * (j - cy) + (k - cz) * (k - cz) <= r * r) clean(i, j, k) = level;
  }
  std::normal_distribution<float> noise(0.0f, 0.3f);
  for (Eigen::Index i = 0; i < clean.size(); ++i) noisy.data()[i] = clean.data()[i] + noise(rng);

  // A 7x7x7 Gaussian of sigma 1.5 voxels, normalised to sum 1.
  const int m = 7;
  const double sigma = 1.5;
  Eigen::Tensor<float, 3> gauss(m, m, m);
  double total = 0;
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < m; ++j)
      for (int k = 0; k < m; ++k) {
        const double d2 = (i - 3) * (i - 3) + (j - 3) * (j - 3) + (k - 3) * (k - 3);
        total += gauss(i, j, k) = static_cast<float>(std::exp(-0.5 * d2 / (sigma * sigma)));
      }
  gauss = gauss / static_cast<float>(total);

  // Plan once (the method is chosen here), then execute into our own tensor.
  const Plan<float> plan(Operation::Convolve, Shape(noisy.dimensions()), as_view(gauss), Border{Boundary::Reflect});
  const auto t0 = std::chrono::steady_clock::now();
  execute(plan, noisy, filtered);
  const double ms = 1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  double before = 0, after = 0;
  for (Eigen::Index i = 0; i < clean.size(); ++i) {
    before += std::pow(noisy.data()[i] - clean.data()[i], 2);
    after += std::pow(filtered.data()[i] - clean.data()[i], 2);
  }
  before = std::sqrt(before / static_cast<double>(clean.size()));
  after = std::sqrt(after / static_cast<double>(clean.size()));
  std::printf("%d^3 float volume, 14 spheres + noise (sd 0.3), 7x7x7 Gaussian (sigma 1.5), Reflect border\n", n);
  std::printf("method: %s, time: %.1f ms (autoconv::Plan<float>::execute, %d^3 x %d taps)\n",
              to_string(plan.method()), ms, n, m * m * m);
  std::printf("rms error against the clean volume: %.3f before, %.3f after\n", before, after);

  // The middle slice (k = n/2), 4x enlarged, the same grey scale for both pictures.
  const int z = n / 2, zoom = 4;
  const double lo = -0.2, hi = 1.2;
  const std::string detail = "MIDDLE SLICE Z = " + std::to_string(z) + " OF " + std::to_string(n) + "^3, GREY -0.2 (BLACK) TO 1.2 (WHITE)";
  const auto before_png = picture::captioned(
      picture::grey_image(n, n, [&](int i, int j) { return noisy(i, j, z); }, lo, hi, zoom),
      "BEFORE: SPHERES + NOISE", detail);
  char took[96];
  std::snprintf(took, sizeof took, "AFTER: 7^3 GAUSSIAN (%s, %.0f MS)", to_string(plan.method()), ms);
  const auto after_png = picture::captioned(
      picture::grey_image(n, n, [&](int i, int j) { return filtered(i, j, z); }, lo, hi, zoom), took, detail);

  const std::string p1 = dir + "/blur_volume_before.png", p2 = dir + "/blur_volume_after.png";
  if (!before_png.write_png(p1) || !after_png.write_png(p2)) return 1;
  std::printf("wrote %s and %s\n", p1.c_str(), p2.c_str());
  return 0;
}
