// test/test_cost.cpp: the cost model on its own (a pure function of problem and
// profile): crossovers move the right way with kernel size, signal size and threads;
// the memory limit and non-finite input change the decision as documented; profiles
// parse, print and load from $AUTOCONV_PROFILE (set by test/meson.build).
#include "common.hpp"

#include <complex>
#include <cstdlib>
#include <sstream>

#include "cost/model.hpp"

namespace {

using autoconv::Method;
using autoconv::Shape;
using autoconv::index_t;
using autoconv::Mode;
using autoconv::Options;
namespace cost = autoconv::detail::cost;

cost::Request request(const Shape& in, const Shape& k, int threads, bool one_shot = true, std::size_t limit = 0,
                      Mode mode = Mode::Same) {
  Options o;
  o.threads = threads;
  o.memory_limit = limit;
  o.planning = one_shot ? autoconv::Planning::Estimate : autoconv::Planning::Measure;
  cost::Request r = cost::make_request<double>(
      autoconv::detail::make_problem(autoconv::Operation::Convolve, in, k, mode), o);
  r.workers = threads;  // exact, whatever OpenMP's default on this machine
  return r;
}

Method choice(const cost::Request& r, const cost::Profile& p = cost::builtin_profile()) {
  return cost::decide(r, p).method;
}

bool is_fft(Method m) { return m == Method::FFT || m == Method::OverlapAdd; }

// Both built-in constant tables, whatever CPU runs the test (the running one is
// cost::builtin_profile()).
std::vector<cost::Profile> builtin_tables() {
  std::vector<cost::Profile> v;
  for (auto m : cost::builtin_machines) v.push_back(cost::builtin_profile(m));
  return v;
}

const autoconv::Candidate& cand(const autoconv::Decision& d, Method m) {
  for (const auto& c : d.candidates)
    if (c.method == m) return c;
  throw std::runtime_error("no candidate");
}

}  // namespace

TEST_CASE("kernel size: Direct for small kernels, an FFT method for large ones, switching once") {
  // 1-D, 2-D and 3-D: as the kernel grows the choice leaves Direct once and never returns,
  // and Direct's predicted time grows with the taps.
  const std::vector<std::pair<Shape, std::vector<Shape>>> series = {
      {Shape{1000000}, {Shape{3}, Shape{11}, Shape{31}, Shape{101}, Shape{301}, Shape{1001}, Shape{3001}, Shape{10001}}},
      {Shape{1024, 1024}, {Shape{3, 3}, Shape{5, 5}, Shape{9, 9}, Shape{15, 15}, Shape{31, 31}, Shape{65, 65}}},
      {Shape{128, 128, 128}, {Shape{3, 3, 3}, Shape{5, 5, 5}, Shape{9, 9, 9}, Shape{17, 17, 17}, Shape{33, 33, 33}}},
  };
  for (const auto& p : builtin_tables())
    for (int threads : {1, 2, 8}) {
      for (const auto& [in, ks] : series) {
        CAPTURE(p.source);
        CAPTURE(in.str());
        CAPTURE(threads);
        bool left_direct = false;
        double prev_direct = 0;
        for (const Shape& k : ks) {
          CAPTURE(k.str());
          const cost::Request r = request(in, k, threads);
          const Method m = choice(r, p);
          if (left_direct) CHECK(is_fft(m));
          left_direct = left_direct || m != Method::Direct;
          if (threads == 1) {  // with more threads, more work can also mean more threads
            const double t = cost::predict(r, Method::Direct, p).seconds;
            CHECK(t > prev_direct);
            prev_direct = t;
          }
        }
        CHECK(choice(request(in, ks.front(), threads), p) == Method::Direct);
        CHECK(is_fft(choice(request(in, ks.back(), threads), p)));
      }
    }
}

TEST_CASE("signal size: long signals with a mid-size kernel go to overlap-add, short ones to one FFT or Direct") {
  for (const auto& p : builtin_tables()) {
    CAPTURE(p.source);
    // k = 1001: one transform covers a short signal (FFT and OverlapAdd are the same
    // single block, or Direct wins); for 1e7 samples blocks in cache beat the single
    // 1e7-point transform (measured here: 132 vs 162 ms).
    const auto longr = request(Shape{10000000}, Shape{1001}, 1);
    CHECK(choice(longr, p) == Method::OverlapAdd);
    CHECK(cost::predict(longr, Method::OverlapAdd, p).seconds < cost::predict(longr, Method::FFT, p).seconds);
    // Growing the signal at a fixed kernel never makes Direct relatively cheaper than
    // the best FFT method by more than the log factor allows: the Direct/FFT ratio grows
    // with n until blocks take over, then stays flat.
    double prev_ratio = 0;
    for (index_t n : {4000, 40000, 400000, 4000000}) {
      const auto r = request(Shape{n}, Shape{1001}, 1);
      const double ratio = cost::predict(r, Method::Direct, p).seconds /
                           std::min(cost::predict(r, Method::FFT, p).seconds, cost::predict(r, Method::OverlapAdd, p).seconds);
      CAPTURE(n);
      CHECK(ratio > 0.8 * prev_ratio);
      prev_ratio = std::max(prev_ratio, ratio);
    }
    // A tiny problem: the fixed cost of an FFT call keeps Direct.
    CHECK(choice(request(Shape{2000}, Shape{101}, 1), p) == Method::Direct);
  }
}

TEST_CASE("threads: Direct shares its slabs, a single 1-D transform does not, so Direct wins up to larger kernels") {
  // The smallest kernel for which an FFT method wins, on a 1e6-point signal with
  // forced single FFT (no blocks to share): more threads move it up.
  for (const auto& p : builtin_tables()) {
    CAPTURE(p.source);
    auto crossover = [&](int threads) {
      for (index_t k = 3; k < 100000; k = k * 5 / 4 + 1) {
        const auto r = request(Shape{1000000}, Shape{k}, threads);
        if (cost::predict(r, Method::FFT, p).seconds < cost::predict(r, Method::Direct, p).seconds) return k;
      }
      return index_t(100000);
    };
    const index_t k1 = crossover(1), k2 = crossover(2), k8 = crossover(8);
    CHECK(k1 < k2);
    CHECK(k2 < k8);
    // With 2 threads the predicted Direct time is about half of one thread's.
    const double t1 = cost::predict(request(Shape{2048, 2048}, Shape{7, 7}, 1), Method::Direct, p).seconds;
    const double t2 = cost::predict(request(Shape{2048, 2048}, Shape{7, 7}, 2), Method::Direct, p).seconds;
    CHECK(t2 < 0.6 * t1);
    CHECK(t2 > 0.45 * t1);
  }
}

TEST_CASE("one real transform: priced on the threads only where the engine can split its steps") {
  // 8 x 5 x 6 full with 3 x 3 x 3 is transformed as 10 x 7 x 8 (a spectrum of 10 x 7 x 5
  // complex values). The axis-1 step's blocks of 7 x 5 complex values start at odd
  // offsets; in float FFTW's 16-byte alignment rules out splitting them between workers,
  // so one FFTW plan runs the transform on one thread (fft_shared_steps), and the model
  // says so. In double the steps split. 5 x 5 x 2100 with 3 x 3 x 9 (7 x 7 x 2160, rows
  // of 1081 complex values): under Estimate (one-shot) the axis-1 step gathers its
  // columns and splits in float too; under Measure (a reused plan) it would split each
  // block's odd 7 x 1081 columns, and runs on one thread.
  for (bool one_shot : {false, true}) {
    auto detail = [&](auto zero, const Shape& xs, const Shape& ks) {
      using T = decltype(zero);
      Options o;
      o.threads = 2;
      o.planning = one_shot ? autoconv::Planning::Estimate : autoconv::Planning::Measure;
      cost::Request r = cost::make_request<T>(
          autoconv::detail::make_problem(autoconv::Operation::Convolve, xs, ks, Mode::Full), o);
      r.workers = 2;
      return cost::predict(r, Method::FFT, cost::builtin_profile()).detail;
    };
    const std::string f = detail(0.0f, Shape{8, 5, 6}, Shape{3, 3, 3}), d = detail(0.0, Shape{8, 5, 6}, Shape{3, 3, 3});
    const std::string g = detail(0.0f, Shape{5, 5, 2100}, Shape{3, 3, 9});
    CAPTURE(f);
    CAPTURE(d);
    CAPTURE(g);
    CHECK(f.find("transform 10x7x8, 1 block, 1 thread") != std::string::npos);
    CHECK(d.find("transform 10x7x8, 1 block, 2 threads") != std::string::npos);
    CHECK(g.find(one_shot ? "transform 7x7x2160, 1 block, 2 threads" : "transform 7x7x2160, 1 block, 1 thread") !=
          std::string::npos);
  }
}

TEST_CASE("built-in constants: the running CPU's, both named, neither a profile path") {
  // Zen 4 (AMD family 19h with AVX-512) gets its own measured constants; every other CPU
  // the reference machine's. Their direct multiply-add rates differ by about 2x (one
  // 512-bit FMA a cycle against two), the FFT unit by much less.
  const auto ref = cost::builtin_profile(cost::BuiltinMachine::Reference);
  const auto zen4 = cost::builtin_profile(cost::BuiltinMachine::Zen4);
  CHECK(ref.source == "built-in");
  CHECK(zen4.source == "built-in (AMD Zen 4)");
  CHECK(zen4.direct_tap[1] > 1.5 * ref.direct_tap[1]);
  CHECK(zen4.fft_unit[1] < 1.2 * ref.fft_unit[1]);
  CHECK(cost::builtin_profile().source == cost::builtin_profile(cost::running_machine()).source);
  // This registration sees no profile file ($XDG_CONFIG_HOME and $HOME point at an empty
  // folder): decisions name the running CPU's built-in constants, and no path.
  CHECK(autoconv::profile_path().empty());
  CHECK(autoconv::explain<double>(Shape{64}, Shape{3}, Mode::Same).profile == cost::builtin_profile().source);
  // Keys a profile file leaves out take the running CPU's built-in values.
  const auto filled = cost::parse_profile("fft_unit_ns.double = 0.3\n", "partial");
  CHECK(filled.direct_tap[1] == cost::builtin_profile().direct_tap[1]);
  CHECK(filled.fft_unit[1] == doctest::Approx(0.3e-9));
}

TEST_CASE("the memory limit rules FFT out first, then shrinks overlap-add, then leaves Direct") {
  const Shape in{256, 256, 256}, k{33, 33, 33};
  for (const auto& p : builtin_tables()) {
    CAPTURE(p.source);
    const auto free = cost::decide(request(in, k, 2), p);
    REQUIRE(is_fft(free.method));
    const double fft_bytes = static_cast<double>(cand(free, Method::FFT).bytes);
    // Below what one big transform needs: FFT is infeasible and says why; OverlapAdd fits.
    const auto mid = cost::decide(request(in, k, 2, true, static_cast<std::size_t>(fft_bytes / 4)), p);
    CHECK_FALSE(cand(mid, Method::FFT).feasible);
    CHECK(cand(mid, Method::FFT).why_not.find("memory_limit") != std::string::npos);
    CHECK(cand(mid, Method::OverlapAdd).feasible);
    CHECK(mid.method == Method::OverlapAdd);
    CHECK(cand(mid, Method::OverlapAdd).bytes <= static_cast<std::size_t>(fft_bytes / 4));
    // 1 KiB: no FFT method fits; Direct (no working memory) is chosen.
    const auto tiny = cost::decide(request(in, k, 2, true, 1024), p);
    CHECK_FALSE(cand(tiny, Method::FFT).feasible);
    CHECK_FALSE(cand(tiny, Method::OverlapAdd).feasible);
    CHECK(tiny.method == Method::Direct);
  }
  // The same through the public API.
  Options o;
  o.memory_limit = 1024;
  CHECK(autoconv::explain<double>(in, k, Mode::Same, o).method == Method::Direct);
}

TEST_CASE("non-finite input: a few keep the FFT choice, many make Direct cheaper") {
  for (const auto& p : builtin_tables()) {
    CAPTURE(p.source);
    auto r = request(Shape{1000000}, Shape{3001}, 1);
    REQUIRE(is_fft(choice(r, p)));
    r.nonfinite = 1;
    CHECK(is_fft(choice(r, p)));
    const double one = cost::predict(r, Method::OverlapAdd, p).seconds;
    r.nonfinite = 0;
    CHECK(cost::predict(r, Method::OverlapAdd, p).seconds < one);  // the redo is priced
    r.nonfinite = 100000;  // 10%: every output's window holds one
    CHECK(choice(r, p) == Method::Direct);
  }
  // Through explain(view): the input's NaNs are counted.
  std::vector<double> x(200000, 1.0), k(2001, 0.5);
  const autoconv::View<const double> kv(k.data(), Shape{2001});
  const autoconv::View<const double> xv(x.data(), Shape{200000});
  Options o;
  o.threads = 1;
  o.planning = autoconv::Planning::Estimate;
  const Method finite = autoconv::explain<double>(xv, kv, Mode::Same, o).method;
  REQUIRE(is_fft(finite));
  for (std::size_t i = 0; i < x.size(); i += 50) x[i] = std::nan("");
  const auto d = autoconv::explain<double>(xv, kv, Mode::Same, o);
  CHECK(d.method == Method::Direct);
  CHECK(d.problem.find("non-finite") != std::string::npos);

  // And at run time: an Auto plan made for this problem (FFT for finite input) runs the
  // direct engine on this input: its result is bit-identical to a forced Direct plan's.
  std::vector<double> ya(x.size()), yd(x.size());
  autoconv::Plan<double>(autoconv::Operation::Convolve, xv.shape(), kv, Mode::Same, o).execute(xv, {ya.data(), xv.shape()});
  Options od = o;
  od.method = Method::Direct;
  autoconv::Plan<double>(autoconv::Operation::Convolve, xv.shape(), kv, Mode::Same, od).execute(xv, {yd.data(), xv.shape()});
  CHECK(std::memcmp(ya.data(), yd.data(), ya.size() * sizeof(double)) == 0);
}

TEST_CASE("explain counts every non-finite input value, whatever the view's strides") {
  // A 3-D array with NaN, +Inf and -Inf at known places, read C-ordered, through a
  // strided view of every other element on the last axis, and with a negative stride.
  const Shape s{5, 7, 12};
  std::vector<double> a(5 * 7 * 12, 1.5);
  const std::size_t bad[] = {0, 13, 26, 84, 101, 239, 419};  // even and odd last-axis indices
  int even = 0;
  for (std::size_t i = 0; i < std::size(bad); ++i) {
    a[bad[i]] = i % 3 == 0 ? std::nan("") : (i % 3 == 1 ? HUGE_VAL : -HUGE_VAL);
    even += (bad[i] % 12) % 2 == 0;
  }
  CHECK(cost::count_nonfinite(autoconv::View<const double>(a.data(), s)) == std::size(bad));
  const autoconv::View<const double> evens(a.data(), Shape{5, 7, 6}, Shape{84, 12, 2});
  CHECK(cost::count_nonfinite(evens) == even);
  const autoconv::View<const double> backwards(a.data() + a.size() - 1, Shape{420}, Shape{-1});
  CHECK(cost::count_nonfinite(backwards) == std::size(bad));
  std::vector<std::complex<float>> z(300, {1.f, 2.f});
  z[7].imag(std::nanf(""));
  z[299].real(HUGE_VALF);
  CHECK(cost::count_nonfinite(autoconv::View<const std::complex<float>>(z.data(), Shape{10, 30})) == 2);
}

TEST_CASE("one-shot calls pay the FFT's setup; a reused plan does not") {
  for (const auto& p : builtin_tables()) {
    CAPTURE(p.source);
    const auto once = request(Shape{4096, 4096}, Shape{15, 15}, 2, true), reuse = request(Shape{4096, 4096}, Shape{15, 15}, 2, false);
    CHECK(cost::predict(once, Method::FFT, p).seconds > cost::predict(reuse, Method::FFT, p).seconds);
    CHECK(cost::predict(once, Method::Direct, p).seconds == doctest::Approx(cost::predict(reuse, Method::Direct, p).seconds));
  }
}

TEST_CASE("complex data costs four real multiply-adds per tap and c2c transforms") {
  for (const auto& p : builtin_tables()) {
    CAPTURE(p.source);
    auto r = request(Shape{512, 512}, Shape{9, 9}, 1);
    const double real_direct = cost::predict(r, Method::Direct, p).seconds;
    const double real_fft = cost::predict(r, Method::FFT, p).seconds;
    r.complex_data = true;
    CHECK(cost::predict(r, Method::Direct, p).seconds > 3.0 * real_direct);
    CHECK(cost::predict(r, Method::FFT, p).seconds > 1.5 * real_fft);
  }
}

TEST_CASE("decisions: every candidate listed, forced methods reported, the table prints") {
  const auto d = autoconv::explain<double>(Shape{256, 256, 256}, Shape{9, 9, 9}, Mode::Same);
  REQUIRE(d.candidates.size() == 4);
  CHECK(d.candidates[0].method == Method::Direct);
  CHECK(d.candidates[3].method == Method::Separable);
  CHECK_FALSE(d.candidates[3].feasible);  // shapes alone: kernel values unknown
  int chosen = 0;
  for (const auto& c : d.candidates) {
    if (c.method == d.method) {
      ++chosen;
      CHECK(c.why_not.empty());
    } else if (c.feasible) {
      CHECK(c.why_not.find("slower") != std::string::npos);
    }
  }
  CHECK(chosen == 1);
  const std::string t = d.table();
  for (const char* s : {"direct", "fft", "overlap_add", "separable", "predicted", "memory", "*"})
    CHECK(t.find(s) != std::string::npos);
  std::ostringstream os;
  os << d;
  CHECK(os.str() == t);

  Options o;
  o.method = Method::Direct;
  const auto f = autoconv::explain<double>(Shape{256, 256, 256}, Shape{33, 33, 33}, Mode::Same, o);
  CHECK(f.method == Method::Direct);
  CHECK(cand(f, Method::OverlapAdd).why_not.find("forces direct") != std::string::npos);
  // A forced method that cannot run here (Separable by shapes alone) keeps its reason;
  // the others name the force, with no ratio against an infinite price.
  o.method = Method::Separable;
  const auto s = autoconv::explain<double>(Shape{64, 64}, Shape{5, 5}, Mode::Same, o);
  CHECK(s.method == Method::Separable);
  CHECK(cand(s, Method::Separable).why_not.find("kernel values unknown") != std::string::npos);
  CHECK(cand(s, Method::Direct).why_not == "Options::method forces separable");
  CHECK(s.table().find("inf") == std::string::npos);
  // Image style and signal style with a border have their own forms.
  CHECK(autoconv::explain<float>(Shape{2048, 2048}, Shape{3, 3}, autoconv::Border{autoconv::Boundary::Reflect}).method ==
        Method::Direct);
  CHECK(is_fft(autoconv::explain<float>(Shape{2048, 2048}, Shape{65, 65}, Mode::Same,
                                        autoconv::Border{autoconv::Boundary::Wrap}).method));
  // Bad requests fail as a call would.
  Options bad;
  bad.threads = -1;
  CHECK_THROWS_WITH_AS(autoconv::explain<double>(Shape{10}, Shape{3}, Mode::Same, bad),
                       doctest::Contains("Options::threads = -1"), autoconv::error);
  CHECK_THROWS_WITH_AS(autoconv::explain<double>(Shape{10, 30}, Shape{30, 10}, Mode::Valid),
                       doctest::Contains("valid"), autoconv::error);
}

TEST_CASE("explain reads its options as the one-shot call does; Planning::Measure explains a reused Plan") {
  // 256^3 with a 9^3 kernel on 2 threads: setup (FFTW plans, the kernel's spectrum)
  // makes the FFT methods dearer for one call than per execute of a reused plan. (With
  // the reference machine's constants that makes Direct the one-shot choice; with Zen
  // 4's, where Direct's multiply-adds cost twice as much, OverlapAdd stays cheaper.)
  Options o;
  o.threads = 2;
  const auto once = autoconv::explain<double>(Shape{256, 256, 256}, Shape{9, 9, 9}, Mode::Same, o);
  if (autoconv::profile_path().empty())
    CHECK(once.method == (cost::running_machine() == cost::BuiltinMachine::Reference ? Method::Direct : Method::OverlapAdd));
  CHECK(once.problem.find("one-shot") != std::string::npos);
  o.planning = autoconv::Planning::Estimate;
  CHECK(autoconv::explain<double>(Shape{256, 256, 256}, Shape{9, 9, 9}, Mode::Same, o).method == once.method);
  o.planning = autoconv::Planning::Measure;
  const auto reused = autoconv::explain<double>(Shape{256, 256, 256}, Shape{9, 9, 9}, Mode::Same, o);
  CHECK(is_fft(reused.method));
  CHECK(reused.problem.find("one-shot") == std::string::npos);
  for (Method m : {Method::FFT, Method::OverlapAdd}) CHECK(cand(once, m).seconds > cand(reused, m).seconds);
  CHECK(cand(once, Method::Direct).seconds == doctest::Approx(cand(reused, Method::Direct).seconds));
  // The method the one-shot call's temporary Plan takes (its options through one_shot)
  // is the one explain names for the default options.
  std::vector<double> k(9 * 9 * 9);
  std::mt19937_64 rng(11);  // random: not separable
  for (double& v : k) v = std::uniform_real_distribution<double>(-1, 1)(rng);
  Options d;
  d.threads = 2;
  const autoconv::Plan<double> plan(autoconv::Operation::Convolve, Shape{256, 256, 256},
                                    autoconv::View<const double>(k.data(), Shape{9, 9, 9}), Mode::Same,
                                    autoconv::detail::one_shot(d));
  CHECK(plan.method() == autoconv::explain<double>(Shape{256, 256, 256}, Shape{9, 9, 9}, Mode::Same, d).method);
}

TEST_CASE("profiles: text round trip, errors name the line") {
  cost::Profile p = cost::builtin_profile();
  p.direct_tap[1] = 1.25e-11;
  p.fft_call = 33e-6;
  p.thread_efficiency = 0.8;
  const cost::Profile q = cost::parse_profile(cost::format_profile(p), "round-trip");
  CHECK(q.direct_tap[1] == doctest::Approx(1.25e-11));
  CHECK(q.fft_call == doctest::Approx(33e-6));
  CHECK(q.thread_efficiency == doctest::Approx(0.8));
  CHECK(q.fft_unit[0] == doctest::Approx(p.fft_unit[0]));
  CHECK(q.source == "round-trip");
  // Keys left out keep the built-in value; unknown keys (a later version's) are ignored.
  const cost::Profile r = cost::parse_profile("# a comment\nfft_unit_ns.double = 2.5  # trailing\nfuture_key = 7\n", "x");
  CHECK(r.fft_unit[1] == doctest::Approx(2.5e-9));
  CHECK(r.direct_tap[0] == doctest::Approx(cost::builtin_profile().direct_tap[0]));
  CHECK_THROWS_WITH_AS(cost::parse_profile("\n\ndirect_tap_ns.float = fast\n", "f.txt"),
                       doctest::Contains("f.txt line 3: direct_tap_ns.float = 'fast' is not a positive number"),
                       autoconv::error);
  CHECK_THROWS_WITH_AS(cost::parse_profile("thread_efficiency = 1.5", "f"), doctest::Contains("in (0, 1]"),
                       autoconv::error);
  CHECK_THROWS_WITH_AS(cost::parse_profile("just words", "f"), doctest::Contains("expected 'key = value'"),
                       autoconv::error);
}

// Run alone by a third registration in test/meson.build, which points $AUTOCONV_PROFILE
// at a file that does not exist.
TEST_CASE("missing AUTOCONV_PROFILE: a profile asked for by name and not there is an error at every decision") {
  const char* env = std::getenv("AUTOCONV_PROFILE");
  REQUIRE(env != nullptr);
  const std::string want = std::string("$AUTOCONV_PROFILE = '") + env + "' cannot be read; run autoconv-calibrate";
  for (int call = 0; call < 2; ++call)  // not only the first: the profile is never silently replaced
    CHECK_THROWS_WITH_AS(autoconv::explain<double>(Shape{64, 64}, Shape{5, 5}, Mode::Same), doctest::Contains(want.c_str()),
                         autoconv::error);
  std::vector<double> k(25, 1.0);
  CHECK_THROWS_WITH_AS(autoconv::Plan<double>(autoconv::Operation::Convolve, Shape{64, 64},
                                              autoconv::View<const double>(k.data(), Shape{5, 5}), Mode::Same),
                       doctest::Contains(want.c_str()), autoconv::error);
}

// Run alone by a second registration in test/meson.build, which points
// $AUTOCONV_PROFILE at test/data/profile_direct_only.txt (the first registration
// points $XDG_CONFIG_HOME at an empty folder, so the other cases see the built-in
// constants whatever the developer's own profile says).
TEST_CASE("AUTOCONV_PROFILE: every decision in the process reads the named profile") {
  // test/meson.build points $AUTOCONV_PROFILE at test/data/profile_direct_only.txt, whose
  // FFT constants are absurdly slow: every decision in this process reads it.
  const char* env = std::getenv("AUTOCONV_PROFILE");
  REQUIRE(env != nullptr);
  CHECK(autoconv::profile_path() == env);
  const auto d = autoconv::explain<double>(Shape{256, 256, 256}, Shape{33, 33, 33}, Mode::Same);
  CHECK(d.profile == env);
  CHECK(d.method == Method::Direct);
  CHECK(is_fft(cost::decide(request(Shape{256, 256, 256}, Shape{33, 33, 33}, 2), cost::builtin_profile()).method));
  // A Plan's Auto reads it too.
  std::vector<double> x(64 * 64), k(31 * 31), y(64 * 64);
  std::mt19937_64 rng(3);  // random: not separable
  for (double& v : k) v = std::uniform_real_distribution<double>(-1, 1)(rng);
  autoconv::Plan<double> plan(autoconv::Operation::Convolve, Shape{64, 64},
                              autoconv::View<const double>(k.data(), Shape{31, 31}), Mode::Same);
  CHECK(plan.method() == Method::Direct);
}

TEST_CASE("separable kernels: explain(view) finds the terms and prices the passes; random kernels are not") {
  auto gauss = [](int m, double sigma) {
    std::vector<double> g(static_cast<std::size_t>(m));
    for (int i = 0; i < m; ++i) g[static_cast<std::size_t>(i)] = std::exp(-0.5 * (i - m / 2) * (i - m / 2) / (sigma * sigma));
    return g;
  };
  const auto g = gauss(19, 3.0), h = gauss(19, 1.5);
  std::vector<double> x(96 * 96 * 96, 1.0), k3(19 * 19 * 19), k2(19 * 19), r2(19 * 19);
  for (int a = 0; a < 19; ++a)
    for (int b = 0; b < 19; ++b) {
      k2[static_cast<std::size_t>(a * 19 + b)] = g[static_cast<std::size_t>(a)] * g[static_cast<std::size_t>(b)];
      r2[static_cast<std::size_t>(a * 19 + b)] = g[static_cast<std::size_t>(a)] * g[static_cast<std::size_t>(b)] +
                                                 h[static_cast<std::size_t>(a)] * h[static_cast<std::size_t>(b)];
      for (int c = 0; c < 19; ++c)
        k3[static_cast<std::size_t>((a * 19 + b) * 19 + c)] =
            g[static_cast<std::size_t>(a)] * g[static_cast<std::size_t>(b)] * g[static_cast<std::size_t>(c)];
    }
  Options o;
  o.threads = 1;
  const autoconv::View<const double> xv(x.data(), Shape{96, 96, 96});
  const auto d = autoconv::explain<double>(xv, autoconv::View<const double>(k3.data(), Shape{19, 19, 19}),
                                           autoconv::Border{autoconv::Boundary::Reflect}, o);
  CHECK(d.method == Method::Separable);
  CHECK(cand(d, Method::Separable).detail.find("1 term x 3 passes") != std::string::npos);
  CHECK(cand(d, Method::Separable).seconds * 5 < cand(d, Method::Direct).seconds);
  // A sum of two different Gaussians is rank 2: two terms of two passes.
  std::vector<double> img(512 * 512, 1.0);
  const autoconv::View<const double> iv(img.data(), Shape{512, 512});
  const auto e = autoconv::explain<double>(iv, autoconv::View<const double>(r2.data(), Shape{19, 19}), Mode::Same, o);
  CHECK(cand(e, Method::Separable).feasible);
  CHECK(cand(e, Method::Separable).detail.find("2 terms x 2 passes") != std::string::npos);
  // One term on a 2-D image runs the axis-0 pass first from the input rows (no pad, no
  // intermediate): priced per output and tap, below half the two terms' price.
  const auto f = autoconv::explain<double>(iv, autoconv::View<const double>(k2.data(), Shape{19, 19}), Mode::Same, o);
  INFO("1 term ", cand(f, Method::Separable).seconds, " s, 2 terms ", cand(e, Method::Separable).seconds, " s");
  CHECK(cand(f, Method::Separable).detail.find("1 term x 2 passes (direct+direct), axis 0 first") != std::string::npos);
  CHECK(cand(e, Method::Separable).detail.find("axis 0 first") == std::string::npos);
  CHECK(cand(e, Method::Separable).seconds > 2 * cand(f, Method::Separable).seconds);
  // A one-shot call on contiguous rows touches that path's ~100 KiB per worker, not the
  // ring path's buffers, which the memory limit counts (strided views take it). Priced
  // with those, a 13^2 box on 512^2 at 2 threads had gone to Direct (measured 2.8x
  // slower than Separable) for a 4 MiB setup charge.
  std::vector<double> box(13 * 13, 1.0 / 169);
  Options two = o, two_reused = o;
  two.threads = two_reused.threads = 2;
  two_reused.planning = autoconv::Planning::Measure;
  const autoconv::View<const double> bv(box.data(), Shape{13, 13});
  const autoconv::Border reflect{autoconv::Boundary::Reflect};
  const auto once = autoconv::explain<double>(iv, bv, reflect, two);
  const auto reused = autoconv::explain<double>(iv, bv, reflect, two_reused);
  INFO("one-shot ", cand(once, Method::Separable).seconds, " s, reused ", cand(reused, Method::Separable).seconds,
       " s");
  CHECK(once.method == Method::Separable);
  CHECK(cand(once, Method::Separable).seconds < 1.25 * cand(reused, Method::Separable).seconds);
  // Complex data takes the padded path for one term as well. Two terms run the pass
  // chain twice (plus adding them up); the padded copy and the one-shot setup are paid
  // once. The chain (2 passes of 19 taps) is most of one term's price, so pricing one
  // chain for any number of terms would give ~1.1x.
  using cd = std::complex<double>;
  std::vector<cd> cimg(512 * 512, cd(1.0)), cr2(r2.begin(), r2.end()), ck2(k2.begin(), k2.end());
  const autoconv::View<const cd> cv(cimg.data(), Shape{512, 512});
  const auto ec = autoconv::explain<cd>(cv, autoconv::View<const cd>(cr2.data(), Shape{19, 19}), Mode::Same, o);
  const auto fc = autoconv::explain<cd>(cv, autoconv::View<const cd>(ck2.data(), Shape{19, 19}), Mode::Same, o);
  INFO("complex: 1 term ", cand(fc, Method::Separable).seconds, " s, 2 terms ", cand(ec, Method::Separable).seconds, " s");
  CHECK(cand(fc, Method::Separable).detail.find("1 term x 2 passes") != std::string::npos);
  CHECK(cand(ec, Method::Separable).detail.find("2 terms x 2 passes") != std::string::npos);
  CHECK(cand(fc, Method::Separable).detail.find("axis 0 first") == std::string::npos);
  CHECK(cand(ec, Method::Separable).seconds > 1.5 * cand(fc, Method::Separable).seconds);
  CHECK(cand(ec, Method::Separable).seconds < 2.5 * cand(fc, Method::Separable).seconds);
  // Its working memory counts against Options::memory_limit like any method's.
  Options tight = o;
  tight.memory_limit = 1024;
  const auto t = autoconv::explain<double>(xv, autoconv::View<const double>(k3.data(), Shape{19, 19, 19}),
                                           autoconv::Border{autoconv::Boundary::Reflect}, tight);
  CHECK_FALSE(cand(t, Method::Separable).feasible);
  CHECK(cand(t, Method::Separable).why_not.find("Options::memory_limit") != std::string::npos);
  CHECK(t.method == Method::Direct);
  // Random kernels: not separable, and the table says why.
  std::mt19937_64 rng(5);
  for (double& v : r2) v = std::uniform_real_distribution<double>(-1, 1)(rng);
  const auto n = autoconv::explain<double>(iv, autoconv::View<const double>(r2.data(), Shape{19, 19}), Mode::Same, o);
  CHECK_FALSE(cand(n, Method::Separable).feasible);
  CHECK(cand(n, Method::Separable).why_not.find("not a sum of few outer products") != std::string::npos);
  // Shapes alone never offer it; a 1-D kernel never either.
  CHECK_FALSE(cand(autoconv::explain<double>(Shape{512, 512}, Shape{19, 19}, Mode::Same, o), Method::Separable).feasible);
  std::vector<double> k1(19, 1.0);
  CHECK_FALSE(cand(autoconv::explain<double>(iv, autoconv::View<const double>(k1.data(), Shape{1, 19}), Mode::Same, o),
                   Method::Separable)
                  .feasible);
}
