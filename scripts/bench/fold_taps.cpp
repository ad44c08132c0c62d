// fold_taps: a stand-alone prototype (not built by meson; AVX-512 only) timing a
// vertical 31-tap pass over 1054 x 64 doubles (in L2), 8 output rows per block, in three
// forms: unfolded (8 x VV sums, the taps as broadcast operands: the shape of the
// library's vtile), folded for symmetric taps, out[r] = sum_m k[m] (x[r+m] + x[r+30-m])
// + k[15] x[r+15], with two loads per pair, and folded with a window of 8 input rows
// on each side held in registers (two loads per 8 adds and 8 FMAs). BENCHMARKS.md,
// thirteenth session.
//   g++ -O2 -march=native -std=c++17 scripts/bench/fold_taps.cpp -o /tmp/fold_taps && /tmp/fold_taps
#ifndef __AVX512F__
#include <cstdio>
int main() {
  std::puts("fold_taps: needs AVX-512 (build with -march=native on such a machine)");
  return 0;
}
#else
#include <immintrin.h>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <vector>
#include <algorithm>
constexpr int M = 31, H = M / 2, RB = 8;
constexpr int COLS = 64;
template <int VV>
__attribute__((noinline)) void unfolded(const double* x, const double* k, double* y, int rows_out) {
  for (int i = 0; i + RB <= rows_out; i += RB)
    for (int c = 0; c < COLS; c += 8 * VV) {
      __m512d a[RB][VV];
#pragma GCC unroll 8
      for (int r = 0; r < RB; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < VV; ++v) a[r][v] = _mm512_setzero_pd();
#pragma GCC unroll 64
      for (int t = 0; t < M + RB - 1; ++t) {
        __m512d in[VV];
#pragma GCC unroll 4
        for (int v = 0; v < VV; ++v) in[v] = _mm512_loadu_pd(x + (i + t) * COLS + c + 8 * v);
#pragma GCC unroll 8
        for (int r = 0; r < RB; ++r)
          if (t - r >= 0 && t - r < M) {
            const __m512d kk = _mm512_set1_pd(k[t - r]);
#pragma GCC unroll 4
            for (int v = 0; v < VV; ++v) a[r][v] = _mm512_fmadd_pd(kk, in[v], a[r][v]);
          }
      }
#pragma GCC unroll 8
      for (int r = 0; r < RB; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < VV; ++v) _mm512_storeu_pd(y + (i + r) * COLS + c + 8 * v, a[r][v]);
    }
}
// out[r] = sum_{m<H} k[m] (x[r+m] + x[r+M-1-m]) + k[H] x[r+H]
__attribute__((noinline)) void folded(const double* x, const double* k, double* y, int rows_out) {
  for (int i = 0; i + RB <= rows_out; i += RB)
    for (int c = 0; c < COLS; c += 8) {
      const double* p = x + i * COLS + c;
      __m512d a[RB];
#pragma GCC unroll 8
      for (int r = 0; r < RB; ++r) a[r] = _mm512_setzero_pd();
#pragma GCC unroll 64
      for (int m = 0; m < H; ++m) {
        const __m512d kk = _mm512_set1_pd(k[m]);
#pragma GCC unroll 8
        for (int r = 0; r < RB; ++r) {
          const __m512d s = _mm512_add_pd(_mm512_loadu_pd(p + (r + m) * COLS), _mm512_loadu_pd(p + (r + M - 1 - m) * COLS));
          a[r] = _mm512_fmadd_pd(kk, s, a[r]);
        }
      }
      const __m512d kk = _mm512_set1_pd(k[H]);
#pragma GCC unroll 8
      for (int r = 0; r < RB; ++r) {
        a[r] = _mm512_fmadd_pd(kk, _mm512_loadu_pd(p + (r + H) * COLS), a[r]);
        _mm512_storeu_pd(y + (i + r) * COLS + c, a[r]);
      }
    }
}

// The same, with a sliding window of RB input rows on each side held in registers: two
// loads, RB adds and RB FMAs per tap pair.
__attribute__((noinline)) void folded_window(const double* x, const double* k, double* y, int rows_out) {
  for (int i = 0; i + RB <= rows_out; i += RB)
    for (int c = 0; c < COLS; c += 8) {
      const double* p = x + i * COLS + c;
      __m512d a[RB], L[RB], R[RB];
#pragma GCC unroll 8
      for (int r = 0; r < RB; ++r) {
        a[r] = _mm512_setzero_pd();
        L[r] = _mm512_loadu_pd(p + r * COLS);
        R[r] = _mm512_loadu_pd(p + (r + M - 1) * COLS);
      }
#pragma GCC unroll 64
      for (int m = 0; m < H; ++m) {
        if (m > 0) {
#pragma GCC unroll 8
          for (int r = 0; r < RB - 1; ++r) L[r] = L[r + 1];
          L[RB - 1] = _mm512_loadu_pd(p + (m + RB - 1) * COLS);
#pragma GCC unroll 8
          for (int r = RB - 1; r > 0; --r) R[r] = R[r - 1];
          R[0] = _mm512_loadu_pd(p + (M - 1 - m) * COLS);
        }
        const __m512d kk = _mm512_set1_pd(k[m]);
#pragma GCC unroll 8
        for (int r = 0; r < RB; ++r) a[r] = _mm512_fmadd_pd(kk, _mm512_add_pd(L[r], R[r]), a[r]);
      }
#pragma GCC unroll 8
      for (int r = 0; r < RB - 1; ++r) L[r] = L[r + 1];
      L[RB - 1] = _mm512_loadu_pd(p + (H + RB - 1) * COLS);
      const __m512d kk = _mm512_set1_pd(k[H]);
#pragma GCC unroll 8
      for (int r = 0; r < RB; ++r) _mm512_storeu_pd(y + (i + r) * COLS + c, _mm512_fmadd_pd(kk, L[r], a[r]));
    }
}
int main() {
  const int rows_out = 1024, rows_in = rows_out + M - 1;
  std::vector<double> x(rows_in * COLS), y(rows_out * COLS), z(rows_out * COLS), k(M);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(i * 0.37);
  for (int m = 0; m < M; ++m) k[m] = std::exp(-0.5 * (m - H) * (m - H) / 25.0);
  auto time = [&](auto f, double* out) {
    std::vector<double> ts;
    for (int rep = 0; rep < 9; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      for (int it = 0; it < 200; ++it) f(x.data(), k.data(), out, rows_out);
      ts.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / 200);
    }
    std::sort(ts.begin(), ts.end());
    return ts[4];
  };
  const double outs = double(rows_out) * COLS;
  double t1 = time(unfolded<1>, y.data());
  double t2 = time(unfolded<2>, y.data());
  double tf = time(folded, z.data());
  std::vector<double> w(y.size());
  double tw = time(folded_window, w.data());
  double err = 0, errw = 0;
  for (size_t i = 0; i < y.size(); ++i) errw = std::max(errw, std::abs(y[i] - w[i]));
  for (size_t i = 0; i < y.size(); ++i) err = std::max(err, std::abs(y[i] - z[i]));
  printf("unfolded 8x1: %.2f ns/8 outputs -> %.1f G taps/s\n", t1 / outs * 8e9, outs * M / t1 / 1e9);
  printf("unfolded 8x2: %.2f ns/8 outputs -> %.1f G taps/s\n", t2 / outs * 8e9, outs * M / t2 / 1e9);
  printf("folded   8x1: %.2f ns/8 outputs -> %.1f G taps/s equiv (x%.2f over 8x2), max diff %.1e\n", tf / outs * 8e9,
         outs * M / tf / 1e9, t2 / tf, err);
  printf("folded windows 8x1: %.2f ns/8 outputs -> %.1f G taps/s equiv (x%.2f over 8x2), max diff %.1e\n",
         tw / outs * 8e9, outs * M / tw / 1e9, t2 / tw, errw);
}
#endif
