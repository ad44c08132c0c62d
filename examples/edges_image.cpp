// examples/edges_image.cpp: edges of a synthetic 2-D image (a disc, a rectangle, a
// triangle and a ring on a shaded background, with a little noise) by the two Sobel
// kernels, as scipy.ndimage.sobel does: correlate with a reflecting border, then the
// gradient magnitude sqrt(gx^2 + gy^2). Writes the input and the magnitude as
// edges_image_input.png and edges_image_magnitude.png.
//
//   edges_image [output folder]
#include <autoconv/autoconv.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "picture.hpp"

int main(int argc, char** argv) {
  const std::string dir = picture::output_dir(argc, argv);
  using namespace autoconv;

  // A 320 x 480 row-major float image (rows = y, columns = x), values in [0, 1].
  const int h = 320, w = 480;
  Eigen::Tensor<float, 2, Eigen::RowMajor> image(h, w);
  std::mt19937_64 rng(5);
  std::normal_distribution<float> noise(0.0f, 0.02f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      float v = 0.15f + 0.25f * static_cast<float>(x) / w;                                         // shading
      if ((x - 110) * (x - 110) + (y - 110) * (y - 110) < 70 * 70) v = 0.85f;                     // disc
      if (x >= 250 && x < 420 && y >= 40 && y < 130) v = 0.05f;                                   // dark rectangle
      if (y >= 170 && y < 290 && std::abs(x - 330) <= (y - 170) * 0.75) v = 0.7f;                 // triangle
      const double d = std::hypot(x - 110.0, y - 250.0);
      if (d >= 28 && d < 45) v = 0.95f;                                                            // ring
      image(y, x) = v + noise(rng);
    }

  // Sobel: a central difference along one axis, a [1 2 1] smoothing along the other.
  // Correlation (not convolution) keeps the sign of scipy.ndimage.sobel.
  Eigen::Tensor<float, 2, Eigen::RowMajor> sobel_x(3, 3), sobel_y(3, 3);
  sobel_x.setValues({{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}});
  sobel_y.setValues({{-1, -2, -1}, {0, 0, 0}, {1, 2, 1}});
  const Border reflect{Boundary::Reflect};
  const auto gx = correlate(image, sobel_x, reflect);
  const auto gy = correlate(image, sobel_y, reflect);
  const Eigen::Tensor<float, 2, Eigen::RowMajor> magnitude = (gx * gx + gy * gy).sqrt();

  // A step of height s across an axis-aligned edge gives |g| = 4 s; the shading's
  // slope gives 4 * 0.25 / w per pixel, almost nothing.
  const float peak = Eigen::Tensor<float, 0, Eigen::RowMajor>(magnitude.maximum())();
  std::printf("%dx%d image, Sobel by autoconv::correlate (Reflect): max |gradient| %.2f "
              "(a step of 0.9 gives 3.6), flat background %.3f\n",
              h, w, static_cast<double>(peak), static_cast<double>(magnitude(300, 470)));

  const auto input_png = picture::captioned(
      picture::grey_image(h, w, [&](int i, int j) { return image(i, j); }, 0.0, 1.0), "INPUT: 480 X 320, NOISE SD 0.02");
  const auto edges_png = picture::captioned(
      picture::grey_image(h, w, [&](int i, int j) { return magnitude(i, j); }, 0.0, 2.0),
      "SOBEL GRADIENT MAGNITUDE", "SQRT(GX^2 + GY^2): BLACK 0 TO WHITE 2 (CLIPPED), REFLECT BORDER");

  const std::string p1 = dir + "/edges_image_input.png", p2 = dir + "/edges_image_magnitude.png";
  if (!input_png.write_png(p1) || !edges_png.write_png(p2)) return 1;
  std::printf("wrote %s and %s\n", p1.c_str(), p2.c_str());
  return 0;
}
