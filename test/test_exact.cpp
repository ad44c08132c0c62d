// test/test_exact.cpp: randomized problems (ranks 1-6, every mode, border and
// origin, all four value types) against the exact long-double reference of
// common.hpp, through every way in: raw C-order views, strided views with gaps and
// negative strides, Eigen RowMajor and ColMajor tensors, TensorMap, Matrix.
#include "calls.hpp"

using namespace testing;
using autoconv::Border;
using autoconv::Boundary;
using autoconv::Mode;

TEST_CASE_TEMPLATE("random problems match the exact long-double reference through every layout", T, float, double,
                   std::complex<float>, std::complex<double>) {
  std::mt19937_64 rng(20261125);
  int checked = 0;
  for (int trial = 0; trial < 240; ++trial) {
    const int r = 1 + trial % 4;
    const index_t nmax = r == 1 ? 40 : r == 2 ? 12 : r == 3 ? 7 : 5;
    Shape xs, ks;
    {
      std::vector<index_t> xv, kv;
      for (int a = 0; a < r; ++a) {
        xv.push_back(1 + static_cast<index_t>(rng() % static_cast<std::uint64_t>(nmax)));
        // Kernels mostly smaller, sometimes larger than the input (up to input + 3).
        const index_t kmax = (trial % 5 == 0) ? xv.back() + 3 : std::max<index_t>(1, xv.back());
        kv.push_back(1 + static_cast<index_t>(rng() % static_cast<std::uint64_t>(kmax)));
      }
      xs = Shape(xv);
      ks = Shape(kv);
    }
    const Spec s = random_spec(rng, ks);
    const auto x = random_array<T>(xs, rng);
    const auto k = random_array<T>(ks, rng);
    const std::string what = type_name<T>() + " " + describe(s, xs, ks);
    if (s.style != 2 && s.mode == Mode::Valid && !valid_possible(xs, ks)) {
      Array<T> out(xs);
      CHECK_THROWS_AS_MESSAGE(call_view<T>(s, x.view(), k.view(), out.view()), autoconv::error, what);
      continue;
    }
    const auto ref = reference(s, x, k);
    const double atol = error_bound(x, k, s.border.cval);

    // 1. C-order views.
    Array<T> out(ref.shape);
    call_view<T>(s, x.view(), k.view(), out.view());
    CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= atol, what, " (C-order view)");

    // 2. Strided views with gaps and a negative stride, both input and output.
    Strided<T> sx(xs), so(ref.shape);
    sx.set(x);
    call_view<T>(s, sx.view, k.view(), so.view);
    CHECK_MESSAGE(max_abs_diff<T>(so.view, ref) <= atol, what, " (strided views)");

    // 3. Eigen tensors of both layouts, TensorMap in and out.
    check_eigen_rank(s, x, k, ref, atol, what);
    ++checked;
  }
  CHECK(checked > 150);
}

TEST_CASE_TEMPLATE("ranks 5 and 6 through Eigen tensors", T, double, std::complex<float>) {
  std::mt19937_64 rng(56);
  for (const Shape& xs : {Shape{3, 2, 4, 3, 2}, Shape{2, 3, 2, 3, 2, 3}}) {
    Shape ks = xs;
    for (int a = 0; a < ks.rank(); ++a) ks[a] = 1 + (a % 2);
    const auto x = random_array<T>(xs, rng);
    const auto k = random_array<T>(ks, rng);
    for (int style = 0; style < 3; ++style) {
      Spec s;
      s.style = style;
      s.mode = Mode::Full;
      s.border = Border{Boundary::Mirror, 0.0, {}};
      s.correlate = style == 1;
      const auto ref = reference(s, x, k);
      const std::string what = describe(s, xs, ks);
      check_eigen_rank(s, x, k, ref, error_bound(x, k), what);
    }
  }
}

TEST_CASE_TEMPLATE("Eigen Matrix and Array inputs work as 2-D arrays", T, float, std::complex<double>) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  std::mt19937_64 rng(3);
  const auto x = random_array<T>(Shape{7, 5}, rng);
  const auto k = random_array<T>(Shape{3, 2}, rng);
  Mat X(7, 5), K(3, 2);
  for (index_t i = 0; i < 7; ++i)
    for (index_t j = 0; j < 5; ++j) X(i, j) = x.v[static_cast<std::size_t>(i * 5 + j)];
  for (index_t i = 0; i < 3; ++i)
    for (index_t j = 0; j < 2; ++j) K(i, j) = k.v[static_cast<std::size_t>(i * 2 + j)];
  const auto ref = reference_signal(false, x, k, Mode::Full);
  const Mat Y = autoconv::convolve(X, K, Mode::Full);
  CHECK(max_abs_diff<T>(autoconv::as_view(Y), ref) <= error_bound(x, k));
  // Row-major Array, a Block of a larger matrix (strided, no copy), an expression (evaluated).
  Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> XA = X.array();
  const auto YA = autoconv::convolve(XA, K.array(), Mode::Full);
  CHECK(max_abs_diff<T>(autoconv::as_view(YA), ref) <= error_bound(x, k));
  Mat big = Mat::Zero(10, 9);
  big.block(2, 3, 7, 5) = X;
  const Mat YB = autoconv::convolve(big.block(2, 3, 7, 5), K, Mode::Full);
  CHECK(max_abs_diff<T>(autoconv::as_view(YB), ref) <= error_bound(x, k));
  const Mat YE = autoconv::convolve(X * T(2), K, Mode::Full);
  CHECK(max_abs_diff<T>(autoconv::as_view(Mat(YE / T(2))), ref) <= 2 * error_bound(x, k));
}

TEST_CASE("a TensorRef of storage is read in place; one of an expression or a slice is evaluated") {
  std::mt19937_64 rng(12);
  const auto x = random_array<double>(Shape{6, 5}, rng);
  const auto k = random_array<double>(Shape{3, 3}, rng);
  const auto X = to_tensor<2, Eigen::ColMajor>(x);
  const auto K = to_tensor<2, Eigen::ColMajor>(k);
  const auto ref = reference_signal(false, x, k, Mode::Same);
  using T2 = Eigen::Tensor<double, 2>;
  // A TensorRef of an expression has data() == nullptr: it was refused as a null input.
  const Eigen::TensorRef<T2> stored(X), expr(X * X.constant(2.0)), kexpr(K + K.constant(0.0));
  const T2 a = autoconv::convolve(stored, K, Mode::Same), b = autoconv::convolve(expr, kexpr, Mode::Same);
  CHECK(max_abs_diff<double>(autoconv::as_view(a), ref) <= error_bound(x, k));
  CHECK(max_abs_diff<double>(autoconv::as_view(T2(b * 0.5)), ref) <= error_bound(x, k));
  // A slice of a larger tensor through a TensorRef: the same numbers.
  T2 big(8, 9);
  big.setZero();
  Eigen::array<Eigen::Index, 2> at{1, 2}, ext{6, 5};
  big.slice(at, ext) = X;
  const Eigen::TensorRef<T2> sliced(big.slice(at, ext));
  CHECK(max_abs_diff<double>(autoconv::as_view(T2(autoconv::convolve(sliced, K, Mode::Same))), ref) <=
        error_bound(x, k));
  CHECK(autoconv::as_view(stored).data() == X.data());
  CHECK_THROWS_WITH_AS(autoconv::as_view(expr), doctest::Contains("autoconv::as_view: the TensorRef holds an expression"),
                       autoconv::error);
}

TEST_CASE("a real kernel on complex data equals the complex kernel with zero imaginary part") {
  std::mt19937_64 rng(11);
  const auto x = random_array<std::complex<double>>(Shape{6, 7}, rng);
  const auto kr = random_array<double>(Shape{3, 4}, rng);
  Array<std::complex<double>> kc(kr.shape);
  for (std::size_t i = 0; i < kr.v.size(); ++i) kc.v[i] = kr.v[i];
  const auto X = to_tensor<2, Eigen::RowMajor>(x);
  const auto KR = to_tensor<2, Eigen::RowMajor>(kr);
  for (bool corr : {false, true}) {
    const auto ref = reference_image(corr, x, kc, Ext::Wrap, 0.0, {1, -1});
    const Border b{Boundary::Wrap, 0.0, {1, -1}};
    const auto Y = corr ? autoconv::correlate(X, KR, b) : autoconv::convolve(X, KR, b);
    CHECK(max_abs_diff<std::complex<double>>(autoconv::as_view(Y), ref) <= error_bound(x, kc));
  }
}

TEST_CASE_TEMPLATE("direct results are bit-identical for any thread count", T, float, double, std::complex<double>) {
  std::mt19937_64 rng(5);
  // 20000 x 401, 24 x 30 x 28, 20000 x 4501 (slabs longer than 16384) and 300 x 257
  // have fewer slabs than threads or a few that do not divide between them: run() cuts
  // them thinner. 160000 x 9: the plain 1-D path, 10 slabs read in place between the edges.
  for (const auto& [xs, ks] : {std::pair{Shape{96, 80, 40}, Shape{5, 3, 4}}, std::pair{Shape{200000}, Shape{31}},
                               std::pair{Shape{300, 257}, Shape{7, 7}}, std::pair{Shape{20000}, Shape{401}},
                               std::pair{Shape{24, 30, 28}, Shape{9, 5, 9}}, std::pair{Shape{20000}, Shape{4501}},
                               std::pair{Shape{160000}, Shape{9}}}) {
    const auto x = random_array<T>(xs, rng);
    const auto k = random_array<T>(ks, rng);
    Array<T> one(xs);
    autoconv::Options o;
    o.method = autoconv::Method::Direct;
    o.threads = 1;
    autoconv::convolve<T>(x.view(), k.view(), Border{Boundary::Reflect}, one.view(), o);
    for (int t : {2, 3, 7, 16}) {
      Array<T> many(xs);
      o.threads = t;
      autoconv::convolve<T>(x.view(), k.view(), Border{Boundary::Reflect}, many.view(), o);
      CHECK_MESSAGE(std::memcmp(one.v.data(), many.v.data(), one.v.size() * sizeof(T)) == 0, "threads=", t, " x",
                    xs.str());
    }
  }
}

TEST_CASE("a plan executes many inputs, from many threads at once, with the same results") {
  std::mt19937_64 rng(9);
  const Shape xs{40, 33};
  const auto k = random_array<double>(Shape{5, 4}, rng);
  autoconv::Plan<double> plan(autoconv::Operation::Correlate, xs, k.view(), Border{Boundary::Nearest, 0.0, {-2, 1}});
  CHECK(plan.method() == autoconv::Method::Direct);
  CHECK(plan.output_shape() == xs);
  std::vector<Array<double>> xs_in, outs, refs;
  for (int i = 0; i < 8; ++i) {
    xs_in.push_back(random_array<double>(xs, rng));
    outs.emplace_back(xs);
    const auto r = reference_image(true, xs_in.back(), k, Ext::Nearest, 0.0, {-2, 1});
    Array<double> rd(xs);
    for (std::size_t j = 0; j < r.v.size(); ++j) rd.v[j] = static_cast<double>(r.v[j]);
    refs.push_back(rd);
  }
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i)
    pool.emplace_back([&, i] {
      for (int rep = 0; rep < 20; ++rep) plan.execute(xs_in[static_cast<std::size_t>(i)].view(), outs[static_cast<std::size_t>(i)].view());
    });
  for (auto& t : pool) t.join();
  for (int i = 0; i < 8; ++i) {
    double worst = 0;
    for (std::size_t j = 0; j < refs[0].v.size(); ++j)
      worst = std::max(worst, std::abs(outs[static_cast<std::size_t>(i)].v[j] - refs[static_cast<std::size_t>(i)].v[j]));
    CHECK(worst <= error_bound(xs_in[static_cast<std::size_t>(i)], k));
  }
}

TEST_CASE_TEMPLATE("larger problems exercise the blocked kernels and slab edges", T, float, double,
                   std::complex<float>) {
  // Rows long enough for the register-blocked paths (>= 4 rows x 64 samples), tails
  // of every width, several slabs, and a 1-D signal read in place between its edges
  // (70001 x 31 on the lane-transposed path, 70001 x 7 on the plain one).
  std::mt19937_64 rng(77);
  struct P {
    Shape x, k;
  };
  for (const P& p : {P{Shape{37, 150}, Shape{5, 7}}, P{Shape{9, 21, 70}, Shape{3, 4, 5}}, P{Shape{70001}, Shape{31}},
                     P{Shape{70001}, Shape{7}},
                     P{Shape{6, 5, 9, 67}, Shape{2, 3, 1, 4}}, P{Shape{41, 100}, Shape{3, 3}},
                     P{Shape{11, 13, 90}, Shape{3, 3, 3}}}) {
    const auto x = random_array<T>(p.x, rng);
    const auto k = random_array<T>(p.k, rng);
    for (int style = 0; style < 3; ++style) {
      Spec s;
      s.style = style;
      s.correlate = style == 1;
      s.mode = style == 0 ? Mode::Same : Mode::Full;
      s.border = Border{style == 2 ? Boundary::Mirror : Boundary::Constant, 0.25, {}};
      const auto ref = reference(s, x, k);
      Array<T> out(ref.shape);
      call_view<T>(s, x.view(), k.view(), out.view());
      CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= error_bound(x, k, s.border.cval), describe(s, p.x, p.k));
      Strided<T> sx(p.x), so(ref.shape);  // gaps and a negative stride: the gathering fill paths
      sx.set(x);
      call_view<T>(s, sx.view, k.view(), so.view);
      CHECK_MESSAGE(max_abs_diff<T>(so.view, ref) <= error_bound(x, k, s.border.cval), describe(s, p.x, p.k),
                    " (strided)");
    }
  }
}
