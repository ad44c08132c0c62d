// test/test_fft.cpp: the FFT and OverlapAdd methods against the exact long-double
// reference (ranks 1-4, every mode, border, origin and value type, with and without
// Options::axes), non-finite inputs kept local, the memory budget, concurrency.
#include "calls.hpp"

#include <fstream>
#include <sstream>

using namespace testing;

namespace {

const autoconv::Method fft_methods[] = {autoconv::Method::FFT, autoconv::Method::OverlapAdd};

autoconv::Options with(autoconv::Method m, int threads = 1) {
  autoconv::Options o;
  o.method = m;
  o.threads = threads;
  return o;
}

}  // namespace

TEST_CASE_TEMPLATE("FFT and OverlapAdd match the exact reference on random problems", T, float, double,
                   std::complex<float>, std::complex<double>) {
  std::mt19937_64 rng(31337);
  int checked = 0;
  for (int trial = 0; trial < 160; ++trial) {
    const int r = 1 + trial % 4;
    const index_t nmax = r == 1 ? 300 : r == 2 ? 40 : r == 3 ? 14 : 7;
    std::vector<index_t> xv, kv;
    for (int a = 0; a < r; ++a) {
      xv.push_back(1 + static_cast<index_t>(rng() % static_cast<std::uint64_t>(nmax)));
      const index_t kmax = (trial % 5 == 0) ? xv.back() + 3 : std::max<index_t>(1, xv.back() / 2 + 1);
      kv.push_back(1 + static_cast<index_t>(rng() % static_cast<std::uint64_t>(kmax)));
    }
    const Shape xs(xv), ks(kv);
    const Spec s = random_spec(rng, ks, -0.75);
    if (s.style != 2 && s.mode == Mode::Valid && !valid_possible(xs, ks)) continue;
    const auto x = random_array<T>(xs, rng);
    const auto k = random_array<T>(ks, rng);
    Array<wide_t<T>> ref = s.style == 2 ? reference_image(s.correlate, x, k, to_ext(s.border.boundary), s.border.cval,
                                                          s.border.origin)
                                        : reference_signal(s.correlate, x, k, s.mode,
                                                           s.style == 1 ? to_ext(s.border.boundary) : Ext::Zero,
                                                           s.border.cval);
    const double atol = fft_bound(x, k, s.border.cval);
    for (auto m : fft_methods) {
      Array<T> out(ref.shape);
      call_view<T>(s, x.view(), k.view(), out.view(), with(m, 1 + trial % 2));
      CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= atol, type_name<T>(), " ", autoconv::to_string(m), " ",
                    describe(s, xs, ks));
    }
    ++checked;
  }
  CHECK(checked > 100);
}

TEST_CASE_TEMPLATE("Options::axes batches the other axes, for every method", T, double, std::complex<float>) {
  std::mt19937_64 rng(8);
  // 6 channels x 500 samples, a 1-D kernel along axis 1; a stack of 3 images along axis 0.
  struct P {
    Shape x, k;
    std::vector<int> axes;
  };
  for (const P& p : {P{Shape{6, 500}, Shape{1, 31}, {1}}, P{Shape{3, 20, 24}, Shape{1, 5, 4}, {1, 2}},
                     P{Shape{40, 5}, Shape{7, 1}, {0}},
                     // The kernel longer than the input on the listed axis, shorter on the
                     // other: 'valid' swaps the operands there (scipy would refuse the 2-D call).
                     P{Shape{6, 3}, Shape{1, 5}, {1}}}) {
    const auto x = random_array<T>(p.x, rng);
    const auto k = random_array<T>(p.k, rng);
    for (int style = 0; style < 3; ++style) {
      Spec s;
      s.style = style;
      s.mode = Mode::Valid;  // the swap rule looks at the listed axes only
      s.border = Border{Boundary::Reflect, 0.0, {}};
      const auto ref = style == 2 ? reference_image(false, x, k, Ext::Reflect, 0.0, {})
                                  : reference_signal(false, x, k, Mode::Valid, style == 1 ? Ext::Reflect : Ext::Zero);
      for (auto m : {autoconv::Method::Direct, autoconv::Method::FFT, autoconv::Method::OverlapAdd}) {
        auto o = with(m);
        for (int a : p.axes) o.axes.push_back(a);  // (a vector copy trips GCC 12 -Wnonnull here)
        Array<T> out(ref.shape);
        call_view<T>(s, x.view(), k.view(), out.view(), o);
        CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= fft_bound(x, k), autoconv::to_string(m), " ",
                      describe(s, p.x, p.k));
      }
    }
  }
  // A kernel wider than 1 on an axis outside Options::axes is refused.
  const auto x = random_array<T>(Shape{4, 9}, rng);
  const auto k = random_array<T>(Shape{2, 3}, rng);
  Array<T> out(Shape{4, 9});
  auto o = with(autoconv::Method::FFT);
  o.axes = {1};
  CHECK_THROWS_WITH_AS(autoconv::convolve<T>(x.view(), k.view(), Mode::Same, out.view(), o),
                       doctest::Contains("extent 2 on axis 0, which is not in Options::axes"), autoconv::error);
  o.axes = {1, 1};
  CHECK_THROWS_WITH_AS(autoconv::convolve<T>(x.view(), k.view(), Mode::Same, out.view(), o),
                       doctest::Contains("names axis 1 twice"), autoconv::error);
  o.axes = {2};
  CHECK_THROWS_WITH_AS(autoconv::convolve<T>(x.view(), k.view(), Mode::Same, out.view(), o),
                       doctest::Contains("names axis 2, outside [0, 2)"), autoconv::error);
  // An origin per axis must be 0 on an axis that is not convolved; the output is untouched.
  const auto k1 = random_array<T>(Shape{1, 3}, rng);
  o.axes = {1};
  for (auto& v : out.v) v = T(-7);
  CHECK_THROWS_WITH_AS(autoconv::convolve<T>(x.view(), k1.view(), Border{Boundary::Reflect, 0.0, {1, 1}}, out.view(), o),
                       doctest::Contains("origin 1 on axis 0, which is not in Options::axes; it must be 0 there "
                                         "(input (4, 9), kernel (1, 3))"),
                       autoconv::error);
  CHECK(std::all_of(out.v.begin(), out.v.end(), [](const T& v) { return v == T(-7); }));
}

TEST_CASE_TEMPLATE("non-finite inputs stay inside the kernel's footprint for every method", T, float, double,
                   std::complex<double>) {
  std::mt19937_64 rng(99);
  for (const auto& [xs, ks] : {std::pair{Shape{400}, Shape{9}}, std::pair{Shape{40, 33}, Shape{5, 4}},
                               std::pair{Shape{12, 11, 10}, Shape{3, 4, 3}}}) {
    auto x = random_array<T>(xs, rng);
    const auto k = random_array<T>(ks, rng);
    // A few NaN and Inf samples at random places, one at a corner (so reflections matter).
    x.v[0] = T(std::numeric_limits<real_t<T>>::quiet_NaN());
    for (int i = 0; i < 3; ++i) x.v[rng() % x.v.size()] = T(std::numeric_limits<real_t<T>>::infinity());
    x.v[rng() % x.v.size()] = T(std::numeric_limits<real_t<T>>::quiet_NaN());
    if constexpr (is_complex_v<T>) {  // non-finite imaginary parts count too
      using R = real_t<T>;
      x.v[rng() % x.v.size()] = T(R(0), std::numeric_limits<R>::quiet_NaN());
      x.v[rng() % x.v.size()] = T(R(1), -std::numeric_limits<R>::infinity());
    }
    // The finite/non-finite pattern is the long-double reference's, Direct's too; an
    // infinite cval makes every output that reads the extension non-finite. 1e300 is
    // finite as a double but infinite once cast to float, as the samples are: for float
    // it must act as an infinite cval (the FFT engines once tested the double).
    const double inf = std::numeric_limits<double>::infinity();
    for (auto [b, given] : {std::pair{Boundary::Reflect, 0.5}, std::pair{Boundary::Constant, 0.5},
                            std::pair{Boundary::Wrap, 0.5}, std::pair{Boundary::Constant, inf},
                            std::pair{Boundary::Constant, 1e300}}) {
      const Border border{b, given, {}};
      const double cval = static_cast<double>(static_cast<real_t<T>>(given));  // as the samples see it
      const auto ref = reference_image(false, x, k, to_ext(b), cval, {});
      for (auto m : {autoconv::Method::Direct, autoconv::Method::FFT, autoconv::Method::OverlapAdd}) {
        Array<T> out(xs);
        autoconv::convolve<T>(x.view(), k.view(), border, out.view(), with(m));
        std::size_t mismatched = 0, nonfinite = 0;
        double worst = 0;
        for (std::size_t i = 0; i < out.v.size(); ++i) {
          const bool fr = std::isfinite(std::abs(ref.v[i])), fo = std::isfinite(std::abs(out.v[i]));
          if (fr != fo) ++mismatched;
          if (!fr) ++nonfinite;
          if (fr && fo) worst = std::max(worst, static_cast<double>(std::abs(wide_t<T>(out.v[i]) - ref.v[i])));
        }
        const std::string what = std::string(autoconv::to_string(m)) + " x" + xs.str() + " " +
                                 autoconv::to_string(b) + " cval " + std::to_string(given);
        CHECK_MESSAGE(mismatched == 0, what);
        CHECK(nonfinite > 0);
        if (cval != inf) CHECK_MESSAGE(nonfinite < out.v.size() / 2, what);  // local, not everywhere
        else CHECK_MESSAGE(nonfinite < out.v.size(), what);  // the middle reads no extension
        CHECK_MESSAGE(worst <= fft_bound(x, k, cval == inf ? 0.0 : cval), what);
      }
    }
  }
}

TEST_CASE("no transform is planned longer than fft::max_length: FFT refuses, OverlapAdd takes several blocks") {
  // 2^31 samples: a single transform of 2^31 + 2 points would overflow FFTW's int lengths.
  const index_t n = index_t(1) << 31;
  std::vector<double> k(3, 1.0);
  auto o = with(autoconv::Method::FFT);
  o.memory_limit = std::size_t(1) << 62;  // not the limit that refuses it
  CHECK_THROWS_WITH_AS(autoconv::Plan<double>(autoconv::Operation::Convolve, Shape{n},
                                              autoconv::View<const double>(k.data(), Shape{3}), Mode::Same, o),
                       doctest::Contains("autoconv::convolve: Method::FFT would need a transform of 2147483650 points "
                                         "along axis 0 (input (2147483648,), kernel (3,)), above the longest planned, "
                                         "1073741824"),
                       autoconv::error);
  const auto d = autoconv::explain<double>(Shape{n}, Shape{3}, Mode::Same, o);
  REQUIRE(d.candidates.size() == 4);
  CHECK(d.candidates[1].method == autoconv::Method::FFT);
  CHECK_FALSE(d.candidates[1].feasible);
  CHECK(d.candidates[2].method == autoconv::Method::OverlapAdd);
  CHECK(d.candidates[2].feasible);  // blocks of at most 2^30 points
}

TEST_CASE("a forced FFT above the memory limit fails before allocating; OverlapAdd fits by shrinking blocks") {
  std::mt19937_64 rng(4);
  const auto x = random_array<double>(Shape{300, 300}, rng);
  const auto k = random_array<double>(Shape{9, 9}, rng);
  Array<double> out(x.shape);
  for (auto& v : out.v) v = -7;
  auto o = with(autoconv::Method::FFT);
  o.memory_limit = 256 * 1024;  // the 320 x 320 transform needs ~1.6 MiB
  CHECK_THROWS_WITH_AS(autoconv::convolve<double>(x.view(), k.view(), Mode::Same, out.view(), o),
                       doctest::Contains("Method::FFT needs"), autoconv::error);
  CHECK(std::all_of(out.v.begin(), out.v.end(), [](double v) { return v == -7; }));
  o.method = autoconv::Method::OverlapAdd;
  autoconv::convolve<double>(x.view(), k.view(), Mode::Same, out.view(), o);
  const auto ref = reference_signal(false, x, k, Mode::Same);
  CHECK(max_abs_diff<double>(out.view(), ref) <= fft_bound(x, k));
  o.memory_limit = 1024;  // not even one block
  CHECK_THROWS_WITH_AS(autoconv::convolve<double>(x.view(), k.view(), Mode::Same, out.view(), o),
                       doctest::Contains("Method::OverlapAdd needs at least"), autoconv::error);
}

TEST_CASE("the FFT methods' memory: explain's bytes are what the limit must allow, at any thread count") {
  // The engines check a buffer per block run at once, as many as run() runs and the
  // cost model prices (it had checked one per thread asked for: at 2 threads a plan
  // given explain's bytes as its limit was refused).
  std::mt19937_64 rng(31);
  const std::pair<Shape, Shape> cases[] = {{Shape{300, 300}, Shape{21, 21}}, {Shape{24, 2, 20}, Shape{11, 1, 5}},
                                           {Shape{400000}, Shape{3001}}, {Shape{61, 107}, Shape{9, 24}}};
  int checked = 0;
  for (const auto& [xs, ks] : cases)
    for (int threads : {1, 2})
      for (auto m : {autoconv::Method::FFT, autoconv::Method::OverlapAdd}) {
        const auto x = random_array<double>(xs, rng);
        const auto k = random_array<double>(ks, rng);
        auto o = with(m);
        o.threads = threads;
        const auto d = autoconv::explain<double>(x.view(), k.view(), Mode::Same, o);
        for (const auto& c : d.candidates) {
          if (c.method != m || !c.feasible || c.detail.find("at least") != std::string::npos) continue;
          const std::string what = xs.str() + " " + ks.str() + " " + autoconv::to_string(m) + " threads " +
                                   std::to_string(threads) + ", explain " + std::to_string(c.bytes);
          o.memory_limit = c.bytes;
          CHECK_NOTHROW_MESSAGE(autoconv::Plan<double>(autoconv::Operation::Convolve, xs, k.view(), Mode::Same, o),
                                what);
          ++checked;
        }
      }
  CHECK(checked >= 8);
  // Below what OverlapAdd's smallest blocks need on 2 threads, the error gives both figures.
  const auto x = random_array<double>(Shape{4000000}, rng);
  const auto k = random_array<double>(Shape{3001}, rng);
  auto o = with(autoconv::Method::OverlapAdd);
  o.threads = 2;
  o.memory_limit = 120000;  // one transform buffer and the spectrum: 96 KiB; two: 144 KiB
  CHECK_THROWS_WITH_AS(autoconv::Plan<double>(autoconv::Operation::Convolve, x.shape, k.view(), Mode::Same, o),
                       doctest::Contains("needs at least 144 KiB of working memory for kernel (3001,) on 2 threads "
                                         "(a transform buffer each; 96 KiB on 1 thread)"),
                       autoconv::error);
  o.threads = 1;
  CHECK_NOTHROW(autoconv::Plan<double>(autoconv::Operation::Convolve, x.shape, k.view(), Mode::Same, o));
}

TEST_CASE("concurrency: one-shot FFT calls of many shapes and shared plans from 8 threads") {
  std::vector<std::thread> pool;
  std::atomic<int> failures{0}, calls{0};
  const Shape shared_shape{64, 48};
  std::mt19937_64 rng0(1);
  const auto shared_k = random_array<double>(Shape{7, 5}, rng0);
  const autoconv::Plan<double> shared(autoconv::Operation::Convolve, shared_shape, shared_k.view(),
                                      Border{Boundary::Mirror}, with(autoconv::Method::OverlapAdd));
  for (int t = 0; t < 16; ++t)
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(100 + static_cast<std::uint64_t>(t));
      for (int i = 0; i < 200; ++i) {
        if (t < 8) {  // one-shot calls, a new shape each time
          const Shape xs{8 + static_cast<index_t>(rng() % 40), 5 + static_cast<index_t>(rng() % 30)};
          const Shape ks{1 + static_cast<index_t>(rng() % 6), 1 + static_cast<index_t>(rng() % 6)};
          const auto x = random_array<double>(xs, rng);
          const auto k = random_array<double>(ks, rng);
          Array<double> out(xs);
          const autoconv::Method ms[] = {autoconv::Method::Direct, autoconv::Method::FFT, autoconv::Method::OverlapAdd};
          autoconv::convolve<double>(x.view(), k.view(), Mode::Same, out.view(), with(ms[i % 3]));
          const auto ref = reference_signal(false, x, k, Mode::Same);
          if (!(max_abs_diff<double>(out.view(), ref) <= fft_bound(x, k))) ++failures;
        } else {  // the shared plan
          const auto x = random_array<double>(shared_shape, rng);
          Array<double> out(shared_shape);
          shared.execute(x.view(), out.view());
          const auto ref = reference_image(false, x, shared_k, Ext::Mirror, 0.0, {});
          if (!(max_abs_diff<double>(out.view(), ref) <= fft_bound(x, shared_k))) ++failures;
        }
        ++calls;
      }
    });
  for (auto& th : pool) th.join();
  CHECK(calls.load() == 16 * 200);
  CHECK(failures.load() == 0);
}

TEST_CASE("a plan whose transform gathers columns: executed from 6 threads at once, the same numbers") {
  // Planning::Estimate, real 20 x 2100 FFT: its axis-0 steps gather columns into a
  // scratch per worker, leased by each call (a scratch held by the plan was shared by
  // concurrent calls). Each thread executes the plan on its own input, 2 workers per
  // call, 20 times; every result equals that input's serial result bit for bit.
  std::mt19937_64 rng(606);
  const Shape xs{20, 2100};
  const auto k = random_array<double>(Shape{5, 9}, rng);
  autoconv::Options o = with(autoconv::Method::FFT, 2);
  o.planning = autoconv::Planning::Estimate;
  const autoconv::Plan<double> plan(autoconv::Operation::Convolve, xs, k.view(), Mode::Same, o);
  std::vector<Array<double>> x, want;
  for (int t = 0; t < 6; ++t) {
    x.push_back(random_array<double>(xs, rng));
    want.emplace_back(xs);
    plan.execute(x.back().view(), want.back().view());
  }
  CHECK(max_abs_diff<double>(want[0].view(), reference_signal(false, x[0], k, Mode::Same)) <= fft_bound(x[0], k));
  std::atomic<int> differ{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 6; ++t)
    pool.emplace_back([&, t] {
      Array<double> out(xs);
      for (int i = 0; i < 20; ++i) {
        plan.execute(x[static_cast<std::size_t>(t)].view(), out.view());
        if (std::memcmp(out.v.data(), want[static_cast<std::size_t>(t)].v.data(), out.v.size() * sizeof(double)) != 0)
          ++differ;
      }
    });
  for (auto& th : pool) th.join();
  CHECK(differ.load() == 0);
}

TEST_CASE_TEMPLATE("the kernel's spectrum skips its rows and blocks of zeros: 2-D to 4-D, odd row offsets in float",
                   T, float, double) {
  // A Plan transforms the kernel by the shared steps, transforming only the rows and
  // outer blocks that hold kernel values (FftEngine::kernel_forward). 5 x 5 x 2100 full
  // with 3 x 3 x 9 is transformed as 7 x 7 x 2160 (spectrum rows of 1081 complex
  // values): under Estimate every c2c step gathers, and in float a run of rows starting
  // at an odd row would not be 16-byte aligned, so every row is transformed instead.
  // 2 x 9 x 30 with 2 x 3 x 5 (3 x 12 x 36) on 4 threads splits each block's columns
  // between the workers. The others: kernels small against the transform, rows pruned,
  // the gathered middle axis (6 x 5 x 2100, Estimate) and a 4-D transform. 8 x 5 x 6
  // with 3 x 3 x 3 (10 x 7 x 8): in float the axis-1 blocks start at odd offsets, the
  // steps cannot be split and one FFTW plan transforms (fft_shared_steps); in double
  // its live blocks (the first 3 of 10) are shared between the workers.
  std::mt19937_64 rng(77);
  const std::pair<Shape, Shape> cases[] = {{Shape{5, 5, 2100}, Shape{3, 3, 9}},
                                           {Shape{6, 5, 14}, Shape{3, 3, 7}},
                                           {Shape{2, 9, 30}, Shape{2, 3, 5}},
                                           {Shape{30, 41}, Shape{5, 9}},
                                           {Shape{12, 20, 16}, Shape{3, 5, 4}},
                                           {Shape{6, 5, 2100}, Shape{3, 2, 9}},
                                           {Shape{5, 6, 7, 8}, Shape{2, 3, 2, 3}},
                                           {Shape{8, 5, 6}, Shape{3, 3, 3}}};
  for (const auto& [xs, ks] : cases)
    for (auto planning : {autoconv::Planning::Estimate, autoconv::Planning::Measure})
      for (int threads : {1, 2, 4}) {
        if (planning == autoconv::Planning::Measure && xs[xs.rank() - 1] > 1000) continue;  // planning time
        const auto x = random_array<T>(xs, rng);
        const auto k = random_array<T>(ks, rng);
        autoconv::Options o = with(autoconv::Method::FFT, threads);
        o.planning = planning;
        const auto ref = reference_signal(false, x, k, Mode::Full);
        Array<T> out(ref.shape);
        const autoconv::Plan<T> plan(autoconv::Operation::Convolve, xs, k.view(), Mode::Full, o);
        plan.execute(x.view(), out.view());
        CHECK_MESSAGE(max_abs_diff<T>(out.view(), ref) <= fft_bound(x, k), "x ", xs.str(), " k ", ks.str(),
                      " threads ", threads);
      }
}

TEST_CASE("wisdom round-trips through a file") {
  const std::string path = "autoconv_test_wisdom.txt";
  std::mt19937_64 rng(2);
  const auto x = random_array<float>(Shape{100}, rng);
  const auto k = random_array<float>(Shape{7}, rng);
  Array<float> out(x.shape);
  auto o = with(autoconv::Method::FFT);
  o.planning = autoconv::Planning::Measure;  // measured plans are what wisdom records
  autoconv::convolve<float>(x.view(), k.view(), Mode::Same, out.view(), o);
  CHECK(autoconv::save_wisdom(path));
  std::string text;
  {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  }
  // Both precisions' wisdom, each in FFTW's own format, the single-precision one not empty.
  CHECK(text.find("(fftw-3") == 0);
  const std::size_t single = text.find("fftwf_wisdom");
  REQUIRE(single != std::string::npos);
  CHECK(text.find("(fftwf_", single) != std::string::npos);  // at least one solver entry
  CHECK(autoconv::load_wisdom(path));
  CHECK_FALSE(autoconv::load_wisdom("/nonexistent/autoconv-wisdom"));
  {
    std::ofstream f(path, std::ios::trunc);
    f << "not wisdom\n";
  }
  CHECK_FALSE(autoconv::load_wisdom(path));
  std::remove(path.c_str());
}

namespace {
struct CountingLock {
  std::mutex m;
  std::atomic<int> locks{0};
};
void counting_lock(void* p) {
  auto* c = static_cast<CountingLock*>(p);
  c->m.lock();
  ++c->locks;
}
void counting_unlock(void* p) { static_cast<CountingLock*>(p)->m.unlock(); }
}  // namespace

TEST_CASE("a program's own FFTW lock is used for planning, and can be removed again") {
  CountingLock lock;
  autoconv::set_fftw_lock(counting_lock, counting_unlock, &lock);
  std::mt19937_64 rng(12);
  const auto x = random_array<double>(Shape{3 * 7 * 11 + 1}, rng);  // a shape no other test plans
  const auto k = random_array<double>(Shape{5}, rng);
  Array<double> out(x.shape);
  autoconv::convolve<double>(x.view(), k.view(), Mode::Same, out.view(), with(autoconv::Method::FFT));
  const int taken = lock.locks.load();
  autoconv::set_fftw_lock(nullptr, nullptr, nullptr);
  CHECK(taken > 0);
  CHECK(max_abs_diff<double>(out.view(), reference_signal(false, x, k, Mode::Same)) <= fft_bound(x, k));
  CHECK_THROWS_AS(autoconv::set_fftw_lock(counting_lock, nullptr, &lock), autoconv::error);
}

TEST_CASE_TEMPLATE("FFT and OverlapAdd stay within the bound of the exact result with 1, 2, 3 and 7 threads", T, float, double,
                   std::complex<float>) {
  // FFT: one unit (a transform split between the threads for rank >= 2) or one per
  // batch slice; OverlapAdd: blocks over the threads. NaN included. Real 20 x 2100,
  // 22 x 40 x 70 and 6 x 5 x 2100 (FFT): an axis's stride is over 1024 complex values, so
  // its one-shot (FFTW_ESTIMATE) steps gather 16 columns at a time into a scratch; in
  // the last, axis 1 gathers in 6 blocks (and axis 0 in one), and 2100's last group is
  // shorter (mutation-checked: a row not copied back, the last group run with the full
  // group's plan, each failed here).
  std::mt19937_64 rng(21);
  for (const auto& [xs, ks] : {std::pair{Shape{100000}, Shape{31}}, std::pair{Shape{260, 300}, Shape{9, 7}},
                               std::pair{Shape{41, 36, 30}, Shape{5, 4, 3}}, std::pair{Shape{3, 33, 29}, Shape{1, 6, 5}},
                               std::pair{Shape{20, 2100}, Shape{5, 9}}, std::pair{Shape{22, 40, 70}, Shape{3, 4, 5}},
                               std::pair{Shape{6, 5, 2100}, Shape{3, 3, 5}}}) {
    auto x = random_array<T>(xs, rng);
    const auto k = random_array<T>(ks, rng);
    for (int with_nan = 0; with_nan < 2; ++with_nan) {
      if (with_nan) x.v[x.v.size() / 3] = T(std::numeric_limits<real_t<T>>::quiet_NaN());
      const auto ref = reference_signal(false, x, k, Mode::Same);
      std::size_t ref_nonfinite = 0;
      for (const auto& v : ref.v) ref_nonfinite += !std::isfinite(static_cast<double>(std::abs(v)));
      for (int t : {1, 2, 3, 7}) {
        for (auto m : fft_methods) {
          Array<T> out(xs);
          autoconv::convolve<T>(x.view(), k.view(), Mode::Same, out.view(), with(m, t));
          std::size_t nonfinite = 0;
          double worst = 0;
          for (std::size_t i = 0; i < out.v.size(); ++i) {
            if (!std::isfinite(std::abs(out.v[i]))) {
              ++nonfinite;
              continue;
            }
            worst = std::max(worst, static_cast<double>(std::abs(wide_t<T>(out.v[i]) - ref.v[i])));
          }
          CHECK_MESSAGE(nonfinite == ref_nonfinite, autoconv::to_string(m), " threads=", t, " x", xs.str());
          CHECK_MESSAGE(worst <= fft_bound(x, k), autoconv::to_string(m), " threads=", t, " x", xs.str());
        }
      }
    }
  }
}

TEST_CASE("thread counts above the 256-worker cap are capped, for every method and the shared-transform path") {
  // A real 2-D FFT is one transform shared by the threads (per-worker state up to 256).
  std::mt19937_64 rng(23);
  const auto x = random_array<double>(Shape{16, 16}, rng);
  const auto k = random_array<double>(Shape{3, 3}, rng);
  const auto ref = reference_signal(false, x, k, Mode::Same);
  for (int t : {256, 257, 1000, std::numeric_limits<int>::max()}) {
    for (auto m : {autoconv::Method::Direct, autoconv::Method::FFT, autoconv::Method::OverlapAdd,
                   autoconv::Method::Auto}) {
      Array<double> out(x.shape);
      autoconv::convolve<double>(x.view(), k.view(), Mode::Same, out.view(), with(m, t));
      CHECK_MESSAGE(max_abs_diff<double>(out.view(), ref) <= fft_bound(x, k), autoconv::to_string(m), " threads=", t);
    }
    autoconv::Options o;
    o.threads = t;
    const auto d = autoconv::explain<double>(Shape{16, 16}, Shape{3, 3}, Mode::Same, o);
#ifdef _OPENMP
    const std::string want = "  256 threads";
#else
    const std::string want = "  1 thread";  // a build without OpenMP runs on the calling thread
#endif
    const bool named = d.problem.find(want) != std::string::npos;
    CHECK_MESSAGE(named, d.problem);
  }
}

#ifdef _OPENMP
#include <omp.h>

#include "parallel/slices.hpp"

TEST_CASE("called from inside the user's own OpenMP parallel region: correct, and single-threaded") {
  std::mt19937_64 rng(77);
  const auto k = random_array<double>(Shape{5, 5}, rng);
  std::vector<Array<double>> xs, outs;
  for (int t = 0; t < 4; ++t) {
    xs.push_back(random_array<double>(Shape{120, 100}, rng));
    outs.emplace_back(Shape{120, 100});
  }
  std::atomic<int> inner_threads{0};
#pragma omp parallel num_threads(4)
  {
    const int t = omp_get_thread_num();
    // What every engine asks the slice driver for: one thread inside a parallel region.
    inner_threads += autoconv::detail::max_threads(0);
    autoconv::Options o;
    o.method = t % 2 ? autoconv::Method::FFT : autoconv::Method::Direct;  // threads = 0: OpenMP's default
    autoconv::convolve<double>(xs[static_cast<std::size_t>(t)].view(), k.view(), Border{Boundary::Wrap},
                               outs[static_cast<std::size_t>(t)].view(), o);
  }
  CHECK(inner_threads.load() == 4);  // 1 per calling thread
  for (std::size_t t = 0; t < 4; ++t) {
    const auto ref = reference_image(false, xs[t], k, Ext::Wrap, 0.0, {});
    CHECK(max_abs_diff<double>(outs[t].view(), ref) <= fft_bound(xs[t], k));
  }
}
#endif
