// scripts/fftw_alloc_scan.cpp: which 1-D FFTW plans allocate inside execute although
// planned with FFTW_NO_BUFFERING (docs/architecture.md, "FFTW discipline").
//
// For every length autoconv's good_size gives for n in [8192, 2^21], plans the in-place
// r2c + c2r pair as lib/fft/fftw.cpp does for measured 1-D transforms of 8192 points
// or more (FFTW_MEASURE | FFTW_NO_BUFFERING, 1 s time limit), runs it once, counts
// FFTW's memalign/posix_memalign calls during that execute, and prints the plans that
// allocated. The result depends on the planner's timings (run-to-run).
//
// Build and run from the repository root after `meson compile -C build`:
//   g++ -O2 -std=c++17 scripts/fftw_alloc_scan.cpp -o /tmp/fftw_alloc_scan -Lbuild/lib
//       -lautoconv -lfftw3 -lfftw3f -ldl -Wl,-rpath,$PWD/build/lib   (one line)
//   /tmp/fftw_alloc_scan          # double;  /tmp/fftw_alloc_scan float
#include <dlfcn.h>
#include <fftw3.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <set>

namespace autoconv::detail::fft {
long good_size(long n);  // lib/fft/fftw.hpp (index_t = long); exported by libautoconv
}

static std::atomic<long> calls{0};
extern "C" int posix_memalign(void** p, size_t a, size_t n) {
  static auto* next = reinterpret_cast<int (*)(void**, size_t, size_t)>(dlsym(RTLD_NEXT, "posix_memalign"));
  ++calls;
  return next(p, a, n);
}
extern "C" void* memalign(size_t a, size_t n) {
  static auto* next = reinterpret_cast<void* (*)(size_t, size_t)>(dlsym(RTLD_NEXT, "memalign"));
  ++calls;
  return next(a, n);
}

// Plans, runs and reports one length; returns true when execute allocated.
template <class R, class Plan, class Cx>
bool scan(int n, Plan (*r2c)(int, R*, Cx*, unsigned), Plan (*c2r)(int, Cx*, R*, unsigned), void (*run)(Plan),
          void (*print)(Plan), void (*destroy)(Plan), void* (*alloc)(size_t), void (*release)(void*)) {
  const size_t reals = 2 * (static_cast<size_t>(n) / 2 + 1);
  R* b = static_cast<R*>(alloc(reals * sizeof(R)));
  const unsigned flags = FFTW_MEASURE | FFTW_NO_BUFFERING;
  Plan f = r2c(n, b, reinterpret_cast<Cx*>(b), flags), g = c2r(n, reinterpret_cast<Cx*>(b), b, flags);
  bool allocated = false;
  if (!f || !g) {
    std::printf("n=%d: FFTW could not plan it unbuffered\n", n);
  } else {
    std::memset(b, 0, reals * sizeof(R));
    const long before = calls.load();
    run(f);
    run(g);
    const long made = calls.load() - before;
    if (made) {
      allocated = true;
      std::printf("n=%d: %ld allocations in one r2c + c2r\n", n, made);
      print(f);
      std::printf("\n");
      print(g);
      std::printf("\n");
    }
  }
  if (f) destroy(f);
  if (g) destroy(g);
  release(b);
  return allocated;
}

int main(int argc, char** argv) {
  const bool single = argc > 1 && std::strcmp(argv[1], "float") == 0;
  std::set<long> lengths;
  for (long n = 8192; n <= (1L << 21); ++n) lengths.insert(autoconv::detail::fft::good_size(n));
  fftw_set_timelimit(1.0);
  fftwf_set_timelimit(1.0);
  int allocating = 0;
  for (long n : lengths)
    allocating += single ? scan<float>(static_cast<int>(n), fftwf_plan_dft_r2c_1d, fftwf_plan_dft_c2r_1d, fftwf_execute,
                                       fftwf_print_plan, fftwf_destroy_plan, fftwf_malloc, fftwf_free)
                         : scan<double>(static_cast<int>(n), fftw_plan_dft_r2c_1d, fftw_plan_dft_c2r_1d, fftw_execute,
                                        fftw_print_plan, fftw_destroy_plan, fftw_malloc, fftw_free);
  std::printf("%s: %d of %zu lengths allocated in execute\n", single ? "float" : "double", allocating, lengths.size());
}
