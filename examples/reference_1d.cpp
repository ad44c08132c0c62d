// examples/reference_1d.cpp: the tutorial's 1-D example,
// numpy.convolve(signal, kernel, mode='same'), through the Eigen API.
#include <autoconv/autoconv.hpp>

#include "print.hpp"

int main() {
  Eigen::Tensor<double, 1> signal(9), kernel(3);
  signal.setValues({1, 2, 3, 4, 5, 6, 7, 8, 9});
  kernel.setValues({0.2, 0.5, 0.2});

  const Eigen::Tensor<double, 1> same = autoconv::convolve(signal, kernel, autoconv::Mode::Same);

  example::print("signal", signal);
  example::print("kernel", kernel);
  example::print("same", same);
  return 0;
}
