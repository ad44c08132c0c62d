// lib/direct/direct.cpp: the direct engine: slab buffers with the border already
// applied, and a register-blocked SIMD micro-kernel over a flat tap list.
#include "direct/direct.hpp"
#include "core/simd.hpp"

#include <algorithm>
#include <limits>
#include <cstring>
#include <numeric>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "parallel/slices.hpp"

namespace autoconv::detail {

namespace {

// The register blocks below hold their sums in bvec_t: vec_t with AVX-512, where it
// is one register, and the native register with AVX2, where vec_t is two of AVX2's 16
// and blocks of them spill (measured on Zen 3, before: 2-D 7x7 double 0.43-0.48x
// Eigen's speed, 1-D 5 taps 0.35x). NV counts vec_t either way; the blocks hold
// NV * bsplit sums. Same sums in the same order on every target.
template <class R>
using bvec_t = std::conditional_t<vec_regs == 2, nvec_t<R>, vec_t<R>>;
template <class R>
inline constexpr int bsplit = static_cast<int>(sizeof(vec_t<R>) / sizeof(bvec_t<R>));

// dst[0 .. NV*lanes) = sum_t w[t] * base[off[t] + 0 .. NV*lanes) over a flat tap list.
// NV independent accumulators hide the FMA latency. Every output is one sequential
// sum over the taps in list order (permuted C order of the kernel), one rounding per
// fused multiply-add, exactly as dot_scalar and rows_block compute it: a value never
// depends on which path or thread computed it.
template <class R, int NV>
inline __attribute__((always_inline)) void dot_block(const R* base, const index_t* off, const R* w, std::size_t nt,
                                                     R* dst) {
  using B = bvec_t<R>;
  constexpr int lanes = lanes_v<R> / bsplit<R>, NB = NV * bsplit<R>;
  B acc[NB];
  for (int v = 0; v < NB; ++v) acc[v] = B{};
  for (std::size_t t = 0; t < nt; ++t) {
    const R* p = base + off[t];
    const B wv = splat<B>(w[t]);
#pragma GCC unroll 16
    for (int v = 0; v < NB; ++v) acc[v] += wv * vload<B>(p + v * lanes);
  }
  for (int v = 0; v < NB; ++v) vstore(dst + v * lanes, acc[v], false);
}

// dot_block for taps at consecutive offsets 0, 1, ..., nt-1 (1-D kernels): no offset
// table to read per tap, which here is worth ~35% (48 vs 35 GFLOP/s double).
template <class R, int NV>
inline __attribute__((always_inline)) void dot_block_contig(const R* base, const R* w, std::size_t nt, R* dst) {
  using B = bvec_t<R>;
  constexpr int lanes = lanes_v<R> / bsplit<R>, NB = NV * bsplit<R>;
  B acc[NB];
  for (int v = 0; v < NB; ++v) acc[v] = B{};
  for (std::size_t t = 0; t < nt; ++t) {
    const B wv = splat<B>(w[t]);
#pragma GCC unroll 16
    for (int v = 0; v < NB; ++v) acc[v] += wv * vload<B>(base + t + v * lanes);
  }
  for (int v = 0; v < NB; ++v) vstore(dst + v * lanes, acc[v], false);
}

template <class R>
inline R dot_scalar(const R* base, const index_t* off, const R* w, std::size_t nt) {
  R a = 0;
  for (std::size_t t = 0; t < nt; ++t) a += w[t] * base[off[t]];
  return a;
}

// RB output rows (consecutive along the second-innermost axis) x NV vectors at once.
// Rows r and r+1 read the same input rows with neighbouring kernel rows, so one
// loaded input vector feeds up to RB accumulators: loads per FMA fall from ~1 (every
// load an unaligned, mostly cache-line-splitting read) to ~1/RB + 1/NV.
//   base: buffer position of output (row 0, column j); rs: buffer row stride;
//   ko_off[nko]: offsets of the outer kernel positions (axes before the row axis);
//   w: weights [nko][K][Kc] in kernel C order; out rows at out + r*ors (unit stride).
// For each output the taps are visited in (ko, kr, m) order, the flat list's order.
// KC > 0 fixes the row-axis kernel extent at compile time: the y and r loops then
// unroll completely and the validity tests below vanish (each would otherwise cost
// a branch on an FMA port per 2-4 FMAs for small kernels). KC = 0: K at run time.
template <class R, int RB, int NV, int KC>
inline __attribute__((always_inline)) void rows_block(const R* base, index_t rs, const index_t* ko_off,
                                                      std::size_t nko, index_t K_rt, index_t Kc, const R* w, R* out,
                                                      index_t ors, bool stream) {
  using B = bvec_t<R>;
  constexpr int lanes = lanes_v<R> / bsplit<R>, NB = NV * bsplit<R>;
  const index_t K = KC > 0 ? KC : K_rt;
  B acc[RB][NB];
  for (int r = 0; r < RB; ++r)
    for (int v = 0; v < NB; ++v) acc[r][v] = B{};
  for (std::size_t ko = 0; ko < nko; ++ko) {
    const R* pk = base + ko_off[ko];
    const R* wk = w + static_cast<index_t>(ko) * K * Kc;
#pragma GCC unroll 16
    for (index_t y = 0; y < K + RB - 1; ++y) {  // input row y serves output row r with kernel row y - r
      const R* prow = pk + y * rs;
      for (index_t m = 0; m < Kc; ++m) {
        B x[NB];
#pragma GCC unroll 16
        for (int v = 0; v < NB; ++v) x[v] = vload<B>(prow + m + v * lanes);
#pragma GCC unroll 8
        for (int r = 0; r < RB; ++r) {
          const index_t kr = y - r;
          if (kr >= 0 && kr < K) {
            const B wv = splat<B>(wk[kr * Kc + m]);
#pragma GCC unroll 16
            for (int v = 0; v < NB; ++v) acc[r][v] += wv * x[v];
          }
        }
      }
    }
  }
  for (int r = 0; r < RB; ++r)
    for (int v = 0; v < NB; ++v) vstore(out + r * ors + v * lanes, acc[r][v], stream);
}

// rows_block for a kernel whose last two extents K x KC are compile-time constants:
// the K*KC weights of one outer position are broadcast once per block and held in
// registers (3x3: 9 + 16 accumulators + 4 inputs = 29 of 32), so only input vectors
// are loaded: 0.56 loads per FMA instead of 0.75. Same (ko, kr, m) tap order.
template <class R, int RB, int NV, int K, int KC>
inline __attribute__((always_inline)) void rows_block_w(const R* base, index_t rs, const index_t* ko_off,
                                                        std::size_t nko, const R* w, R* out, index_t ors,
                                                        bool stream) {
  constexpr int lanes = lanes_v<R>;
  vec_t<R> acc[RB][NV];
  for (int r = 0; r < RB; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = vec_t<R>{};
  for (std::size_t ko = 0; ko < nko; ++ko) {
    const R* pk = base + ko_off[ko];
    vec_t<R> wv[K][KC];
#pragma GCC unroll 16
    for (int kr = 0; kr < K; ++kr)
#pragma GCC unroll 16
      for (int m = 0; m < KC; ++m) wv[kr][m] = broadcast(w[(static_cast<index_t>(ko) * K + kr) * KC + m]);
#pragma GCC unroll 16
    for (int y = 0; y < K + RB - 1; ++y) {
      const R* prow = pk + y * rs;
#pragma GCC unroll 16
      for (int m = 0; m < KC; ++m) {
        vec_t<R> x[NV];
#pragma GCC unroll 16
        for (int v = 0; v < NV; ++v) x[v] = load(prow + m + v * lanes);
#pragma GCC unroll 8
        for (int r = 0; r < RB; ++r) {
          const int kr = y - r;
          if (kr >= 0 && kr < K) {
#pragma GCC unroll 16
            for (int v = 0; v < NV; ++v) acc[r][v] += wv[kr][m] * x[v];
          }
        }
      }
    }
  }
  for (int r = 0; r < RB; ++r)
    for (int v = 0; v < NV; ++v) store(out + r * ors + v * lanes, acc[r][v], stream);
}

// rows_group for a compile-time K x KC kernel tail (see rows_block_w).
template <class R, int RB, int NV, int K, int KC>
void rows_group_w(const R* base, index_t rs, const index_t* ko_off, std::size_t nko, index_t, index_t, const R* w,
                  R* out, index_t ors, index_t len, bool stream) {
  constexpr index_t lanes = lanes_v<R>;
  index_t j = 0;
  for (; j + NV * lanes <= len; j += NV * lanes)
    rows_block_w<R, RB, NV, K, KC>(base + j, rs, ko_off, nko, w, out + j, ors, stream);
  for (; j + lanes <= len; j += lanes)
    rows_block_w<R, RB, 1, K, KC>(base + j, rs, ko_off, nko, w, out + j, ors, stream);
}

// One group of RB rows, columns [0, len) with len a multiple of the lane count: blocks
// of NV vectors, then of 2 and 1. Not inlined: called through the per-layout pointer
// chosen by K.
template <class R, int RB, int NV, int KC>
void rows_group(const R* base, index_t rs, const index_t* ko_off, std::size_t nko, index_t K, index_t Kc,
                const R* w, R* out, index_t ors, index_t len, bool stream) {
  constexpr index_t lanes = lanes_v<R>;
  index_t j = 0;
  for (; j + NV * lanes <= len; j += NV * lanes)
    rows_block<R, RB, NV, KC>(base + j, rs, ko_off, nko, K, Kc, w, out + j, ors, stream);
  if constexpr (NV > 2) {
    if (j + 2 * lanes <= len) {
      rows_block<R, RB, 2, KC>(base + j, rs, ko_off, nko, K, Kc, w, out + j, ors, stream);
      j += 2 * lanes;
    }
  }
  if (j + lanes <= len) rows_block<R, RB, 1, KC>(base + j, rs, ko_off, nko, K, Kc, w, out + j, ors, stream);
}

template <class R>
using rows_fn = void (*)(const R*, index_t, const index_t*, std::size_t, index_t, index_t, const R*, R*, index_t,
                         index_t, bool);

}  // namespace

template <class T>
struct DirectEngine<T>::Layout {
  std::array<int, max_rank> perm{};  // perm[j]: problem axis at position j (last = innermost)
  int D = 0;
  std::array<index_t, max_rank> N{}, M{}, L{}, S{}, E{};
  index_t slab = 1;             // output rows along position 0 per slab
  index_t nslabs = 1;
  std::array<index_t, max_rank> bs{};  // buffer strides (elements of one plane)
  std::size_t plane = 0;        // elements of one buffer plane (full slab)
  // Taps for the real (and, for complex T, imaginary) output plane.
  std::vector<index_t> off_re, off_im;
  std::vector<R> w_re, w_im;
  // Row-blocked form (real T, D >= 2): kernel extents on the row axis (D-2) and the
  // innermost axis, offsets of the outer kernel positions, weights in C order.
  index_t K = 1, Kc = 1;
  std::vector<index_t> ko_off;
  std::vector<R> w_blk;
  bool lanes1d = false;  // 1-D real: lane-transposed path
};

namespace {

template <class T>
inline T make_value(double re) {
  return T(static_cast<real_t<T>>(re));
}

// Copies one buffer row: positions q in [q0, q0 + count) of the extended axis,
// x_ext(p) with p = q + shift, from a strided input row.
template <class T, class R>
void fill_row(R* dst_re, R* dst_im, const T* src, index_t stride, index_t q0, index_t count, index_t shift,
              index_t n, Ext ext, R cval) {
  const index_t p0 = q0 + shift;
  const index_t mid_lo = std::clamp<index_t>(-p0, 0, count);
  const index_t mid_hi = std::clamp<index_t>(n - p0, mid_lo, count);
  auto put = [&](index_t j, index_t idx) {
    if constexpr (is_complex_v<T>) {
      if (idx < 0) {
        dst_re[j] = cval;
        dst_im[j] = 0;
      } else {
        dst_re[j] = src[idx * stride].real();
        dst_im[j] = src[idx * stride].imag();
      }
    } else {
      (void)dst_im;
      dst_re[j] = idx < 0 ? cval : src[idx * stride];
    }
  };
  for (index_t j = 0; j < mid_lo; ++j) put(j, extend_index(p0 + j, n, ext));
  if constexpr (is_complex_v<T>) {
    for (index_t j = mid_lo; j < mid_hi; ++j) {
      const T v = src[(p0 + j) * stride];
      dst_re[j] = v.real();
      dst_im[j] = v.imag();
    }
  } else {
    if (stride == 1 && mid_hi - mid_lo >= 64) {
      std::memcpy(dst_re + mid_lo, src + p0 + mid_lo, static_cast<std::size_t>(mid_hi - mid_lo) * sizeof(R));
    } else {  // strided, or too short to pay for a call
      for (index_t j = mid_lo; j < mid_hi; ++j) dst_re[j] = src[(p0 + j) * stride];
    }
  }
  for (index_t j = mid_hi; j < count; ++j) put(j, extend_index(p0 + j, n, ext));
}

template <class R>
inline void fill_const(R* dst_re, R* dst_im, index_t count, R cval, bool cplx) {
  std::fill(dst_re, dst_re + count, cval);
  if (cplx) std::fill(dst_im, dst_im + count, R(0));
}

// ---- 1-D, real data: lane-transposed layout ---------------------------------------
// A 1-D slab of Ls outputs is cut into `lanes` segments of `seg` samples; vector q of
// the buffer holds sample q of every segment (lane l = segment l). Convolving along q
// then needs only aligned full-vector loads, where the plain layout's taps are
// unaligned loads that mostly straddle two cache lines: measured here 75-80 against
// 48 GFLOP/s (double, k = 31). Segments go in and out through in-register L x L
// transposes (log2 L shuffle stages), a small cost next to the taps.

inline index_t round_up(index_t v, index_t m) { return (v + m - 1) / m * m; }

// Samples per lane for a slab of `len` outputs: a multiple of the lane count.
template <class R>
index_t lane_segment(index_t len) {
  constexpr index_t L = lanes_v<R>;
  return round_up((len + L - 1) / L, L);
}

// Buffer elements for a slab of `len` outputs and an M-tap kernel.
template <class R>
index_t lane_buffer_elems(index_t len, index_t M) {
  constexpr index_t L = lanes_v<R>;
  return round_up(lane_segment<R>(len) + M - 1, L) * L;
}

// Fills the lane buffer: vector q, lane l = x_ext(p_first + l*seg + q).
template <class R>
void fill_lanes(R* buf, const R* in, index_t is, index_t n, index_t p_first, index_t seg, index_t nq, Ext ext,
                R cval) {
  constexpr int L = lanes_v<R>;
  for (index_t qb = 0; qb < nq; qb += L) {
    vec_t<R> r[L];
    for (int l = 0; l < L; ++l) {
      const index_t p = p_first + l * seg + qb;
      if (is == 1 && p >= 0 && p + L <= n) {
        r[l] = load(in + p);
      } else {  // near an edge or strided: element by element, through memory
        alignas(64) R tmp[L];
        for (int c = 0; c < L; ++c) {
          const index_t idx = extend_index(p + c, n, ext);
          tmp[c] = idx < 0 ? cval : in[idx * is];
        }
        r[l] = load(tmp);
      }
    }
    transpose<R>(r);
    for (int c = 0; c < L; ++c) store(buf + (qb + c) * L, r[c], false);
  }
}

// Sums of NO outputs of a lane block, in vectors V of R (vec_t, or the native register
// for one part of the lanes): q points at the block's first sample in the wanted lanes,
// sample t at q + t * L; a[v] = sum over m = 0 .. M-1, in order, of w[m] * sample v + m.
// Four taps per pass: sample t serves output v with tap t - v, so a sliding window of
// four loaded vectors feeds four taps of every sum: 1 load + 1 broadcast per 4 FMAs
// instead of 1.1 loads per FMA.
template <int NO, class V, class R>
inline __attribute__((always_inline)) void lane_sums(const R* q, index_t L, const R* w, index_t M, V* a) {
#pragma GCC unroll 16
  for (int v = 0; v < NO; ++v) a[v] = V{};
  index_t m = 0;
  for (; m + 4 <= M; m += 4) {
    const V w0 = splat<V>(w[m]), w1 = splat<V>(w[m + 1]), w2 = splat<V>(w[m + 2]), w3 = splat<V>(w[m + 3]);
    const R* qm = q + m * L;
    // On AVX-512, opaque to the optimiser: GCC otherwise keeps this pass's loads for the
    // next (the samples overlap) and, with float's 16 sums, spills 4 of them on every
    // pass (AVX2's 8 sums leave it no registers for that).
    if constexpr (vec_regs == 1) __asm__("" : "+r"(qm));
    V x0 = vload<V>(qm), x1 = vload<V>(qm + L), x2 = vload<V>(qm + 2 * L);
#pragma GCC unroll 16
    for (int v = 0; v < NO; ++v) {
      const V x3 = vload<V>(qm + (v + 3) * L);
      a[v] += w0 * x0;
      a[v] += w1 * x1;
      a[v] += w2 * x2;
      a[v] += w3 * x3;
      x0 = x1;
      x1 = x2;
      x2 = x3;
    }
  }
  for (; m < M; ++m) {
    const V wv = splat<V>(w[m]);
#pragma GCC unroll 16
    for (int v = 0; v < NO; ++v) a[v] += wv * vload<V>(q + (m + v) * L);
  }
}

// Outputs [a, b) from a filled lane buffer; taps w[0..M) at consecutive offsets. Each
// output is the same sequential FMA sum over the taps as on every other path.
template <class R>
void compute_lanes(const R* buf, const R* w, index_t M, index_t seg, index_t a, index_t b, R* out, index_t os,
                   bool stream) {
  constexpr int L = lanes_v<R>;
  for (index_t i = 0; i < seg; i += L) {
    vec_t<R> acc[L];
    const R* p = static_cast<const R*>(__builtin_assume_aligned(buf + i * L, 64));
    if constexpr (bsplit<R> == 1) {
      lane_sums<L>(p, L, w, M, acc);
    } else {
      // L vec_t sums would be 2 L of AVX2's 16 registers: native parts of the lanes, 8
      // outputs at a time (8 sums, the window's 4 inputs and 4 taps: 16 registers),
      // joined through a small buffer.
      using N = nvec_t<R>;
      constexpr int NW = native_lanes<R>;
      alignas(64) R res[L][L];
      for (int h = 0; h < L / NW; ++h)
        for (int v0 = 0; v0 < L; v0 += 8) {
          N part[8];
          lane_sums<8>(p + v0 * L + h * NW, L, w, M, part);
#pragma GCC unroll 8
          for (int v = 0; v < 8; ++v) nstore(&res[v0 + v][h * NW], part[v]);
        }
      for (int v = 0; v < L; ++v) acc[v] = load(&res[v][0]);
    }
    transpose<R>(acc);  // acc[l] = outputs i .. i+L-1 of segment l
    for (int l = 0; l < L; ++l) {
      const index_t pos = a + l * seg + i;
      if (os == 1 && pos + L <= b) {
        store(out + pos, acc[l], stream);
      } else {
        for (int c = 0; c < L && pos + c < b; ++c) out[(pos + c) * os] = acc[l][c];
      }
    }
  }
}

// Output samples [j0, len) of one row at buffer position `base` (column 0), written
// to out (column 0) with stride os.
template <class T, class R>
void compute_row(const R* base, index_t j0, index_t len, T* out, index_t os, const index_t* off_re, const R* w_re,
                 std::size_t n_re, const index_t* off_im, const R* w_im, std::size_t n_im) {
  constexpr index_t lanes = lanes_v<R>;
  constexpr int nv_max = vec_regs == 1 ? 8 : 4;  // 8 registers of sums
  alignas(64) R re[nv_max * lanes];
  alignas(64) R im[nv_max * lanes];
  // Real data with a unit-stride output: accumulators go straight to the output.
  const bool direct_store = !is_complex_v<T> && os == 1;
  // Real taps at offsets 0..n-1 (a 1-D kernel).
  const bool contiguous = !is_complex_v<T> && n_re > 0 && off_re[n_re - 1] == static_cast<index_t>(n_re - 1);
  auto store = [&](index_t j, index_t cnt) {
    if constexpr (is_complex_v<T>) {
      for (index_t b = 0; b < cnt; ++b) out[(j + b) * os] = T(re[b], im[b]);
    } else {
      for (index_t b = 0; b < cnt; ++b) out[(j + b) * os] = re[b];
    }
  };
  auto run = [&](auto nv_const, index_t j) {
    constexpr int NV = decltype(nv_const)::value;
    R* dst = re;
    if constexpr (!is_complex_v<T>)
      if (direct_store) dst = out + j;
    if (contiguous) {
      dot_block_contig<R, NV>(base + j, w_re, n_re, dst);
    } else {
      dot_block<R, NV>(base + j, off_re, w_re, n_re, dst);
      if constexpr (is_complex_v<T>) dot_block<R, NV>(base + j, off_im, w_im, n_im, im);
    }
    if (!direct_store) store(j, NV * lanes);
  };
  index_t j = j0;
  for (; j + nv_max * lanes <= len; j += nv_max * lanes) run(std::integral_constant<int, nv_max>{}, j);
  if (j + 4 * lanes <= len) run(std::integral_constant<int, 4>{}, j), j += 4 * lanes;
  if (j + 2 * lanes <= len) run(std::integral_constant<int, 2>{}, j), j += 2 * lanes;
  if (j + lanes <= len) run(std::integral_constant<int, 1>{}, j), j += lanes;
  for (; j < len; ++j) {
    re[0] = dot_scalar(base + j, off_re, w_re, n_re);
    if constexpr (is_complex_v<T>) im[0] = dot_scalar(base + j, off_im, w_im, n_im);
    store(j, 1);
  }
}

// Row-blocking shape: rb_rows output rows x rb_vecs vectors = 16 accumulators, plus
// rb_vecs loaded vectors and one broadcast: 21 of the 32 AVX-512 registers (AVX2:
// 4 x 1 vec_t = 8 native sums, 2 inputs, 1 broadcast: 11 of 16).
constexpr int rb_rows = 4;
// 3x3 tails (weights in registers): 8 rows x 2 vectors = 16 accumulators + 9 weights
// + 2 inputs; 8 rows share each loaded vector: 0.42 loads per FMA instead of 0.5.
constexpr int rb_rows_3x3 = 8;
constexpr int rb_vecs_3x3 = 2;

// Rows per register-blocked group for a kernel tail of K x Kc.
inline index_t group_rows(index_t K, index_t Kc) { return K == 3 && Kc == 3 ? rb_rows_3x3 : rb_rows; }
constexpr int rb_vecs = vec_regs == 1 ? 4 : 1;

// Interior groups read the input directly only when the kernel has at most this many
// outer positions (axes before the row axis). With more, a group reads that many
// input planes at once, and planes of power-of-two size alias in L1 (128^3 double,
// 7^3: 31 ms direct vs 25 ms through the padded slab buffer; 5^3: 12.8 vs 11.1).
constexpr std::size_t max_ko_direct = 3;

// Outputs at least this large (twice this machine's 2 MiB L2) are written with
// non-temporal stores: they leave the core's caches anyway, and bypassing them saves
// the read-for-ownership of every line (128^3 float, 3^3: 2.4 -> 1.9 ms with the
// input cold); smaller outputs stay cached for the caller, who usually reads them next.
constexpr double stream_min_bytes = 4.0 * 1024 * 1024;

// 1-D signals shorter than this many vectors stay on the plain path: the lane
// layout would compute mostly padding.
constexpr index_t lane_min_len = 32;

// Kernels of at most this many taps stay on the plain path whatever the signal's
// length: the lane layout's transposes in and out cost ~0.5 ns per output (double)
// whatever the kernel, more than a few unaligned loads per tap. Measured here, one
// thread, ns per output, plain against lanes: double 3 taps 0.39 vs 0.52-0.64 (1e4,
// 1e5 samples), 9 taps 0.58-0.80 vs 0.59-0.99 (1e4-1e6), 11 taps mixed, 15 taps
// lanes ahead at 1e4; float 9 taps 0.28-0.33 vs 0.33-0.62, 15 taps 0.42-0.45 vs
// 0.40-0.63, 21 taps lanes ahead (0.45-0.65 vs 0.57-0.60).
template <class R>
constexpr index_t lane_max_plain_taps = lanes_v<R> + 1;

// Compile-time row extents for the kernels people use most (1 to 9 rows).
template <class R>
rows_fn<R> pick_rows_fn(index_t K, index_t Kc) {
  if (K == 3 && Kc == 3) return rows_group_w<R, rb_rows_3x3, rb_vecs_3x3, 3, 3>;
  switch (K) {
    case 1: return rows_group<R, rb_rows, rb_vecs, 1>;
    case 2: return rows_group<R, rb_rows, rb_vecs, 2>;
    case 3: return rows_group<R, rb_rows, rb_vecs, 3>;
    case 4: return rows_group<R, rb_rows, rb_vecs, 4>;
    case 5: return rows_group<R, rb_rows, rb_vecs, 5>;
    case 6: return rows_group<R, rb_rows, rb_vecs, 6>;
    case 7: return rows_group<R, rb_rows, rb_vecs, 7>;
    case 8: return rows_group<R, rb_rows, rb_vecs, 8>;
    case 9: return rows_group<R, rb_rows, rb_vecs, 9>;
    default: return rows_group<R, rb_rows, rb_vecs, 0>;
  }
}

// Slab sizing. A slab of s output rows (along position 0) reads s + M0 - 1 buffer
// rows, so thin slabs copy the input up to M0 times over: at least
// slab_min_factor * (M0 - 1) rows per slab keeps that redundancy below 25%, unless
// the buffer would pass slab_max_elems (16 MiB of doubles). Otherwise about
// slab_target_elems per buffer (1 MiB of doubles, this machine's L2 size), which
// keeps the rows a block of outputs re-reads in cache.
constexpr index_t slab_target_elems = 128 * 1024;
constexpr index_t slab_max_elems = 2 * 1024 * 1024;
constexpr index_t slab_min_factor = 4;
constexpr index_t slab_1d = 16384;
constexpr index_t slab_1d_min = direct_slab_1d_min;
static_assert(slab_1d % slab_1d_min == 0, "1-D slabs cut thinner keep the vector blocks' grid");

// The slab (output rows along position 0) and the elements of one buffer plane (per
// real part) for the extents L, M in the engine's axis order (E = L + M - 1).
struct SlabSize {
  index_t slab = 1;
  std::size_t plane = 0;
  bool lanes1d = false;
};
template <class R>
SlabSize slab_size(int D, const index_t* L, const index_t* M, bool complex_data) {
  index_t plane_rows = 1;  // elements of one position-0 row of the buffer
  for (int j = 1; j < D; ++j) plane_rows *= L[j] + M[j] - 1;
  const index_t m0 = M[0];
  index_t slab = std::max<index_t>(1, slab_target_elems / plane_rows - (m0 - 1));
  const index_t low_redundancy = std::min(slab_min_factor * (m0 - 1), slab_max_elems / plane_rows - (m0 - 1));
  slab = std::max(slab, low_redundancy);
  // 1-D: 16384 outputs per slab (buffer ~128 KiB of doubles, L2-resident with its
  // output; longer slabs measured 10-25% slower), longer for long kernels.
  // Whole multiples of slab_1d_min, so that run() can cut them thinner on the same grid.
  if (D == 1) slab = std::max<index_t>(slab_1d, round_up(slab_min_factor * (m0 - 1), slab_1d_min));
  // 2-D: the slab's rows are the output rows, computed in register-blocked groups; a
  // slab that is not a whole number of groups leaves its last rows to the row-by-row
  // path, which also needs their buffer rows copied whole. Rounded to the nearest
  // whole number of groups (4096^2 double, 3x3: 29-row slabs left 5 rows each to
  // it: 23.9 -> 20.9 ms; 2048^2: 3.7 -> 3.0 ms). Slabs thinner than a group (rows so
  // long that one group's buffer would pass the target) stay as they are.
  if (D == 2) {
    const index_t g = group_rows(M[0], M[1]);
    if (slab >= g) slab = (slab + g / 2) / g * g;
  }
  SlabSize z;
  z.slab = std::min(slab, L[0]);
  z.plane = static_cast<std::size_t>((z.slab + m0 - 1) * plane_rows);
  // 1-D real data long enough to fill the lanes, and a kernel longer than
  // lane_max_plain_taps: the lane-transposed path.
  z.lanes1d = !complex_data && D == 1 && L[0] >= lane_min_len * lanes_v<R> && m0 > lane_max_plain_taps<R>;
  if (z.lanes1d) z.plane = std::max(z.plane, static_cast<std::size_t>(lane_buffer_elems<R>(z.slab, m0)));
  return z;
}

}  // namespace

std::size_t direct_buffer_bytes(const Problem& pb, std::size_t real_bytes, bool complex_data) {
  const int D = pb.rank();
  const SlabSize z = real_bytes == sizeof(float)
                         ? slab_size<float>(D, pb.output.begin(), pb.kernel.begin(), complex_data)
                         : slab_size<double>(D, pb.output.begin(), pb.kernel.begin(), complex_data);
  return z.plane * real_bytes * (complex_data ? 2 : 1);
}

template <class T>
DirectEngine<T>::DirectEngine(const Problem& pb, std::vector<T> kc) : pb_(pb), kc_(std::move(kc)) {
  if constexpr (is_complex_v<T>) {
    real_weights_ = std::all_of(kc_.begin(), kc_.end(), [](const T& v) { return v.imag() == 0; });
  }
}

template <class T>
DirectEngine<T>::~DirectEngine() = default;

template <class T>
const typename DirectEngine<T>::Layout& DirectEngine<T>::layout_for(const View<T>& out) const {
  const int D = pb_.rank();
  // Innermost = the output axis with the smallest |stride| (ties: the later axis, so
  // C order is the identity permutation); others keep decreasing |stride|.
  std::array<int, max_rank> perm{};
  std::iota(perm.begin(), perm.begin() + D, 0);
  // Stable insertion sort by decreasing |stride| (std::stable_sort would allocate a
  // buffer on every call, and execute allocates nothing once warm).
  const auto abs_stride = [&](int a) { return out.stride(a) < 0 ? -out.stride(a) : out.stride(a); };
  for (int i = 1; i < D; ++i)
    for (int j = i; j > 0 && abs_stride(perm[static_cast<std::size_t>(j)]) > abs_stride(perm[static_cast<std::size_t>(j - 1)]);
         --j)
      std::swap(perm[static_cast<std::size_t>(j)], perm[static_cast<std::size_t>(j - 1)]);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& l : layouts_)
    if (std::equal(perm.begin(), perm.begin() + D, l->perm.begin())) return *l;

  auto l = std::make_unique<Layout>();
  l->perm = perm;
  l->D = D;
  for (int j = 0; j < D; ++j) {
    const int a = perm[static_cast<std::size_t>(j)];
    const auto u = static_cast<std::size_t>(j);
    l->N[u] = pb_.input[a];
    l->M[u] = pb_.kernel[a];
    l->L[u] = pb_.output[a];
    l->S[u] = pb_.start[static_cast<std::size_t>(a)];
    l->E[u] = l->L[u] + l->M[u] - 1;
  }
  const SlabSize z = slab_size<R>(D, l->L.data(), l->M.data(), is_complex_v<T>);
  l->slab = z.slab;
  l->nslabs = (l->L[0] + l->slab - 1) / l->slab;
  l->bs[static_cast<std::size_t>(D - 1)] = 1;
  for (int j = D - 2; j >= 0; --j)
    l->bs[static_cast<std::size_t>(j)] = l->bs[static_cast<std::size_t>(j + 1)] * l->E[static_cast<std::size_t>(j + 1)];
  l->plane = z.plane;
  l->lanes1d = z.lanes1d;

  // Flat tap list in permuted C order (ascending buffer offsets).
  std::array<index_t, max_rank> kstride{};  // strides of kc_ over problem axes (C order)
  {
    index_t s = 1;
    for (int a = D - 1; a >= 0; --a) {
      kstride[static_cast<std::size_t>(a)] = s;
      s *= pb_.kernel[a];
    }
  }
  const auto plane = static_cast<index_t>(l->plane);
  std::array<index_t, max_rank> m{};
  const std::size_t ntaps = kc_.size();
  for (std::size_t t = 0; t < ntaps; ++t) {
    index_t off = 0, src = 0;
    for (int j = 0; j < D; ++j) {
      off += m[static_cast<std::size_t>(j)] * l->bs[static_cast<std::size_t>(j)];
      src += m[static_cast<std::size_t>(j)] * kstride[static_cast<std::size_t>(perm[static_cast<std::size_t>(j)])];
    }
    const T w = kc_[static_cast<std::size_t>(src)];
    if constexpr (is_complex_v<T>) {
      // re_out = kr*xr - ki*xi ; im_out = ki*xr + kr*xi. The imaginary plane starts at +plane.
      l->off_re.push_back(off);
      l->w_re.push_back(w.real());
      l->off_im.push_back(off + plane);
      l->w_im.push_back(w.real());
      if (!real_weights_) {
        l->off_re.push_back(off + plane);
        l->w_re.push_back(-w.imag());
        l->off_im.push_back(off);
        l->w_im.push_back(w.imag());
      }
    } else {
      l->off_re.push_back(off);
      l->w_re.push_back(w);
    }
    for (int j = D - 1; j >= 0; --j) {  // odometer over the permuted kernel index
      if (++m[static_cast<std::size_t>(j)] < l->M[static_cast<std::size_t>(j)]) break;
      m[static_cast<std::size_t>(j)] = 0;
    }
  }
  if constexpr (!is_complex_v<T>) {
    if (D >= 2) {
      // Row-blocked form: the same weights in the same (permuted C) order, split as
      // [outer positions 0..D-3][row axis D-2][innermost axis D-1].
      l->K = l->M[static_cast<std::size_t>(D - 2)];
      l->Kc = l->M[static_cast<std::size_t>(D - 1)];
      l->w_blk = l->w_re;
      const std::size_t nko = l->w_blk.size() / static_cast<std::size_t>(l->K * l->Kc);
      for (std::size_t ko = 0; ko < nko; ++ko) l->ko_off.push_back(l->off_re[ko * static_cast<std::size_t>(l->K * l->Kc)]);
    }
  }
  layouts_.push_back(std::move(l));
  return *layouts_.back();
}

template <class T>
void DirectEngine<T>::run(View<const T> in, View<T> out, int threads) const {
  const Layout& l = layout_for(out);
  const int D = l.D;
  std::array<index_t, max_rank> is{}, os{};
  for (int j = 0; j < D; ++j) {
    is[static_cast<std::size_t>(j)] = in.stride(l.perm[static_cast<std::size_t>(j)]);
    os[static_cast<std::size_t>(j)] = out.stride(l.perm[static_cast<std::size_t>(j)]);
  }
  constexpr bool cplx = is_complex_v<T>;
  const std::size_t buf_elems = l.plane * (cplx ? 2 : 1);
  // Work in multiply-adds, plus per output what reading its window and storing it cost
  // (~16 multiply-adds here: a 3-tap kernel is bound by memory, not by its taps).
  double work = static_cast<double>(l.off_re.size()) * (cplx ? 2.0 : 1.0) + direct_output_work;
  for (int j = 0; j < D; ++j) work *= static_cast<double>(l.L[static_cast<std::size_t>(j)]);
  // Too few slabs for the threads the work pays for (thick slabs of a short axis 0: a
  // 128^3 volume with a 9^3 kernel has 4 slabs of 32 planes), or a few that do not
  // divide evenly between them (3 slabs on 2 threads): thinner slabs, a whole number
  // per thread, down to one row of axis 0 (N-D) or slab_1d_min outputs (1-D). Their
  // larger halo copy is small next to the taps that need the threads; the sums are
  // the same whatever the slab (see the top of this file).
  index_t slab = l.slab, nslabs = l.nslabs;
  const index_t rows_max = D == 1 ? (l.L[0] + slab_1d_min - 1) / slab_1d_min : l.L[0];
  const int want = resolve_threads(threads, rows_max, work);
  if (want > 1 && nslabs % want != 0 && nslabs < 4 * want) {
    const index_t slices = want * ((nslabs + want - 1) / want);
    slab = (l.L[0] + slices - 1) / slices;
    if (D == 1) {
      // Multiples of slab_1d_min, which divides slab_1d: the vector blocks of
      // compute_row then fall on the same outputs as with whole slabs (complex data
      // sums a block's outputs and the scalar tail's in different orders).
      slab = round_up(slab, slab_1d_min);
    } else if (D == 2) {  // whole row groups, as layout_for's slabs
      const index_t g = group_rows(l.M[0], l.M[1]);
      if (slab > g) slab = round_up(slab, g);
    }
    nslabs = (l.L[0] + slab - 1) / slab;
  }
  const int nt = resolve_threads(threads, nslabs, work);

  // Buffers are taken before the parallel region (only a buffer's row flags may grow
  // inside it, on first use; for_each_slice carries a std::bad_alloc out).
  typename Pool<Buffer>::Lease bufs(pool_, nt, [&](Buffer& b) { b.reserve(buf_elems); });

  const R cval = pb_.outside_value<R>();
  double out_bytes = sizeof(T);
  for (int j = 0; j < D; ++j) out_bytes *= static_cast<double>(l.L[static_cast<std::size_t>(j)]);
  const T* in_data = in.data();
  T* out_data = out.data();
  const std::size_t last = static_cast<std::size_t>(D - 1);

  // Columns that interior row groups read straight from the input (real data,
  // unit-stride rows in and out): blocks [jl, jr) whose taps stay inside the row.
  DirectCols direct_cols;
  std::array<index_t, max_ko_direct> ko_in{};
  if (D >= 2) {
    const index_t len = l.L[last];
    direct_cols.blocked = !cplx && os[last] == 1 && len >= lanes_v<R>;
    if (direct_cols.blocked && is[last] == 1 && l.ko_off.size() <= max_ko_direct) {
      // Column c reads input columns [c + sh - (kc-1), c + sh]: inside for c in [kc-1-sh, N - sh).
      const index_t kc = l.M[last], sh = l.S[last];
      // jl rounded up to whole vectors keeps the edge regions vectorised too.
      direct_cols.jl = round_up(std::max<index_t>(0, kc - 1 - sh), lanes_v<R>);
      const index_t end = std::min(l.N[last] - sh, len);
      direct_cols.jr = end > direct_cols.jl ? direct_cols.jl + (end - direct_cols.jl) / lanes_v<R> * lanes_v<R> : 0;
      // Offsets of the outer kernel positions (axes before the row axis) in input strides.
      const std::size_t ra = last - 1;
      std::array<index_t, max_rank> m{};
      for (std::size_t ko = 0; ko < l.ko_off.size(); ++ko) {
        index_t off = 0;
        for (std::size_t j = 0; j < ra; ++j) off += m[j] * is[j];
        ko_in[ko] = off;
        for (std::size_t j = ra; j-- > 0;) {
          if (++m[j] < l.M[j]) break;
          m[j] = 0;
        }
      }
    }
  }

  for_each_slice(nslabs, nt, [&](index_t s, int worker) {
    R* buf_re = bufs[worker].data.get();
    R* buf_im = cplx ? buf_re + l.plane : nullptr;
    const index_t a = s * slab;
    const index_t b = std::min(l.L[0], a + slab);

    // 1. Fill the slab buffer with x_ext over [a, b + M0 - 1) x E[1] x ... x E[D-1]
    //    (1-D real unit-stride input: only where a window leaves the input).
    if constexpr (!cplx) {
      if (l.lanes1d) {
        const index_t seg = lane_segment<R>(b - a);
        const index_t nq = round_up(seg + l.M[0] - 1, lanes_v<R>);
        fill_lanes<R>(buf_re, in_data, is[0], l.N[0], a + l.S[0] - (l.M[0] - 1), seg, nq, pb_.ext, cval);
        const bool stream = out_bytes >= stream_min_bytes;
        compute_lanes<R>(buf_re, l.w_re.data(), l.M[0], seg, a, b, out_data, os[0], stream);
        if (stream) stream_fence();
        return;
      }
    }
    if (D == 1) {
      const index_t shift = l.S[0] - (l.M[0] - 1);  // output j reads input [j + shift, j + shift + M0)
      auto row = [&](const R* base, index_t j0, index_t j1) {
        compute_row<T, R>(base, 0, j1 - j0, out_data + j0 * os[0], os[0], l.off_re.data(), l.w_re.data(),
                          l.off_re.size(), l.off_im.data(), l.w_im.data(), l.off_im.size());
      };
      // Outputs [j0, j1) through the buffer, filled with the window they read.
      auto buffered = [&](index_t j0, index_t j1) {
        fill_row<T, R>(buf_re, buf_im, in_data, is[0], j0, j1 - j0 + l.M[0] - 1, shift, l.N[0], pb_.ext, cval);
        row(buf_re, j0, j1);
      };
      if (cplx || is[0] != 1) {
        buffered(a, b);
        return;
      }
      // Real unit-stride input: the outputs whose window lies inside it, [ia, ib), read
      // it in place; only the edge outputs go through the buffer (a one-slab signal
      // copied whole had cost 10000 x 3 a third of its time). Every output is the same
      // sum on either side, so the split moves no bits.
      const index_t ia = std::clamp<index_t>(-shift, a, b);
      const index_t ib = std::clamp<index_t>(l.N[0] - l.M[0] + 1 - shift, ia, b);
      if (a < ia) buffered(a, ia);
      if (ia < ib) row(reinterpret_cast<const R*>(in_data) + ia + shift, ia, ib);
      if (ib < b) buffered(ib, b);
      return;
    }
    slab_2d_up(l, a, b, in_data, is, out_data, os, bufs[worker], direct_cols, ko_in.data(), cval,
               out_bytes >= stream_min_bytes);
  });
}

// Rank >= 2, one slab [a, b) along position 0. Output rows run along position
// ra = D-2 in groups of group_rows(); positions 0..ra-1 are iterated outside them.
//
// A group whose whole window lies inside the input ("interior") reads the middle of
// its rows [jl, jr) straight from the input, so the slab buffer needs only the two
// edge strips of the rows that interior groups alone read: the copy of the input,
// a third of the time of a 3x3 kernel, mostly disappears. Every other group (near an
// edge, a row tail, complex data, strided rows) reads whole buffer rows, which are
// then copied whole. Values are identical either way: same taps, same order.
template <class T>
void DirectEngine<T>::slab_2d_up(const Layout& l, index_t a, index_t b, const T* in_data,
                                 const std::array<index_t, max_rank>& is, T* out_data,
                                 const std::array<index_t, max_rank>& os, Buffer& buf, const DirectCols& dc,
                                 const index_t* ko_in, R cval, bool stream) const {
  constexpr bool cplx = is_complex_v<T>;
  const int D = l.D;
  const auto last = static_cast<std::size_t>(D - 1);
  const std::size_t ra = last - 1;  // row axis
  R* buf_re = buf.data.get();
  R* buf_im = cplx ? buf_re + l.plane : nullptr;
  const index_t rows0 = (b - a) + l.M[0] - 1;  // buffer extent on position 0
  const index_t nrows = ra == 0 ? b - a : l.L[ra];
  const index_t row_out0 = ra == 0 ? a : 0;
  index_t nouter = 1;
  for (std::size_t j = 0; j < ra; ++j) nouter *= j == 0 ? b - a : l.L[j];
  const index_t len = l.L[last];
  const index_t E = l.E[last];
  // Buffer rows: position 0 has rows0, positions 1..ra have E[j]; row index strides:
  std::array<index_t, max_rank> rstride{};
  index_t nbrows = 1;
  for (std::size_t j = ra + 1; j-- > 0;) {
    rstride[j] = nbrows;
    nbrows *= j == 0 ? rows0 : l.E[j];
  }

  // Walks the output row groups in a fixed order: fn(outer index io, first row r,
  // rows in the group, is it a full register-blocked group).
  const bool blocked = dc.blocked;
  const index_t gr = group_rows(l.K, l.Kc);
  auto for_each_group = [&](auto&& fn) {
    std::array<index_t, max_rank> io{};
    for (index_t o = 0; o < nouter; ++o) {
      index_t r = 0;
      if (blocked)
        for (; r + gr <= nrows; r += gr) fn(io, r, gr, true);
      for (; r < nrows; ++r) fn(io, r, index_t(1), false);
      for (std::size_t j = ra; j-- > 0;) {
        const index_t ext_j = j == 0 ? b - a : l.L[j];
        if (++io[j] < ext_j) break;
        io[j] = 0;
      }
    }
  };
  // Does the group read only input samples (no border) on positions 0..ra?
  auto interior = [&](const std::array<index_t, max_rank>& io, index_t r, index_t n) {
    for (std::size_t j = 0; j <= ra; ++j) {
      const index_t first = j == ra ? r + row_out0 : io[j] + (j == 0 ? a : 0);
      const index_t lastrow = j == ra ? first + n - 1 : first;
      if (first + l.S[j] - (l.M[j] - 1) < 0 || lastrow + l.S[j] >= l.N[j]) return false;
    }
    return true;
  };
  auto direct = [&](const std::array<index_t, max_rank>& io, index_t r, index_t n, bool full_group) {
    return dc.jr > dc.jl && full_group && interior(io, r, n);
  };

  // Calls fn(buffer row index) for every buffer row a group reads: the box
  // [q_j, q_j + M_j - 1] on positions 0..ra (rows along ra: + n - 1).
  // `skip` leading rows along ra are left out (already handled by the caller).
  auto for_each_window_row = [&](const std::array<index_t, max_rank>& io, index_t r, index_t n, index_t skip,
                                 auto&& fn) {
    std::array<index_t, max_rank> lo{}, ext{}, c{};
    index_t count = 1;
    for (std::size_t j = 0; j <= ra; ++j) {
      lo[j] = j == ra ? r + skip : io[j];
      ext[j] = l.M[j] + (j == ra ? n - 1 - skip : 0);
      count *= ext[j];
    }
    std::array<index_t, max_rank> q = lo;
    index_t row = 0;
    for (std::size_t j = 0; j <= ra; ++j) row += lo[j] * rstride[j];
    for (index_t t = 0; t < count; ++t) {
      fn(row, q);
      for (std::size_t j = ra + 1; j-- > 0;) {  // odometer, row index kept in step
        ++q[j];
        row += rstride[j];
        if (++c[j] < ext[j]) break;
        q[j] -= ext[j];
        row -= ext[j] * rstride[j];
        c[j] = 0;
      }
    }
  };
  // Input offset of the buffer row at coordinates q (positions 0..ra), or `in_border`
  // when the row lies in the border on some position (then it is constant). Offsets
  // are negative for negative input strides, so the marker is not -1.
  constexpr index_t in_border = std::numeric_limits<index_t>::min();
  auto row_source = [&](const std::array<index_t, max_rank>& q) {
    index_t src = 0;
    for (std::size_t j = 0; j <= ra; ++j) {
      const index_t idx = extend_index((j == 0 ? a : 0) + q[j] + l.S[j] - (l.M[j] - 1), l.N[j], pb_.ext);
      if (idx < 0) return in_border;
      src += idx * is[j];
    }
    return src;
  };
  const index_t shift = l.S[last] - (l.M[last] - 1);
  auto fill_whole = [&](index_t row, const std::array<index_t, max_rank>& q) {
    const index_t src = row_source(q);
    R* dre = buf_re + row * E;
    R* dim = cplx ? buf_im + row * E : nullptr;
    if (src == in_border)
      fill_const(dre, dim, E, cval, cplx);
    else
      fill_row<T, R>(dre, dim, in_data + src, is[last], 0, E, shift, l.N[last], pb_.ext, cval);
  };

  // 1. Buffer rows that any non-direct group reads are copied whole, now (flag 1).
  //    Rows only direct groups read (flag 0) get just their two edge strips, later,
  //    right after a group has read the rows' middles: then the copy hits the cache.
  enum : unsigned char { strips_pending = 0, whole = 1, strips_done = 2 };
  buf.full_rows.assign(static_cast<std::size_t>(nbrows), dc.jr > dc.jl ? strips_pending : whole);
  if (dc.jr > dc.jl) {
    for_each_group([&](const std::array<index_t, max_rank>& io, index_t r, index_t n, bool full_group) {
      if (!direct(io, r, n, full_group))
        for_each_window_row(io, r, n, 0, [&](index_t row, const std::array<index_t, max_rank>&) {
          buf.full_rows[static_cast<std::size_t>(row)] = whole;
        });
    });
  }
  {
    std::array<index_t, max_rank> q{};  // odometer over buffer rows
    for (index_t row = 0; row < nbrows; ++row) {
      if (buf.full_rows[static_cast<std::size_t>(row)] == whole) fill_whole(row, q);
      for (std::size_t j = ra + 1; j-- > 0;) {
        if (++q[j] < (j == 0 ? rows0 : l.E[j])) break;
        q[j] = 0;
      }
    }
  }
  auto fill_strips = [&](index_t row, const std::array<index_t, max_rank>& q) {  // (real data only)
    unsigned char& f = buf.full_rows[static_cast<std::size_t>(row)];
    if (f != strips_pending) return;
    f = strips_done;
    const index_t src = row_source(q);  // never in_border: only interior groups read this row
    R* dre = buf_re + row * E;
    const index_t left = std::min(E, dc.jl + l.M[last] - 1);
    fill_row<T, R>(dre, nullptr, in_data + src, is[last], 0, left, shift, l.N[last], pb_.ext, cval);
    fill_row<T, R>(dre + dc.jr, nullptr, in_data + src, is[last], dc.jr, E - dc.jr, shift, l.N[last], pb_.ext,
                   cval);
  };

  // 3. Compute.
  const index_t* ore = l.off_re.data();
  const R* wre = l.w_re.data();
  const index_t* oim = l.off_im.data();
  const R* wim = l.w_im.data();
  const std::size_t nre = l.off_re.size(), nim = l.off_im.size();
  rows_fn<R> rows = nullptr;
  if constexpr (!cplx) rows = pick_rows_fn<R>(l.K, l.Kc);
  const std::size_t nko = l.ko_off.size();
  index_t prev_direct_r = -1;
  std::array<index_t, max_rank> prev_io{};
  for_each_group([&](const std::array<index_t, max_rank>& io, index_t r, index_t n, bool full_group) {
    index_t boff = r * l.bs[ra], ooff = (r + row_out0) * os[ra];
    for (std::size_t j = 0; j < ra; ++j) {
      boff += io[j] * l.bs[j];
      ooff += (io[j] + (j == 0 ? a : 0)) * os[j];
    }
    const R* bp = buf_re + boff;
    T* op = out_data + ooff;
    if (!full_group) {
      compute_row<T, R>(bp, 0, len, op, os[last], ore, wre, nre, oim, wim, nim);
      return;
    }
    if constexpr (!cplx) {
      const R* wb = l.w_blk.data();
      // Register-blocked columns [c0, c1) from the buffer, row-by-row tails after them.
      auto from_buffer = [&](index_t c0, index_t c1) {
        const index_t cv = c0 + (c1 - c0) / lanes_v<R> * lanes_v<R>;
        if (cv > c0) rows(bp + c0, l.bs[ra], l.ko_off.data(), nko, l.K, l.Kc, wb, op + c0, os[ra], cv - c0, stream);
        if (c1 > cv)
          for (index_t rr = 0; rr < gr; ++rr)
            compute_row<T, R>(bp + rr * l.bs[ra], cv, c1, op + rr * os[ra], os[last], ore, wre, nre, oim, wim, nim);
      };
      if (direct(io, r, n, full_group)) {
        index_t ioff = (r + row_out0 + l.S[ra] - (l.M[ra] - 1)) * is[ra] + l.S[last] - (l.M[last] - 1);
        for (std::size_t j = 0; j < ra; ++j) ioff += (io[j] + (j == 0 ? a : 0) + l.S[j] - (l.M[j] - 1)) * is[j];
        const R* ip = in_data + ioff;
        rows(ip + dc.jl, is[ra], ko_in, nko, l.K, l.Kc, wb, op + dc.jl, os[ra], dc.jr - dc.jl, stream);
        // The previous group of this line (rows r - n .. ) already saw all but the
        // last n rows of this window along ra.
        const bool follows = prev_direct_r == r - n && prev_io == io;
        for_each_window_row(io, r, n, follows ? l.M[ra] - 1 : 0, fill_strips);
        prev_direct_r = r;
        prev_io = io;
        from_buffer(0, dc.jl);
        from_buffer(dc.jr, len);
      } else {
        from_buffer(0, len);
      }
    }
  });
  if (stream) stream_fence();
}

template class DirectEngine<float>;
template class DirectEngine<double>;
template class DirectEngine<std::complex<float>>;
template class DirectEngine<std::complex<double>>;

}  // namespace autoconv::detail
