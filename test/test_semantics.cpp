// test/test_semantics.cpp: the design notes' worked examples (kernels 1, 10, 100, ...
// so each digit of an output shows which tap read which sample), exact, through
// the Eigen API as a user writes them.
#include "common.hpp"

using autoconv::Border;
using autoconv::Boundary;
using autoconv::Mode;

namespace {

template <class Tensor>
std::vector<double> values_row_major(const Tensor& t) {
  std::vector<double> v;
  const auto d = t.dimensions();
  if constexpr (Tensor::NumDimensions == 1) {
    for (Eigen::Index i = 0; i < d[0]; ++i) v.push_back(t(i));
  } else {
    for (Eigen::Index i = 0; i < d[0]; ++i)
      for (Eigen::Index j = 0; j < d[1]; ++j) v.push_back(t(i, j));
  }
  return v;
}

}  // namespace

TEST_CASE("the design notes' worked examples (digits show each tap), 1-D") {
  Eigen::Tensor<double, 1> x(5), k2(2), k4(4);
  x.setValues({1, 2, 3, 4, 5});
  k2.setValues({1, 10});
  k4.setValues({1, 10, 100, 1000});
  CHECK(values_row_major(autoconv::convolve(x, k2, Mode::Full)) == std::vector<double>{1, 12, 23, 34, 45, 50});
  CHECK(values_row_major(autoconv::convolve(x, k2, Mode::Same)) == std::vector<double>{1, 12, 23, 34, 45});
  CHECK(values_row_major(autoconv::convolve(x, k4, Mode::Same)) == std::vector<double>{12, 123, 1234, 2345, 3450});
}

TEST_CASE_TEMPLATE("the design notes' worked examples (digits show each tap), 2-D, both layouts", Layout, std::integral_constant<int, Eigen::RowMajor>,
                   std::integral_constant<int, Eigen::ColMajor>) {
  Eigen::Tensor<double, 2, Layout::value> X(3, 3), K(2, 2);
  X.setValues({{1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  K.setValues({{1, 10}, {100, 1000}});
  const std::vector<double> same{1, 12, 23, 104, 1245, 2356, 407, 4578, 5689};
  CHECK(values_row_major(autoconv::convolve(X, K, Mode::Same)) == same);
  CHECK(values_row_major(autoconv::convolve(X, K, Border{Boundary::Reflect})) ==
        std::vector<double>{1245, 2356, 3366, 4578, 5689, 6699, 7878, 8989, 9999});
  CHECK(values_row_major(autoconv::convolve(X, K, Border{Boundary::Constant, 0.0, {-1}})) == same);
}

TEST_CASE("numpy.convolve differs only for 'same' with M > N: autoconv keeps the input's length (scipy)") {
  Eigen::Tensor<double, 1> x(3), k(5);
  x.setValues({1, 2, 3});
  k.setValues({1, 1, 1, 1, 1});
  const auto y = autoconv::convolve(x, k, Mode::Same);
  REQUIRE(y.dimension(0) == 3);  // numpy would return 5 samples
  // full = [1 3 6 6 6 5 3], same starts at (5-1)//2 = 2.
  CHECK(values_row_major(y) == std::vector<double>{6, 6, 6});
}

TEST_CASE("valid mode swaps operands when the kernel is larger on every axis") {
  Eigen::Tensor<double, 1> x(2), k(4);
  x.setValues({1, 2});
  k.setValues({1, 10, 100, 1000});
  // full = [1 12 120 1200 2000]; valid = full[1 .. 3].
  CHECK(values_row_major(autoconv::convolve(x, k, Mode::Valid)) == std::vector<double>{12, 120, 1200});
}

TEST_CASE("complex correlate conjugates the kernel, complex convolve does not") {
  using C = std::complex<double>;
  Eigen::Tensor<C, 1> x(2), k(1);
  x.setValues({C(1, 0), C(0, 1)});
  k.setValues({C(0, 1)});
  const auto corr = autoconv::correlate(x, k, Mode::Full);  // x * conj(i) = -i x
  const auto conv = autoconv::convolve(x, k, Mode::Full);   // x * i
  CHECK(corr(0) == C(0, -1));
  CHECK(corr(1) == C(1, 0));
  CHECK(conv(0) == C(0, 1));
  CHECK(conv(1) == C(-1, 0));
}

TEST_CASE("non-finite inputs stay inside the kernel's footprint") {
  Eigen::Tensor<double, 1> x(9), k(3);
  x.setConstant(1.0);
  x(4) = std::numeric_limits<double>::quiet_NaN();
  k.setValues({1, 0, 1});  // a zero tap still covers the NaN: its output is not finite
  const auto y = autoconv::convolve(x, k, Mode::Same);
  for (Eigen::Index i = 0; i < 9; ++i) CHECK_MESSAGE(std::isfinite(y(i)) == (i < 3 || i > 5), "i=", i);
}

TEST_CASE("a float cval beyond float's range is what IEC 559 rounding of it gives") {
  // The border's cval is a double; a float sample holds it rounded: just above FLT_MAX it
  // is FLT_MAX up to just below 2^128 - 2^103, +inf from there. (GCC's cast gives the same; the library
  // rounds without casting the out-of-range double, which C++ leaves undefined.)
  const double fmax = std::numeric_limits<float>::max();
  Eigen::Tensor<float, 1> x(4), k(3);
  x.setZero();
  k.setValues({0.25f, 0.0f, 0.0f});  // output 3 reads the right extension with tap 0.25
  for (autoconv::Method m : {autoconv::Method::Direct, autoconv::Method::Auto}) {
    autoconv::Options o;
    o.method = m;
    const auto near = autoconv::convolve(x, k, Border{Boundary::Constant, fmax * (1 + std::ldexp(1.0, -30))}, o);
    CHECK(near(3) == 0.25f * std::numeric_limits<float>::max());
    CHECK(near(0) == 0.0f);
    const auto over = autoconv::convolve(x, k, Border{Boundary::Constant, std::ldexp(1.0, 128) - std::ldexp(1.0, 103)}, o);
    CHECK(std::isinf(over(3)));
    const auto below = autoconv::convolve(x, k, Border{Boundary::Constant, std::ldexp(1.0, 128) - std::ldexp(1.0, 103) - std::ldexp(1.0, 80)}, o);
    CHECK(below(3) == 0.25f * std::numeric_limits<float>::max());
  }
  // The FFT engine takes the infinite cval's branch (outputs reading it summed directly).
  autoconv::Options fft;
  fft.method = autoconv::Method::FFT;
  CHECK(std::isinf(autoconv::convolve(x, k, Border{Boundary::Constant, std::ldexp(1.0, 128)}, fft)(3)));
}
