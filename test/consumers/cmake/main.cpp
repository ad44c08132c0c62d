// A downstream program built by CMake with find_package(autoconv):
// scipy.signal.convolve2d(image, kernel, mode='same', boundary='fill', fillvalue=0)
// on a 4x4 row-major image; exits non-zero if a number or the version differs.
#include <autoconv/autoconv.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>

int main() {
  Eigen::Tensor<double, 2, Eigen::RowMajor> image(4, 4), kernel(3, 3);
  image.setValues({{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}});
  kernel.setValues({{0.1, 0.2, 0.1}, {0.2, 0.4, 0.2}, {0.1, 0.2, 0.1}});
  const auto same = autoconv::convolve(image, kernel, autoconv::Mode::Same,
                                       autoconv::Border{autoconv::Boundary::Constant, 0.0});

  const double expect[4][4] = {{2.4, 4.0, 5.2, 4.5},  // scipy 1.10
                               {6.4, 9.6, 11.2, 9.2},
                               {11.2, 16.0, 17.6, 14.0},
                               {10.8, 15.2, 16.4, 12.9}};
  int bad = same.dimension(0) == 4 && same.dimension(1) == 4 ? 0 : 1;
  for (int i = 0; i < 4 && !bad; ++i)
    for (int j = 0; j < 4; ++j)
      if (std::abs(same(i, j) - expect[i][j]) > 1e-12) {
        std::printf("cmake consumer: same(%d, %d) = %.17g, expected %g\n", i, j, same(i, j), expect[i][j]);
        bad = 1;
      }
  if (std::strcmp(autoconv::version(), AUTOCONV_VERSION_STRING) != 0) {
    std::printf("cmake consumer: library %s, headers %s\n", autoconv::version(), AUTOCONV_VERSION_STRING);
    bad = 1;
  }
  std::printf("cmake consumer (%s): autoconv %s, 2-D convolve2d 'same' %s\n", CONSUMER_NAME, autoconv::version(),
              bad ? "WRONG" : "ok");
  return bad;
}
