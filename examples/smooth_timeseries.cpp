// examples/smooth_timeseries.cpp: smooths a noisy synthetic time series two ways --
// a Gaussian (sigma = 4 samples) and a 61-sample moving average -- with
// autoconv::convolve and a reflecting border (scipy.ndimage.convolve1d(mode='reflect'),
// so the ends do not sag towards zero), prints how much noise each removes, and
// plots raw versus smoothed to smooth_timeseries.png. The box is wide on purpose: it
// removes a little more noise but flattens the fast wiggle and smears the step, which
// the narrower Gaussian keeps.
//
//   smooth_timeseries [output folder]
#include <autoconv/autoconv.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "picture.hpp"

namespace {

constexpr double pi = 3.14159265358979323846;

// The clean signal: two sines and a step at t = 0.62 (where smoothing has to give way).
double truth(double t) { return std::sin(2 * pi * 2.0 * t) + 0.4 * std::sin(2 * pi * 9.0 * t) + (t > 0.62 ? 1.2 : 0.0); }

double rms_error(const Eigen::Tensor<double, 1>& x, const std::vector<double>& clean) {
  double s = 0;
  for (Eigen::Index i = 0; i < x.size(); ++i) s += (x(i) - clean[static_cast<std::size_t>(i)]) * (x(i) - clean[static_cast<std::size_t>(i)]);
  return std::sqrt(s / static_cast<double>(x.size()));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = picture::output_dir(argc, argv);
  using namespace autoconv;

  // 1500 samples of the signal plus Gaussian noise of standard deviation 0.35.
  const Eigen::Index n = 1500;
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.35);
  Eigen::Tensor<double, 1> raw(n);
  std::vector<double> clean(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    clean[static_cast<std::size_t>(i)] = truth(static_cast<double>(i) / static_cast<double>(n));
    raw(i) = clean[static_cast<std::size_t>(i)] + noise(rng);
  }

  // Kernels: a Gaussian truncated at 4 sigma (scipy.ndimage.gaussian_filter1d's default),
  // normalised to sum 1, and a box of 61 taps of 1/61.
  const double sigma = 4.0;
  const int half = static_cast<int>(4 * sigma);
  Eigen::Tensor<double, 1> gauss(2 * half + 1), box(61);
  for (int m = -half; m <= half; ++m) gauss(m + half) = std::exp(-0.5 * m * m / (sigma * sigma));
  gauss = gauss / static_cast<double>(Eigen::Tensor<double, 0>(gauss.sum())());
  box.setConstant(1.0 / 61.0);

  const Border reflect{Boundary::Reflect};
  const Eigen::Tensor<double, 1> by_gauss = convolve(raw, gauss, reflect);
  const Eigen::Tensor<double, 1> by_box = convolve(raw, box, reflect);

  std::printf("%ld samples, noise sd 0.35; rms error against the clean signal:\n", static_cast<long>(n));
  std::printf("  raw                              %.3f\n", rms_error(raw, clean));
  std::printf("  Gaussian, sigma 4 (%ld taps)      %.3f\n", static_cast<long>(gauss.size()), rms_error(by_gauss, clean));
  std::printf("  moving average, 61 taps          %.3f\n", rms_error(by_box, clean));

  // The plot: raw in light grey, the two smoothings in colour, a legend in the corner.
  const int width = 1200, height = 560, left = 44, right = 20, top = 56, bottom = 20;
  const double ylo = -2.6, yhi = 3.6;
  picture::Canvas plot(width, height);
  auto px = [&](Eigen::Index i) { return left + (width - left - right) * (static_cast<double>(i) + 0.5) / static_cast<double>(n); };
  auto py = [&](double v) { return top + (height - top - bottom) * (yhi - v) / (yhi - ylo); };
  for (int g = -2; g <= 3; ++g) {  // horizontal grid lines at the integers, the zero line darker
    plot.fill_rect(left, static_cast<int>(py(g)), width - left - right, 1, g == 0 ? picture::light_grey : picture::grid_grey);
    const std::string label = std::to_string(g);
    plot.text(left - 8 - picture::Canvas::text_width(label), static_cast<int>(py(g)) - 7, label, picture::dark_grey, 2);
  }
  plot.frame_rect(left, top, width - left - right, height - top - bottom, picture::light_grey);

  auto curve = [&](const Eigen::Tensor<double, 1>& v, picture::Rgb colour, double line_width) {
    std::vector<double> xs, ys;
    for (Eigen::Index i = 0; i < n; ++i) {
      xs.push_back(px(i));
      ys.push_back(py(v(i)));
    }
    plot.polyline(xs, ys, colour, line_width);
  };
  curve(raw, picture::light_grey, 1.0);
  curve(by_box, picture::orange, 2.2);
  curve(by_gauss, picture::blue, 2.2);

  plot.text(left, 12, "NOISY SIGNAL (1500 SAMPLES) SMOOTHED WITH AUTOCONV::CONVOLVE, REFLECT BORDER", picture::black, 2);
  const struct {
    picture::Rgb colour;
    const char* label;
  } legend[] = {{picture::light_grey, "RAW: 2 SINES + STEP + NOISE (SD 0.35)"},
                {picture::blue, "GAUSSIAN, SIGMA = 4 SAMPLES"},
                {picture::orange, "MOVING AVERAGE, 61 SAMPLES"}};
  int ly = top + 12;
  plot.fill_rect(left + 10, ly - 6, 470, 3 * 24 + 8, picture::white);
  plot.frame_rect(left + 10, ly - 6, 470, 3 * 24 + 8, picture::grid_grey);
  for (const auto& item : legend) {
    plot.fill_rect(left + 20, ly, 28, 14, item.colour);
    plot.text(left + 58, ly, item.label, picture::dark_grey, 2);
    ly += 24;
  }

  const std::string path = dir + "/smooth_timeseries.png";
  if (!plot.write_png(path)) return 1;
  std::printf("wrote %s\n", path.c_str());
  return 0;
}
