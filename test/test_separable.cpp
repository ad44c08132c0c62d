// test/test_separable.cpp: Method::Separable and convolve_separable against the exact
// long-double reference (Gaussian, box, Sobel, derivative-of-Gaussian kernels, ranks
// 1-4, every value type, mode, border and origin, kernels larger than the input,
// strided views, 1 and 2 threads, passes forced to Direct and to FFT), and the rank
// detection of lib/separable/factor (acceptance 2 of issue 6: non-separable kernels
// are never misdetected).
#include "calls.hpp"

#include <numeric>

#include "core/problem.hpp"
#include "separable/engine.hpp"
#include "separable/factor.hpp"

using namespace testing;
using autoconv::Method;
using autoconv::View;
using autoconv::detail::Factors;
using autoconv::detail::factor_kernel;

namespace {

// ---- kernels ---------------------------------------------------------------------

template <class T>
std::vector<T> gauss1(index_t m, double sigma, double shift = 0) {
  std::vector<T> g(static_cast<std::size_t>(m));
  for (index_t i = 0; i < m; ++i) {
    const double t = static_cast<double>(i) - static_cast<double>(m - 1) / 2 - shift;
    g[static_cast<std::size_t>(i)] = static_cast<T>(std::exp(-t * t / (2 * sigma * sigma)));
  }
  return g;
}

// Outer product of 1-D vectors (one per axis) into a C-order array, computed in T.
template <class T>
Array<T> outer(const std::vector<std::vector<T>>& f) {
  std::vector<index_t> s;
  for (const auto& v : f) s.push_back(static_cast<index_t>(v.size()));
  Array<T> a{Shape(s)};
  index_t idx[autoconv::max_rank];
  for (std::size_t t = 0; t < a.v.size(); ++t) {
    unravel(t, a.shape, idx);
    T p = T(1);
    for (std::size_t d = 0; d < f.size(); ++d) p *= f[d][static_cast<std::size_t>(idx[d])];
    a.v[t] = p;
  }
  return a;
}

template <class T>
void add_to(Array<T>& a, const Array<T>& b, double w = 1) {
  for (std::size_t t = 0; t < a.v.size(); ++t) a.v[t] += static_cast<real_t<T>>(w) * b.v[t];
}

// An isotropic N-D Gaussian computed directly in T from its N-D formula (not as an outer
// product), normalised to sum 1: what users write.
template <class T>
Array<T> gauss_nd(const Shape& s, double sigma) {
  Array<T> a(s);
  index_t idx[autoconv::max_rank];
  real_t<T> sum = 0;
  for (std::size_t t = 0; t < a.v.size(); ++t) {
    unravel(t, s, idx);
    real_t<T> r2 = 0;
    for (int d = 0; d < s.rank(); ++d) {
      const real_t<T> c = static_cast<real_t<T>>(idx[d]) - static_cast<real_t<T>>(s[d] - 1) / 2;
      r2 += c * c;
    }
    const real_t<T> v = std::exp(-r2 / static_cast<real_t<T>>(2 * sigma * sigma));
    a.v[t] = T(v);
    sum += v;
  }
  for (auto& v : a.v) v /= sum;
  return a;
}

template <class T>
std::vector<T> random_vec(index_t m, std::mt19937_64& rng) {
  std::vector<T> v(static_cast<std::size_t>(m));
  for (auto& e : v) e = random_value<T>(rng);
  return v;
}

// random_vec with v[m] == v[M-1-m] (taps the engine folds along the last axis).
template <class T>
std::vector<T> symmetric_vec(index_t m, std::mt19937_64& rng) {
  std::vector<T> v = random_vec<T>(m, rng);
  std::copy(v.begin(), v.begin() + m / 2, v.rbegin());
  return v;
}

template <class T>
bool is_symmetric(const std::vector<T>& v) {
  return std::equal(v.begin(), v.end(), v.rbegin());
}

// Named kernels of known separable rank.
template <class T>
struct Named {
  std::string name;
  Array<T> k;
  int rank;
};

template <class T>
std::vector<Named<T>> named_kernels(std::mt19937_64& rng) {
  std::vector<Named<T>> out;
  const std::vector<T> sob_d{T(1), T(0), T(-1)}, sob_s{T(1), T(2), T(1)};
  out.push_back({"gaussian 5x4", gauss_nd<T>(Shape{5, 4}, 1.2), 1});
  out.push_back({"box 3x3", outer<T>({std::vector<T>(3, T(1) / T(9)), std::vector<T>(3, T(1))}), 1});
  out.push_back({"sobel 3x3", outer<T>({sob_s, sob_d}), 1});
  {  // derivative of Gaussian along axis 1
    auto g = gauss1<T>(5, 1.0);
    auto dg = g;
    for (index_t i = 0; i < 5; ++i) dg[static_cast<std::size_t>(i)] *= static_cast<real_t<T>>(2 - i);
    out.push_back({"DoG 5x5", outer<T>({g, dg}), 1});
  }
  {  // rank 2: two different Gaussians
    auto a = outer<T>({gauss1<T>(7, 1.0), gauss1<T>(5, 1.0)});
    add_to(a, outer<T>({gauss1<T>(7, 2.5, 0.5), gauss1<T>(5, 0.6, -0.3)}), -0.7);
    out.push_back({"two gaussians 7x5", a, 2});
  }
  for (int r : {3, 4}) {  // random low rank
    Array<T> a(Shape{6, 8});
    for (int j = 0; j < r; ++j) add_to(a, outer<T>({random_vec<T>(6, rng), random_vec<T>(8, rng)}));
    out.push_back({"random rank " + std::to_string(r) + " 6x8", a, r});
  }
  out.push_back({"gaussian 3x4x5", gauss_nd<T>(Shape{3, 4, 5}, 1.0), 1});
  out.push_back({"sobel 3x3x3", outer<T>({sob_s, sob_s, sob_d}), 1});
  {  // rank 2 in 3-D: a 2-D rank-2 kernel times a 1-D kernel on axis 2
    auto a = outer<T>({gauss1<T>(4, 1.0), gauss1<T>(3, 1.0), gauss1<T>(5, 1.5)});
    add_to(a, outer<T>({gauss1<T>(4, 0.5, 0.5), gauss1<T>(3, 2.0), gauss1<T>(5, 1.5)}), -0.5);
    out.push_back({"rank 2 4x3x5", a, 2});
  }
  out.push_back({"extent-1 axis 1x5x4", outer<T>({std::vector<T>{T(2)}, gauss1<T>(5, 1.0), random_vec<T>(4, rng)}), 1});
  return out;
}

// kc: the kernel in correlation order (reversed for convolve, conjugated for correlate),
// written here independently of lib/.
template <class T>
Array<T> correlation_order(const Array<T>& k, bool correlate) {
  Array<T> kc(k.shape);
  index_t m[autoconv::max_rank];
  for (std::size_t t = 0; t < k.v.size(); ++t) {
    unravel(t, k.shape, m);
    if (!correlate)
      for (int a = 0; a < k.shape.rank(); ++a) m[a] = k.shape[a] - 1 - m[a];
    T v = k.v[ravel(m, k.shape)];
    if constexpr (is_complex_v<T>)
      if (correlate) v = std::conj(v);
    kc.v[t] = v;
  }
  return kc;
}

// ---- the bound -------------------------------------------------------------------
//
// A separable chain computes, per term j, successive 1-D sums: each pass adds at most
// ~log2(M_a) eps relative error over the absolute values it sums, so the chain's
// rounding error is bounded by eps * sum_a log2(M_a) * prod_a sum|f_ja| * max|x|
// = eps * log2(n) * prod_a sum|f_ja| * max|x| (n = taps); summing r terms adds log2 r
// and the sum over terms of the products. With FFT passes log2 P per pass, P the
// transform size (bounded as fft_bound does: P = prod 2 (N + M)). The factorisation
// residual adds ||K - sum_j outer(f_j)||_1 * max|x| (computed here exactly). c = 8.
template <class T>
double separable_bound(const Factors<T>& F, const Array<T>& x, const Array<T>& kc, double cval, bool fft) {
  const int D = kc.shape.rank();
  double S = 0;
  for (int j = 0; j < F.terms; ++j) {
    double p = 1;
    for (int a = 0; a < D; ++a) {
      double s = 0;
      for (const T& v : F.factor(j, a)) s += std::abs(v);
      p *= s;
    }
    S += p;
  }
  double P = static_cast<double>(kc.v.size());
  if (fft) {
    P = 1;
    for (int a = 0; a < D; ++a) P *= 2.0 * static_cast<double>(x.shape[a] + kc.shape[a]);
  }
  double mx = std::abs(cval);
  for (const T& v : x.v) mx = std::max<double>(mx, std::abs(v));
  long double resid = 0;  // ||K - K^||_1
  index_t m[autoconv::max_rank];
  for (std::size_t t = 0; t < kc.v.size(); ++t) {
    unravel(t, kc.shape, m);
    wide_t<T> s = wide_t<T>(kc.v[t]);
    for (int j = 0; j < F.terms; ++j) {
      wide_t<T> p = 1;
      for (int a = 0; a < D; ++a) p *= wide_t<T>(F.factor(j, a)[static_cast<std::size_t>(m[a])]);
      s -= p;
    }
    resid += std::abs(s);
  }
  const double logf = std::max(1.0, std::log2(P)) + std::log2(static_cast<double>(F.terms));
  return bound_c * static_cast<double>(std::numeric_limits<real_t<T>>::epsilon()) * logf * S * mx +
         static_cast<double>(resid) * mx;
}

autoconv::detail::Problem problem_of(const Spec& s, const Shape& xs, const Shape& ks, const std::vector<int>& axes = {}) {
  const auto op = s.correlate ? autoconv::Operation::Correlate : autoconv::Operation::Convolve;
  if (s.style == 0) return autoconv::detail::make_problem(op, xs, ks, s.mode, axes);
  if (s.style == 1) return autoconv::detail::make_problem(op, xs, ks, s.mode, s.border, axes);
  return autoconv::detail::make_problem(op, xs, ks, s.border, axes);
}

// Method::Separable of spec s on each of `layouts` (views of x's values) at 1 and 2
// threads: within the bound of Method::Direct's result (the kernel factored with at most
// `terms` terms), and the two thread counts bit-identical.
template <class T>
void check_layouts(const Spec& s, const Array<T>& x, const Array<T>& k, int terms, const Shape& out_shape,
                   std::initializer_list<View<const T>> layouts) {
  Array<T> a(out_shape), one(out_shape), two(out_shape);
  autoconv::Options od, os;
  od.method = Method::Direct;
  os.method = Method::Separable;
  call_view<T>(s, x.view(), k.view(), a.view(), od);
  const Array<T> kc = correlation_order(k, false);
  const auto F = factor_kernel(kc.shape, kc.v.data(), terms);
  REQUIRE(F);
  Array<wide_t<T>> ref(a.shape);
  for (std::size_t t = 0; t < a.v.size(); ++t) ref.v[t] = wide_t<T>(a.v[t]);
  const double atol = separable_bound(*F, x, kc, s.border.cval, false) + error_bound(x, k, s.border.cval);
  int layout = 0;
  for (const View<const T>& in : layouts) {
    os.threads = 1;
    call_view<T>(s, in, k.view(), one.view(), os);
    os.threads = 2;
    call_view<T>(s, in, k.view(), two.view(), os);
    const std::string what = describe(s, x.shape, k.shape) + " layout " + std::to_string(layout++);
    CHECK_MESSAGE(max_abs_diff<T>(one.view(), ref) <= atol, what);
    CHECK_MESSAGE(std::memcmp(one.v.data(), two.v.data(), one.v.size() * sizeof(T)) == 0, what);
  }
}

// Whether the Separable engine of spec s on shape xs sums the last axis's pass of every
// term folded (with at most `terms` terms, as check_layouts factors).
template <class T>
bool last_axis_folds(const Spec& s, const Shape& xs, const Array<T>& k, int terms) {
  const Array<T> kc = correlation_order(k, s.correlate);
  const auto F = factor_kernel(kc.shape, kc.v.data(), terms);
  if (!F) return false;
  const autoconv::detail::SeparableEngine<T> eng(problem_of(s, xs, k.shape), *F);
  bool all = true;
  for (int j = 0; j < eng.terms(); ++j)
    for (std::size_t p = 0; p < eng.passes().size(); ++p)
      if (eng.passes()[p].axis == xs.rank() - 1) all = all && eng.folded(j, static_cast<int>(p));
  return all;
}

}  // namespace

TEST_CASE_TEMPLATE("Separable matches the exact reference: kernels of rank 1-4, passes Direct and FFT", T, float,
                   double, std::complex<float>, std::complex<double>) {
  std::mt19937_64 rng(606);
  const auto kernels = named_kernels<T>(rng);
  int checked = 0;
  for (const auto& nk : kernels) {
    const int D = nk.k.shape.rank();
    for (int trial = 0; trial < 6; ++trial) {
      std::vector<index_t> xv;
      for (int a = 0; a < D; ++a) {  // every third trial: the input smaller than the kernel
        const index_t m = nk.k.shape[a];
        xv.push_back(trial % 3 == 2 ? 1 + static_cast<index_t>(rng() % static_cast<std::uint64_t>(m))
                                    : m + static_cast<index_t>(rng() % (D == 2 ? 14 : 6)));
      }
      const Shape xs(xv);
      Spec s = random_spec(rng, nk.k.shape, -0.75);
      if (s.style != 2 && s.mode == Mode::Valid && !valid_possible(xs, nk.k.shape)) s.mode = Mode::Full;
      const auto x = random_array<T>(xs, rng);
      const auto ref = reference(s, x, nk.k);
      const auto pb = problem_of(s, xs, nk.k.shape);
      const Array<T> kc = correlation_order(nk.k, s.correlate);
      const auto F = factor_kernel(kc.shape, kc.v.data(), 8);
      REQUIRE_MESSAGE(F.has_value(), nk.name);
      CHECK_MESSAGE(F->terms == nk.rank, nk.name);
      const int threads = 1 + trial % 2;
      for (Method pm : {Method::Direct, Method::FFT}) {
        autoconv::detail::SeparableOptions so;
        so.pass_method = pm;
        so.workers = threads;
        const autoconv::detail::SeparableEngine<T> eng(pb, *F, so);
        Array<T> out(ref.shape);
        eng.run(x.view(), out.view(), threads);
        const double atol = separable_bound(*F, x, kc, s.border.cval, pm == Method::FFT);
        CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= atol, type_name<T>(), " ", nk.name, " passes ",
                      autoconv::to_string(pm), " ", describe(s, xs, nk.k.shape));
      }
      // The public path: a Plan forced to Separable (passes by Method::Auto), strided views.
      autoconv::Options o;
      o.method = Method::Separable;
      o.threads = threads;
      Strided<T> xin(xs), xout(ref.shape);
      xin.set(x);
      call_view<T>(s, View<const T>(xin.view), nk.k.view(), xout.view, o);
      CHECK_MESSAGE(max_abs_diff<T>(View<const T>(xout.view), ref) <= separable_bound(*F, x, kc, s.border.cval, false),
                    type_name<T>(), " ", nk.name, " plan ", describe(s, xs, nk.k.shape));
      ++checked;
    }
  }
  CHECK(checked == 6 * static_cast<int>(kernels.size()));
}

TEST_CASE("Plan reports Method::Separable; a kernel that is not a sum of few outer products is an error") {
  std::mt19937_64 rng(1);
  const auto x = random_array<double>(Shape{9, 8, 7}, rng);
  const auto g = gauss_nd<double>(Shape{3, 5, 3}, 1.0);
  autoconv::Options o;
  o.method = Method::Separable;
  const autoconv::Plan<double> p(autoconv::Operation::Convolve, x.shape, g.view(), Mode::Same, o);
  CHECK(p.method() == Method::Separable);
  const auto k = random_array<double>(Shape{3, 4, 3}, rng);
  Array<double> out(x.shape);
  out.v.assign(out.v.size(), 42.0);
  try {
    autoconv::convolve<double>(x.view(), k.view(), Mode::Same, out.view(), o);
    FAIL("no error");
  } catch (const autoconv::error& e) {
    CHECK(std::string(e.what()).find("Method::Separable needs a kernel that is a sum of at most") != std::string::npos);
    CHECK(std::string(e.what()).find("kernel (3, 4, 3) is not") != std::string::npos);
  }
  CHECK(std::all_of(out.v.begin(), out.v.end(), [](double v) { return v == 42.0; }));
  // Its buffers count against Options::memory_limit, checked before anything is written.
  autoconv::Options tight = o;
  tight.memory_limit = 1000;
  CHECK_THROWS_WITH_AS(autoconv::convolve<double>(x.view(), g.view(), Mode::Same, out.view(), tight),
                       doctest::Contains("Method::Separable needs"), autoconv::error);
  CHECK_THROWS_WITH_AS(autoconv::convolve<double>(x.view(), g.view(), Mode::Same, out.view(), tight),
                       doctest::Contains("of buffers (input (9, 8, 7), kernel (3, 5, 3), 1 term), above "
                                         "Options::memory_limit = 1000 bytes"),
                       autoconv::error);
  CHECK(std::all_of(out.v.begin(), out.v.end(), [](double v) { return v == 42.0; }));
}

TEST_CASE_TEMPLATE("the memory the model counts for Separable is what the engine checks: Auto never picks a "
                   "Separable that the limit then refuses",
                   T, double, std::complex<double>) {
  // Real data with Direct passes runs tiled, in separable_tile_bytes' worker bytes per
  // thread (plus one row of cval for Zero and Constant borders), not in whole-array buffers. For each problem: explain's Separable bytes as the limit
  // lets a forced Separable plan be made; a byte less makes explain rule it out and (for
  // the tiled paths, where the two counts are the same number) the plan refuse.
  struct P {
    Shape x, k;
    int terms;
  };
  const P problems[] = {{Shape{1024, 1024}, Shape{15, 15}, 1}, {Shape{64, 64}, Shape{7, 7}, 1},
                        {Shape{48, 40, 40}, Shape{5, 5, 5}, 1}, {Shape{300, 300}, Shape{19, 19}, 2}};
  for (const P& pr : problems)
    for (int threads : {1, 2}) {
      Array<T> k = outer<T>([&] {
        std::vector<std::vector<T>> f;
        for (index_t m : pr.k) f.push_back(gauss1<T>(m, static_cast<double>(m) / 5));
        return f;
      }());
      if (pr.terms == 2) {
        std::vector<std::vector<T>> f;
        for (index_t m : pr.k) f.push_back(gauss1<T>(m, static_cast<double>(m) / 9, 1.0));
        add_to(k, outer<T>(f), 0.5);
      }
      const std::size_t n = std::accumulate(pr.x.begin(), pr.x.end(), std::size_t(1),
                                            [](std::size_t acc, index_t e) { return acc * static_cast<std::size_t>(e); });
      std::vector<T> x(n, T(1));
      const View<const T> xv(x.data(), pr.x);
      autoconv::Options o;
      o.threads = threads;
      const autoconv::Border b{autoconv::Boundary::Reflect};
      const auto d = autoconv::explain<T>(xv, k.view(), b, o);
      const std::string what = pr.x.str() + " kernel " + pr.k.str() + " " + std::to_string(threads) + " threads";
      const autoconv::Candidate* sep = nullptr;
      for (const auto& c : d.candidates)
        if (c.method == Method::Separable) sep = &c;
      REQUIRE(sep != nullptr);
      REQUIRE_MESSAGE(sep->feasible, what);
      CHECK_MESSAGE(sep->detail.find(std::to_string(pr.terms) + (pr.terms == 1 ? " term" : " terms")) != std::string::npos,
                    what);
      const bool tiled = !is_complex_v<T> && sep->detail.find("fft") == std::string::npos &&
                         sep->detail.find("overlap") == std::string::npos;
      // Far below the arrays' size: engine.cpp's tile budgets (768 KiB of padded input
      // and its intermediates, or a 1.75 MiB ring and planes) keep a worker's buffers
      // within 2.25 MiB wherever the tiles can be halved (these do, and a Reflect border
      // has no cval row).
      if (!is_complex_v<T> && n >= 1024 * 1024)
        CHECK_MESSAGE(sep->bytes <= (std::size_t(2304) << 10) * static_cast<std::size_t>(threads), what);
      autoconv::Options f = o;
      f.method = Method::Separable;
      f.memory_limit = sep->bytes;
      CHECK_NOTHROW(autoconv::Plan<T>(autoconv::Operation::Convolve, pr.x, k.view(), b, f));
      autoconv::Options a = o;
      a.memory_limit = sep->bytes;
      // A plan that chooses Separable without a limit still does under this one.
      if (autoconv::Plan<T>(autoconv::Operation::Convolve, pr.x, k.view(), b, o).method() == Method::Separable) {
        const autoconv::Plan<T> plan(autoconv::Operation::Convolve, pr.x, k.view(), b, a);
        CHECK_MESSAGE(plan.method() == Method::Separable, what);
      }
      f.memory_limit = sep->bytes - 1;
      a.memory_limit = sep->bytes - 1;
      const auto d1 = autoconv::explain<T>(xv, k.view(), b, a);
      for (const auto& c : d1.candidates)
        if (c.method == Method::Separable) CHECK_MESSAGE(!c.feasible, what);
      if (tiled)
        CHECK_THROWS_WITH_AS(autoconv::Plan<T>(autoconv::Operation::Convolve, pr.x, k.view(), b, f),
                             doctest::Contains("Options::memory_limit"), autoconv::error);
    }
}

TEST_CASE_TEMPLATE("Options::axes batches, a one-tap kernel, non-finite input", T, double, std::complex<float>) {
  std::mt19937_64 rng(12);
  autoconv::Options o;
  o.method = Method::Separable;
  o.threads = 2;
  o.axes = {1, 2};
  const auto x = random_array<T>(Shape{3, 12, 10}, rng);
  const auto k = outer<T>({std::vector<T>{T(1)}, gauss1<T>(5, 1.0), random_vec<T>(4, rng)});
  for (int style = 0; style < 3; ++style) {
    Spec s;
    s.style = style;
    s.mode = Mode::Full;
    s.border.boundary = Boundary::Mirror;
    const auto ref = reference(s, x, k);
    Array<T> out(ref.shape);
    call_view<T>(s, x.view(), k.view(), out.view(), o);
    const Array<T> kc = correlation_order(k, false);
    const auto F = factor_kernel(kc.shape, kc.v.data(), 1);
    REQUIRE(F);
    CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= separable_bound(*F, x, kc, 0.0, false), describe(s, x.shape, k.shape));
  }
  {  // a 1x1 kernel: one pass that scales
    const Array<T> one = outer<T>({std::vector<T>{T(3)}, std::vector<T>{T(-2)}});
    const auto x2 = random_array<T>(Shape{5, 6}, rng);
    Array<T> out(x2.shape);
    autoconv::Options o1;
    o1.method = Method::Separable;
    autoconv::convolve<T>(x2.view(), one.view(), Mode::Same, out.view(), o1);
    // The kernel is -6 exactly: each output is one product, rounded once per real part,
    // so |error| <= eps / 2 * 6 |x| (eps(T) * 6 |x| leaves room for the complex parts).
    const double eps = std::numeric_limits<real_t<T>>::epsilon();
    for (std::size_t t = 0; t < out.v.size(); ++t)
      CHECK(std::abs(wide_t<T>(out.v[t]) - wide_t<T>(T(-6)) * wide_t<T>(x2.v[t])) <= eps * 6 * std::abs(x2.v[t]));
  }
  {  // non-finite input: exactly the outputs whose window reads one are non-finite
    auto x3 = random_array<T>(Shape{20, 17}, rng);
    auto finite = x3;  // for the bound: the same samples, the two bad ones 0
    x3.v[5 * 17 + 9] = T(std::numeric_limits<real_t<T>>::quiet_NaN());
    x3.v[15 * 17 + 2] = T(std::numeric_limits<real_t<T>>::infinity());
    finite.v[5 * 17 + 9] = finite.v[15 * 17 + 2] = T(0);
    const auto k3 = outer<T>({gauss1<T>(5, 1.0), gauss1<T>(3, 1.0)});
    Spec sr;
    sr.style = 2;
    sr.border.boundary = Boundary::Reflect;
    const auto ref = reference(sr, x3, k3);
    const Array<T> kc3 = correlation_order(k3, false);
    const auto F3 = factor_kernel(kc3.shape, kc3.v.data(), 1);
    REQUIRE(F3);
    const double atol = separable_bound(*F3, finite, kc3, 0.0, false);
    Array<T> b(x3.shape);
    autoconv::Options os;
    os.method = Method::Separable;
    autoconv::convolve<T>(x3.view(), k3.view(), autoconv::Border{Boundary::Reflect}, b.view(), os);
    int mismatched = 0, nonfinite = 0;
    double worst = 0;
    for (std::size_t t = 0; t < b.v.size(); ++t) {
      const bool fr = std::isfinite(std::abs(ref.v[t])), fb = std::isfinite(std::abs(b.v[t]));
      mismatched += fr != fb;
      nonfinite += !fr;
      if (fr && fb) worst = std::max(worst, static_cast<double>(std::abs(wide_t<T>(b.v[t]) - ref.v[t])));
    }
    CHECK(mismatched == 0);
    CHECK(nonfinite == 2 * 5 * 3);  // two samples far from the edges and each other: 15 outputs each
    CHECK(worst <= atol);
  }
}

// ---- detection (acceptance 2) -------------------------------------------------------

TEST_CASE_TEMPLATE("random kernels are never detected as separable", T, float, double) {
  std::mt19937_64 rng(77);
  int draws = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const bool three = trial % 2;
    std::vector<index_t> s;
    for (int a = 0; a < (three ? 3 : 2); ++a) s.push_back(2 + static_cast<index_t>(rng() % (three ? 6 : 14)));
    const auto k = random_array<T>(Shape(s), rng);
    CHECK_MESSAGE(!factor_kernel(k.shape, k.v.data(), 1), k.shape.str());
    // Nor of rank <= 2 when every unfolding has room for more.
    bool room = true;
    std::size_t n = k.v.size();
    for (index_t e : s) room = room && std::min<std::size_t>(static_cast<std::size_t>(e), n / static_cast<std::size_t>(e)) >= 3;
    if (room) CHECK_MESSAGE(!factor_kernel(k.shape, k.v.data(), 2), k.shape.str());
    ++draws;
  }
  CHECK(draws == 400);
  std::mt19937_64 rc(5);
  for (int trial = 0; trial < 100; ++trial) {  // complex
    const auto k = random_array<std::complex<T>>(Shape{2 + static_cast<index_t>(rc() % 8), 2 + static_cast<index_t>(rc() % 8)}, rc);
    CHECK(!factor_kernel(k.shape, k.v.data(), 1));
  }
  // Non-finite kernels are never factored, even a rank-1 one with one NaN or Inf tap
  // (its products would spread the NaN to taps that are finite).
  auto g = outer<T>({gauss1<T>(5, 1.0), gauss1<T>(7, 1.5)});
  for (T bad : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity()}) {
    auto k = g;
    k.v[12] = bad;
    CHECK(!factor_kernel(k.shape, k.v.data(), 4));
  }
}

TEST_CASE_TEMPLATE("rank-1 and rank-2 kernels are found with their rank, perturbed ones are not", T, float, double) {
  std::mt19937_64 rng(99);
  auto perturb = [&](Array<T> k) {  // + 1e-3 ||K|| R / ||R||, R uniform random
    const auto R = random_array<T>(k.shape, rng);
    double nk = 0, nr = 0;
    for (std::size_t t = 0; t < k.v.size(); ++t) {
      nk += std::norm(k.v[t]);
      nr += std::norm(R.v[t]);
    }
    for (std::size_t t = 0; t < k.v.size(); ++t) k.v[t] += static_cast<T>(1e-3 * std::sqrt(nk / nr)) * R.v[t];
    return k;
  };
  for (int trial = 0; trial < 200; ++trial) {
    const bool three = trial % 2;
    std::vector<std::vector<T>> f1, f2;
    std::vector<index_t> s;
    for (int a = 0; a < (three ? 3 : 2); ++a) {
      s.push_back(3 + static_cast<index_t>(rng() % (three ? 6 : 18)));
      f1.push_back(trial % 4 < 2 ? random_vec<T>(s.back(), rng) : gauss1<T>(s.back(), 0.5 + static_cast<double>(rng() % 40) / 10));
      f2.push_back(random_vec<T>(s.back(), rng));
    }
    const Array<T> k1 = outer<T>(f1);
    const auto F1 = factor_kernel(k1.shape, k1.v.data(), 4);
    REQUIRE_MESSAGE(F1, k1.shape.str());
    CHECK(F1->terms == 1);
    CHECK_MESSAGE(!factor_kernel(k1.shape, perturb(k1).v.data(), 1), "perturbed rank 1 ", k1.shape.str());
    if (!three) {  // 2-D rank 2 (every rank is found in 2-D)
      Array<T> k2 = k1;
      add_to(k2, outer<T>(f2));
      const auto F2 = factor_kernel(k2.shape, k2.v.data(), 4);
      REQUIRE_MESSAGE(F2, k2.shape.str());
      CHECK(F2->terms == 2);
      CHECK(!factor_kernel(k2.shape, k2.v.data(), 1));
      CHECK_MESSAGE(!factor_kernel(k2.shape, perturb(k2).v.data(), 2), "perturbed rank 2 ", k2.shape.str());
    }
  }
}

TEST_CASE_TEMPLATE("the separability tolerance sits where factor.hpp says: 2 tol off is refused, tol / 2 is not",
                   T, float, double) {
  // K = a (x) b + e c (x) d with c orthogonal to a and d to b: the best rank-1 fit leaves
  // exactly e ||c|| ||d|| (the second singular value), so the residual is known and the
  // documented tol = 8 d max(1, log2 n) eps ||K||_F (d = 2) is tested on both sides.
  std::mt19937_64 rng(17);
  for (const auto& [m, n] : {std::pair<index_t, index_t>{16, 16}, std::pair<index_t, index_t>{7, 40}}) {
    auto unit_orthogonal = [&](const std::vector<long double>& a) {  // random, Gram-Schmidt against a
      std::vector<long double> c(a.size());
      long double ca = 0, aa = 0, cc = 0;
      for (auto& v : c) v = std::uniform_real_distribution<double>(-1, 1)(rng);
      for (std::size_t i = 0; i < a.size(); ++i) ca += c[i] * a[i], aa += a[i] * a[i];
      for (std::size_t i = 0; i < a.size(); ++i) c[i] -= ca / aa * a[i], cc += c[i] * c[i];
      for (auto& v : c) v /= std::sqrt(cc);
      return c;
    };
    std::vector<long double> a(static_cast<std::size_t>(m)), b(static_cast<std::size_t>(n));
    for (auto& v : a) v = std::uniform_real_distribution<double>(0.5, 1.5)(rng);
    for (auto& v : b) v = std::uniform_real_distribution<double>(0.5, 1.5)(rng);
    const auto c = unit_orthogonal(a), d = unit_orthogonal(b);
    long double norm2 = 0;
    for (auto x : a)
      for (auto y : b) norm2 += x * y * x * y;
    const long double tol = 8.0L * 2 * std::max(1.0L, std::log2(static_cast<long double>(m * n))) *
                            static_cast<long double>(std::numeric_limits<T>::epsilon()) * std::sqrt(norm2);
    for (const long double factor : {2.0L, 0.5L}) {
      const long double e = factor * tol;  // ||c|| = ||d|| = 1
      std::vector<T> k(static_cast<std::size_t>(m * n));
      for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < n; ++j)
          k[static_cast<std::size_t>(i * n + j)] = static_cast<T>(a[static_cast<std::size_t>(i)] * b[static_cast<std::size_t>(j)] +
                                                                  e * c[static_cast<std::size_t>(i)] * d[static_cast<std::size_t>(j)]);
      const bool found = factor_kernel(Shape{m, n}, k.data(), 1).has_value();
      CHECK_MESSAGE(found == (factor < 1), m, "x", n, " residual ", static_cast<double>(factor), " tol");
    }
  }
}

TEST_CASE_TEMPLATE("Gaussian, box, Sobel and DoG kernels are rank 1; two Gaussians rank 2", T, float, double) {
  for (const Shape& s : {Shape{3, 3}, Shape{7, 5}, Shape{31, 31}, Shape{5, 5, 5}, Shape{19, 19, 19}, Shape{3, 1, 9}}) {
    for (double sigma : {0.5, 1.0, 3.0}) {
      const auto g = gauss_nd<T>(s, sigma);
      const auto F = factor_kernel(s, g.v.data(), 3);
      REQUIRE_MESSAGE(F, "gaussian ", s.str(), " sigma ", sigma);
      CHECK(F->terms == 1);
    }
    std::vector<std::vector<T>> box, dog;
    for (index_t e : s) {
      box.push_back(std::vector<T>(static_cast<std::size_t>(e), T(1) / static_cast<T>(e)));
      auto g = gauss1<T>(e, 2.0);
      for (index_t i = 0; i < e; ++i) g[static_cast<std::size_t>(i)] *= static_cast<T>(i) - static_cast<T>(e - 1) / 2;
      dog.push_back(dog.empty() ? g : gauss1<T>(e, 2.0));
    }
    for (const auto& k : {outer<T>(box), outer<T>(dog)}) {
      const auto F = factor_kernel(k.shape, k.v.data(), 3);
      REQUIRE_MESSAGE(F, s.str());
      CHECK(F->terms == 1);
    }
  }
  const std::vector<T> d{T(1), T(0), T(-1)}, sm{T(1), T(2), T(1)};
  for (const auto& k : {outer<T>({sm, d}), outer<T>({d, sm}), outer<T>({sm, sm, d})}) {
    const auto F = factor_kernel(k.shape, k.v.data(), 3);
    REQUIRE(F);
    CHECK(F->terms == 1);
  }
  for (index_t m : {7, 31}) {  // sums of two different Gaussians
    auto k = gauss_nd<T>(Shape{m, m}, m / 8.0);
    add_to(k, gauss_nd<T>(Shape{m, m}, m / 3.0), -0.5);
    const auto F = factor_kernel(k.shape, k.v.data(), 4);
    REQUIRE(F);
    CHECK(F->terms == 2);
  }
  {  // complex rank 1
    std::mt19937_64 rng(3);
    const auto k = outer<std::complex<T>>({random_vec<std::complex<T>>(5, rng), random_vec<std::complex<T>>(6, rng),
                                           random_vec<std::complex<T>>(3, rng)});
    const auto F = factor_kernel(k.shape, k.v.data(), 2);
    REQUIRE(F);
    CHECK(F->terms == 1);
  }
  // One axis of extent > 1: one term, and not a separable candidate.
  CHECK(!autoconv::detail::separable_candidate(Shape{1, 31, 1}));
  CHECK(autoconv::detail::separable_candidate(Shape{3, 1, 3}));
  const auto one = gauss_nd<T>(Shape{1, 9}, 2.0);
  const auto F = factor_kernel(one.shape, one.v.data(), 1);
  REQUIRE(F);
  CHECK(F->terms == 1);
}

TEST_CASE_TEMPLATE("symmetric factors come out exactly symmetric, and their last-axis passes fold", T, float, double) {
  // factor_kernel makes a real factor symmetric to within 4 eps of its largest value
  // exactly symmetric (a kernel symmetric only to an ulp gives such factors), so that the engine can
  // sum its taps folded, k[m] (x[m] + x[M-1-m]). The numbers of folded passes are
  // checked against Direct in the 2-D and 3-D path tests above (their `sym` cases).
  auto all_symmetric = [](const Factors<T>& F) {
    bool yes = true;
    for (int j = 0; j < F.terms; ++j)
      for (int a = 0; a < F.rank(); ++a) yes = yes && is_symmetric(F.factor(j, a));
    return yes;
  };
  for (const auto& [shape, sigma] : {std::pair{Shape{31, 31}, 5.0}, {Shape{19, 19, 19}, 3.0}, {Shape{9, 40}, 2.0}}) {
    const auto g = gauss_nd<T>(shape, sigma);
    const auto F = factor_kernel(shape, g.v.data(), 3);
    REQUIRE(F);
    CHECK(F->terms == 1);
    CHECK_MESSAGE(all_symmetric(*F), shape.str());
  }
  {  // A Gaussian sampled on t = -3 + i 0.2 (as numpy's linspace does): its taps are
     // symmetric only to an ulp or so, and so are the factors the SVD finds.
    std::vector<T> g(31);
    for (std::size_t i = 0; i < g.size(); ++i) {
      const T t = T(-3) + static_cast<T>(i) * T(0.2);
      g[i] = std::exp(-t * t / T(2));
    }
    REQUIRE(!is_symmetric(g));
    const auto k = outer<T>({g, g});
    const auto F = factor_kernel(k.shape, k.v.data(), 2);
    REQUIRE(F);  // the reconstruction check passes with the symmetrised factors
    CHECK(F->terms == 1);
    CHECK(all_symmetric(*F));
  }
  auto two = gauss_nd<T>(Shape{31, 31}, 31 / 8.0);  // the acceptance's rank-2 kernel
  add_to(two, gauss_nd<T>(Shape{31, 31}, 31 / 3.0), -0.5);
  const auto F2 = factor_kernel(two.shape, two.v.data(), 4);
  REQUIRE(F2);
  CHECK(F2->terms == 2);
  CHECK(all_symmetric(*F2));
  // Kept as found: an antisymmetric factor (derivative of a Gaussian), and a Gaussian
  // with its tap 12 of 31 moved by 1e-4 relative (rank 1, far above 4 eps).
  auto dg = gauss1<T>(31, 4.0), moved = gauss1<T>(31, 4.0);
  for (index_t i = 0; i < 31; ++i) dg[static_cast<std::size_t>(i)] *= static_cast<T>(i - 15);
  moved[12] *= T(1 + 1e-4);
  for (const auto& f : {dg, moved}) {
    const auto k = outer<T>({gauss1<T>(9, 2.0), f});
    const auto F = factor_kernel(k.shape, k.v.data(), 2);
    REQUIRE(F);
    CHECK(F->terms == 1);
    CHECK(is_symmetric(F->factor(0, 0)));
    CHECK(!is_symmetric(F->factor(0, 1)));
  }
  // The engine folds the last-axis pass exactly when this build folds, its taps are
  // symmetric and 8 or more; never a pass off the last axis.
  struct K {
    Shape x;
    Array<T> k;
    bool fold;  // where the build folds
  };
  const K cases[] = {{Shape{40, 300}, gauss_nd<T>(Shape{31, 31}, 5.0), true},
                     {Shape{20, 30, 40}, gauss_nd<T>(Shape{19, 19, 19}, 3.0), true},
                     {Shape{40, 300}, two, true},
                     {Shape{40, 300}, gauss_nd<T>(Shape{9, 7}, 1.5), false},  // 7 taps on the last axis
                     {Shape{40, 300}, outer<T>({gauss1<T>(9, 2.0), dg}), false},
                     {Shape{40, 300}, outer<T>({gauss1<T>(9, 2.0), moved}), false}};
  for (const K& c : cases) {
    Spec s;
    s.style = 2;
    s.border.boundary = Boundary::Reflect;
    const auto F = factor_kernel(c.k.shape, c.k.v.data(), 4);
    REQUIRE(F);
    const autoconv::detail::SeparableEngine<T> eng(problem_of(s, c.x, c.k.shape), *F);
    const auto& passes = eng.passes();
    for (int j = 0; j < eng.terms(); ++j)
      for (std::size_t p = 0; p < passes.size(); ++p) {
        const bool last = passes[p].axis == c.x.rank() - 1;
        CHECK_MESSAGE(eng.folded(j, static_cast<int>(p)) == (last && c.fold && autoconv::detail::separable_folding()),
                      c.k.shape.str(), " term ", j, " pass ", p);
      }
  }
}

TEST_CASE_TEMPLATE("a folded last-axis pass into the output: the same numbers at any output offset", T, float, double) {
  // Kernel 1 x 5 x 31 on rows of 33000 doubles (66000 floats), no pass on axis 0: the
  // tiles (thousands of outputs wide) run the axis-1 pass, then the folded last axis
  // straight into the output rows. An output of 4 MiB or more is written with
  // non-temporal stores, each row's outputs up to a 64-byte boundary one at a time (the
  // scalar sum) and the rest as vectors: an output offset moves outputs between the
  // two, which must sum the same way (checked by a mutation: the scalar sum left
  // unfolded failed here, and nowhere else). Also within the bound of Method::Direct.
  std::mt19937_64 rng(5151);
  const index_t n = 33000 * 8 / static_cast<index_t>(sizeof(T));  // 4.2 MB of outputs
  const Shape xs{2, 8, n};
  const auto k = outer<T>({std::vector<T>{T(1)}, symmetric_vec<T>(5, rng), symmetric_vec<T>(31, rng)});
  const auto x = random_array<T>(xs, rng);
  Spec s;
  s.style = 2;
  s.border.boundary = Boundary::Mirror;
  autoconv::Options od, os;
  od.method = Method::Direct;
  os.method = Method::Separable;
  Array<T> a(xs), one(xs);
  call_view<T>(s, x.view(), k.view(), a.view(), od);
  call_view<T>(s, x.view(), k.view(), one.view(), os);
  const Array<T> kc = correlation_order(k, false);
  const auto F = factor_kernel(kc.shape, kc.v.data(), 1);
  REQUIRE(F);
  Array<wide_t<T>> ref(a.shape);
  for (std::size_t t = 0; t < a.v.size(); ++t) ref.v[t] = wide_t<T>(a.v[t]);
  CHECK(max_abs_diff<T>(one.view(), ref) <= separable_bound(*F, x, kc, 0.0, false) + error_bound(x, k));
  const autoconv::detail::SeparableEngine<T> eng(problem_of(s, xs, k.shape), *F);
  CHECK(eng.folded(0, 1) == autoconv::detail::separable_folding());
  for (index_t off : {1, 3, 5}) {
    std::vector<T> big(static_cast<std::size_t>(off) + one.v.size() + 16, T(-9));
    call_view<T>(s, x.view(), k.view(), View<T>(big.data() + off, xs), os);
    CHECK_MESSAGE(std::memcmp(big.data() + off, one.v.data(), one.v.size() * sizeof(T)) == 0, "offset ", off);
    CHECK(big[static_cast<std::size_t>(off - 1)] == T(-9));
    CHECK(big[static_cast<std::size_t>(off) + one.v.size()] == T(-9));
  }
}

// ---- convolve_separable ---------------------------------------------------------------

TEST_CASE_TEMPLATE("convolve_separable equals convolve with the outer product", T, float, double, std::complex<float>,
                   std::complex<double>) {
  std::mt19937_64 rng(2024);
  for (int trial = 0; trial < 24; ++trial) {
    const int D = 1 + trial % 3;
    std::vector<index_t> xv;
    std::vector<std::vector<T>> f;
    for (int a = 0; a < D; ++a) {
      xv.push_back(1 + static_cast<index_t>(rng() % (D == 1 ? 60 : D == 2 ? 16 : 7)));
      f.push_back(random_vec<T>(1 + static_cast<index_t>(rng() % (trial % 4 == 0 ? xv.back() + 3 : 5)), rng));
    }
    const Shape xs(xv);
    const Array<T> k = outer<T>(f);
    Spec s = random_spec(rng, k.shape, -0.75);
    if (s.style != 2 && s.mode == Mode::Valid && !valid_possible(xs, k.shape)) s.mode = Mode::Same;
    if (s.style == 1 && s.correlate) s.correlate = false;  // correlate_separable: signal and image forms
    const auto x = random_array<T>(xs, rng);
    const auto ref = reference(s, x, k);
    std::vector<autoconv::View<const T>> fv;
    for (const auto& v : f) fv.emplace_back(v.data(), Shape{static_cast<index_t>(v.size())});
    Factors<T> F;
    F.terms = 1;
    F.kernel = k.shape;
    for (const auto& v : f) F.f.push_back(v);
    const double atol = separable_bound(F, x, k, s.border.cval, true);
    for (Method m : {Method::Auto, Method::FFT}) {
      autoconv::Options o;
      o.method = m;
      o.threads = 1 + trial % 2;
      Array<T> out(ref.shape);
      if (s.correlate) {
        if (s.style == 0) autoconv::correlate_separable<T>(x.view(), fv, s.mode, out.view(), o);
        if (s.style == 2) autoconv::correlate_separable<T>(x.view(), fv, s.border, out.view(), o);
      } else {
        if (s.style == 0) autoconv::convolve_separable<T>(x.view(), fv, s.mode, out.view(), o);
        if (s.style == 1) autoconv::convolve_separable<T>(x.view(), fv, s.mode, s.border, out.view(), o);
        if (s.style == 2) autoconv::convolve_separable<T>(x.view(), fv, s.border, out.view(), o);
      }
      CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= atol, type_name<T>(), " ", autoconv::to_string(m), " ",
                    describe(s, xs, k.shape));
    }
  }
}

TEST_CASE("convolve_separable: errors name the argument and leave the output untouched") {
  std::vector<double> xs(60, 1.0), a(3, 1.0), b(4, 1.0), out(60, 7.0), m9(9, 1.0);
  const autoconv::View<const double> x(xs.data(), Shape{6, 10});
  const autoconv::View<const double> ka(a.data(), Shape{3}), kb(b.data(), Shape{4}), k33(m9.data(), Shape{3, 3});
  const autoconv::View<double> o(out.data(), Shape{6, 10});
  auto msg = [&](auto&& f) {
    try {
      f();
    } catch (const autoconv::error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(msg([&] { autoconv::convolve_separable<double>(x, {ka}, Mode::Same, o); }).find(
            "autoconv::convolve_separable: 1 factors given for an input of shape (6, 10)") == 0);
  CHECK(msg([&] { autoconv::convolve_separable<double>(x, {ka, k33}, Mode::Same, o); }).find(
            "factor 1 has shape (3, 3); each factor must be 1-D") != std::string::npos);
  CHECK(msg([&] {
          autoconv::convolve_separable<double>(x, {ka, autoconv::View<const double>(nullptr, Shape{2})}, Mode::Same, o);
        }).find("factor 1 data pointer is null") != std::string::npos);
  // An empty factor is empty, whatever its pointer (an empty Eigen vector's is null).
  CHECK(msg([&] {
          autoconv::convolve_separable<double>(x, {autoconv::View<const double>(nullptr, Shape{0}), kb}, Mode::Same, o);
        }).find("factor 0 is empty, shape (0,)") != std::string::npos);
  // The checks shared with the batch call speak with this call's name.
  CHECK(msg([&] { autoconv::convolve_separable<double>(x, {ka, kb}, Mode::Full, o); }).find(
            "autoconv::convolve_separable: output has shape (6, 10)") == 0);
  const autoconv::View<double> aliased(out.data(), Shape{6, 10}, Shape{0, 1});
  CHECK(msg([&] { autoconv::correlate_separable<double>(x, {ka, kb}, Mode::Same, aliased); }).find(
            "autoconv::correlate_separable: output strides (0, 1)") == 0);
  autoconv::Options tiny;
  tiny.memory_limit = 16;
  CHECK(msg([&] { autoconv::convolve_separable<double>(x, {ka, kb}, Mode::Same, o, tiny); }).find(
            "autoconv::convolve_separable: Method::Separable needs") == 0);
  autoconv::Options bad;
  bad.planning = static_cast<autoconv::Planning>(7);
  CHECK(msg([&] { autoconv::convolve_separable<double>(x, {ka, kb}, Mode::Same, o, bad); }).find(
            "autoconv::convolve_separable: unknown Planning value 7") == 0);
  bad = {};
  bad.method = static_cast<Method>(9);
  CHECK(msg([&] { autoconv::convolve_separable<double>(x, {ka, kb}, Mode::Same, o, bad); }).find(
            "unknown Method value 9") != std::string::npos);
  for (double v : out) CHECK(v == 7.0);
  autoconv::convolve_separable<double>(x, {ka, kb}, autoconv::Border{Boundary::Nearest}, o);
  for (double v : out) CHECK(v == 12.0);  // sums of 12 ones: exact
}

TEST_CASE("convolve_separable: factors of very different scales give the outer product's numbers") {
  // 1e30 * 1e20 overflows a float; the factors are balanced (by powers of two, exactly)
  // before the passes, as factor_kernel's are, so either order gives 4e30.
  std::vector<float> xs(64, 1e30f), big(2, 1e20f), small(2, 1e-20f), out(64), full(4, 1.0f);
  const autoconv::View<const float> x(xs.data(), Shape{8, 8}), kb(big.data(), Shape{2}), ks(small.data(), Shape{2});
  const autoconv::View<float> o(out.data(), Shape{8, 8});
  using Factors = std::vector<autoconv::View<const float>>;
  for (const auto& f : {Factors{kb, ks}, Factors{ks, kb}}) {
    autoconv::convolve_separable<float>(x, f, Mode::Same, o);
    CHECK(out[3 * 8 + 3] == doctest::Approx(4e30).epsilon(1e-6));
    CHECK(std::all_of(out.begin(), out.end(), [](float v) { return std::isfinite(v); }));
  }
  // Balancing by powers of two changes no bit: factors {3, 5} x {7, 11, 13} against
  // their product's kernel, integer sums below 2^24, exact either way.
  std::vector<float> a{3, 5}, b{7, 11, 13}, k(6), ones(64, 1.0f), via_k(64);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      k[static_cast<std::size_t>(i * 3 + j)] = a[static_cast<std::size_t>(i)] * b[static_cast<std::size_t>(j)];
  const autoconv::View<const float> xo(ones.data(), Shape{8, 8});
  autoconv::convolve_separable<float>(
      xo, {autoconv::View<const float>(a.data(), Shape{2}), autoconv::View<const float>(b.data(), Shape{3})}, Mode::Same, o);
  autoconv::Options direct;
  direct.method = Method::Direct;
  autoconv::convolve<float>(xo, autoconv::View<const float>(k.data(), Shape{2, 3}), Mode::Same,
                            autoconv::View<float>(via_k.data(), Shape{8, 8}), direct);
  // No balancing where a shift would take an entry below float's normal range: {1} x
  // {2^120, 2^-100} would be shifted to {2^60} x {2^60, 2^-160}, and 2^-160 is 0 in float.
  std::vector<float> one{1.0f}, wide{std::ldexp(1.0f, 120), std::ldexp(1.0f, -100)}, delta{1.0f}, got(2, -1.0f);
  autoconv::convolve_separable<float>(
      autoconv::View<const float>(delta.data(), Shape{1, 1}),
      {autoconv::View<const float>(one.data(), Shape{1}), autoconv::View<const float>(wide.data(), Shape{2})},
      Mode::Full, autoconv::View<float>(got.data(), Shape{1, 2}));
  CHECK(got == wide);
  CHECK(out == via_k);
}

TEST_CASE("convolve_separable on Eigen tensors and vectors") {
  Eigen::Tensor<double, 3> v(9, 8, 7);
  v.setRandom();
  Eigen::Tensor<double, 1> k0(3), k1(5), k2(2);
  k0.setValues({1, 2, 1});
  k1.setValues({0.5, 1, 2, 1, 0.5});
  k2.setValues({1, -1});
  Eigen::Tensor<double, 3> k(3, 5, 2);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 5; ++j)
      for (int l = 0; l < 2; ++l) k(i, j, l) = k0(i) * k1(j) * k2(l);
  const Eigen::Tensor<double, 3> a = autoconv::convolve(v, k, Mode::Same);
  const Eigen::Tensor<double, 3> b = autoconv::convolve_separable(v, {k0, k1, k2}, Mode::Same);
  // Each result is within M u sum|k| max|v| of the exact one (M = 30 taps for Direct; the
  // passes' 3 + 5 + 2 roundings are fewer; u = eps / 2), so they differ by at most twice that.
  const Eigen::Tensor<double, 0> d = (a - b).abs().maximum();
  const Eigen::Tensor<double, 0> vmax = v.abs().maximum();
  CHECK(d() <= 30 * std::numeric_limits<double>::epsilon() * (4 * 5 * 2) * vmax());
  Eigen::MatrixXf img = Eigen::MatrixXf::Random(20, 30);
  Eigen::VectorXf g(5);
  g << 1, 4, 6, 4, 1;
  const Eigen::MatrixXf s = autoconv::convolve_separable(img, {g, g}, autoconv::Border{Boundary::Reflect});
  const Eigen::MatrixXf r = autoconv::convolve(img, Eigen::MatrixXf(g * g.transpose()), autoconv::Border{Boundary::Reflect});
  // As above: 25 taps, sum|k| = 16^2, u = eps(float) / 2, two results.
  CHECK((s - r).cwiseAbs().maxCoeff() <= 25 * std::numeric_limits<float>::epsilon() * 256 * img.cwiseAbs().maxCoeff());
}

TEST_CASE_TEMPLATE("large problems: tiles, axis-0 chunks and 2 threads agree with Direct", T, float, double) {
  // Big enough for several tiles (the window of a tile is ~1 MiB) and, with 2 threads,
  // axis-0 chunks; compared with Method::Direct (both within the bound of the exact result).
  std::mt19937_64 rng(4242);
  struct P {
    Shape x;
    std::vector<std::vector<T>> f;
    bool rank2 = true;  // 2-D: add a second term
  };
  const P problems[] = {
      {Shape{30, 200, 210}, {gauss1<T>(3, 1.0), gauss1<T>(5, 1.0), gauss1<T>(7, 2.0)}},
      // Planes passed 2 at a time (double) or 4 (float) into the ring, 23 planes: a last group of 2.
      {Shape{23, 100, 300}, {gauss1<T>(5, 1.0), gauss1<T>(7, 1.5), gauss1<T>(2, 2.0)}},
      {Shape{700, 530}, {gauss1<T>(9, 2.0), gauss1<T>(7, 1.5)}},
      {Shape{64, 3000}, {random_vec<T>(4, rng), random_vec<T>(6, rng)}},
      // Last-axis kernels of 2-3 vectors (double: 19; float: 37) and 3 or more (53 below).
      {Shape{40, 300}, {random_vec<T>(3, rng), random_vec<T>(19, rng)}},
      {Shape{40, 400}, {random_vec<T>(5, rng), random_vec<T>(37, rng)}},
      {Shape{70, 700}, {random_vec<T>(5, rng), random_vec<T>(53, rng)}},
      {Shape{720, 780}, {gauss1<T>(7, 1.5), gauss1<T>(11, 2.0)}, false},  // double: >= 4 MiB, non-temporal stores
  };
  for (const P& pr : problems) {
    Array<T> k = outer<T>(pr.f);
    if (pr.x.rank() == 2 && pr.rank2) add_to(k, outer<T>({gauss1<T>(k.shape[0], 0.7), gauss1<T>(k.shape[1], 3.0)}), -0.3);
    const auto x = random_array<T>(pr.x, rng);
    for (int style = 1; style < 3; ++style) {
      Spec s;
      s.style = style;
      s.mode = Mode::Same;
      s.border.boundary = style == 1 ? Boundary::Wrap : Boundary::Reflect;
      Array<T> a(x.shape), b(x.shape);
      autoconv::Options od, os;
      od.method = Method::Direct;
      os.method = Method::Separable;
      os.threads = 2;
      call_view<T>(s, x.view(), k.view(), a.view(), od);
      call_view<T>(s, x.view(), k.view(), b.view(), os);
      const Array<T> kc = correlation_order(k, false);
      const auto F = factor_kernel(kc.shape, kc.v.data(), 4);
      REQUIRE(F);
      Array<wide_t<T>> ref(a.shape);
      for (std::size_t t = 0; t < a.v.size(); ++t) ref.v[t] = wide_t<T>(a.v[t]);
      const double atol = separable_bound(*F, x, kc, 0.0, false) + error_bound(x, k);
      CHECK_MESSAGE(max_abs_diff<T>(b.view(), ref) <= atol, describe(s, x.shape, k.shape));
    }
  }
}

TEST_CASE_TEMPLATE("2-D, one term: rows read straight from the input", T, float, double) {
  // The streamed 2-D path reads the last-axis pass's rows from the input itself, 16 at a
  // time, through W x W transposes (hpass_fused). Cases: row counts not a multiple of 16,
  // a last chunk narrower than a vector (263 = 256 + 7 outputs), widths of 1-2 vectors,
  // every boundary (Constant: rows of cval outside), rows in reverse order (a negative
  // row stride, unit along the row) and both strides negative. Against Method::Direct;
  // 1 and 2 threads bit-identical.
  std::mt19937_64 rng(8080);
  struct P {
    Shape x;
    index_t m0, m1;
    bool sym = false;  // symmetric last-axis taps: folded where the build folds (8 taps or more)
  };
  // With contiguous rows the axis-0 pass runs first, straight from the input rows
  // (run_vfirst; the other layouts below take the ring path): widths of about one
  // vector (its blocks of 16 columns do not fit: one column at a time), fewer rows than
  // taps, a kernel almost as wide as the input (most columns border columns), several
  // column chunks with a narrow last one, rows a whole number of cache lines apart (its
  // blocks then start on a line), every kernel length below 8 on either axis (its
  // blocks then hold all the taps at once: vtile_short), and 16 or 17 on axis 0.
  const P problems[] = {{Shape{37, 263}, 9, 8},  {Shape{50, 20}, 5, 13}, {Shape{19, 17}, 3, 8},
                        {Shape{70, 530}, 17, 31}, {Shape{21, 9}, 8, 8},  {Shape{40, 17}, 12, 9},
                        {Shape{10, 300}, 25, 10}, {Shape{45, 50}, 8, 40}, {Shape{33, 1030}, 8, 8},
                        {Shape{40, 320}, 9, 11},  {Shape{37, 263}, 3, 3}, {Shape{50, 40}, 2, 5},
                        {Shape{30, 200}, 7, 2},   {Shape{21, 9}, 5, 4},   {Shape{33, 1030}, 6, 7},
                        {Shape{40, 320}, 4, 6},   {Shape{18, 16}, 2, 2},  {Shape{17, 100}, 11, 3},
                        // 16 and 17 taps on axis 0: its block of 16 rows (vtile_col on
                        // AVX-512) with one and two rows in its middle loop.
                        {Shape{45, 200}, 16, 9},  {Shape{29, 72}, 17, 5},
                        // Folded: odd and even, the chunks' edges, a width near the kernel's.
                        {Shape{37, 263}, 9, 31, true}, {Shape{50, 20}, 5, 13, true}, {Shape{70, 530}, 17, 8, true},
                        {Shape{33, 1030}, 8, 40, true}, {Shape{21, 9}, 3, 9, true}};
  for (const P& pr : problems) {
    Array<T> k = outer<T>({random_vec<T>(pr.m0, rng), pr.sym ? symmetric_vec<T>(pr.m1, rng) : random_vec<T>(pr.m1, rng)});
    const auto x = random_array<T>(pr.x, rng);
    const index_t rows = pr.x[0], n = pr.x[1];
    std::vector<T> rev(x.v.size());  // row i of x at row rows - 1 - i
    for (index_t i = 0; i < rows; ++i)
      std::copy(x.v.begin() + i * n, x.v.begin() + (i + 1) * n, rev.begin() + (rows - 1 - i) * n);
    const View<const T> xrev(rev.data() + (rows - 1) * n, pr.x, Shape{-n, 1});
    Strided<T> xs(pr.x);
    xs.set(x);
    for (Boundary b : {Boundary::Reflect, Boundary::Constant, Boundary::Wrap, Boundary::Nearest, Boundary::Mirror}) {
      Spec s;
      s.style = 2;
      s.border.boundary = b;
      s.border.cval = b == Boundary::Constant ? 0.5 : 0.0;
      s.border.origin = std::vector<index_t>{pr.m0 / 3 - pr.m0 / 2, (pr.m1 - 1) / 2};  // moved: GCC 12 warns (-Wnonnull) on assigning a list
      check_layouts(s, x, k, 1, x.shape, {x.view(), xrev, View<const T>(xs.view)});
      if (pr.sym) CHECK(last_axis_folds(s, x.shape, k, 1) == autoconv::detail::separable_folding());
      Array<T> one(x.shape);
      autoconv::Options os;
      os.method = Method::Separable;
      // Outputs starting 1 and 3 values into a cache line, rows a whole number of lines
      // apart or not (the column chunks follow the line boundaries where they can): the
      // same numbers as into a contiguous output.
      os.threads = 1;
      call_view<T>(s, x.view(), k.view(), one.view(), os);
      for (index_t off : {1, 3})
        for (index_t pitch : {(n + 15) / 16 * 16, n + 5}) {
          std::vector<T> big(static_cast<std::size_t>(off + rows * pitch + 16), T(-9));
          const View<T> o(big.data() + off, pr.x, Shape{pitch, 1});
          os.threads = 1;
          call_view<T>(s, x.view(), k.view(), o, os);
          bool same = true;
          for (index_t i = 0; i < rows; ++i)
            same = same && std::memcmp(o.data() + i * pitch, one.v.data() + i * n, static_cast<std::size_t>(n) * sizeof(T)) == 0;
          CHECK_MESSAGE(same, describe(s, x.shape, k.shape), " out offset ", off, " pitch ", pitch);
          CHECK(big[0] == T(-9));
          CHECK(big[static_cast<std::size_t>(off + (rows - 1) * pitch + n)] == T(-9));
        }
    }
  }
}

TEST_CASE_TEMPLATE("3-D, a pass on every axis: planes read straight from the input", T, float, double) {
  // Each plane's axis-1 and last-axis passes run 16 rows at a time straight from the
  // input rows into the ring (plane_group), where the last axis is contiguous and a tile
  // is at least a vector wide; else the padded planes (pad). Cases: tile rows not a
  // multiple of 16 and several tiles along axis 1 (6 x 120 x 300), an axis-1 kernel
  // longer than 16 rows, kernels of 2 taps, a width of about a vector (float: narrower,
  // the padded planes), two terms (each term's passes into its own ring). Every boundary (Constant and Zero: planes and rows of
  // cval), rows in reverse order along axis 1, a strided last axis (the padded planes).
  // Against Method::Direct; 1 and 2 threads bit-identical.
  std::mt19937_64 rng(9090);
  struct P {
    Shape x;
    index_t m0, m1, m2;
    bool rank2 = false;
    bool sym = false;  // symmetric last-axis taps: folded where the build folds
  };
  const P problems[] = {{Shape{20, 37, 45}, 3, 5, 9},  {Shape{6, 120, 300}, 3, 5, 7}, {Shape{10, 50, 70}, 4, 21, 3},
                        {Shape{9, 33, 40}, 2, 2, 2},   {Shape{8, 20, 9}, 3, 4, 5},    {Shape{12, 30, 64}, 5, 6, 11, true},
                        {Shape{20, 37, 45}, 3, 5, 9, false, true}, {Shape{6, 40, 300}, 3, 5, 19, false, true},
                        {Shape{12, 30, 64}, 5, 6, 12, true, true}};
  for (const P& pr : problems) {
    const auto f2 = pr.sym ? symmetric_vec<T>(pr.m2, rng) : random_vec<T>(pr.m2, rng);
    Array<T> k = outer<T>({random_vec<T>(pr.m0, rng), random_vec<T>(pr.m1, rng), f2});
    // rank 2: a 2-D rank-2 kernel times f2 on axis 2 (a form the unfoldings factor)
    if (pr.rank2) add_to(k, outer<T>({random_vec<T>(pr.m0, rng), random_vec<T>(pr.m1, rng), f2}));
    const auto x = random_array<T>(pr.x, rng);
    const index_t n0 = pr.x[0], n1 = pr.x[1], n2 = pr.x[2];
    std::vector<T> rev(x.v.size());  // row (z, y) of x at row (z, n1 - 1 - y)
    for (index_t z = 0; z < n0; ++z)
      for (index_t y = 0; y < n1; ++y)
        std::copy(x.v.begin() + (z * n1 + y) * n2, x.v.begin() + (z * n1 + y + 1) * n2,
                  rev.begin() + (z * n1 + n1 - 1 - y) * n2);
    const View<const T> xrev(rev.data() + (n1 - 1) * n2, pr.x, Shape{n1 * n2, -n2, 1});
    Strided<T> xs(pr.x);
    xs.set(x);
    for (Boundary b : {Boundary::Reflect, Boundary::Constant, Boundary::Wrap, Boundary::Nearest, Boundary::Mirror}) {
      for (int style : {0, 2}) {
        if (style == 0 && b != Boundary::Constant) continue;  // signal style, Full: zero outside, once
        Spec s;
        s.style = style;
        s.mode = Mode::Full;
        if (style == 2) {
          s.border.boundary = b;
          s.border.cval = b == Boundary::Constant ? 0.5 : 0.0;
          s.border.origin = std::vector<index_t>{pr.m0 / 3 - pr.m0 / 2, (pr.m1 - 1) / 2, -(pr.m2 / 2)};
        }
        const Shape os_shape = style == 0 ? Shape{n0 + pr.m0 - 1, n1 + pr.m1 - 1, n2 + pr.m2 - 1} : x.shape;
        check_layouts(s, x, k, 2, os_shape, {x.view(), xrev, View<const T>(xs.view)});
        if (pr.sym) CHECK(last_axis_folds(s, x.shape, k, 2) == autoconv::detail::separable_folding());
      }
    }
  }
}
