// examples/reference_2d.cpp: the tutorial's 2-D example,
// scipy.signal.convolve2d(image, kernel, mode='same', boundary='fill', fillvalue=0).
#include <autoconv/autoconv.hpp>

#include "print.hpp"

int main() {
  Eigen::Tensor<double, 2, Eigen::RowMajor> image(4, 4), kernel(3, 3);
  image.setValues({{1, 2, 3, 4}, {5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}});
  kernel.setValues({{0.1, 0.2, 0.1}, {0.2, 0.4, 0.2}, {0.1, 0.2, 0.1}});

  // boundary='fill', fillvalue=0 is a Constant border of 0 in signal style.
  const auto same = autoconv::convolve(image, kernel, autoconv::Mode::Same,
                                       autoconv::Border{autoconv::Boundary::Constant, 0.0});

  example::print("image", image);
  example::print("kernel", kernel);
  example::print("same", same);
  return 0;
}
