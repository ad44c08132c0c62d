// test/test_errors.cpp: every bad input gets an autoconv::error whose message names
// the problem and the shapes, and the output is left untouched.
#include "common.hpp"

using namespace testing;
using autoconv::Border;
using autoconv::Boundary;
using autoconv::Method;
using autoconv::Mode;
using autoconv::Operation;
using autoconv::Options;

namespace {

// Runs `call` on an output pre-filled with a sentinel; checks the exception type,
// a message fragment, and that the output still holds the sentinel.
template <class T, class Call>
void expect_error(Array<T>& out, Call&& call, const char* fragment) {
  for (auto& v : out.v) v = T(-7);
  CHECK_THROWS_WITH_AS(call(), doctest::Contains(fragment), autoconv::error);
  CHECK(std::all_of(out.v.begin(), out.v.end(), [](const T& v) { return v == T(-7); }));
}

}  // namespace

TEST_CASE_TEMPLATE("bad inputs raise autoconv::error and leave the output untouched", T, float, double,
                   std::complex<float>, std::complex<double>) {
  std::mt19937_64 rng(1);
  const auto x = random_array<T>(Shape{6, 5}, rng);
  const auto k = random_array<T>(Shape{3, 3}, rng);
  Array<T> out(Shape{6, 5});

  SUBCASE("empty input") {
    Array<T> e(Shape{0, 5});
    expect_error(out, [&] { autoconv::convolve<T>(e.view(), k.view(), Mode::Same, out.view()); },
                 "input is empty, shape (0, 5)");
  }
  SUBCASE("empty kernel") {
    Array<T> e(Shape{3, 0});
    expect_error(out, [&] { autoconv::correlate<T>(x.view(), e.view(), Border{}, out.view()); },
                 "kernel is empty, shape (3, 0)");
  }
  SUBCASE("rank mismatch") {
    const auto k1 = random_array<T>(Shape{3}, rng);
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), k1.view(), Mode::Full, out.view()); },
                 "kernel has rank 1 but input has rank 2 (input (6, 5), kernel (3,))");
  }
  SUBCASE("impossible valid") {
    const auto kw = random_array<T>(Shape{2, 7}, rng);
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), kw.view(), Mode::Valid, out.view()); },
                 "mode 'valid' needs the input or the kernel to be at least as large as the other on every axis "
                 "(input (6, 5), kernel (2, 7))");
  }
  SUBCASE("origin out of range, both ends") {
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), k.view(), Border{Boundary::Reflect, 0, {0, 2}}, out.view()); },
                 "origin 2 on axis 1 is out of range [-1, 1] for kernel extent 3");
    expect_error(out, [&] { autoconv::correlate<T>(x.view(), k.view(), Border{Boundary::Reflect, 0, {-2}}, out.view()); },
                 "origin -2 on axis 0 is out of range [-1, 1]");
  }
  SUBCASE("origin with the wrong number of values") {
    expect_error(out,
                 [&] { autoconv::convolve<T>(x.view(), k.view(), Border{Boundary::Wrap, 0, {0, 0, 0}}, out.view()); },
                 "border origin has 3 values; give 0, 1 or 2");
  }
  SUBCASE("origin in a signal-style call") {
    expect_error(out,
                 [&] { autoconv::convolve<T>(x.view(), k.view(), Mode::Same, Border{Boundary::Wrap, 0, {1, 0}}, out.view()); },
                 "takes no origin");
  }
  SUBCASE("output of the wrong shape") {
    Array<T> small(Shape{6, 4});
    expect_error(small, [&] { autoconv::convolve<T>(x.view(), k.view(), Mode::Same, small.view()); },
                 "output has shape (6, 4) but the result has shape (6, 5)");
    Array<T> full(Shape{6, 5});  // Full needs (8, 7)
    expect_error(full, [&] { autoconv::convolve<T>(x.view(), k.view(), Mode::Full, full.view()); },
                 "output has shape (6, 5) but the result has shape (8, 7)");
  }
  SUBCASE("output through Eigen of the wrong shape") {
    const auto X = to_tensor<2, Eigen::RowMajor>(x);
    const auto K = to_tensor<2, Eigen::RowMajor>(k);
    Eigen::Tensor<T, 2, Eigen::RowMajor> Y(6, 6);
    Y.setConstant(T(-7));
    CHECK_THROWS_WITH_AS(autoconv::convolve(X, K, Mode::Same, Y), doctest::Contains("output has shape (6, 6)"),
                         autoconv::error);
    for (Eigen::Index i = 0; i < Y.size(); ++i) CHECK(Y.data()[i] == T(-7));
  }
  SUBCASE("shape products that overflow") {
    const index_t huge = index_t(1) << 40;
    Array<T> k1(Shape{1, 1});
    expect_error(out,
                 [&] {
                   autoconv::Plan<T>(Operation::Convolve, Shape{huge, huge}, k1.view(), Mode::Same);
                 },
                 "shape (1099511627776, 1099511627776) has more elements than std::size_t can count");
    expect_error(out,
                 [&] {
                   autoconv::Plan<T>(Operation::Convolve, Shape{std::numeric_limits<index_t>::max(), 1}, k.view(),
                                     Mode::Full);
                 },
                 "'full' output extent overflows");
    // A view of such a shape (C or Fortran order) is made without overflow and refused when used.
    std::vector<T> one(1);
    const Shape hh{huge, huge};
    const autoconv::View<const T> vc(one.data(), hh);
    const auto vf = autoconv::View<const T>::column_major(one.data(), hh);
    expect_error(out, [&] { autoconv::convolve<T>(vc, k.view(), Mode::Same, out.view()); },
                 "has more elements than std::size_t can count");
    expect_error(out, [&] { autoconv::convolve<T>(vf, k.view(), Mode::Same, out.view()); },
                 "has more elements than std::size_t can count");
  }
  SUBCASE("unknown enum values") {
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), k.view(), static_cast<Mode>(9), out.view()); },
                 "unknown Mode value 9");
    expect_error(out,
                 [&] {
                   autoconv::convolve<T>(x.view(), k.view(), Border{static_cast<Boundary>(11)}, out.view());
                 },
                 "unknown Boundary value 11");
    Options o;
    o.method = static_cast<Method>(5);
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), k.view(), Mode::Same, out.view(), o); },
                 "unknown Method value 5");
    expect_error(out,
                 [&] { autoconv::Plan<T>(static_cast<Operation>(3), x.shape, k.view(), Mode::Same); },
                 "unknown Operation value 3");
  }
  SUBCASE("NaN cval") {
    expect_error(out,
                 [&] {
                   autoconv::convolve<T>(x.view(), k.view(), Border{Boundary::Constant, std::nan("")}, out.view());
                 },
                 "cval is NaN");
  }
  SUBCASE("negative thread count") {
    Options o;
    o.threads = -2;
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), k.view(), Mode::Same, out.view(), o); },
                 "Options::threads = -2 is negative");
  }
  SUBCASE("a forced FFT over the memory limit, and an unknown planning effort") {
    Options o;
    o.method = Method::FFT;
    o.memory_limit = 64;
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), k.view(), Mode::Same, out.view(), o); },
                 "Method::FFT needs");
    o.memory_limit = 0;
    o.planning = static_cast<autoconv::Planning>(7);
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), k.view(), Mode::Same, out.view(), o); },
                 "unknown Planning value 7");
  }
  SUBCASE("input of another shape than the plan's") {
    autoconv::Plan<T> plan(Operation::Convolve, Shape{6, 4}, k.view(), Mode::Same);
    Array<T> o2(Shape{6, 4});
    expect_error(o2, [&] { plan.execute(x.view(), o2.view()); },
                 "input has shape (6, 5) but the plan was made for input shape (6, 4)");
  }
  SUBCASE("null data") {
    autoconv::View<const T> null_x(nullptr, Shape{6, 5});
    expect_error(out, [&] { autoconv::convolve<T>(null_x, k.view(), Mode::Same, out.view()); },
                 "input data pointer is null");
  }
  SUBCASE("output overlapping the input (in place)") {
    Array<T> y = x;
    expect_error(y, [&] { autoconv::convolve<T>(y.view(), k.view(), Mode::Same, y.view()); },
                 "output memory overlaps input memory");
  }
  SUBCASE("output overlapping itself") {
    autoconv::View<T> self(out.v.data(), Shape{6, 5}, Shape{1, 1});
    expect_error(out, [&] { autoconv::convolve<T>(x.view(), k.view(), Mode::Same, self); },
                 "make elements overlap");
  }
  SUBCASE("strides whose span overflows, and the one stride whose magnitude is not an index_t") {
    const index_t big = index_t(1) << 62;
    autoconv::View<const T> far(x.v.data(), Shape{6, 5}, Shape{big, 1});
    expect_error(out, [&] { autoconv::convolve<T>(far, k.view(), Mode::Same, out.view()); },
                 "input strides (4611686018427387904, 1) with shape (6, 5) overflow the address space");
    // Shape {1, 5}: the first stride is never stepped, but it is still refused, not negated.
    Array<T> row(Shape{1, 5});
    autoconv::View<T> odd(row.v.data(), Shape{1, 5}, Shape{std::numeric_limits<index_t>::min(), 1});
    const auto x1 = random_array<T>(Shape{1, 5}, rng);
    const auto k1 = random_array<T>(Shape{1, 3}, rng);
    expect_error(row, [&] { autoconv::convolve<T>(x1.view(), k1.view(), Mode::Same, odd); },
                 "output strides (-9223372036854775808, 1) with shape (1, 5) overflow the address space");
  }
  SUBCASE("views with mismatched stride rank, ranks above max_rank") {
    CHECK_THROWS_WITH_AS(autoconv::View<const T>(x.v.data(), Shape{6, 5}, Shape{5}),
                         doctest::Contains("strides (5,) do not match the rank of shape (6, 5)"), autoconv::error);
    CHECK_THROWS_WITH_AS((Shape{1, 1, 1, 1, 1, 1, 1, 1, 1}), doctest::Contains("rank above max_rank = 8"),
                         autoconv::error);
  }
  SUBCASE("rank 0") {
    expect_error(out,
                 [&] {
                   autoconv::Plan<T>(Operation::Convolve, Shape{}, autoconv::View<const T>(k.v.data(), Shape{}),
                                     Mode::Same);
                 },
                 "input has rank 0");
  }
}

TEST_CASE("errors derive from std::runtime_error so generic handlers catch them") {
  Array<double> x(Shape{0});
  Array<double> k(Shape{1});
  Array<double> out(Shape{1});
  CHECK_THROWS_AS(autoconv::convolve<double>(x.view(), k.view(), Mode::Same, out.view()), std::runtime_error);
}
