// A downstream program built with a plain compiler command and pkg-config:
//   c++ -std=c++17 main.cpp $(pkg-config --cflags --libs autoconv) -o app
// numpy.convolve([1..9], [0.2, 0.5, 0.2], 'same') through the Eigen API; exits
// non-zero if a number or the version differs.
#include <autoconv/autoconv.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>

int main() {
  Eigen::Tensor<double, 1> signal(9), kernel(3);
  signal.setValues({1, 2, 3, 4, 5, 6, 7, 8, 9});
  kernel.setValues({0.2, 0.5, 0.2});
  const Eigen::Tensor<double, 1> same = autoconv::convolve(signal, kernel, autoconv::Mode::Same);

  const double expect[9] = {0.9, 1.8, 2.7, 3.6, 4.5, 5.4, 6.3, 7.2, 6.1};  // numpy 1.24
  int bad = same.size() == 9 ? 0 : 1;
  for (int i = 0; i < 9 && !bad; ++i)
    if (std::abs(same(i) - expect[i]) > 1e-12) {
      std::printf("pkgconfig consumer: same[%d] = %.17g, expected %g\n", i, same(i), expect[i]);
      bad = 1;
    }
  if (std::strcmp(autoconv::version(), AUTOCONV_VERSION_STRING) != 0) {
    std::printf("pkgconfig consumer: library %s, headers %s\n", autoconv::version(), AUTOCONV_VERSION_STRING);
    bad = 1;
  }
  std::printf("pkgconfig consumer: autoconv %s, 1-D 'same' %s\n", autoconv::version(), bad ? "WRONG" : "ok");
  return bad;
}
