// fftw_estimate: a stand-alone program (not built by meson) timing FFTW's in-place
// real-to-complex transforms planned with FFTW_ESTIMATE (autoconv's one-shot calls) and
// FFTW_MEASURE (reused plans by default), median of 5 executes, double: 2-D 1024^2 to
// 4096^2, 3-D 128^3 and 256^3. BENCHMARKS.md, thirteenth session.
//   g++ -O2 scripts/bench/fftw_estimate.cpp -lfftw3 -o /tmp/fftw_estimate && /tmp/fftw_estimate
#include <fftw3.h>
#include <chrono>
#include <cstdio>
#include <vector>
#include <algorithm>
template <class P> double timeit(P p) {
  std::vector<double> t;
  for (int r = 0; r < 5; ++r) { auto t0 = std::chrono::steady_clock::now(); fftw_execute(p); t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()); }
  std::sort(t.begin(), t.end()); return t[2];
}
int main() {
  struct S { int d, n; } cases[] = {{2, 1024}, {2, 2048}, {2, 4096}, {3, 128}, {3, 256}};
  for (auto c : cases) {
    size_t rows = c.d == 2 ? size_t(c.n) : size_t(c.n) * c.n, cplx = rows * (c.n / 2 + 1);
    double* in = fftw_alloc_real(2 * cplx);
    for (unsigned flags : {FFTW_ESTIMATE, FFTW_MEASURE}) {
      fftw_plan p = c.d == 2 ? fftw_plan_dft_r2c_2d(c.n, c.n, in, (fftw_complex*)in, flags)
                             : fftw_plan_dft_r2c_3d(c.n, c.n, c.n, in, (fftw_complex*)in, flags);
      for (size_t i = 0; i < 2 * cplx; ++i) in[i] = (i % 7) * 0.1;
      printf("double %dD n=%d %s: %.1f ms\n", c.d, c.n, flags == FFTW_ESTIMATE ? "ESTIMATE" : "MEASURE ", timeit(p));
      fftw_destroy_plan(p);
    }
    fftw_free(in);
  }
}
