// fftw_columns: a stand-alone program (not built by meson) timing the outer-axis step of
// a float 256 x 256 x 129 spectrum (the FFT engine's axis-0 c2c step for a 256^3 real
// transform): 256-point transforms at a stride of 33024 values, FFTW_ESTIMATE, (a) as
// strided batch plans over blocks of B columns (what the engine's steps did), (b) each
// block of B columns copied into a contiguous 256 x B scratch, transformed there and
// copied back (ESTIMATE and MEASURE plans; the engine's ESTIMATE steps do this since
// 201a98d). BENCHMARKS.md, thirteenth and fourteenth sessions.
//   g++ -O2 scripts/bench/fftw_columns.cpp -lfftw3f -o /tmp/fftw_columns && /tmp/fftw_columns
#include <fftw3.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>
#include <algorithm>
int main() {
  const int N = 256, S = 256 * 129, B = 16;
  fftwf_complex* a = fftwf_alloc_complex(size_t(N) * S);
  fftwf_complex* scr = fftwf_alloc_complex(size_t(N) * B);
  for (size_t i = 0; i < size_t(N) * S; ++i) { a[i][0] = (i % 7) * 0.1f; a[i][1] = 0; }
  int n[1] = {N};
  fftwf_plan ps = fftwf_plan_many_dft(1, n, B, a, nullptr, S, 1, a, nullptr, S, 1, FFTW_FORWARD, FFTW_ESTIMATE);
  fftwf_plan pc = fftwf_plan_many_dft(1, n, B, scr, nullptr, B, 1, scr, nullptr, B, 1, FFTW_FORWARD, FFTW_ESTIMATE);
  fftwf_plan pm = fftwf_plan_many_dft(1, n, B, scr, nullptr, B, 1, scr, nullptr, B, 1, FFTW_FORWARD, FFTW_MEASURE);
  auto med = [](auto f) { std::vector<double> t; for (int r = 0; r < 5; ++r) { auto t0 = std::chrono::steady_clock::now(); f(); t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()); } std::sort(t.begin(), t.end()); return t[2]; };
  double ts = med([&] { for (int c = 0; c < S; c += B) fftwf_execute_dft(ps, a + c, a + c); });
  auto copied = [&](fftwf_plan p) { return med([&] {
    for (int c = 0; c < S; c += B) {
      for (int r = 0; r < N; ++r) std::memcpy(scr + size_t(r) * B, a + size_t(r) * S + c, sizeof(fftwf_complex) * B);
      fftwf_execute_dft(p, scr, scr);
      for (int r = 0; r < N; ++r) std::memcpy(a + size_t(r) * S + c, scr + size_t(r) * B, sizeof(fftwf_complex) * B);
    } }); };
  double tc = copied(pc), tm = copied(pm);
  printf("strided ESTIMATE, blocks of %d: %.1f ms; copied to a contiguous scratch: ESTIMATE %.1f ms, MEASURE %.1f ms\n", B, ts, tc, tm);
}
