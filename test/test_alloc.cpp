// test/test_alloc.cpp: a reused Plan's execute allocates nothing once warm, for every
// method (global operator new is replaced in this program to count allocations).
#include <dlfcn.h>
#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <string>
#include <new>
#include <utility>

#include "common.hpp"

// The replaced operator new below hands out malloc's memory and operator delete frees
// it; where GCC inlines the delete into a vector's destructor but not the counting new,
// it takes that pairing for a mismatch (a false positive: the two are a matched pair).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<long> allocations{0};
std::atomic<long> c_allocations{0};  // memalign / posix_memalign calls: FFTW's, and the aligned operator new below
std::atomic<long> new_bytes{0};      // bytes asked of operator new (every form)
std::atomic<long> frees{0};          // operator delete calls on non-null pointers
// Bytes held through operator new (malloc's usable sizes), and the most held since the
// last reset_peak().
std::atomic<long> live_bytes{0};
std::atomic<long> peak_bytes{0};
// When >= 0: the throwing forms of operator new fail (std::bad_alloc) once this many
// more have succeeded; the failing one leaves it at -1 (off).
std::atomic<long> fail_after{-1};
bool fail_now() {
  long left = fail_after.load();
  while (left >= 0 && !fail_after.compare_exchange_weak(left, left - 1)) {
  }
  return left == 0;
}
// Every form of operator new counts here; alignment 0: malloc's own.
void* counted(std::size_t n, std::size_t alignment, bool may_throw) {
  if (may_throw && fail_now()) throw std::bad_alloc();
  void* p = nullptr;
  if (alignment == 0)
    p = std::malloc(n ? n : 1);
  else if (posix_memalign(&p, alignment, n ? n : 1) != 0)
    p = nullptr;
  if (!p) {
    if (may_throw) throw std::bad_alloc();
    return nullptr;
  }
  ++allocations;
  new_bytes += static_cast<long>(n);
  const long held = live_bytes += static_cast<long>(malloc_usable_size(p));
  for (long peak = peak_bytes.load(); held > peak && !peak_bytes.compare_exchange_weak(peak, held);) {
  }
  return p;
}
void counted_free(void* p) noexcept {
  if (p) {
    ++frees;
    live_bytes -= static_cast<long>(malloc_usable_size(p));
  }
  std::free(p);
}
// Starts a new peak at the bytes held now, and returns them.
long reset_peak() {
  const long held = live_bytes.load();
  peak_bytes = held;
  return held;
}
}  // namespace

// FFTW allocates with memalign (and posix_memalign), not operator new: these count
// every call and hand it on to the next definition (the C library, or ASan's).
extern "C" void* memalign(std::size_t a, std::size_t n) {
  static auto* next = reinterpret_cast<void* (*)(std::size_t, std::size_t)>(dlsym(RTLD_NEXT, "memalign"));
  ++c_allocations;
  return next(a, n);
}
extern "C" int posix_memalign(void** p, std::size_t a, std::size_t n) {
  static auto* next = reinterpret_cast<int (*)(void**, std::size_t, std::size_t)>(dlsym(RTLD_NEXT, "posix_memalign"));
  ++c_allocations;
  return next(p, a, n);
}

void* operator new(std::size_t n) { return counted(n, 0, true); }
void* operator new[](std::size_t n) { return counted(n, 0, true); }
void* operator new(std::size_t n, std::align_val_t a) { return counted(n, static_cast<std::size_t>(a), true); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted(n, static_cast<std::size_t>(a), true); }
// The nothrow forms too (std::stable_sort's temporary buffer uses them): left to the
// runtime, they would be freed by the replaced delete below (ASan: alloc-dealloc-mismatch).
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n, 0, false); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n, 0, false); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }

using namespace testing;

namespace {
// A random input and kernel, an output of the input's shape, and one-thread Options
// for method m: where the plan cases below start.
template <class T>
struct Case {
  Array<T> x, k, out;
  autoconv::Options o;
};
template <class T>
Case<T> make_case(const Shape& xs, const Shape& ks, autoconv::Method m, std::mt19937_64& rng) {
  Case<T> c{random_array<T>(xs, rng), random_array<T>(ks, rng), Array<T>(xs), {}};  // drawn x, then k
  c.o.method = m;
  c.o.threads = 1;
  return c;
}
// A kernel of shape ks that is the outer product of random 1-D factors.
template <class T>
Array<T> random_rank1(const Shape& ks, std::mt19937_64& rng) {
  std::vector<Array<T>> f;
  for (int a = 0; a < ks.rank(); ++a) f.push_back(random_array<T>(Shape{ks[a]}, rng));
  Array<T> k(ks);
  index_t idx[autoconv::max_rank];
  for (std::size_t t = 0; t < k.v.size(); ++t) {
    unravel(t, ks, idx);
    T p(1);
    for (int a = 0; a < ks.rank(); ++a) p *= f[static_cast<std::size_t>(a)].v[static_cast<std::size_t>(idx[a])];
    k.v[t] = p;
  }
  return k;
}
}  // namespace

TEST_CASE_TEMPLATE("a warm plan executes without allocating, every method", T, float, std::complex<double>) {
  std::mt19937_64 rng(6);
  for (auto m : {autoconv::Method::Direct, autoconv::Method::FFT, autoconv::Method::OverlapAdd}) {
    for (const auto& [xs, ks] : {std::pair{Shape{3000}, Shape{31}}, std::pair{Shape{70, 90}, Shape{5, 5}},
                                 std::pair{Shape{20, 18, 16}, Shape{3, 3, 3}}}) {
      auto [x, k, out, o] = make_case<T>(xs, ks, m, rng);
      const autoconv::Plan<T> plan(autoconv::Operation::Convolve, xs, k.view(),
                                   autoconv::Border{autoconv::Boundary::Reflect}, o);
      plan.execute(x.view(), out.view());  // warm: buffers enter the plan's pool
      const long before = allocations.load();
      for (int i = 0; i < 5; ++i) plan.execute(x.view(), out.view());
      const long made = allocations.load() - before;  // (read before doctest's own bookkeeping allocates)
      CHECK_MESSAGE(made == 0, std::string(autoconv::to_string(m)), " x", xs.str());
    }
  }
}

TEST_CASE_TEMPLATE("an Estimate FFT plan that gathers columns: no operator new once warm, peak within explain's bytes",
                   T, float, double) {
  // Planning::Estimate, real 400 x 2100 with a 5 x 9 kernel: one shared transform of
  // 432 x 2160 (spectrum 432 x 1081 complex values), whose axis-0 steps (stride 1081)
  // gather 16 columns at a time into a scratch per worker, leased from the plan's pool
  // by the constructor (the kernel's transform) and by each call. explain counts the
  // kernel's spectrum, one transform buffer and one scratch per worker; the first
  // execute makes what construction did not, and later ones reuse it all.
  std::mt19937_64 rng(12);
  for (int threads : {1, 2}) {
    auto [x, k, out, o] = make_case<T>(Shape{400, 2100}, Shape{5, 9}, autoconv::Method::FFT, rng);
    o.planning = autoconv::Planning::Estimate;
    o.threads = threads;
    std::size_t predicted = 0;
    std::string detail;
    for (const auto& c : autoconv::explain<T>(x.view(), k.view(), autoconv::Mode::Same, o).candidates)
      if (c.method == autoconv::Method::FFT && c.feasible) {
        predicted = c.bytes;
        detail = c.detail;
      }
    // The accounting itself: 2 spectra and `threads` scratches of 16 columns of 432.
    REQUIRE_MESSAGE(detail.find("transform 432x2160") != std::string::npos, detail);
    const std::size_t spectrum = 432 * 1081 * 2 * sizeof(T), scratch = 16 * 432 * 2 * sizeof(T);
    CHECK(predicted == 2 * spectrum + static_cast<std::size_t>(threads) * scratch);
    const long at_start = reset_peak();
    const autoconv::Plan<T> plan(autoconv::Operation::Convolve, x.shape, k.view(), autoconv::Mode::Same, o);
    plan.execute(x.view(), out.view());
    // The most held at once over construction and first execute (construction plans
    // each FFTW step on a temporary buffer, freed before the next), in malloc's usable
    // sizes: beyond the buffers explain counts, the plan's kernel copy and step lists,
    // each worker's pool record and a few hundred bytes of rounding per buffer (all
    // these stay under fft::allocate's 8 MiB, above which it aligns to 2 MiB and
    // malloc_usable_size would count the alignment's slack).
    const auto peak = static_cast<std::size_t>(peak_bytes.load() - at_start);
    CHECK_MESSAGE(peak <= predicted + 16 * 1024, "threads ", threads, ": ", peak, " bytes, explain ", predicted);
    // And no more than that below: the scratches are used, not merely counted.
    CHECK_MESSAGE(peak + 16 * 1024 >= predicted, "threads ", threads, ": ", peak, " bytes, explain ", predicted);
    // Through operator new, that is: FFTW_ESTIMATE's plans keep FFTW's buffered solvers,
    // which allocate inside each execute (lib/fft/fftw.cpp; here ~140 memalign calls an
    // execute in float, ~1000 in double).
    const long before = allocations.load();
    for (int i = 0; i < 3; ++i) plan.execute(x.view(), out.view());
    const long made = allocations.load() - before;
    CHECK_MESSAGE(made == 0, "threads ", threads);
  }
}

TEST_CASE_TEMPLATE("1-D transforms of reused plans: FFTW's execute allocates nothing either", T, float, double) {
  // Measured 1-D plans of 8192 points and more are planned without FFTW's buffered
  // solvers, which allocate inside every execute (lib/fft/fftw.cpp). Overlap-add
  // blocks of 30720 and one transform of 60000 points, warm, counted at the C level.
  // FFTW_MEASURE may still pick a buffered codelet solver for a length by timing
  // (docs/architecture.md, "FFTW discipline": 7-10 of 198 lengths in each scan, never
  // these two): a failure here would name FFTW's choice, not an autoconv buffer.
  std::mt19937_64 rng(8);
  for (auto m : {autoconv::Method::OverlapAdd, autoconv::Method::FFT}) {
    const Shape xs{m == autoconv::Method::FFT ? 40000 : 200000}, ks{m == autoconv::Method::FFT ? 20001 : 3001};
    auto [x, k, out, o] = make_case<T>(xs, ks, m, rng);
    o.planning = autoconv::Planning::Measure;
    const autoconv::Plan<T> plan(autoconv::Operation::Convolve, xs, k.view(), autoconv::Mode::Same, o);
    plan.execute(x.view(), out.view());
    const long before = allocations.load(), c_before = c_allocations.load();
    for (int i = 0; i < 3; ++i) plan.execute(x.view(), out.view());
    const long made = allocations.load() - before, c_made = c_allocations.load() - c_before;
    CHECK_MESSAGE(made == 0, autoconv::to_string(m));
    CHECK_MESSAGE(c_made == 0, autoconv::to_string(m), " (memalign calls: FFTW's, as operator new made none)");
  }
}

TEST_CASE_TEMPLATE("a warm stream pushes into a caller's buffer without allocating", T, float, std::complex<double>) {
  std::mt19937_64 rng(7);
  for (auto m : {autoconv::Method::Direct, autoconv::Method::OverlapAdd}) {
    for (index_t channels : {1, 8}) {
      const index_t M = m == autoconv::Method::Direct ? 31 : 1001, n = 1000;
      const auto k = random_array<T>(Shape{M}, rng);
      const auto x = random_array<T>(Shape{channels, n}, rng);
      autoconv::Options o;
      o.method = m;
      o.threads = 1;
      autoconv::Stream<T> s(autoconv::Operation::Convolve, k.view(), autoconv::Border{autoconv::Boundary::Reflect}, o,
                            channels);
      Array<T> out(Shape{channels, s.max_output_size(n)});  // room for any push of n
      for (int i = 0; i < 20; ++i) s.push(x.view(), out.view());  // warm: the first blocks ran
      const long before = allocations.load();
      index_t made_outputs = 0;
      for (int i = 0; i < 50; ++i) made_outputs += s.push(x.view(), out.view());
      const long made = allocations.load() - before;
      CHECK_MESSAGE(made == 0, std::string(autoconv::to_string(m)), " channels ", channels);
      CHECK(made_outputs >= 50 * n - s.latency());
    }
  }
}

TEST_CASE_TEMPLATE("a warm separable plan executes without allocating (rank 1 and 2)", T, float, std::complex<double>) {
  std::mt19937_64 rng(7);
  // 40 x 100 with 11 taps along the rows: real data takes the 2-D path that reads the
  // rows from the input itself (16 at a time, through a pooled buffer).
  const std::pair<Shape, Shape> cases[] = {
      {Shape{70, 90}, Shape{3, 4}}, {Shape{40, 100}, Shape{5, 11}}, {Shape{20, 18, 16}, Shape{3, 4, 5}}};
  for (const auto& [xs, ks] : cases) {
    std::vector<Array<T>> f;
    for (int a = 0; a < xs.rank(); ++a) f.push_back(random_array<T>(Shape{ks[a]}, rng));
    Array<T> k(ks);  // f0 (x) f1 (x) ... plus, on the first entries of each row, a second term
    index_t idx[autoconv::max_rank];
    for (std::size_t t = 0; t < k.v.size(); ++t) {
      unravel(t, ks, idx);
      T p = T(1), q = T(1);
      for (int a = 0; a < xs.rank(); ++a) {
        p *= f[static_cast<std::size_t>(a)].v[static_cast<std::size_t>(idx[a])];
        q *= T(static_cast<real_t<T>>(idx[a] == 0));
      }
      k.v[t] = p + (xs.rank() == 2 ? q : T(0));
    }
    const auto x = random_array<T>(xs, rng);
    Array<T> out(xs);
    autoconv::Options o;
    o.method = autoconv::Method::Separable;
    o.threads = 1;
    const autoconv::Plan<T> plan(autoconv::Operation::Convolve, xs, k.view(),
                                 autoconv::Border{autoconv::Boundary::Reflect}, o);
    plan.execute(x.view(), out.view());
    const long before = allocations.load();
    for (int i = 0; i < 5; ++i) plan.execute(x.view(), out.view());
    const long made = allocations.load() - before;
    CHECK_MESSAGE(made == 0, "x", xs.str());
  }
}

TEST_CASE("a separable plan's buffers stay within Options::memory_limit and explain's bytes") {
  // Rank-1 kernels on real data run tiled; a long axis-0 kernel makes each tile's ring
  // of result planes long, and the tiles cannot shrink below one plane row: such a plan
  // once passed a 2.25 MiB limit and then leased 4.6 MiB. Now it is refused instead,
  // and every plan made allocates at most the limit (and the cost model's bytes) in its
  // first execute, where its buffers grow.
  std::mt19937_64 rng(5);
  const std::size_t limit = std::size_t(2304) << 10;
  const std::pair<Shape, Shape> cases[] = {
      {Shape{16, 2, 130}, Shape{2001, 2, 2}}, {Shape{16, 2, 130}, Shape{4001, 2, 2}}, {Shape{16, 130}, Shape{4001, 2}},
      {Shape{512, 512}, Shape{13, 13}},       {Shape{48, 48, 48}, Shape{9, 9, 9}},     {Shape{64, 300}, Shape{7, 1}}};
  int made = 0, refused = 0;
  for (const auto& [xs, ks] : cases)
    for (int threads : {1, 2}) {
      const Array<double> k = random_rank1<double>(ks, rng);
      const auto x = random_array<double>(xs, rng);
      Array<double> out(xs);
      autoconv::Options o;
      o.method = autoconv::Method::Separable;
      o.threads = threads;
      o.memory_limit = limit;
      const std::string what = "x " + xs.str() + " kernel " + ks.str() + " threads " + std::to_string(threads);
      const autoconv::Border b{autoconv::Boundary::Reflect};
      // The cost model's bytes, where it weighs Separable (two kernel axes or more).
      std::size_t predicted = std::numeric_limits<std::size_t>::max();
      bool model_refused = false;
      for (const auto& c : autoconv::explain<double>(x.view(), k.view(), b, o).candidates)
        if (c.method == autoconv::Method::Separable) {
          if (c.feasible) predicted = c.bytes;
          model_refused = c.why_not.find("memory_limit") != std::string::npos;
        }
      try {
        const autoconv::Plan<double> plan(autoconv::Operation::Convolve, xs, k.view(), b, o);
        const long before = new_bytes.load();
        plan.execute(x.view(), out.view());
        const auto grown = static_cast<std::size_t>(new_bytes.load() - before);
        // Beyond the buffers, each worker's record in the engine's pool: 8 vectors.
        const std::size_t records = 256 * static_cast<std::size_t>(threads);
        CHECK_MESSAGE(grown <= limit + records, what, ": ", grown, " bytes");
        if (predicted != std::numeric_limits<std::size_t>::max())
          CHECK_MESSAGE(grown <= predicted + records, what, ": ", grown, " bytes, explain ", predicted);
      } catch (const autoconv::error& e) {  // made refused, before allocating
        CHECK_MESSAGE(std::string(e.what()).find("Options::memory_limit") != std::string::npos, what, ": ", e.what());
        CHECK_MESSAGE(model_refused, what);  // the cost model refused it too
        ++refused;
        continue;
      }
      ++made;
    }
  CHECK(refused >= 2);  // the 4001-tap kernels
  CHECK(made >= 6);
}

TEST_CASE("a direct plan's first execute allocates the slab buffers explain counts") {
  // explain had said 0 bytes for Direct; a volume whose kernel spans 9 planes takes a
  // buffer of 31 padded planes (16.5 MB of doubles) per thread.
  std::mt19937_64 rng(9);
  const std::pair<Shape, Shape> cases[] = {{Shape{32, 256, 256}, Shape{9, 3, 3}}, {Shape{300, 400}, Shape{7, 5}},
                                           {Shape{200000}, Shape{31}}};
  for (const auto& [xs, ks] : cases)
    for (int threads : {1, 2}) {
      auto [x, k, out, o] = make_case<double>(xs, ks, autoconv::Method::Direct, rng);
      o.threads = threads;
      const autoconv::Border b{autoconv::Boundary::Reflect};
      std::size_t predicted = 0;
      for (const auto& c : autoconv::explain<double>(x.view(), k.view(), b, o).candidates)
        if (c.method == autoconv::Method::Direct) predicted = c.bytes;
      const autoconv::Plan<double> plan(autoconv::Operation::Convolve, xs, k.view(), b, o);
      const long before = new_bytes.load();
      plan.execute(x.view(), out.view());
      const auto grown = static_cast<std::size_t>(new_bytes.load() - before);
      const std::string what = "x " + xs.str() + " kernel " + ks.str() + " threads " + std::to_string(threads);
      // Beyond the buffers: the layout's tap lists (a few per tap), each worker's record,
      // and its buffer's flag per row (a byte per row of at least 8 doubles).
      const std::size_t extra = 64 * k.v.size() + 4096 * static_cast<std::size_t>(threads) + predicted / 64;
      CHECK_MESSAGE(grown <= predicted + extra, what, ": ", grown, " bytes, explain ", predicted);
      CHECK_MESSAGE(grown >= predicted / 2, what, ": ", grown, " bytes, explain ", predicted);
    }
}

TEST_CASE_TEMPLATE("a separable plan's construction and first execute stay within explain's bytes", T, double,
                   std::complex<float>) {
  // explain and the limit check had left out the engine's index tables (8 bytes per
  // padded position per axis, 3.2 MB for rows of 400000) and, for complex data, the
  // passes' own engines (slab buffers): such plans took up to 1.7x the limit.
  std::mt19937_64 rng(10);
  const std::pair<Shape, Shape> cases[] = {{Shape{3, 400000}, Shape{2, 3001}}, {Shape{177, 4, 202}, Shape{6, 3, 3}},
                                           {Shape{40, 48, 56}, Shape{5, 5, 5}}};
  int made = 0;
  for (const auto& [xs, ks] : cases)
    for (int threads : {1, 2}) {
      const Array<T> k = random_rank1<T>(ks, rng);
      const auto x = random_array<T>(xs, rng);
      Array<T> out(xs);
      autoconv::Options o;
      o.threads = threads;
      std::size_t predicted = 0;
      for (const auto& c : autoconv::explain<T>(x.view(), k.view(), autoconv::Mode::Same, o).candidates)
        if (c.method == autoconv::Method::Separable && c.feasible) predicted = c.bytes;
      const std::string what = "x " + xs.str() + " kernel " + ks.str() + " threads " + std::to_string(threads);
      REQUIRE_MESSAGE(predicted > 0, what);
      o.method = autoconv::Method::Separable;
      // Beyond the engine's buffers, in bytes asked of operator new over the whole
      // construction (freed ones included): the plan's kernel copies, the factorisation's
      // scratch (~12 kernel-sized arrays measured), the pass engines' tap lists, each
      // worker's pool record. All proportional to the kernel, none to the input. The
      // FFT passes' aligned transform buffers come through operator new too (since
      // fft::allocate uses it), and so are counted against explain's bytes.
      const std::size_t extra = 64 * 1024 + 32 * k.v.size() * sizeof(T);
      o.memory_limit = predicted - 1;
      long before = new_bytes.load();
      CHECK_THROWS_WITH_AS(autoconv::Plan<T>(autoconv::Operation::Convolve, xs, k.view(), autoconv::Mode::Same, o),
                           doctest::Contains("Options::memory_limit"), autoconv::error);
      CHECK_MESSAGE(static_cast<std::size_t>(new_bytes.load() - before) <= extra, what, ": refused after allocating ",
                    new_bytes.load() - before, " bytes");
      o.memory_limit = predicted;
      before = new_bytes.load();
      {
        const autoconv::Plan<T> plan(autoconv::Operation::Convolve, xs, k.view(), autoconv::Mode::Same, o);
        plan.execute(x.view(), out.view());
      }
      const auto grown = static_cast<std::size_t>(new_bytes.load() - before);
      CHECK_MESSAGE(grown <= predicted + extra, what, ": ", grown, " bytes, explain ", predicted);
      ++made;
    }
  CHECK(made == 6);
}

namespace {
// Runs f(arm) for i = 0, 1, ... until it runs through (at most `cap` tries), where
// arm() makes the i-th allocation after it fail (std::bad_alloc); returns how many
// tries threw std::bad_alloc. Every other exception, and a std::terminate from a throw
// inside a parallel region, fails the test.
template <class F>
int fail_each_allocation(F&& f, int cap = 4000) {
  int failures = 0;
  for (long i = 0; i < cap; ++i) {
    auto arm = [i] { fail_after = i; };
    try {
      f(arm);
    } catch (const std::bad_alloc&) {
      fail_after = -1;
      ++failures;
      continue;
    }
    const bool ran_through = fail_after.load() >= 0;  // fewer than i + 1 allocations after arm()
    fail_after = -1;
    if (ran_through) return failures;
  }
  fail_after = -1;
  FAIL("still failing after ", cap, " tries");
  return failures;
}
long live() { return allocations.load() - frees.load(); }
// The checks after a fail_each_allocation span: some allocation failed, no result was
// wrong after a failure, and the span leaked nothing.
void check_failed_cleanly(const std::string& what, int failures, long wrong, long leaked) {
  CHECK_MESSAGE(failures > 0, what);
  CHECK_MESSAGE(wrong == 0, what);
  CHECK_MESSAGE(leaked == 0, what, ": leaked ", leaked, " allocations");
}
}  // namespace

TEST_CASE_TEMPLATE("running out of memory: std::bad_alloc, nothing leaked, the plan works after", T, double,
                   std::complex<float>) {
  // Every allocation of a plan's construction, and of a new plan's first execute
  // (where its buffers are made and leased), fails in turn. The pools had leaked the
  // objects a lease had taken when a later one could not be made, and aborted the
  // program where the lease ended. Counted: operator new calls less operator delete
  // calls (the library's aligned buffers come through operator new too), back where
  // they were once the plans are gone; the sanitizer job's leak check watches the rest.
  // The 512 x 512 plans run on 2 threads; the others are too small for a second.
  std::mt19937_64 rng(11);
  struct Setup {
    Shape xs, ks;
    autoconv::Method m;
  };
  const Setup setups[] = {{Shape{3000}, Shape{31}, autoconv::Method::Direct},
                          {Shape{40, 30}, Shape{5, 4}, autoconv::Method::Direct},
                          {Shape{512, 512}, Shape{7, 7}, autoconv::Method::Direct},
                          {Shape{3000}, Shape{301}, autoconv::Method::FFT},
                          {Shape{21, 17, 14}, Shape{3, 4, 3}, autoconv::Method::FFT},
                          {Shape{20000}, Shape{501}, autoconv::Method::OverlapAdd},
                          {Shape{70, 90}, Shape{5, 6}, autoconv::Method::Separable},
                          {Shape{512, 512}, Shape{9, 9}, autoconv::Method::Separable},
                          {Shape{20, 18, 16}, Shape{3, 4, 5}, autoconv::Method::Separable}};
  for (const auto& s : setups)
    for (int threads : {1, 2}) {
      auto [x, k, out, o] = make_case<T>(s.xs, s.ks, s.m, rng);
      if (s.m == autoconv::Method::Separable) k = random_rank1<T>(s.ks, rng);
      o.threads = threads;
      const autoconv::Border b{autoconv::Boundary::Reflect};
      const std::string what = std::string(autoconv::to_string(s.m)) + " x " + s.xs.str() + " kernel " +
                               s.ks.str() + " threads " + std::to_string(threads);
      auto make = [&] { return autoconv::Plan<T>(autoconv::Operation::Convolve, s.xs, k.view(), b, o); };
      // Construction, the first time: FFTW's plans are made under its lock here (a
      // failure there once left the lock held by the unwinding: a deadlock).
      int failures = fail_each_allocation([&](auto arm) {
        arm();
        make();
      });
      CHECK_MESSAGE(failures > 0, what);
      Array<T> expected(s.xs);
      make().execute(x.view(), expected.view());
      // Again, the caches warm: every failure frees what it made. (No doctest check
      // inside a counted span: its first checks allocate records it keeps.)
      long before = live();
      failures = fail_each_allocation([&](auto arm) {
        arm();
        make();
      });
      const long leaked = live() - before;
      CHECK_MESSAGE(leaked == 0, what, ": construction leaked ", leaked, " allocations");
      CHECK_MESSAGE(failures > 0, what);
      // The first execute of a new plan each time: each failure leaves the plan usable.
      double error = 0;
      before = live();
      failures = fail_each_allocation([&](auto arm) {
        const autoconv::Plan<T> plan = make();
        arm();
        try {
          plan.execute(x.view(), out.view());
        } catch (const std::bad_alloc&) {
          fail_after = -1;
          plan.execute(x.view(), out.view());
          error = std::max(error, max_abs_diff<T>(out.view(), expected));
          throw;
        }
      });
      // The first execute allocates (buffers, pool records): failures > 0.
      check_failed_cleanly(what + " first execute", failures, error != 0, live() - before);
    }
}

TEST_CASE_TEMPLATE("a stream that runs out of memory refuses to go on until reset(), then streams right", T, double,
                   std::complex<float>) {
  // Each allocation of a stream's pushes and finish fails in turn (its first blocks
  // make their buffers, on 2 threads inside a parallel region: that had ended the
  // program, as an exception leaving an OpenMP worker does). The
  // call throws std::bad_alloc; the stream then refuses push and finish until reset(),
  // after which the same signal gives the same outputs; nothing leaks.
  std::mt19937_64 rng(12);
  for (auto m : {autoconv::Method::Direct, autoconv::Method::OverlapAdd})
    for (index_t channels : {1, 8})
      for (int threads : {1, 2}) {
        // 10001 taps: blocks of ~1e5 points, worth a thread each, so that one channel's
        // blocks run 2 at once (and 8 channels' pushes on 2 threads).
        const bool direct = m == autoconv::Method::Direct;
        const index_t M = direct ? 31 : 10001, n = direct ? 20000 : 300000, chunk = direct ? 4000 : 50000;
        const auto k = random_array<T>(Shape{M}, rng);
        const auto x = random_array<T>(Shape{channels, n}, rng);
        autoconv::Options o;
        o.method = m;
        o.threads = threads;
        o.planning = autoconv::Planning::Estimate;
        const std::string what = std::string(autoconv::to_string(m)) + " channels " + std::to_string(channels) +
                                 " threads " + std::to_string(threads);
        const autoconv::Border b{autoconv::Boundary::Reflect};
        const index_t cols = n + 2 * M + 8 * 4096;  // more than any push of `chunk` or finish returns
        Array<T> got(Shape{channels, n}), buf(Shape{channels, cols});
        // The whole signal through s into got (column count returned); no allocation
        // of its own, so that every one counted is the stream's.
        index_t w = 0;           // columns of got written by run
        bool in_finish = false;  // run is in s.finish
        auto take = [&](index_t count) {
          for (index_t r = 0; r < channels; ++r)
            for (index_t j = 0; j < count; ++j)
              got.v[static_cast<std::size_t>(r * n + w + j)] = buf.v[static_cast<std::size_t>(r * cols + j)];
          w += count;
        };
        auto run = [&](autoconv::Stream<T>& s) {
          w = 0;
          in_finish = false;
          for (index_t c0 = 0; c0 < n; c0 += chunk)
            take(s.push(autoconv::View<const T>(x.v.data() + c0, Shape{channels, chunk}, Shape{n, 1}), buf.view()));
          in_finish = true;
          take(s.finish(buf.view()));
          return w;
        };
        Array<T> expected;
        {
          autoconv::Stream<T> s(autoconv::Operation::Convolve, k.view(), b, o, channels);
          REQUIRE(run(s) == n);
          expected = got;
        }
        // Counted from here (no doctest check inside: its first checks allocate records
        // it keeps); what went wrong is tallied and checked after.
        const long before = live();
        int not_refused = 0, kept_count = 0, wrong_kept = 0, wrong_after_reset = 0;
        const int failures = fail_each_allocation(
            [&](auto arm) {
              autoconv::Stream<T> s(autoconv::Operation::Convolve, k.view(), b, o, channels);
              arm();
              try {
                run(s);
              } catch (const std::bad_alloc&) {
                fail_after = -1;
                auto refuses = [&](auto&& call) {
                  try {
                    call();
                  } catch (const autoconv::error& e) {
                    return std::string(e.what()).find("call reset()") != std::string::npos;
                  }
                  return false;
                };
                // A finish that fails before it feeds the channels (its own buffer) keeps
                // the stream: finishing again completes the signal. Otherwise both refuse.
                bool kept = false;
                if (in_finish) {
                  try {
                    take(s.finish(buf.view()));
                    kept = true;
                    ++kept_count;
                    wrong_kept += w != n || got.v != expected.v;
                  } catch (const autoconv::error&) {
                  }
                }
                if (!kept) {
                  not_refused += !refuses([&] { s.push(x.view(), buf.view()); });
                  not_refused += !refuses([&] { s.finish(buf.view()); });
                  not_refused += s.output_size(chunk) != 0 || s.finish_size() != 0;
                }
                s.reset();
                wrong_after_reset += run(s) != n || got.v != expected.v;
                throw;
              }
            },
            2000);
        const long leaked = live() - before;
        CHECK_MESSAGE(not_refused == 0, what);
        CHECK_MESSAGE(wrong_kept == 0, what);
        // An overlap-save finish takes a buffer for its last blocks before it feeds the
        // channels: failing that one keeps the stream. (On 1 thread, where the order of
        // the allocations, and so which try fails it, does not depend on scheduling.)
        if (m == autoconv::Method::OverlapAdd && threads == 1) CHECK_MESSAGE(kept_count > 0, what);
        CHECK_MESSAGE(wrong_after_reset == 0, what);
        // Direct streams make every buffer in the constructor; overlap-save ones lease
        // the block engine's in their first blocks.
        if (m == autoconv::Method::Direct)
          CHECK_MESSAGE(failures == 0, what);
        else
          CHECK_MESSAGE(failures > 0, what);
        CHECK_MESSAGE(leaked == 0, what, ": leaked ", leaked, " allocations");
      }
}

namespace {
// Element by element the same, NaN where the other is NaN (real and imaginary parts).
template <class T>
bool same_values(const Array<T>& a, const Array<T>& b) {
  auto same = [](auto p, auto q) { return (std::isnan(p) && std::isnan(q)) || p == q; };
  if (a.v.size() != b.v.size()) return false;
  for (std::size_t i = 0; i < a.v.size(); ++i) {
    if constexpr (is_complex_v<T>) {
      if (!same(a.v[i].real(), b.v[i].real()) || !same(a.v[i].imag(), b.v[i].imag())) return false;
    } else if (!same(a.v[i], b.v[i])) {
      return false;
    }
  }
  return true;
}
// Where the values are NaN (or, complex, have a NaN part).
template <class T>
std::vector<bool> nan_mask(const Array<T>& a) {
  std::vector<bool> m(a.v.size());
  for (std::size_t i = 0; i < a.v.size(); ++i) {
    if constexpr (is_complex_v<T>)
      m[i] = std::isnan(a.v[i].real()) || std::isnan(a.v[i].imag());
    else
      m[i] = std::isnan(a.v[i]);
  }
  return m;
}
}  // namespace

TEST_CASE_TEMPLATE("non-finite input to a warm FFT plan: running out of memory in its recomputation", T, double,
                   std::complex<float>) {
  // NaN or inf in the input (or an infinite cval) sends an FFT or OverlapAdd plan through
  // its recomputation, which makes its bookkeeping on every such call (plan.hpp). Each
  // allocation of that call fails in turn on a warm plan: std::bad_alloc, nothing
  // leaked, and the plan then gives the same outputs for that input as before (NaN
  // exactly where the direct plan has NaN) and the exact finite result again.
  std::mt19937_64 rng(13);
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  struct Setup {
    Shape xs, ks;
    autoconv::Method m;
    autoconv::Border b;
  };
  const Setup setups[] = {
      {Shape{3000}, Shape{301}, autoconv::Method::FFT, {autoconv::Boundary::Reflect}},
      {Shape{20000}, Shape{501}, autoconv::Method::OverlapAdd, {autoconv::Boundary::Mirror}},
      {Shape{60, 50}, Shape{7, 6}, autoconv::Method::FFT, {autoconv::Boundary::Constant, inf}},
      {Shape{300, 200}, Shape{9, 9}, autoconv::Method::OverlapAdd, {autoconv::Boundary::Nearest}}};
  for (const auto& s : setups)
    for (int threads : {1, 2}) {
      auto [x, k, out, o] = make_case<T>(s.xs, s.ks, s.m, rng);
      o.threads = threads;
      const std::string what = std::string(autoconv::to_string(s.m)) + " x " + s.xs.str() + " kernel " +
                               s.ks.str() + " threads " + std::to_string(threads);
      auto bad = x;  // three non-finite samples (none where cval already is non-finite)
      const std::size_t n = bad.v.size();
      bad.v[n / 7] = T(static_cast<real_t<T>>(nan));
      bad.v[n / 2] = T(static_cast<real_t<T>>(inf));
      bad.v[n - n / 5] = T(static_cast<real_t<T>>(-inf));
      const autoconv::Plan<T> plan(autoconv::Operation::Convolve, s.xs, k.view(), s.b, o);
      Array<T> finite(s.xs), nonfinite(s.xs), direct(s.xs);
      plan.execute(x.view(), finite.view());
      plan.execute(bad.view(), nonfinite.view());
      autoconv::Options od = o;
      od.method = autoconv::Method::Direct;
      autoconv::Plan<T>(autoconv::Operation::Convolve, s.xs, k.view(), s.b, od).execute(bad.view(), direct.view());
      const std::vector<bool> nans = nan_mask(nonfinite);
      CHECK_MESSAGE(nans == nan_mask(direct), what);
      CHECK_MESSAGE(std::count(nans.begin(), nans.end(), true) > 0, what);
      // Counted from here (no doctest check inside a counted span).
      int wrong = 0;
      const long before = live();
      const int failures = fail_each_allocation([&](auto arm) {
        arm();
        try {
          plan.execute(bad.view(), out.view());
        } catch (const std::bad_alloc&) {
          fail_after = -1;
          plan.execute(bad.view(), out.view());
          wrong += !same_values(out, nonfinite);
          plan.execute(x.view(), out.view());
          wrong += !same_values(out, finite);
          throw;
        }
      });
      // The bookkeeping is made on every such call: failures > 0.
      check_failed_cleanly(what, failures, wrong, live() - before);
    }
}

TEST_CASE_TEMPLATE("a stream shorter than its kernel: finish out of memory keeps the stream", T, double,
                   std::complex<float>) {
  // finish() of a signal shorter than the kernel runs the batch call on the samples kept
  // (a plan and a buffer made there). Each of its allocations fails in turn: it throws
  // std::bad_alloc without having fed anything, so the stream is kept, and finishing
  // again gives the same outputs as an unfailed stream; nothing leaks.
  std::mt19937_64 rng(14);
  for (auto m : {autoconv::Method::Direct, autoconv::Method::OverlapAdd})
    for (index_t channels : {1, 3}) {
      const index_t M = m == autoconv::Method::Direct ? 31 : 10001, n = M / 3;
      const auto k = random_array<T>(Shape{M}, rng);
      const auto x = random_array<T>(Shape{channels, n}, rng);
      autoconv::Options o;
      o.method = m;
      o.threads = 1;
      o.planning = autoconv::Planning::Estimate;
      const autoconv::Border b{autoconv::Boundary::Reflect};
      const std::string what = std::string(autoconv::to_string(m)) + " channels " + std::to_string(channels);
      Array<T> expected(Shape{channels, n}), got(Shape{channels, n});
      {  // unfailed (test_stream checks these against the batch call)
        autoconv::Stream<T> s(autoconv::Operation::Convolve, k.view(), b, o, channels);
        REQUIRE(s.push(x.view(), expected.view()) == 0);
        REQUIRE(s.finish(expected.view()) == n);
      }
      int wrong = 0, not_kept = 0;
      const long before = live();
      const int failures = fail_each_allocation([&](auto arm) {
        autoconv::Stream<T> s(autoconv::Operation::Convolve, k.view(), b, o, channels);
        const index_t early = s.push(x.view(), got.view());  // n < M: nothing is final yet
        arm();
        try {
          s.finish(got.view());
        } catch (const std::bad_alloc&) {
          fail_after = -1;
          try {
            wrong += early != 0 || s.finish(got.view()) != n || got.v != expected.v;
          } catch (const autoconv::error&) {
            ++not_kept;
          }
          throw;
        }
        wrong += early != 0 || got.v != expected.v;
      });
      CHECK_MESSAGE(not_kept == 0, what);
      check_failed_cleanly(what, failures, wrong, live() - before);
    }
}
