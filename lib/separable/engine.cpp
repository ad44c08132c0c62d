// lib/separable/engine.cpp: the separable engine (see engine.hpp).
#include "separable/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <numeric>
#include <type_traits>
#include <utility>

#include "core/format.hpp"
#include "core/simd.hpp"
#include "cost/model.hpp"
#include "parallel/slices.hpp"

namespace autoconv::detail {

namespace {

// hpass_fused: output columns per fill of the buffer (with M - 1 more input columns,
// 16 rows: 37 KiB of doubles for 31 taps, in L1), and rows per batch.
constexpr index_t fused_chunk = 256;
constexpr index_t fused_rows = 16;

// Values of hpass_fused's buffer: fused_rows x the padded columns of a chunk (16: a
// last chunk starts up to W early; 16 more: run_vfirst computes up to a block past a chunk).
std::size_t fused_buf_values(const Problem& pb) {
  return static_cast<std::size_t>((fused_chunk + 32 + pb.kernel[pb.rank() - 1]) * fused_rows);
}
// Values of plane_group's buffer (run_vfirst, run_stream's planes).
std::size_t plane_buf_values(const Problem& pb) {
  return static_cast<std::size_t>((2 * fused_chunk + 32 + pb.kernel[pb.rank() - 1]) * fused_rows);
}

// Per axis: the first x_ext position the output reads, and the padded extent L + M - 1.
index_t first_position(const Problem& pb, int a) {
  return pb.start[static_cast<std::size_t>(a)] - (pb.kernel[a] - 1);
}

Shape padded_shape(const Problem& pb) {
  Shape s = pb.output;
  for (int a = 0; a < pb.rank(); ++a) s[a] = pb.output[a] + pb.kernel[a] - 1;
  return s;
}

std::size_t volume(const Shape& s) {
  std::size_t n = 1;
  for (index_t e : s) n *= static_cast<std::size_t>(e);
  return n;
}

// The 'valid' 1-D problem of one pass: window [i, i + M - 1] along `axis`, extent-1
// kernel (a batch) on the others; the border is never read.
Problem pass_problem(const Problem& pb, const SeparablePass& p) {
  Problem q;
  q.op = pb.op;  // only names the API in messages
  q.input = p.input;
  q.output = p.output;
  q.kernel = p.input;
  for (int a = 0; a < pb.rank(); ++a) q.kernel[a] = 1;
  q.kernel[p.axis] = p.kernel;
  q.start[static_cast<std::size_t>(p.axis)] = p.kernel - 1;
  q.ext = Ext::Zero;
  q.convolved[static_cast<std::size_t>(p.axis)] = true;
  return q;
}

// Calls fn(row, idx) for every row (all axes but the last) of the C-order shape s, in
// parallel slices of about 64 Ki elements; idx holds the row's indices on axes [0, D-1).
template <class Fn>
void for_rows(const Shape& s, int threads, Fn&& fn) {
  const int D = s.rank();
  const index_t len = s[D - 1];
  index_t rows = 1;
  for (int a = 0; a + 1 < D; ++a) rows *= s[a];
  const index_t chunk = std::max<index_t>(1, (index_t(1) << 16) / std::max<index_t>(len, 1));
  const index_t slices = (rows + chunk - 1) / chunk;
  const int nt = resolve_threads(threads, slices, static_cast<double>(volume(s)));
  for_each_slice(slices, nt, [&](index_t sl, int) {
    const index_t r0 = sl * chunk, r1 = std::min(rows, r0 + chunk);
    std::array<index_t, max_rank> idx{};
    index_t rem = r0;
    for (int a = D - 2; a >= 0; --a) {
      idx[static_cast<std::size_t>(a)] = rem % s[a];
      rem /= s[a];
    }
    for (index_t r = r0; r < r1; ++r) {
      fn(r, idx);
      for (int a = D - 2; a >= 0; --a) {
        if (++idx[static_cast<std::size_t>(a)] < s[a]) break;
        idx[static_cast<std::size_t>(a)] = 0;
      }
    }
  });
}

// A block of 4 outputs along a pass's axis (4 vectors along the last axis, or 4 rows
// off it) reads the M + 3 s input positions t = 0 .. M + 3 s - 1 (s = W along the last
// axis, 1 off it); output r of the 4 takes tap t - r s. The t range splits into at most
// 7 segments in each of which the same outputs are fed: bit r of `mask`.
struct Segment {
  index_t t0 = 0, t1 = 0;
  int mask = 0;
};

int block_segments(index_t M, index_t s, std::array<Segment, 7>& seg) {
  std::array<index_t, 8> cut{0, s, 2 * s, 3 * s, M, M + s, M + 2 * s, M + 3 * s};
  std::sort(cut.begin(), cut.end());
  int n = 0;
  for (std::size_t i = 0; i + 1 < cut.size(); ++i) {
    if (cut[i] == cut[i + 1]) continue;
    int mask = 0;
    for (index_t r = 0; r < 4; ++r)
      if (cut[i] >= r * s && cut[i] < M + r * s) mask |= 1 << r;
    seg[static_cast<std::size_t>(n++)] = {cut[i], cut[i + 1], mask};
  }
  return n;
}

// Last-axis pass, input positions t in [t0, t1) of one block of 4 vectors in one row
// (q0; accumulators a) or two rows (q1 too; accumulators b): each load of the input
// feeds up to 4 vectors, and two rows give 8 independent sums (the FMA latency).
template <int Mask, bool Two, class R>
inline __attribute__((always_inline)) void hspan(const R* q0, const R* q1, const R* k, index_t t0, index_t t1,
                                                 vec_t<R>& a0, vec_t<R>& a1, vec_t<R>& a2, vec_t<R>& a3,
                                                 vec_t<R>& b0, vec_t<R>& b1, vec_t<R>& b2, vec_t<R>& b3) {
  constexpr index_t W = lanes_v<R>;
  for (index_t t = t0; t < t1; ++t) {
    const vec_t<R> x = load(q0 + t);
    vec_t<R> y{};
    if constexpr (Two) y = load(q1 + t);
    auto feed = [&](vec_t<R>& a, vec_t<R>& b, index_t m) {
      const vec_t<R> w = broadcast(k[m]);
      a += w * x;
      if constexpr (Two) b += w * y;
    };
    if constexpr ((Mask & 1) != 0) feed(a0, b0, t);
    if constexpr ((Mask & 2) != 0) feed(a1, b1, t - W);
    if constexpr ((Mask & 4) != 0) feed(a2, b2, t - 2 * W);
    if constexpr ((Mask & 8) != 0) feed(a3, b3, t - 3 * W);
  }
}

// Off the last axis, input rows t in [t0, t1) of a block of 4 output rows (2 vectors
// each, or 1 without Two): row(t) points at input row t of the block, output row r
// takes tap t - r.
template <int Mask, bool Two, class R, class Row>
inline __attribute__((always_inline)) void vspan(const Row& row, const R* k, index_t t0, index_t t1, vec_t<R>& a00,
                                                 vec_t<R>& a01, vec_t<R>& a10, vec_t<R>& a11, vec_t<R>& a20,
                                                 vec_t<R>& a21, vec_t<R>& a30, vec_t<R>& a31) {
  for (index_t t = t0; t < t1; ++t) {
    const R* q = row(t);
    const vec_t<R> x0 = load(q);
    vec_t<R> x1{};
    if constexpr (Two) x1 = load(q + lanes_v<R>);
    auto feed = [&](vec_t<R>& a, vec_t<R>& b, index_t m) {
      const vec_t<R> w = broadcast(k[m]);
      a += w * x0;
      if constexpr (Two) b += w * x1;
    };
    if constexpr ((Mask & 1) != 0) feed(a00, a01, t);
    if constexpr ((Mask & 2) != 0) feed(a10, a11, t - 1);
    if constexpr ((Mask & 4) != 0) feed(a20, a21, t - 2);
    if constexpr ((Mask & 8) != 0) feed(a30, a31, t - 3);
  }
}

// hspan and vspan without Two where vec_t is two native registers (AVX2): the same
// block (4 vectors of one row, Step = W; 4 rows of one vector, Step = 1) and sums at
// native width, the low and high halves of vector i in ai and bi; row(t) points at
// input position t. One broadcast feeds both halves: 8 sums, 2 inputs and up to 4
// taps are 14 of AVX2's 16 registers, where the vec_t form needs 18 and spills.
template <int Mask, index_t Step, class R, class Row>
inline __attribute__((always_inline)) void span_halves(const Row& row, const R* k, index_t t0, index_t t1,
                                                       nvec_t<R>& a0, nvec_t<R>& a1, nvec_t<R>& a2, nvec_t<R>& a3,
                                                       nvec_t<R>& b0, nvec_t<R>& b1, nvec_t<R>& b2, nvec_t<R>& b3) {
  using N = nvec_t<R>;
  for (index_t t = t0; t < t1; ++t) {
    const R* q = row(t);
    const N xl = nload(q), xh = nload(q + native_lanes<R>);
    auto feed = [&](N& a, N& b, index_t m) {
      const N w = splat<N>(k[m]);
      a += w * xl;
      b += w * xh;
    };
    if constexpr ((Mask & 1) != 0) feed(a0, b0, t);
    if constexpr ((Mask & 2) != 0) feed(a1, b1, t - Step);
    if constexpr ((Mask & 4) != 0) feed(a2, b2, t - 2 * Step);
    if constexpr ((Mask & 8) != 0) feed(a3, b3, t - 3 * Step);
  }
}

// Calls SPAN<mask>(args) for the segment's mask (1..15; 0 feeds nothing).
#define AUTOCONV_SPAN_SWITCH(mask, CALL) \
  switch (mask) {                        \
    case 1: CALL(1); break;              \
    case 2: CALL(2); break;              \
    case 3: CALL(3); break;              \
    case 4: CALL(4); break;              \
    case 5: CALL(5); break;              \
    case 6: CALL(6); break;              \
    case 7: CALL(7); break;              \
    case 8: CALL(8); break;              \
    case 9: CALL(9); break;              \
    case 10: CALL(10); break;            \
    case 11: CALL(11); break;            \
    case 12: CALL(12); break;            \
    case 13: CALL(13); break;            \
    case 14: CALL(14); break;            \
    case 15: CALL(15); break;            \
    default: break;                      \
  }

// Compile-time loops: f(std::integral_constant<int, I>{}) for I = 0 .. N-1, unrolled.
template <class F, std::size_t... I>
inline __attribute__((always_inline)) void unroll_seq(F& f, std::index_sequence<I...>) {
  (f(std::integral_constant<int, static_cast<int>(I)>{}), ...);
}
template <int N, class F>
inline __attribute__((always_inline)) void unroll(F&& f) {
  if constexpr (N > 0) unroll_seq(f, std::make_index_sequence<static_cast<std::size_t>(N)>{});
}

// Folded taps. A last-axis pass whose M >= fold_min_taps taps are symmetric
// (k[m] == k[M-1-m], exactly: fold_taps) sums, on targets where that pays (fold_pays:
// AVX-512),
//   out = sum_{m < M/2} k[m] (x[m] + x[M-1-m])  [+ k[M/2] x[M/2] for odd M],
// one chain of fused multiply-adds over m in that order, each pair's sum rounded
// first (as scipy.ndimage's correlate1d sums symmetric weights): half the multiply-adds,
// the adds on their own pipes. Every path of such a pass (vector blocks, row ends,
// scalar outputs) sums this way, so an output has one value whichever path computes it.
// Measured on Zen 4, Method::Separable on a reused Plan, 1 thread: 4096^2 / 31^2 0.055
// s against 0.062 unfolded, 256^3 / 19^3 0.073-0.075 against 0.076-0.081 (2 threads
// likewise: 7-12%). Only the last axis: there the taps run along 16 rows transposed into
// an L1 buffer (fused_columns) or along contiguous rows. Folding the passes off it too
// (vtile_fold_regs over input rows a row pitch apart) made them slower: the image's
// axis-0 pass 33% -> 37% of the time, the volume's 22% -> 39% (rows 32 KiB apart share
// L1 sets, and the two windows' loads go to L2). On Zen 3 (AVX2) the adds compete with
// the FMAs for the same two pipes, and folding did not pay there (not built).
constexpr bool fold_pays = vec_regs == 1;
constexpr index_t fold_min_taps = 8;
template <class R>
bool fold_taps(const std::vector<R>& k) {
  if constexpr (is_complex_v<R> || !fold_pays) {
    return false;
  } else {
    const std::size_t M = k.size();
    if (M < static_cast<std::size_t>(fold_min_taps)) return false;
    for (std::size_t m = 0; m < M / 2; ++m)
      if (!(k[m] == k[M - 1 - m])) return false;
    return true;
  }
}

// acc + w x as the vector code rounds it (one FMA where the target has it): madd for
// scalars; for vectors, contracted by -ffp-contract=fast as every `a += w * x` here.
template <class A, class R>
inline __attribute__((always_inline)) A mac(R w, const A& x, const A& acc) {
  if constexpr (std::is_arithmetic_v<A>)
    return madd(w, x, acc);
  else
    return acc + splat<A>(w) * x;
}

// One output (or one vector of them) over the M taps k, x(m) the input under tap m:
// the sequential sum over m = 0 .. M-1, or folded (fold: fold_taps' kernels).
template <class A, class R, class X>
inline __attribute__((always_inline)) A tap_sum(const R* k, index_t M, bool fold, const X& x) {
  A acc{};
  if (fold_pays && fold) {
    const index_t H = M / 2;
    for (index_t m = 0; m < H; ++m) acc = mac<A>(k[m], x(m) + x(M - 1 - m), acc);
    if (M % 2 != 0) acc = mac<A>(k[H], x(H), acc);
  } else {
    for (index_t m = 0; m < M; ++m) acc = mac<A>(k[m], x(m), acc);
  }
  return acc;
}

// Off the last axis, a block of Rb output rows by VV vectors V, for M >= Rb taps: input
// row t (row(t)) feeds output row r with tap t - r, as in vspan, but with Rb x VV
// independent sums (Rb = 8, VV = 2: 16, twice the FMA latency x throughput) and the
// taps in registers: while every output row is fed (t in [Rb - 1, M)), the Rb taps
// t - Rb + 1 .. t rotate through Rb registers, one new broadcast per input row
// (measured in L1 on 31 taps: 5.7 G vector FMA/s against 4.9 for 4 x 2 blocks).
// Each output is the same sequential sum over m = 0 .. M-1 as everywhere else.
// `flatten` inlines the lambdas (GCC spilled the sums otherwise).
template <int Rb, int VV, class V, class R, class Row, class Put>
__attribute__((flatten)) void vtile_regs(const Row& row, const R* k, index_t M, const Put& put) {
  constexpr index_t W = sizeof(V) / sizeof(R);
  V a[Rb][VV];
  unroll<Rb>([&](auto r) { unroll<VV>([&](auto v) { a[r][v] = V{}; }); });
  auto feed_all = [&](const V* x, auto r, const V& w) { unroll<VV>([&](auto v) { a[r][v] += w * x[v]; }); };
  auto load_row = [&](index_t t, V* x) {
    const R* q = row(t);
    unroll<VV>([&](auto v) { x[v] = vload<V>(q + v * W); });
  };
  // Rows 0 .. Rb-2: output rows r <= t.
  unroll<Rb - 1>([&](auto tc) {
    constexpr int t = tc;
    V x[VV];
    load_row(t, x);
    unroll<Rb>([&](auto r) {
      if constexpr (r <= t) feed_all(x, r, splat<V>(k[t - r]));
    });
  });
  // Rows Rb-1 .. M-1, Rb at a time: the tap m sits in register m % Rb. The last
  // M - t < Rb rows: on targets of 16 registers (AVX2's sub-blocks: 8 sums, 8 taps) the
  // same rotation, one guarded step per row (as a plain loop broadcasting k[t - r] each
  // row, GCC carried the taps from row to row in registers and spilled a sum there, its
  // adds chained through memory: seen in perf with 19 taps); on AVX-512, that plain loop
  // (there the guarded steps made GCC spill the sums and taps throughout the block:
  // 4096^2 / 31^2 ran 2.5x slower on a 16-core Xeon).
  V w[Rb];
  unroll<Rb - 1>([&](auto m) { w[m] = splat<V>(k[m]); });
  const auto step = [&](index_t tt, auto p) {  // input row tt, tt % Rb == (Rb - 1 + p) % Rb
    constexpr int slot = (Rb - 1 + p) % Rb;
    V x[VV];
    load_row(tt, x);
    w[slot] = splat<V>(k[tt]);
    unroll<Rb>([&](auto r) { feed_all(x, r, w[(slot - r + Rb) % Rb]); });
  };
  index_t t = Rb - 1;
  for (; t + Rb <= M; t += Rb) unroll<Rb>([&](auto p) { step(t + p, p); });  // t % Rb == Rb - 1
  if constexpr (vec_regs > 1) {
    unroll<Rb - 1>([&](auto p) {
      if (t + p < M) step(t + p, p);
    });
  } else {
    for (; t < M; ++t) {
      V x[VV];
      load_row(t, x);
      unroll<Rb>([&](auto r) { feed_all(x, r, splat<V>(k[t - r])); });
    }
  }
  // Rows M .. M+Rb-2: output rows r > t - M.
  unroll<Rb - 1>([&](auto tc) {
    constexpr int d = tc;
    V x[VV];
    load_row(M + d, x);
    unroll<Rb>([&](auto r) {
      if constexpr (r > d) feed_all(x, r, splat<V>(k[M + d - r]));
    });
  });
  unroll<Rb>([&](auto r) { unroll<VV>([&](auto v) { put(r, v, a[r][v]); }); });
}

// vtile_regs for a kernel shorter than the block (MM < Rb taps, MM known at compile
// time): input rows 0 .. Rb + MM - 2 in order, row t feeding output rows r with
// 0 <= t - r < MM, the MM taps held in registers. Each output is the same sequential
// sum over m = 0 .. MM-1 as vtile_regs'.
template <int Rb, int VV, int MM, class V, class R, class Row, class Put>
__attribute__((flatten)) void vtile_short_regs(const Row& row, const R* k, const Put& put) {
  constexpr index_t W = sizeof(V) / sizeof(R);
  static_assert(MM >= 1 && MM < Rb, "vtile_short: 1 <= taps < block rows");
  V a[Rb][VV], w[MM];
  unroll<Rb>([&](auto r) { unroll<VV>([&](auto v) { a[r][v] = V{}; }); });
  unroll<MM>([&](auto m) { w[m] = splat<V>(k[m]); });
  unroll<Rb + MM - 1>([&](auto tc) {
    constexpr int t = tc;
    const R* q = row(t);
    V x[VV];
    unroll<VV>([&](auto v) { x[v] = vload<V>(q + v * W); });
    unroll<Rb>([&](auto r) {
      if constexpr (t - r >= 0 && t - r < MM) unroll<VV>([&](auto v) { a[r][v] += w[t - r] * x[v]; });
    });
  });
  unroll<Rb>([&](auto r) { unroll<VV>([&](auto v) { put(r, v, a[r][v]); }); });
}

// vtile_regs for folded taps (fold_taps; fused_columns' last-axis pass, whose "rows" are
// the columns of an L1 buffer): output row r = sum_{m < M/2} k[m] (row r + m
// + row r + M-1-m) [+ k[M/2] row r + M/2]. One column of vectors at a time, with Rb
// sums and two windows of Rb input rows in registers (3 Rb + 1 of AVX-512's 32): at
// step m, L[r] holds row r + m and Rr[r] row r + M-1-m; each step shifts both by one
// row (register moves) and loads one new row into each, so every input row is loaded
// about once per window, as the unfolded block loads it once. (Loading both rows of
// each pair for each output, the columns of 4096^2 / 31^2 ran 2.2x slower than
// unfolded: its rows 32 KiB apart share L1 sets, and the repeated loads went to L2.
// Rotating slots instead of moving, unrolled Rb steps at a time, GCC spilled the windows.)
template <int Rb, int VV, class V, class R, class Row, class Put>
__attribute__((flatten)) void vtile_fold_regs(const Row& row, const R* k, index_t M, const Put& put) {
  constexpr index_t W = sizeof(V) / sizeof(R);
  const index_t H = M / 2;
  unroll<VV>([&](auto v) {
    const auto in = [&](index_t t) { return vload<V>(row(t) + v * W); };
    V a[Rb], L[Rb], Rr[Rb];
    unroll<Rb>([&](auto r) {
      a[r] = V{};
      L[r] = in(r);
      Rr[r] = in(M - 1 + r);
    });
    for (index_t m = 0;;) {
      const V w = splat<V>(k[m]);
      unroll<Rb>([&](auto r) { a[r] += w * (L[r] + Rr[r]); });
      if (++m == H) break;
      unroll<Rb - 1>([&](auto r) { L[r] = L[r + 1]; });
      L[Rb - 1] = in(m + Rb - 1);
      unroll<Rb - 1>([&](auto r) { Rr[Rb - 1 - r] = Rr[Rb - 2 - r]; });
      Rr[0] = in(M - 1 - m);
    }
    if (M % 2 != 0) {
      const V w = splat<V>(k[H]);
      unroll<Rb>([&](auto r) { a[r] += w * in(r + H); });
    }
    unroll<Rb>([&](auto r) { put(r, v, a[r]); });
  });
}

// vtile_regs for one column of Rb output rows (AVX-512, M >= Rb), the taps not held in
// registers but read as broadcast operands of the multiply-adds (AVX-512's {1to8}):
// Rb sums and the input row take Rb + 1 of the 32 registers, and every input row is
// loaded once per block. Two blocks of 8 rows x 2 vectors load the Rb - 1 rows the
// halves share twice, and over the axis-0 pass of plane_group those rows sit a row
// pitch apart (4096 doubles: the same L1 sets), so the second load went to L2.
// Measured on Zen 4, Method::Separable on a reused plan, medians of 15 (9) executes,
// three interleaved runs, this against the two blocks: 4096^2 / 31^2 double 0.050-0.060 s
// against 0.057-0.061 on 1 thread, 0.026 against 0.029-0.031 on 2; float 0.027-0.031
// against 0.030-0.031; 256^3 / 19^3 (plane_group's axis-1 pass) double 0.069-0.089
// against 0.074-0.079 (fastest 0.069 against 0.073), float 0.039-0.040 against 0.042-0.050.
// Each output is the same sequential sum over m = 0 .. M-1 as vtile_regs'. The empty asm
// (`taps`) hides that row t + 1's taps are row t's shifted: without it GCC carried them
// from row to row in registers and spilled (in the loop, and for -march=skylake-avx512
// in the unrolled first and last rows too: 258-287 zmm moves to and from the stack per
// instance, scripts/check_spills.py).
template <int Rb, class V, class R, class Row, class Put>
__attribute__((flatten)) void vtile_col(const Row& row, const R* k, index_t M, const Put& put) {
  V a[Rb];
  unroll<Rb>([&](auto r) { a[r] = V{}; });
  // Row t's taps k[t - r], read through a pointer GCC cannot follow from row to row.
  const auto taps = [&](index_t t) {
    const R* kt = k + t;
    asm("" : "+r"(kt));
    return kt;
  };
  unroll<Rb - 1>([&](auto tc) {
    constexpr int t = tc;
    const V x = vload<V>(row(t));
    const R* kt = taps(t);
    unroll<Rb>([&](auto r) {
      if constexpr (r <= t) a[r] += splat<V>(kt[-static_cast<index_t>(r)]) * x;
    });
  });
  for (index_t t = Rb - 1; t < M; ++t) {
    const V x = vload<V>(row(t));
    const R* kt = taps(t);
    unroll<Rb>([&](auto r) { a[r] += splat<V>(kt[-static_cast<index_t>(r)]) * x; });
  }
  unroll<Rb - 1>([&](auto tc) {
    constexpr int d = tc;
    const V x = vload<V>(row(M + d));
    const R* kt = taps(M + d);
    unroll<Rb>([&](auto r) {
      if constexpr (r > d) a[r] += splat<V>(kt[-static_cast<index_t>(r)]) * x;
    });
  });
  unroll<Rb>([&](auto r) { put(r, a[r]); });
}

// vtile_regs for any M >= 1: vtile_short_regs below Rb taps; vtile_fold_regs for folded taps.
template <int Rb, int VV, class V, class R, class Row, class Put>
inline __attribute__((always_inline)) void vtile_any_regs(const Row& row, const R* k, index_t M, bool fold,
                                                          const Put& put) {
  if constexpr (fold_pays) {
    if (fold) {
      vtile_fold_regs<Rb, VV, V>(row, k, M, put);
      return;
    }
  }
  if (M >= Rb) {
    vtile_regs<Rb, VV, V>(row, k, M, put);
    return;
  }
  bool done = false;
  unroll<Rb>([&](auto mm) {
    if constexpr (mm >= 2)
      if (!done && M == mm) {
        vtile_short_regs<Rb, VV, mm, V>(row, k, put);
        done = true;
      }
  });
  if (!done) vtile_short_regs<Rb, VV, 1, V>(row, k, put);  // M == 1
}

// Where vec_t is several native registers: a block of Rb output rows by VV vectors
// vec_t as sub-blocks of 8 rows by 1 native register (8 sums, the 8 rotating taps and
// the input row), each(g, c, a) taking sub-block (g, c)'s results a[0..8): output rows
// g * 8 .. g * 8 + 7, lanes from c * NW. Loops, not unrolled: one copy of the sub-block
// code per call site (unrolled, the portable SSE2 build's 8 copies took cc1plus past
// 9 GB). Measured on Zen 3 in L1, 31 taps, G vector FMA/s of a peak of 6: 8 x 1
// 3.3-3.8; 4 x 2 2.6-2.9; 2 x 4 2.7-2.8; taps as memory operands (AVX2 has no
// broadcast operand: a table of broadcast taps) with 8-12 sums 1.8-2.5.
template <int Rb, int VV, class R, class Row, class Each>
inline __attribute__((always_inline)) void vtile_subblocks(const Row& row, const R* k, index_t M, bool fold,
                                                           const Each& each) {
  using N = nvec_t<R>;
  constexpr int NW = native_lanes<R>;
  static_assert(vec_regs > 1 && Rb % 8 == 0, "vtile_subblocks: whole sub-blocks of native registers");
  for (int g = 0; g < Rb / 8; ++g)
    for (int c = 0; c < VV * vec_regs; ++c) {
      N a[8];
      const auto sub = [&](index_t t) { return row(g * 8 + t) + c * NW; };
      vtile_any_regs<8, 1, N>(sub, k, M, fold, [&](int r, int, const N& x) { a[r] = x; });
      each(g, c, a);
    }
}

// A block of Rb output rows by VV vectors vec_t, any M >= 1, with the sums in
// registers; put(r, l, x) takes the vector x of output row r from lane l on. Where
// vec_t is the target's register (AVX-512) that is one vtile_regs, x a vec_t;
// elsewhere vtile_subblocks, x a native register. Every output is the same sum in the
// same order either way.
template <int Rb, int VV, class R, class Row, class Put>
inline __attribute__((always_inline)) void vtile_any(const Row& row, const R* k, index_t M, bool fold, const Put& put) {
  if constexpr (vec_regs == 1) {
    using V = vec_t<R>;
    vtile_any_regs<Rb, VV, V>(row, k, M, fold, [&](int r, int v, const V& x) { put(r, v * lanes_v<R>, x); });
  } else {
    vtile_subblocks<Rb, VV>(row, k, M, fold, [&](int g, int c, const nvec_t<R>* a) {
      unroll<8>([&](auto r) { put(g * 8 + r, c * native_lanes<R>, a[r]); });
    });
  }
}

// vtile_any<8, VV> where vec_t is several native registers, its results handed out
// transposed: put(l, r0, x) takes native register x = output rows r0 .. r0 + NW - 1 of
// lane l. Each sub-block's results are transposed in registers as NW x NW blocks and
// go straight out, instead of through a result buffer and then transpose's (measured
// on 4096^2 / 31^2, where both passes' results are transposed: 0.14-0.16 s before,
// 0.11 s after).
template <int VV, class R, class Row, class Put>
inline __attribute__((always_inline)) void vtile_lanes(const Row& row, const R* k, index_t M, bool fold,
                                                       const Put& put) {
  using N = nvec_t<R>;
  constexpr int NW = native_lanes<R>;
  vtile_subblocks<8, VV>(row, k, M, fold, [&](int, int c, const N* a) {
    unroll<8 / NW>([&](auto b) {
      N x[NW];
      unroll<NW>([&](auto i) { x[i] = a[b * NW + i]; });
      transpose_regs(x);
      unroll<NW>([&](auto q) { put(c * NW + q, b * NW, x[q]); });
    });
  });
}

// The last-axis pass of the 16 rows held transposed in a buffer (hpass_fused, run_vfirst):
// output columns [c, c + W), where col = the buffer at column c (its 16 rows contiguous);
// `vtile` runs the taps along the columns, and the results are transposed back, row q
// (q < nr) stored at dst + q * pitch (dst: row 0 at column c).
template <class T>
inline __attribute__((always_inline)) void fused_columns(const T* col, const T* k, index_t M, bool fold, T* dst, index_t pitch,
                                                         index_t nr, bool stream) {
  using V = vec_t<T>;
  constexpr index_t W = lanes_v<T>;
  constexpr int VV = static_cast<int>(fused_rows / W);
  if constexpr (vec_regs > 1) {
    unroll<W / 8>([&](auto h) {
      const auto row = [&](index_t t) { return col + (h * 8 + t) * fused_rows; };
      vtile_lanes<VV, T>(row, k, M, fold, [&](index_t l, int r0, const nvec_t<T>& x) {
        if (l < nr) vstore(dst + l * pitch + h * 8 + r0, x, stream);
      });
    });
  } else {
    V oc[W][VV];
    unroll<W / 8>([&](auto h) {
      const auto row = [&](index_t t) { return col + (h * 8 + t) * fused_rows; };
      vtile_any<8, VV, T>(row, k, M, fold, [&](int r, index_t l, const V& val) { oc[h * 8 + r][l / W] = val; });
    });
    unroll<VV>([&](auto v) {
      V x[lanes_v<T>];
      unroll<W>([&](auto i) { x[i] = oc[i][v]; });
      transpose<T>(x);
      unroll<W>([&](auto q) {
        if (v * W + q < nr) store(dst + (v * W + q) * pitch, x[q], stream);
      });
    });
  }
}

// The input of a pass: slice(i) points at the start of input index i along the pass's
// axis (index 0 only, for a last-axis pass); `off` adds the other axes' offset.
template <class R>
struct Strided {
  const R* base;
  index_t step;
  const R* operator()(index_t i) const { return base + i * step; }
};
// Called after every block of a pass: nothing, or a few software prefetches (run_stream).
struct NoTick {
  void operator()() const {}
};

template <class R>
struct Ring {  // run_stream's ring: one pointer per plane (axis 0)
  const R* const* plane;
  const R* operator()(index_t i) const { return plane[i]; }
};

// One real 1-D direct pass: `out` = the 'valid' correlation of the input (C order,
// shape p.input, reached through `slice`) with the M taps `k` along p.axis; `out` has
// any strides, and with `accumulate` the result is added to it. Every output is one
// sequential fused multiply-add sum over m = 0..M-1, or with `fold` (fold_taps; last-axis
// passes only, Stage::fold) the folded sum: bit-identical for any thread count, and
// between the vector and scalar code. Along the last axis, blocks of 4
// vectors in two rows at a time; off it, blocks of 4 output rows by 2 vectors, so the
// M + 3 input rows a block reads are, but 4, those the previous block read (in L1).
template <class R, class Slice, class Tick = NoTick>
void direct_pass_slices(const SeparablePass& p, const R* k, bool fold, const Slice& slice, const View<R>& out,
                        bool accumulate, bool stream, int threads, const Tick& tick = {}) {
  using V = vec_t<R>;
  constexpr index_t W = lanes_v<R>;
  const int D = p.input.rank(), last = D - 1, ax = p.axis;
  const index_t M = p.kernel;
  std::array<index_t, max_rank> is{};
  is[static_cast<std::size_t>(last)] = 1;
  for (int b = last - 1; b >= 0; --b)
    is[static_cast<std::size_t>(b)] = is[static_cast<std::size_t>(b + 1)] * p.input[b + 1];
  const bool horizontal = ax == last;
  fold = fold && horizontal;  // off the last axis, the blocks sum in order (vtile_fold_regs)
  const index_t tap = horizontal ? 1 : 0;  // scalar code: input step of one tap along the row
  const index_t n = p.output[last], osl = out.stride(last);
  // Non-temporal stores only for long rows: a row's unaligned head is computed one
  // output at a time (measured: 64-wide tile rows lost 20% to it, 4096 gained 15%).
  stream = stream && n >= 256;
  // Columns: every index but the last axis and p.axis; a column is one output row
  // (last-axis pass) or `along` rows (off it).
  Shape cols = p.output;
  cols[last] = 1;
  const index_t along = horizontal ? 1 : p.output[ax];
  if (!horizontal) cols[ax] = 1;
  index_t ncols = 1;
  for (index_t e : cols) ncols *= e;
  auto locate = [&](index_t c, index_t& ib, index_t& ob) {
    ib = ob = 0;
    for (int b = last; b >= 0 && c > 0; --b) {
      const index_t v = c % cols[b];
      c /= cols[b];
      ib += v * is[static_cast<std::size_t>(b)];
      ob += v * out.stride(b);
    }
  };
  std::array<Segment, 7> seg{};
  const int nseg = block_segments(M, horizontal ? W : 1, seg);
  // A vector v (vec_t, or a native register from vtile_any) of outputs j, j + 1, ...
  auto put = [&](R* dst, index_t j, auto v) __attribute__((always_inline)) {
    using U = decltype(v);
    if (osl == 1) {
      if (accumulate) v += vload<U>(dst + j);
      vstore(dst + j, v, stream);
    } else {
      for (index_t l = 0; l < static_cast<index_t>(sizeof(U) / sizeof(R)); ++l) {
        R* o = dst + (j + l) * osl;
        *o = (accumulate ? *o : R(0)) + v[l];
      }
    }
  };
  // Outputs [j0, j1) of one output row one at a time (row heads and tails): input slice
  // i, offset off; along the last axis the taps step along the row, off it over slices.
  auto scalar = [&](const Slice& s, index_t i, index_t off, R* dst, index_t j0, index_t j1) {
    for (index_t j = j0; j < j1; ++j) {
      // madd (tap_sum), not acc += k * x: GCC vectorised that loop over m as separate
      // products and an in-order sum, which rounds differently from the vector code's FMAs.
      const R acc = tap_sum<R>(k, M, fold, [&](index_t m) { return s(i + (1 - tap) * m)[off + j + tap * m]; });
      R* o = dst + j * osl;
      *o = (accumulate ? *o : R(0)) + acc;
    }
  };
  // With non-temporal stores, the first outputs of a row are computed one at a time up
  // to a 64-byte boundary, so that the vector stores are aligned (they need to be).
  auto head = [&](const R* dst) -> index_t {
    if (!stream || osl != 1 || reinterpret_cast<std::uintptr_t>(dst) % sizeof(R) != 0) return 0;
    return std::min<index_t>(n, line_gap(dst));
  };
  // hspan and vspan with Two hold 8 vec_t sums: 8 registers with AVX-512, but 16 of
  // AVX2's 16, which spill; there they run one row (one vector) at a time.
  constexpr bool two_rows = vec_regs == 1;
  // Without Two where vec_t is two native registers: span_halves.
  constexpr bool halves_ok = vec_regs == 2;
  // Last-axis pass: one row (off0 -> d0) or two (off1 -> d1 too).
  auto hrows = [&](auto two, index_t off0, index_t off1, R* d0, R* d1) {
    constexpr bool Two = decltype(two)::value;
    constexpr bool halves = !Two && halves_ok;
    const R* q0 = slice(0) + off0;
    const R* q1 = Two ? slice(0) + off1 : q0;
    index_t j = head(d0);
    scalar(slice, 0, off0, d0, 0, j);
    if constexpr (Two) scalar(slice, 0, off1, d1, 0, j);
    for (; j + 4 * W <= n; j += 4 * W) {
      if constexpr (fold_pays) {
        if (fold) {  // each vector's taps in pairs from both ends of its window
          V a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
          const index_t H = M / 2;
          for (index_t m = 0; m < H; ++m) {
            const V w = broadcast(k[m]);
            const R *l0 = q0 + j + m, *h0 = q0 + j + M - 1 - m;
            a0 += w * (load(l0) + load(h0));
            a1 += w * (load(l0 + W) + load(h0 + W));
            a2 += w * (load(l0 + 2 * W) + load(h0 + 2 * W));
            a3 += w * (load(l0 + 3 * W) + load(h0 + 3 * W));
            if constexpr (Two) {
              const R *l1 = q1 + j + m, *h1 = q1 + j + M - 1 - m;
              b0 += w * (load(l1) + load(h1));
              b1 += w * (load(l1 + W) + load(h1 + W));
              b2 += w * (load(l1 + 2 * W) + load(h1 + 2 * W));
              b3 += w * (load(l1 + 3 * W) + load(h1 + 3 * W));
            }
          }
          if (M % 2 != 0) {
            const V w = broadcast(k[H]);
            a0 += w * load(q0 + j + H);
            a1 += w * load(q0 + j + H + W);
            a2 += w * load(q0 + j + H + 2 * W);
            a3 += w * load(q0 + j + H + 3 * W);
            if constexpr (Two) {
              b0 += w * load(q1 + j + H);
              b1 += w * load(q1 + j + H + W);
              b2 += w * load(q1 + j + H + 2 * W);
              b3 += w * load(q1 + j + H + 3 * W);
            }
          }
          put(d0, j, a0);
          put(d0, j + W, a1);
          put(d0, j + 2 * W, a2);
          put(d0, j + 3 * W, a3);
          if constexpr (Two) {
            put(d1, j, b0);
            put(d1, j + W, b1);
            put(d1, j + 2 * W, b2);
            put(d1, j + 3 * W, b3);
          }
          tick();
          continue;
        }
      }
      // With halves (AVX2, one row): a0..a3 and b0..b3 are the low and high halves.
      using A = std::conditional_t<halves, nvec_t<R>, V>;
      A a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
      const auto hrow = [&](index_t t) { return q0 + j + t; };
      // The segments, straight for kernels of 2 vectors or more (a switch each cost ~10%).
#define AUTOCONV_HSPAN(m, t0, t1)                                                    \
  if constexpr (halves)                                                              \
    span_halves<m, W, R>(hrow, k, t0, t1, a0, a1, a2, a3, b0, b1, b2, b3);                  \
  else                                                                               \
    hspan<m, Two>(q0 + j, q1 + j, k, t0, t1, a0, a1, a2, a3, b0, b1, b2, b3)
      if (M >= 3 * W) {
        AUTOCONV_HSPAN(1, 0, W);
        AUTOCONV_HSPAN(3, W, 2 * W);
        AUTOCONV_HSPAN(7, 2 * W, 3 * W);
        AUTOCONV_HSPAN(15, 3 * W, M);
        AUTOCONV_HSPAN(14, M, M + W);
        AUTOCONV_HSPAN(12, M + W, M + 2 * W);
        AUTOCONV_HSPAN(8, M + 2 * W, M + 3 * W);
      } else if (M >= 2 * W) {
        AUTOCONV_HSPAN(1, 0, W);
        AUTOCONV_HSPAN(3, W, 2 * W);
        AUTOCONV_HSPAN(7, 2 * W, M);
        AUTOCONV_HSPAN(6, M, 3 * W);
        AUTOCONV_HSPAN(14, 3 * W, M + W);
        AUTOCONV_HSPAN(12, M + W, M + 2 * W);
        AUTOCONV_HSPAN(8, M + 2 * W, M + 3 * W);
      } else {
        for (int s = 0; s < nseg; ++s) {
          const Segment& g = seg[static_cast<std::size_t>(s)];
#define AUTOCONV_HSPAN_SEG(m) AUTOCONV_HSPAN(m, g.t0, g.t1)
          AUTOCONV_SPAN_SWITCH(g.mask, AUTOCONV_HSPAN_SEG)
#undef AUTOCONV_HSPAN_SEG
        }
      }
#undef AUTOCONV_HSPAN
      if constexpr (halves) {
        constexpr index_t NW = native_lanes<R>;
        put(d0, j, a0);
        put(d0, j + NW, b0);
        put(d0, j + W, a1);
        put(d0, j + W + NW, b1);
        put(d0, j + 2 * W, a2);
        put(d0, j + 2 * W + NW, b2);
        put(d0, j + 3 * W, a3);
        put(d0, j + 3 * W + NW, b3);
      } else {
        put(d0, j, a0);
        put(d0, j + W, a1);
        put(d0, j + 2 * W, a2);
        put(d0, j + 3 * W, a3);
      }
      if constexpr (Two && !halves) {
        put(d1, j, b0);
        put(d1, j + W, b1);
        put(d1, j + 2 * W, b2);
        put(d1, j + 3 * W, b3);
      }
      tick();
    }
    for (; j + W <= n; j += W) {
      put(d0, j, tap_sum<V>(k, M, fold, [&](index_t m) { return load(q0 + j + m); }));
      if constexpr (Two) put(d1, j, tap_sum<V>(k, M, fold, [&](index_t m) { return load(q1 + j + m); }));
    }
    scalar(slice, 0, off0, d0, j, n);
    if constexpr (Two) scalar(slice, 0, off1, d1, j, n);
  };
  // Off the last axis: output rows i..i+3 (input offset off), vectors at j (2, or 1
  // without Two); dst = row i, ostep between output rows.
  auto vblock = [&](auto two, index_t i, index_t off, R* dst, index_t ostep, index_t j) {
    constexpr bool Two = decltype(two)::value;
    // Named accumulators (an array, or a lambda taking them, spills them to the stack).
    // With halves (AVX2, one vector): a00, a10, a20, a30 the low halves, a01 .. a31 the high.
    constexpr bool halves = !Two && halves_ok;
    using A = std::conditional_t<halves, nvec_t<R>, V>;
    A a00{}, a01{}, a10{}, a11{}, a20{}, a21{}, a30{}, a31{};
    const auto row = [&](index_t t) { return slice(i + t) + off + j; };
    if (M >= 3) {  // the usual segments, straight (6 of the 7 are one row: a switch each cost ~30%)
#define AUTOCONV_VSPAN(m, t0, t1)                                                      \
  if constexpr (halves)                                                                \
    span_halves<m, 1, R>(row, k, t0, t1, a00, a10, a20, a30, a01, a11, a21, a31);        \
  else                                                                                 \
    vspan<m, Two, R>(row, k, t0, t1, a00, a01, a10, a11, a20, a21, a30, a31)
      AUTOCONV_VSPAN(1, 0, 1);
      AUTOCONV_VSPAN(3, 1, 2);
      AUTOCONV_VSPAN(7, 2, 3);
      AUTOCONV_VSPAN(15, 3, M);
      AUTOCONV_VSPAN(14, M, M + 1);
      AUTOCONV_VSPAN(12, M + 1, M + 2);
      AUTOCONV_VSPAN(8, M + 2, M + 3);
#undef AUTOCONV_VSPAN
    } else {
      for (int s = 0; s < nseg; ++s) {
        const Segment& g = seg[static_cast<std::size_t>(s)];
#define AUTOCONV_VSPAN(m)                                                              \
  if constexpr (halves)                                                                \
    span_halves<m, 1, R>(row, k, g.t0, g.t1, a00, a10, a20, a30, a01, a11, a21, a31);    \
  else                                                                                 \
    vspan<m, Two, R>(row, k, g.t0, g.t1, a00, a01, a10, a11, a20, a21, a30, a31)
        AUTOCONV_SPAN_SWITCH(g.mask, AUTOCONV_VSPAN)
#undef AUTOCONV_VSPAN
      }
    }
    if constexpr (halves) {
      constexpr index_t NW = native_lanes<R>;
      put(dst, j, a00);
      put(dst, j + NW, a01);
      put(dst + ostep, j, a10);
      put(dst + ostep, j + NW, a11);
      put(dst + 2 * ostep, j, a20);
      put(dst + 2 * ostep, j + NW, a21);
      put(dst + 3 * ostep, j, a30);
      put(dst + 3 * ostep, j + NW, a31);
    } else {
      put(dst, j, a00);
      put(dst + ostep, j, a10);
      put(dst + 2 * ostep, j, a20);
      put(dst + 3 * ostep, j, a30);
    }
    if constexpr (Two && !halves) {
      put(dst, j + W, a01);
      put(dst + ostep, j + W, a11);
      put(dst + 2 * ostep, j + W, a21);
      put(dst + 3 * ostep, j + W, a31);
    }
    tick();
  };
  // Outputs [j0, j1) of rows i .. i+Rows-1 in blocks of 2 vectors: vblock for 4 rows,
  // vtile for 8 (M >= 8). When the outputs are not accumulated, a tail shorter than two
  // vectors is one block of two ending at j1 (the overlap is written twice, with the
  // same numbers; a one-vector block runs at ~40% of the speed); else one vector, then
  // one output at a time.
  auto vrows = [&](auto rows, index_t i, index_t off, R* dst, index_t ostep, index_t j0, index_t j1) {
    constexpr int Rows = decltype(rows)::value;
    auto block = [&](auto two, index_t j) {
      if constexpr (Rows == 4) {
        if constexpr (decltype(two)::value && !two_rows) {
          vblock(std::false_type{}, i, off, dst, ostep, j);
          vblock(std::false_type{}, i, off, dst, ostep, j + W);
        } else {
          vblock(two, i, off, dst, ostep, j);
        }
      } else {
        const auto row = [&](index_t t) { return slice(i + t) + off + j; };
        vtile_any<8, decltype(two)::value ? 2 : 1, R>(row, k, M, false,
                                                  [&](int r, index_t l, const auto& a) { put(dst + r * ostep, j + l, a); });
        tick();  // a block is twice vblock's work: the prefetch keeps its pace
        tick();
      }
    };
    index_t j = j0;
    for (; j + 2 * W <= j1; j += 2 * W) block(std::true_type{}, j);
    if (j < j1 && !accumulate && j1 - j0 >= 2 * W) {
      block(std::true_type{}, j1 - 2 * W);
      j = j1;
    }
    if (j + W <= j1) {
      block(std::false_type{}, j);
      j += W;
    }
    if (j < j1 && !accumulate && j1 - j0 >= W) {
      block(std::false_type{}, j1 - W);
      j = j1;
    }
    for (int r = 0; r < Rows; ++r) scalar(slice, i + r, off, dst + r * ostep, j, j1);
  };
  // Off the last axis, one output row i: 4 vectors at a time.
  auto vrow = [&](index_t i, index_t off, R* dst, index_t j0, index_t j1) {
    index_t j = j0;
    for (; j + 4 * W <= j1; j += 4 * W) {
      V a0{}, a1{}, a2{}, a3{};
      for (index_t m = 0; m < M; ++m) {
        const R* q = slice(i + m) + off + j;
        const V w = broadcast(k[m]);
        a0 += w * load(q);
        a1 += w * load(q + W);
        a2 += w * load(q + 2 * W);
        a3 += w * load(q + 3 * W);
      }
      put(dst, j, a0);
      put(dst, j + W, a1);
      put(dst, j + 2 * W, a2);
      put(dst, j + 3 * W, a3);
    }
    auto one = [&](index_t jv) {
      V a{};
      for (index_t m = 0; m < M; ++m) a += broadcast(k[m]) * load(slice(i + m) + off + jv);
      put(dst, jv, a);
    };
    for (; j + W <= j1; j += W) one(j);
    if (j < j1 && !accumulate && j1 - j0 >= W) {  // as vrows's tail
      one(j1 - W);
      j = j1;
    }
    scalar(slice, i, off, dst, j, j1);
  };
  const index_t per_slice = std::max<index_t>(horizontal ? 2 : 1, (index_t(1) << 15) / std::max<index_t>(1, along * n));
  const index_t slices = (ncols + per_slice - 1) / per_slice;
  const double work = static_cast<double>(ncols) * static_cast<double>(along * n * M);
  const int nt = resolve_threads(threads, slices, work);
  for_each_slice(slices, nt, [&](index_t sl, int) {
    const index_t c0 = sl * per_slice, c1 = std::min(ncols, c0 + per_slice);
    if (horizontal) {
      index_t c = c0;
      for (; c + 2 <= c1; c += 2) {
        index_t i0, o0, i1, o1;
        locate(c, i0, o0);
        locate(c + 1, i1, o1);
        R* d0 = out.data() + o0;
        R* d1 = out.data() + o1;
        if (two_rows && head(d0) == head(d1)) {
          hrows(std::true_type{}, i0, i1, d0, d1);
        } else {
          hrows(std::false_type{}, i0, i0, d0, d0);
          hrows(std::false_type{}, i1, i1, d1, d1);
        }
      }
      if (c < c1) {
        index_t i0, o0;
        locate(c, i0, o0);
        hrows(std::false_type{}, i0, i0, out.data() + o0, out.data() + o0);
      }
    } else {
      const index_t ostep = out.stride(ax);
      for (index_t c = c0; c < c1; ++c) {
        index_t ib, ob;
        locate(c, ib, ob);
        // Chunks of the row such that the along + M - 1 input rows of a chunk stay in L1
        // (32 KiB) while the blocks of 4 output rows run down the column.
        // The first chunk ends at the 64-byte boundary of the aligned stores, if any.
        const index_t fit = (index_t(32) << 10) / static_cast<index_t>(sizeof(R)) / (along + M - 1);
        const index_t width = std::max<index_t>(2 * W, fit / (2 * W) * (2 * W));
        // A head [0, h) is one plain block [0, 2 W) where vrows may overlap.
        const index_t h = ostep % W == 0 ? head(out.data() + ob) : 0;
        auto chunk = [&](index_t j0, index_t j1) {
          index_t i = 0;
          if (M >= 8)
            for (; i + 8 <= along; i += 8)
              vrows(std::integral_constant<int, 8>{}, i, ib, out.data() + ob + i * ostep, ostep, j0, j1);
          for (; i + 4 <= along; i += 4)
            vrows(std::integral_constant<int, 4>{}, i, ib, out.data() + ob + i * ostep, ostep, j0, j1);
          for (; i < along; ++i) vrow(i, ib, out.data() + ob + i * ostep, j0, j1);
        };
        if (h > 0) chunk(0, accumulate ? h : n >= 2 * W ? 2 * W : n >= W ? W : h);
        for (index_t j0 = h; j0 < n; j0 += width) chunk(j0, std::min(n, j0 + width));
      }
    }
    if (stream) stream_fence();
  });
}
#undef AUTOCONV_SPAN_SWITCH

// direct_pass_slices of an input in C order at `in`.
template <class R, class Tick = NoTick>
void direct_pass(const SeparablePass& p, const R* k, bool fold, const R* in, const View<R>& out, bool accumulate,
                 bool stream, int threads, const Tick& tick = {}) {
  index_t step = 1;
  for (int b = p.axis + 1; b < p.input.rank(); ++b) step *= p.input[b];
  direct_pass_slices(p, k, fold, Strided<R>{in, step}, out, accumulate, stream, threads, tick);
}

// Software prefetch of the input rows the next pad reads, `per_tick` cache lines per
// block of the passes before it, so that reading them from memory overlaps arithmetic.
struct Prefetcher {
  const std::pair<const char*, std::size_t>* rows = nullptr;  // start and bytes of each row
  std::size_t n = 0;
  int per_tick = 0;
  mutable std::size_t r = 0, b = 0;
  void operator()() const {
    for (int i = 0; i < per_tick && r < n; ++i) {
      __builtin_prefetch(rows[r].first + b, 0, 2);
      b += 64;
      if (b >= rows[r].second) b = 0, ++r;
    }
  }
};

// Tile t, in C order over axes [first, D) with count[a] tiles of extent tile[a] each:
// sets origin and ext (the tile's output extents) on those axes and returns the
// tile's offset in `out`.
template <class T>
index_t locate_tile(index_t t, int first, const Shape& tile, const Shape& output,
                    const std::array<index_t, max_rank>& count, const View<T>& out,
                    std::array<index_t, max_rank>& origin, Shape& ext) {
  index_t off = 0;
  for (int a = output.rank() - 1; a >= first; --a) {
    const std::size_t ua = static_cast<std::size_t>(a);
    const index_t o = (t % count[ua]) * tile[a];
    t /= count[ua];
    origin[ua] = o;
    ext[a] = std::min(tile[a], output[a] - o);
    off += o * out.stride(a);
  }
  return off;
}

// One group of up to G = fused_rows output rows of a 2-D plane (run_vfirst; run_stream's
// planes): the pass along the rows' axis (kv, M0 taps) straight from the input rows, its
// results transposed into buf (the G rows become the vector lanes of each column), then
// the last-axis pass (kh, M1 taps) from buf into the output rows, as hpass_fused does.
// The column chunks slide along buf keeping their M1 - 1 columns of halo.
template <class T>
struct PlaneGroup {
  const T* const* rows = nullptr;  // padded rows 0 .. G + M0 - 2 at input column 0 (cval rows: nin cval)
  index_t rs = 0;                  // the step between them when they are input rows one step apart, else 0
  const index_t* tab = nullptr;    // padded column -> input column, -1: cval
  index_t ilo = 0, ihi = 0;        // padded columns [ilo, ihi) read the input in order
  index_t nin = 0;                 // input columns
  T cval{};
  const T* kv = nullptr;  // the rows' axis
  index_t M0 = 0;
  const T* kh = nullptr;  // the last axis
  index_t M1 = 0;
  bool fold1 = false;  // kh folded (fold_taps)
  T* dst = nullptr;  // output row q < nr at dst + q * ostride, columns [0, L1)
  index_t ostride = 0, nr = 0, L1 = 0;
  bool stream = false;  // non-temporal stores
  T* buf = nullptr;     // (2 fused_chunk + 32 + M1) G values, 64-byte aligned
};

// A group's padded rows p = first .. first + n - 1 (past `last`, the last again):
// rows[t] = src(p), the input row of padded row p at input column 0, or cval_row where
// src gives nullptr. Returns the step between them when they are input rows `step`
// apart, else 0 (PlaneGroup::rs).
template <class T, class Src>
index_t group_rows(const T** rows, index_t n, index_t first, index_t last, index_t step, const Src& src,
                   const T* cval_row) {
  index_t rs = n > 1 ? step : 0;
  for (index_t t = 0; t < n; ++t) {
    const T* r = src(std::min(first + t, last));
    rows[t] = r == nullptr ? cval_row : r;
    if (r == nullptr || r != rows[0] + t * step) rs = 0;
  }
  return rs;
}

template <class T, class Tick = NoTick>
void plane_group(const PlaneGroup<T>& pg, const Tick& tick = {}) {
  using V = vec_t<T>;
  constexpr index_t W = lanes_v<T>, G = fused_rows;
  constexpr int VC = static_cast<int>(G / W);  // vectors per column of G rows (and per 16 columns)
  static_assert(VC * W == G && (W == 8 || W == 16), "16 rows: 2 vectors of 8 doubles or 1 of 16 floats");
  const T* const* rows = pg.rows;
  const index_t rs = pg.rs, M0 = pg.M0, M1 = pg.M1, L1 = pg.L1, ilo = pg.ilo, ihi = pg.ihi, nin = pg.nin;
  const index_t* tab = pg.tab;
  const T *kv = pg.kv, *kh = pg.kh;
  const T cval = pg.cval;
  T* const buf = pg.buf;
  // buf's columns: 2 chunks, so that the halo kept moves to the front every other chunk.
  const index_t cap = 2 * fused_chunk + 32 + M1;
  // Output columns from g on start 64 bytes into every row (when the rows are a whole
  // number of lines apart): the chunks start there, so that their stores stream.
  index_t g = (pg.ostride * static_cast<index_t>(sizeof(T))) % 64 == 0 ? line_gap(pg.dst) : 0;
  if (g >= L1) g = 0;
  index_t blo = 0, bhi = 0;  // buf holds the first pass's results of padded columns [blo, bhi)
  // The first pass, padded column p, one output at a time (the same sums as vtile's).
  auto vscalar = [&](index_t p) {
    const index_t x = tab[p];
    for (index_t q = 0; q < G; ++q) {
      T acc = 0;
      for (index_t m = 0; m < M0; ++m) acc = madd(kv[m], x < 0 ? cval : rows[q + m][x], acc);
      buf[(p - blo) * G + q] = acc;
    }
  };
  // The first pass, padded columns [j, j + 16) (in order in the input): one vtile_col of
  // the 16 rows per vector (AVX-512, M0 >= 16), else two vtile of 8 rows.
  auto vblock = [&](index_t j) {
    const index_t x0 = tab[j];
    // The lines this block's rows read 4 lines ahead, into L2 (measured on
    // 4096^2/31^2: without, 30% slower; into L1, 3-5% slower; 512 and 1024 bytes
    // ahead alike).
    constexpr index_t ahead = 256 / static_cast<index_t>(sizeof(T));
    if (x0 + ahead + 16 <= nin)
      for (index_t t = 0; t < G + M0 - 1; ++t) {
        __builtin_prefetch(rows[t] + x0 + ahead, 0, 2);
        if constexpr (W == 8) __builtin_prefetch(rows[t] + x0 + ahead + 8, 0, 2);
      }
    // Output rows h * 8 + r of columns [j, j + 16) from input rows row_of(h, t).
    auto tiles = [&](const auto& row_of) {
      if constexpr (vec_regs > 1) {  // transposed by vtile_lanes, straight into buf
        unroll<2>([&](auto h) {
          vtile_lanes<VC, T>([&](index_t t) { return row_of(h, t); }, kv, M0, false,
                             [&](index_t l, int r0, const nvec_t<T>& x) {
                               nstore(buf + (j - blo + l) * G + h * 8 + r0, x);
                             });
        });
      } else {
        V oc[2][8][VC];
        if (M0 >= G) {  // the G rows as one block per vector: vtile_col
          unroll<VC>([&](auto v) {
            vtile_col<G, V>([&](index_t t) { return row_of(0, t) + v * W; }, kv, M0,
                            [&](int r, const V& val) { oc[r / 8][r % 8][v] = val; });
          });
        } else {
          unroll<2>([&](auto h) {
            vtile_any<8, VC, T>([&](index_t t) { return row_of(h, t); }, kv, M0, false,
                                [&](int r, index_t l, const V& val) { oc[h][r][l / W] = val; });
          });
        }
        unroll<VC>([&](auto v) {
          if constexpr (W == 8) {
            unroll<2>([&](auto h) {
              V x[lanes_v<T>];
              unroll<W>([&](auto i) { x[i] = oc[h][i][v]; });
              transpose<T>(x);
              unroll<W>([&](auto i) { store(buf + (j - blo + v * W + i) * G + h * 8, x[i], false); });
            });
          } else {
            V x[lanes_v<T>];
            unroll<W>([&](auto i) { x[i] = oc[i / 8][i % 8][v]; });
            transpose<T>(x);
            unroll<W>([&](auto i) { store(buf + (j - blo + i) * G, x[i], false); });
          }
        });
      }
    };
    if (rs != 0) {  // rows one stride apart: one pointer
      const T* base = rows[0] + x0;
      tiles([&](index_t h, index_t t) { return base + (h * 8 + t) * rs; });
    } else {
      tiles([&](index_t h, index_t t) { return rows[h * 8 + t] + x0; });
    }
    tick();
  };
  // Input columns whose loads start a cache line in every row (rows a whole number
  // of lines apart): the blocks start there (split loads measured ~15% slower).
  const bool lines = rs != 0 && (rs * static_cast<index_t>(sizeof(T))) % 64 == 0;
  auto gap = [&](index_t j) { return lines ? line_gap(rows[0] + tab[j]) : index_t(0); };
  // buf = the first pass's results of padded columns [lo, hi) at least: those already there
  // kept, the in-order ones computed up to a block boundary (up to 16 beyond hi).
  auto prepare = [&](index_t lo, index_t hi) {
    const index_t keep = std::max<index_t>(0, bhi - lo);
    if (keep == 0) {
      blo = lo;
    } else if (hi + 16 - blo > cap) {  // the kept columns to the front
      std::memmove(buf, buf + (lo - blo) * G, static_cast<std::size_t>(keep * G) * sizeof(T));
      blo = lo;
    }
    const index_t s = lo + keep, e = hi;
    bhi = std::max(s, e);
    if (s >= e) return;
    const index_t vs = std::max(s, ilo), ve = std::min(e, ihi);
    if (ve - vs >= 16) {
      index_t j = vs;
      if (const index_t g0 = gap(j); g0 != 0 && vs + g0 + 16 <= ihi) {
        vblock(j);  // unaligned; the aligned blocks from vs + g0 on overlap it
        j += g0;
      }
      for (; j + 16 <= ve; j += 16) vblock(j);
      if (j < ve) {
        if (j + 16 <= ihi) {  // past hi, so that the next chunk's blocks start aligned
          vblock(j);
          bhi = j + 16;
        } else {
          vblock(ve - 16);  // overlaps: the same numbers again
        }
      }
    } else {
      for (index_t p = vs; p < ve; ++p) vscalar(p);
    }
    // The border columns: a copy of the in-order column that reads the same input
    // column where buf has it (Reflect, Mirror, Nearest, Wrap), else summed here.
    auto border = [&](index_t p) {
      const index_t q = ve - vs >= 16 && tab[p] >= 0 ? ilo + (tab[p] - tab[ilo]) : -1;  // [vs, ve) in order
      if (q >= vs && q < ve)
        std::copy(buf + (q - blo) * G, buf + (q - blo + 1) * G, buf + (p - blo) * G);
      else
        vscalar(p);
    };
    for (index_t p = s; p < std::min(e, ilo); ++p) border(p);
    for (index_t p = std::max(s, ihi); p < e; ++p) border(p);
  };
  // Last axis: output columns [c, c + W) of the G rows, from buf (as hpass_fused).
  auto hblock = [&](index_t c) {
    fused_columns(buf + (c - blo) * G, kh, M1, pg.fold1, pg.dst + c, pg.ostride, pg.nr, pg.stream);
    tick();
  };
  // Column chunks [c0, c1): [0, g), then fused_chunk wide from g.
  for (index_t c0 = 0; c0 < L1;) {
    const index_t c1 = std::min(L1, c0 < g ? g : c0 + fused_chunk);
    if (c1 - c0 >= W) {
      prepare(c0, c1 + M1 - 1);
      index_t c = c0;
      for (; c + W <= c1; c += W) hblock(c);
      if (c < c1) hblock(c1 - W);  // overlaps the previous block: the same numbers again
    } else {  // one block that may reach back (or, for [0, g), forward)
      const index_t b = std::min(c0, L1 - W);
      prepare(b, b + W + M1 - 1);
      hblock(b);
    }
    c0 = c1;
  }
}

}  // namespace

bool separable_folding() { return fold_pays; }

std::vector<SeparablePass> separable_passes(const Problem& pb) {
  const int D = pb.rank();
  std::vector<int> axes;
  for (int a = 0; a < D; ++a)
    if (pb.kernel[a] > 1) axes.push_back(a);
  if (axes.empty()) axes.push_back(0);  // a one-tap kernel: one pass scales by it
  // Order: M_a / (1 - rho_a) ascending, rho_a = L_a / (L_a + M_a - 1) (see engine.hpp).
  auto key = [&](int a) {
    const double M = static_cast<double>(pb.kernel[a]), L = static_cast<double>(pb.output[a]);
    const double shrink = (M - 1) / (L + M - 1);  // 1 - rho
    return shrink > 0 ? M / shrink : 1e300;
  };
  std::stable_sort(axes.begin(), axes.end(), [&](int a, int b) { return key(a) < key(b); });
  std::vector<SeparablePass> out;
  Shape cur = padded_shape(pb);
  for (int a : axes) {
    SeparablePass p;
    p.axis = a;
    p.input = cur;
    p.kernel = pb.kernel[a];
    cur[a] = pb.output[a];
    p.output = cur;
    out.push_back(p);
  }
  return out;
}

namespace {
// The engine's src_: an input index per padded position per axis.
std::size_t index_table_bytes(const Problem& pb) {
  const Shape padded = padded_shape(pb);
  std::size_t n = 0;
  for (index_t e : padded) n += static_cast<std::size_t>(e);
  return n * sizeof(index_t);
}
}  // namespace

std::size_t separable_workspace_bytes(const Problem& pb, std::size_t value_bytes, int terms) {
  const auto passes = separable_passes(pb);
  const std::size_t x = volume(passes.front().input);
  const std::size_t mid = passes.size() > 1 ? volume(passes.front().output) : 0;
  std::size_t n = x + mid;  // one term: the padded input and the first intermediate alternate
  if (terms > 1) n += (passes.size() > 2 ? mid : 0) + volume(pb.output);  // the input kept; an accumulator
  return n * value_bytes + index_table_bytes(pb);
}

std::size_t separable_pass_bytes(const Problem& pb, const std::vector<Method>& methods, std::size_t real_bytes,
                                 bool complex_data, std::size_t memory_limit, int workers) {
  const auto passes = separable_passes(pb);
  double bytes = 0;
  for (std::size_t p = 0; p < passes.size() && p < methods.size(); ++p) {
    const Problem q = pass_problem(pb, passes[p]);
    if (methods[p] == Method::FFT || methods[p] == Method::OverlapAdd)
      bytes += fft_layout_bytes(fft_layout(q, methods[p], real_bytes, complex_data, memory_limit, workers), workers);
    else if (complex_data)
      bytes += static_cast<double>(direct_buffer_bytes(q, real_bytes, true)) * std::max(1, workers);
  }
  return static_cast<std::size_t>(bytes);
}

Method separable_pass_method(const Problem& pass, std::size_t value_bytes, bool complex_data, int workers,
                             std::size_t memory_limit, bool one_shot) {
  // The cost model's choice for this 1-D pass, under the call's memory limit and priced
  // as the call is (one-shot or reused), as the Separable candidate's passes are.
  cost::Request r;
  r.pb = pass;
  r.real_bytes = value_bytes;
  r.complex_data = complex_data;
  r.workers = std::max(1, workers);
  r.memory_limit = memory_limit;
  r.one_shot = one_shot;
  return cost::decide(r, cost::machine_profile()).method;
}

bool separable_vfirst(const Problem& pb, int terms, std::size_t value_bytes) {
  return pb.rank() == 2 && terms == 1 && pb.kernel[0] >= 2 && pb.kernel[1] >= 2 &&
         static_cast<std::size_t>(pb.output[1]) * value_bytes >= 64;
}

VfirstSplit vfirst_split(const Problem& pb) {
  const index_t L0 = pb.output[0];
  VfirstSplit s;
  s.groups = (L0 + fused_rows - 1) / fused_rows;
  s.slices = (s.groups + s.per - 1) / s.per;
  s.work = 2.0 * static_cast<double>(L0) * static_cast<double>(pb.output[1]) *
           static_cast<double>(pb.kernel[0] + pb.kernel[1]);
  return s;
}

template <class T>
struct SeparableEngine<T>::Work {
  std::vector<T> x, a, b, acc;
  std::vector<const T*> planes;  // run_stream: the ring planes of one axis-0 pass
  std::vector<const T*> group;   // run_vfirst, run_stream's planes: a PlaneGroup's input rows
  std::vector<std::pair<const char*, std::size_t>> rows;  // run_stream: input rows to prefetch
};

SeparableTiling separable_tiling(const Problem& pb, const std::vector<SeparablePass>& passes, std::size_t value_bytes,
                                 int terms) {
  const int D = pb.rank();
  SeparableTiling t;
  // Real data with every pass Direct: tiles whose padded input fits in ~768 KiB (half
  // of the AVX-512 Xeon's 2 MiB L2 per core, leaving room for the intermediate), found by
  // halving the largest tile extent (the last axis only down to 64, for the vectors).
  t.tile = pb.output;
  {
    auto padded_tile = [&] {
      std::size_t v = 1;
      for (int a = 0; a < D; ++a) v *= static_cast<std::size_t>(t.tile[a] + pb.kernel[a] - 1);
      return v;
    };
    const std::size_t budget = (std::size_t(768) << 10) / value_bytes;
    while (padded_tile() > budget) {
      int best = -1;
      for (int a = 0; a < D; ++a)
        if (t.tile[a] > 1 && (a != D - 1 || t.tile[a] >= 128) && (best < 0 || t.tile[a] > t.tile[best])) best = a;
      if (best < 0) break;
      t.tile[best] = (t.tile[best] + 1) / 2;
    }
    t.x_size = padded_tile();
    Shape first(t.tile);
    for (int a = 0; a < D; ++a) first[a] = t.tile[a] + (a == passes.front().axis ? 0 : pb.kernel[a] - 1);
    t.mid_size = passes.size() > 1 ? volume(first) : 0;
  }
  // Streaming along axis 0 (D >= 2, a pass on axis 0): tiles over the other axes such
  // that each term's ring of result planes (M0 - 1 + group planes, rounded up to a
  // multiple of the group) and the padded planes being passed stay within 1.75 MiB of
  // the AVX-512 Xeon's 2 MiB L2 per core (on a Zen 3 with 512 KiB, 448 KiB measured
  // slower: 256^3/19^3 0.27 s against 0.16-0.23 s). The axis-0 pass runs on 4 output
  // planes at a time (its block of 4 rows); the other passes on 4 planes at a time
  // where that fits, else 2 or 1. Rows are kept at 256 or more while possible: they
  // take non-temporal stores (measured on 256^3/19^3: 32 x 256 tiles 7% faster than
  // 64 x 128).
  t.stream = D >= 2 && pb.kernel[0] > 1;
  if (t.stream) {
    t.p0 = static_cast<std::size_t>(
        std::find_if(passes.begin(), passes.end(), [](const SeparablePass& q) { return q.axis == 0; }) - passes.begin());
    // 2-D with a last-axis kernel of 8 taps or more: that pass reads the input itself
    // (hpass_fused), 16 rows at a time.
    t.fused = D == 2 && passes.size() == 2 && pb.kernel[1] >= 8 &&
              pb.output[1] >= static_cast<index_t>(64 / value_bytes);
    // Planes per group: 4 (the axis-0 pass's vblock), or hpass_fused's 16 rows, which
    // the axis-0 pass runs as 2 vtile blocks. Measured on 256^3/19^3: groups of 8
    // (vtile) were 20% slower, the larger ring leaving smaller tiles.
    t.vfirst = separable_vfirst(pb, terms, value_bytes);
    t.group = t.fused ? fused_rows : 4;
    t.ring = (pb.kernel[0] - 1 + 2 * t.group - 1) / t.group * t.group;  // measured: 3% faster than unrounded
    t.tile = pb.output;
    t.tile[0] = 1;
    auto plane = [&](bool padded) {
      std::size_t v = 1;
      for (int a = 1; a < D; ++a) v *= static_cast<std::size_t>(t.tile[a] + (padded ? pb.kernel[a] - 1 : 0));
      return v;
    };
    const std::size_t budget = (std::size_t(1792) << 10) / value_bytes;
    const std::size_t rings = static_cast<std::size_t>(terms);  // one ring per term
    const std::size_t scratch = terms > 1 ? 3 : 2;              // padded planes, intermediates
    // Ring slots are a plane plus 9 cache lines apart, so that the M0 rows the axis-0
    // pass reads at one offset do not all fall in the same L1 sets (planes of 2^k bytes
    // would: measured 10-15% on 256^3/19^3 and 4096^2/31^2); none when the pad writes
    // several planes straight into the ring (no other pass).
    t.skew = passes.size() > 1 ? 9 * 64 / static_cast<index_t>(value_bytes) : 0;
    const std::size_t align = 64 / value_bytes;  // hpass_fused aligns its buffer to 64 bytes
    auto need = [&](index_t sub) {
      return (plane(false) + static_cast<std::size_t>(t.skew)) * static_cast<std::size_t>(t.ring) * rings +
             (t.fused ? fused_buf_values(pb) + align : plane(true) * static_cast<std::size_t>(sub) * scratch);
    };
    // Halve, in this order of preference: the largest of the other axes whose halved
    // tile still covers its halo (M - 1) and the last axis while >= 512; then the last
    // axis while >= 128; then the largest other axis.
    auto halvable = [&](int a, int tier) {
      const index_t e = t.tile[a], halo = pb.kernel[a] - 1;
      if (a == D - 1) return tier == 0 ? e >= 512 : tier == 1 && e >= 128;
      return e > 1 && (tier == 2 || e / 2 >= halo);
    };
    while (need(1) > budget) {
      int best = -1;
      for (int tier = 0; tier < 3 && best < 0; ++tier)
        for (int a = 1; a < D; ++a)
          if (halvable(a, tier) && (best < 0 || t.tile[a] > t.tile[best])) best = a;
      if (best < 0) break;
      t.tile[best] = (t.tile[best] + 1) / 2;
    }
    t.sub = t.fused ? fused_rows : need(4) <= budget ? 4 : need(2) <= budget ? 2 : 1;
    t.x_size = t.fused ? fused_buf_values(pb) + align : plane(true) * static_cast<std::size_t>(t.sub);
    // 3-D with a pass on every axis: a plane's axis-1 and last-axis passes run as
    // run_vfirst's, straight from the input rows into the ring (plane_group; no pad,
    // no intermediate, the last axis on transposed columns). The tiles stay those of
    // the padded planes, which also serve the tiles and inputs plane_group cannot
    // take (run_stream: a strided last axis, a last-axis tile narrower than a vector).
    t.planes = D == 3 && passes.size() == 3;
    if (t.planes) t.x_size = std::max(t.x_size, plane_buf_values(pb) + align);
    t.mid_size = (plane(false) + static_cast<std::size_t>(t.skew)) * static_cast<std::size_t>(t.ring) * rings;
  }
  return t;
}

TileLeases separable_leases(const Problem& pb, const std::vector<SeparablePass>& passes, const SeparableTiling& t,
                            std::size_t value_bytes, int terms) {
  const int D = pb.rank();
  const std::size_t align = 64 / value_bytes;  // values per cache line
  const bool cval_rows = pb.ext == Ext::Zero || pb.ext == Ext::Constant;  // an input row of cval
  TileLeases l;
  if (cval_rows && (t.vfirst || (t.stream && t.planes))) l.fill = static_cast<std::size_t>(pb.input[D - 1]);
  if (t.vfirst) {
    l.vfirst.x = plane_buf_values(pb) + align;
    l.vfirst.group = static_cast<std::size_t>(fused_rows + pb.kernel[0] - 1);
  }
  if (t.stream) {
    TileLease& s = l.stream;
    s.x = t.x_size;
    // The passes before the last one besides axis 0's alternate between w.a and w.x (one
    // term) or w.acc: w.a from 3 passes, w.acc from 4.
    if (passes.size() > 2) s.a = t.x_size;
    if (terms > 1 && passes.size() > 3) s.acc = t.x_size;
    s.b = t.mid_size + 2 * align;  // w.b has two more lines: see run_stream's rings
    s.planes = static_cast<std::size_t>(t.ring);
    if (t.planes) s.group = static_cast<std::size_t>(fused_rows + pb.kernel[1] - 1);
    s.rows = static_cast<std::size_t>(t.sub);  // rows of sub padded planes
    for (int a = 1; a + 1 < D; ++a) s.rows *= static_cast<std::size_t>(t.tile[a] + pb.kernel[a] - 1);
  } else {
    l.tiled.x = t.x_size;
    l.tiled.a = t.mid_size;
    if (terms > 1 && passes.size() > 2) l.tiled.b = t.mid_size;
  }
  return l;
}

TileBytes separable_tile_bytes(const Problem& pb, const std::vector<SeparablePass>& passes, std::size_t value_bytes,
                               int terms) {
  const SeparableTiling t = separable_tiling(pb, passes, value_bytes, terms);
  const TileLeases l = separable_leases(pb, passes, t, value_bytes, terms);
  // A worker's buffers serve each path the engine takes (pool.hpp), each at its largest.
  auto bytes = [&](std::initializer_list<const TileLease*> paths) {
    TileLease m;
    for (const TileLease* p : paths) {
      m.x = std::max(m.x, p->x);
      m.a = std::max(m.a, p->a);
      m.b = std::max(m.b, p->b);
      m.acc = std::max(m.acc, p->acc);
      m.planes = std::max(m.planes, p->planes);
      m.group = std::max(m.group, p->group);
      m.rows = std::max(m.rows, p->rows);
    }
    return (m.x + m.a + m.b + m.acc) * value_bytes + (m.planes + m.group) * sizeof(void*) +
           m.rows * sizeof(std::pair<const char*, std::size_t>);
  };
  const TileLease& other = t.stream ? l.stream : l.tiled;
  TileBytes b;
  b.worker = t.vfirst ? bytes({&l.vfirst, &other}) : bytes({&other});
  b.contiguous = t.vfirst ? bytes({&l.vfirst}) : b.worker;
  b.shared = l.fill * value_bytes + index_table_bytes(pb);
  return b;
}

template <class T>
SeparableEngine<T>::SeparableEngine(const Problem& pb, const Factors<T>& factors, const SeparableOptions& options)
    : pb_(pb), terms_(factors.terms), passes_(separable_passes(pb)), padded_(padded_shape(pb)) {
  const int D = pb.rank();
  for (const SeparablePass& p : passes_) {
    const Problem q = pass_problem(pb_, p);
    Method m = options.pass_method;
    if (m == Method::Auto)
      m = separable_pass_method(q, sizeof(real_t<T>), is_complex_v<T>, options.workers, options.memory_limit,
                                options.effort == fft::Effort::Estimate);  // make_request: one_shot = Estimate
    methods_.push_back(m);
  }
  tiled_ = !is_complex_v<T> && std::all_of(methods_.begin(), methods_.end(), [](Method m) { return m == Method::Direct; });
  if (tiled_) {
    tiling_ = separable_tiling(pb_, passes_, sizeof(T), terms_);
    leases_ = separable_leases(pb_, passes_, tiling_, sizeof(T), terms_);
  }
  pass_limit_ = options.memory_limit;
  // Every buffer the engine can take, against the limit before any is allocated.
  if (const std::size_t bytes = workspace_bytes(options.workers); bytes > options.memory_limit)
    throw error(std::string(pb.api_name()) + ": Method::Separable needs " + bytes_str(static_cast<double>(bytes)) +
                " of buffers (input " + pb.input.str() + ", kernel " + pb.kernel.str() + ", " +
                std::to_string(terms_) + (terms_ == 1 ? " term" : " terms") + "), above Options::memory_limit = " +
                bytes_str(static_cast<double>(options.memory_limit)));
  for (int j = 0; j < terms_; ++j)
    for (std::size_t p = 0; p < passes_.size(); ++p) {
      const Problem q = pass_problem(pb_, passes_[p]);
      std::vector<T> k = factors.factor(j, passes_[p].axis);
      // A term's factors on axes that have no pass (extent 1) are scalars: fold them in.
      if (p == 0)
        for (int a = 0; a < D; ++a)
          if (pb.kernel[a] == 1 && a != passes_[p].axis)
            for (T& v : k) v *= factors.factor(j, a)[0];
      Stage st;
      if (!is_complex_v<T> && methods_[p] == Method::Direct) {
        st.fold = passes_[p].axis == D - 1 && fold_taps(k);
        st.taps = std::move(k);
        stages_.push_back(std::move(st));
        continue;
      }
      st.direct = std::make_shared<DirectEngine<T>>(q, k);
      if (methods_[p] == Method::FFT || methods_[p] == Method::OverlapAdd) {
        FftLayout lay = fft_layout(q, methods_[p], sizeof(real_t<T>), is_complex_v<T>, options.memory_limit,
                                   options.workers);
        st.fft = std::make_unique<FftEngine<T>>(q, k, std::move(lay), options.effort, options.workers, st.direct);
      }
      stages_.push_back(std::move(st));
    }
  src_.resize(static_cast<std::size_t>(D));
  for (int a = 0; a < D; ++a) {
    const index_t lo = first_position(pb, a), n = pb.input[a], P = padded_[a];
    auto& tab = src_[static_cast<std::size_t>(a)];
    tab.resize(static_cast<std::size_t>(P));
    for (index_t i = 0; i < P; ++i) tab[static_cast<std::size_t>(i)] = extend_index(lo + i, n, pb.ext);
    const index_t ilo = std::clamp<index_t>(-lo, 0, P);
    inner_lo_[static_cast<std::size_t>(a)] = ilo;
    inner_hi_[static_cast<std::size_t>(a)] = std::clamp<index_t>(n - lo, ilo, P);
  }
  if (tiled_) cval_row_.assign(leases_.fill, pb_.outside_value<T>());
  // Outputs of 4 MiB or more are written with non-temporal stores, as the direct engine does.
  stream_out_ = volume(pb.output) * sizeof(T) >= (std::size_t(4) << 20);
  x_size_ = volume(padded_);
  mid_size_ = passes_.size() > 1 ? volume(passes_.front().output) : 0;
  out_size_ = terms_ > 1 ? volume(pb.output) : 0;
}

template <class T>
SeparableEngine<T>::~SeparableEngine() = default;

template <class T>
std::array<index_t, 2> SeparableEngine<T>::inner_span(const Box& box) const {
  const std::size_t last = static_cast<std::size_t>(pb_.rank() - 1);
  const index_t len = box.shape[pb_.rank() - 1], o_last = box.origin[last];
  const index_t ilo = std::clamp<index_t>(inner_lo_[last] - o_last, 0, len);
  return {ilo, std::clamp<index_t>(inner_hi_[last] - o_last, ilo, len)};
}

template <class T>
bool SeparableEngine<T>::row_offset(const View<const T>& in, const Box& box, const std::array<index_t, max_rank>& idx,
                                    index_t& off) const {
  off = 0;
  for (int a = 0; a + 1 < pb_.rank(); ++a) {
    const std::size_t ua = static_cast<std::size_t>(a);
    const index_t s = src_[ua][static_cast<std::size_t>(box.origin[ua] + idx[ua])];
    if (s < 0) return false;
    off += s * in.stride(a);
  }
  return true;
}

template <class T>
void SeparableEngine<T>::pad(const View<const T>& in, T* x, const Box& box, int threads) const {
  // x = the padded input over padded positions [box.origin, box.origin + box.shape), C order.
  const int D = pb_.rank();
  const index_t len = box.shape[D - 1], st = in.stride(D - 1), o_last = box.origin[static_cast<std::size_t>(D - 1)];
  // Positions of this box's rows that read the input in order (contiguous when st == 1).
  const std::array<index_t, 2> span = inner_span(box);
  const index_t ilo = span[0], ihi = span[1];
  const T cval = pb_.outside_value<T>();
  const index_t* tab = src_[static_cast<std::size_t>(D - 1)].data() + o_last;
  for_rows(box.shape, threads, [&](index_t r, const std::array<index_t, max_rank>& idx) {
    T* dst = x + r * len;
    index_t off = 0;
    if (!row_offset(in, box, idx, off)) {
      std::fill(dst, dst + len, cval);
      return;
    }
    const T* row = in.data() + off;
    auto edge = [&](index_t i) { dst[i] = tab[i] < 0 ? cval : row[tab[i] * st]; };
    for (index_t i = 0; i < ilo; ++i) edge(i);
    if (ihi > ilo) {
      const T* s0 = row + tab[ilo] * st;
      if (st == 1)
        std::copy(s0, s0 + (ihi - ilo), dst + ilo);
      else
        for (index_t i = 0; i < ihi - ilo; ++i) dst[ilo + i] = s0[i * st];
    }
    for (index_t i = ihi; i < len; ++i) edge(i);
  });
}

template <class T>
std::size_t SeparableEngine<T>::plane_buf_size() const {
  return plane_buf_values(pb_);
}

template <class T>
std::size_t SeparableEngine<T>::fused_buf_size() const {
  return fused_buf_values(pb_);
}

template <class T>
void SeparableEngine<T>::grow(Work& w, const TileLease& l) const {
  auto at_least = [](auto& v, std::size_t n) {
    if (v.size() >= n) return;
    // Scratch: the old buffer goes before the new one comes (a reserve would copy it,
    // holding both), and exactly n (a growing resize may allocate up to twice its size).
    std::remove_reference_t<decltype(v)>().swap(v);
    v.reserve(n);
    v.resize(n);
  };
  at_least(w.x, l.x);
  at_least(w.a, l.a);
  at_least(w.b, l.b);
  at_least(w.acc, l.acc);
  at_least(w.planes, l.planes);
  at_least(w.group, l.group);
  at_least(w.rows, l.rows);
}

template <class T>
template <class Tick>
void SeparableEngine<T>::hpass_fused(const View<const T>& in, const Box& box, const T* k, bool fold, T* dst, index_t pitch,
                                     T* buf, const Tick& tick) const {
  if constexpr (!is_complex_v<T>) {
    using V = vec_t<T>;
    constexpr index_t W = lanes_v<T>;
    constexpr int VV = static_cast<int>(fused_rows / W);  // row groups of W rows (lanes)
    static_assert(VV * W == fused_rows && (W == 8 || W == 16), "16 rows: 2 groups of 8 doubles or 1 of 16 floats");
    const index_t M = pb_.kernel[1], len = box.shape[1], n = len - M + 1, st = in.stride(1);
    const std::array<index_t, 2> span = inner_span(box);
    const index_t ilo = span[0], ihi = span[1];
    const T cval = pb_.outside_value<T>();
    const index_t* tab = src_[1].data() + box.origin[1];
    for (index_t r0 = 0; r0 < box.shape[0]; r0 += fused_rows) {
      const index_t nr = std::min(fused_rows, box.shape[0] - r0);
      // Input rows (position 0), nullptr for a row of cval; rows past nr repeat the last.
      std::array<const T*, fused_rows> src{};
      bool all = st == 1;
      for (index_t q = 0; q < fused_rows; ++q) {
        std::array<index_t, max_rank> idx{};
        idx[0] = r0 + std::min(q, nr - 1);
        index_t off = 0;
        src[static_cast<std::size_t>(q)] = row_offset(in, box, idx, off) ? in.data() + off : nullptr;
        all = all && src[static_cast<std::size_t>(q)] != nullptr;
      }
      // Rows one stride apart (all but near the first and last rows): one pointer.
      const index_t rs = all ? src[1] - src[0] : 0;
      bool even = all;
      for (index_t q = 2; q < fused_rows && even; ++q) even = src[static_cast<std::size_t>(q)] - src[0] == q * rs;
      // buf[(c - a) * 16 + q] = padded position c of row q: blocks of W positions
      // transposed where they read the input in order, from the first whose loads in row 0
      // are 64-byte aligned (measured: ~25% of the fill went to split loads); the others
      // one value at a time.
      auto scalar_fill = [&](index_t c0, index_t c1, index_t a) {  // positions [c0, c1), buf from a
        for (index_t c = c0; c < c1; ++c)
          for (index_t q = 0; q < fused_rows; ++q) {
            const T* row = src[static_cast<std::size_t>(q)];
            buf[(c - a) * fused_rows + q] = row == nullptr || tab[c] < 0 ? cval : row[tab[c] * st];
          }
      };
      // buf from position a to b: positions [a, v0) and [v1, b) one value at a time, [v0, v1)
      // as transposed blocks, filled as the blocks of outputs need them (fill_to) so that
      // the transposes' shuffles run between the taps' multiply-adds instead of all before.
      index_t fa = 0, fb = 0, v0 = 0, v1 = 0, filled = 0;
      auto fill_start = [&](index_t a, index_t b) {
        fa = a;
        fb = b;
        v0 = std::max(a, ilo), v1 = std::min(b, ihi);  // the in-order span
        if (!all || v1 - v0 < W) v0 = v1 = b;
        if (v0 < v1) {
          v0 += line_gap(src[0] + tab[v0]);
          v1 = v0 + std::max<index_t>(0, v1 - v0) / W * W;
        }
        scalar_fill(a, v0, a);
        filled = v0;
      };
      auto fill_to = [&](index_t p) {  // positions up to p (at least) are in buf
        for (; filled < std::min(p, v1); filled += W) {
          const index_t cb = filled, s0 = tab[cb];
          unroll<VV>([&](auto v) {
            V x[W];
            if (even) {
              const T* q0 = src[static_cast<std::size_t>(v * W)] + s0;
              unroll<W>([&](auto q) { x[q] = load(q0 + q * rs); });
            } else {
              unroll<W>([&](auto q) { x[q] = load(src[static_cast<std::size_t>(v * W + q)] + s0); });
            }
            transpose<T>(x);
            unroll<W>([&](auto i) { store(buf + (cb - fa + i) * fused_rows + v * W, x[i], false); });
          });
        }
        if (filled < p) {
          scalar_fill(filled, fb, fa);
          filled = fb;
        }
      };
      // Output columns [c, c + W) of the 16 rows, from buf filled from column a.
      auto block = [&](index_t a, index_t c) {
        fused_columns(buf + (c - a) * fused_rows, k, M, fold, dst + r0 * pitch + c, pitch, nr, false);
        tick();
      };
      for (index_t c0 = 0; c0 < n; c0 += fused_chunk) {
        const index_t c1 = std::min(n, c0 + fused_chunk);
        const index_t a = std::min(c0, c1 - W);  // a last chunk narrower than W starts earlier
        fill_start(a, c1 + M - 1);
        index_t c = a;
        for (; c + W <= c1; c += W) {
          fill_to(c + 2 * W + M - 1);  // this block's positions, and the next block's
          block(a, c);
        }
        if (c < c1) {
          fill_to(c1 + M - 1);
          block(a, c1 - W);  // overlaps the previous block: the same numbers again
        }
      }
    }
  } else {
    (void)in, (void)box, (void)k, (void)fold, (void)dst, (void)pitch, (void)buf, (void)tick;
  }
}

template <class T>
void SeparableEngine<T>::run_vfirst(const View<const T>& in, const View<T>& out, int threads) const {
  if constexpr (!is_complex_v<T>) {
    constexpr index_t G = fused_rows;  // output rows per group: the lanes of buf's columns
    const index_t M0 = pb_.kernel[0], M1 = pb_.kernel[1], L0 = pb_.output[0], L1 = pb_.output[1];
    const index_t P0 = padded_[0], nin = pb_.input[1], ostride = out.stride(0);
    const T* kv = stages_[tiling_.p0].taps.data();      // axis 0
    const T* kh = stages_[1 - tiling_.p0].taps.data();  // axis 1
    const index_t* tab = src_[1].data();         // padded column -> input column, -1: cval
    const index_t ilo = inner_lo_[1], ihi = inner_hi_[1];
    const T cval = pb_.outside_value<T>();
    const bool stream = stream_out_;
    const VfirstSplit split = vfirst_split(pb_);  // slices of `per` groups of G rows
    const index_t groups = split.groups, per = split.per;
    const int nt = resolve_threads(threads, split.slices, split.work);
    typename Pool<Work>::Lease lease(tile_pool_, nt, [&](Work& w) { grow(w, leases_.vfirst); });
    for_each_slice(split.slices, nt, [&](index_t sl, int worker) {
      Work& w = lease[worker];
      T* const buf = w.x.data() + line_gap(w.x.data());
      const T** rows = w.group.data();
      const auto src = [&](index_t p) -> const T* {
        const index_t sr = src_[0][static_cast<std::size_t>(p)];
        return sr < 0 ? nullptr : in.data() + sr * in.stride(0);
      };
      PlaneGroup<T> pg;
      pg.rows = rows;
      pg.tab = tab;
      pg.ilo = ilo;
      pg.ihi = ihi;
      pg.nin = nin;
      pg.cval = cval;
      pg.kv = kv;
      pg.M0 = M0;
      pg.kh = kh;
      pg.M1 = M1;
      pg.fold1 = stages_[1 - tiling_.p0].fold;
      pg.ostride = ostride;
      pg.L1 = L1;
      pg.stream = stream;
      pg.buf = buf;
      for (index_t grp = sl * per; grp < std::min(groups, (sl + 1) * per); ++grp) {
        const index_t r0 = grp * G;
        pg.rs = group_rows(rows, G + M0 - 1, r0, P0 - 1, in.stride(0), src, cval_row_.data());
        pg.dst = out.data() + r0 * ostride;
        pg.nr = std::min(G, L0 - r0);
        plane_group(pg);
      }
      if (stream) stream_fence();
    });
  } else {
    (void)in, (void)out, (void)threads;
  }
}

template <class T>
std::size_t SeparableEngine<T>::input_rows(const View<const T>& in, const Box& box,
                                           std::pair<const char*, std::size_t>* rows) const {
  const int D = pb_.rank();
  const index_t o_last = box.origin[static_cast<std::size_t>(D - 1)];
  const std::array<index_t, 2> span = inner_span(box);
  const index_t ilo = span[0], ihi = span[1];
  if (ihi <= ilo || in.stride(D - 1) != 1) return 0;
  const index_t first = src_[static_cast<std::size_t>(D - 1)][static_cast<std::size_t>(o_last + ilo)];
  const std::size_t bytes = static_cast<std::size_t>(ihi - ilo) * sizeof(T);
  std::size_t n = 0;
  for_rows(box.shape, 1, [&](index_t, const std::array<index_t, max_rank>& idx) {
    index_t off = 0;
    if (!row_offset(in, box, idx, off)) return;
    rows[n++] = {reinterpret_cast<const char*>(in.data() + off + first), bytes};
  });
  return n;
}

template <class T>
void SeparableEngine<T>::add(const T* acc, const View<T>& out, int threads) const {
  const int D = pb_.rank();
  const index_t len = pb_.output[D - 1], st = out.stride(D - 1);
  for_rows(pb_.output, threads, [&](index_t r, const std::array<index_t, max_rank>& idx) {
    index_t off = 0;
    for (int a = 0; a + 1 < D; ++a) off += idx[static_cast<std::size_t>(a)] * out.stride(a);
    T* o = out.data() + off;
    const T* s = acc + r * len;
    for (index_t i = 0; i < len; ++i) o[i * st] += s[i];
  });
}

template <class T>
void SeparableEngine<T>::run_tiled(const View<const T>& in, const View<T>& out, int threads) const {
  if constexpr (!is_complex_v<T>) {
    const int D = pb_.rank();
    std::array<index_t, max_rank> count{};
    index_t tiles = 1;
    for (int a = 0; a < D; ++a) {
      count[static_cast<std::size_t>(a)] = (pb_.output[a] + tiling_.tile[a] - 1) / tiling_.tile[a];
      tiles *= count[static_cast<std::size_t>(a)];
    }
    double work = 0;
    for (const SeparablePass& p : passes_) work += static_cast<double>(volume(p.output)) * static_cast<double>(p.kernel);
    const int nt = resolve_threads(threads, tiles, work * terms_);
    typename Pool<Work>::Lease lease(tile_pool_, nt, [&](Work& w) { grow(w, leases_.tiled); });
    const std::size_t P = passes_.size();
    for_each_slice(tiles, nt, [&](index_t t, int worker) {
      Work& w = lease[worker];
      Box box;
      Shape ext = pb_.output;  // this tile's output extents
      const index_t out_off = locate_tile(t, 0, tiling_.tile, pb_.output, count, out, box.origin, ext);
      box.shape = ext;
      for (int a = 0; a < D; ++a) box.shape[a] += pb_.kernel[a] - 1;
      pad(in, w.x.data(), box, 1);
      for (int j = 0; j < terms_; ++j) {
        const T* cur = w.x.data();
        Shape cs = box.shape;
        for (std::size_t p = 0; p < P; ++p) {
          SeparablePass q = passes_[p];
          q.input = cs;
          cs[q.axis] = ext[q.axis];
          q.output = cs;
          const bool last = p + 1 == P;
          const View<T> dst = last ? View<T>(out.data() + out_off, cs, out.strides())
                                   : View<T>(p % 2 == 0 ? w.a.data() : terms_ == 1 ? w.x.data() : w.b.data(), cs);
          const Stage& st = stages_[static_cast<std::size_t>(j) * P + p];
          direct_pass<T>(q, st.taps.data(), st.fold, cur, dst, last && j > 0, last && stream_out_, 1);
          cur = dst.data();
        }
      }
    });
  } else {
    (void)in, (void)out, (void)threads;
  }
}

template <class T>
void SeparableEngine<T>::run_stream(const View<const T>& in, const View<T>& out, int threads) const {
  if constexpr (!is_complex_v<T>) {
    const int D = pb_.rank();
    const index_t M0 = pb_.kernel[0], L0 = pb_.output[0];
    std::array<index_t, max_rank> count{};
    index_t tiles = 1;
    for (int a = 1; a < D; ++a) {
      count[static_cast<std::size_t>(a)] = (pb_.output[a] + tiling_.tile[a] - 1) / tiling_.tile[a];
      tiles *= count[static_cast<std::size_t>(a)];
    }
    // Axis-0 chunks when there are fewer tiles than threads (each chunk passes M0 - 1
    // halo planes again): the fewest that make the units a multiple of the threads, so
    // that they run in whole rounds (chunks of at least 2 M0 planes). On a 16-core
    // machine 256^3/19^3 ran 8 tiles x 2 chunks at 16 threads, 8.1x one thread (the
    // former rule's 8 x 3, a round and a half, had given 7.1x with the slower passes).
    const int want = max_threads(threads);
    const index_t most = std::max<index_t>(1, L0 / (2 * M0));
    index_t chunks = std::min(most, (want + tiles - 1) / tiles);
    while (chunks < most && (tiles * chunks) % want != 0) ++chunks;
    const index_t chunk = (L0 + chunks - 1) / chunks;
    double work = 0;
    for (const SeparablePass& p : passes_) work += static_cast<double>(volume(p.output)) * static_cast<double>(p.kernel);
    const int nt = resolve_threads(threads, tiles * chunks, work * terms_);
    const std::size_t align = 64 / sizeof(T);  // values per cache line (w.b has two more lines: see rings)
    const T cval = pb_.outside_value<T>();
    typename Pool<Work>::Lease lease(tile_pool_, nt, [&](Work& w) { grow(w, leases_.stream); });
    const std::size_t P = passes_.size();
    for_each_slice(tiles * chunks, nt, [&](index_t unit, int worker) {
      Work& w = lease[worker];
      const index_t c = unit % chunks;
      Box box;  // the padded planes of this tile being passed (tiling_.sub at a time)
      Shape ext = pb_.output;
      const index_t out_off = locate_tile(unit / chunks, 1, tiling_.tile, pb_.output, count, out, box.origin, ext);
      // The rings sit at the output tile's offset within a cache line, so that the
      // axis-0 pass's loads (~5 per output vector) start on a line wherever its aligned
      // non-temporal stores do (measured on 4096^2/31^2 with an output 16 bytes past a
      // line, as malloc gives: that pass 7% faster, the call 4%).
      const index_t lead = (static_cast<index_t>(align) - line_gap(out.data() + out_off)) % static_cast<index_t>(align);
      T* const rings = w.b.data() + line_gap(w.b.data()) + lead;
      ext[0] = 1;
      box.shape = ext;
      for (int a = 1; a < D; ++a) box.shape[a] += pb_.kernel[a] - 1;
      const std::size_t plane = volume(ext);
      const index_t z0 = c * chunk, z1 = std::min(L0, z0 + chunk);  // output planes of this unit
      const index_t planes_in = z1 - z0 + M0 - 1;                     // padded planes it reads
      // Each term has a ring of tiling_.ring result planes (plane g in slot g % tiling_.ring); planes
      // passed together start at a multiple of tiling_.sub, which divides tiling_.ring: contiguous.
      const std::size_t win = tiling_.mid_size / static_cast<std::size_t>(terms_);
      const std::size_t pitch = plane + static_cast<std::size_t>(tiling_.skew);  // between ring slots
      auto ring_strides = [&](const Shape& cs) {  // C order within a plane, pitch between planes
        Shape st(cs);
        index_t v = 1;
        for (int a = D - 1; a >= 1; --a) {
          st[a] = v;
          v *= cs[a];
        }
        st[0] = static_cast<index_t>(pitch);
        return st;
      };
      // plane_group for this tile's planes (tiling_.planes): the input rows of padded plane z
      // along axis 1 into the ring, 16 rows at a time.
      const bool by_groups = tiling_.planes && in.stride(2) == 1 && ext[2] >= lanes_v<T>;
      PlaneGroup<T> pg;
      std::size_t p1 = 0, p2 = 0;  // the axis-1 and last-axis passes
      if (by_groups) {
        for (std::size_t p = 0; p < P; ++p) {
          if (passes_[p].axis == 1) p1 = p;
          if (passes_[p].axis == 2) p2 = p;
        }
        const std::array<index_t, 2> span = inner_span(box);
        pg.rows = w.group.data();
        pg.tab = src_[2].data() + box.origin[2];
        pg.ilo = span[0];
        pg.ihi = span[1];
        pg.nin = pb_.input[2];
        pg.cval = cval;
        pg.M0 = pb_.kernel[1];
        pg.M1 = pb_.kernel[2];
        pg.ostride = ext[2];
        pg.L1 = ext[2];
        pg.buf = w.x.data() + line_gap(w.x.data());
      }
      auto plane_groups = [&](index_t s, const Prefetcher& pf) {  // padded plane z0 + s into its ring slots
        const index_t sz = src_[0][static_cast<std::size_t>(z0 + s)];
        const T* plane_in = sz < 0 ? nullptr : in.data() + sz * in.stride(0);
        const auto src = [&](index_t y) -> const T* {
          const index_t sy = src_[1][static_cast<std::size_t>(y)];
          return plane_in == nullptr || sy < 0 ? nullptr : plane_in + sy * in.stride(1);
        };
        T* const slot = rings + static_cast<std::size_t>(s % tiling_.ring) * pitch;
        for (index_t r0 = 0; r0 < ext[1]; r0 += fused_rows) {
          pg.rs = group_rows(w.group.data(), fused_rows + pg.M0 - 1, box.origin[1] + r0, padded_[1] - 1, in.stride(1),
                             src, cval_row_.data());
          pg.nr = std::min(fused_rows, ext[1] - r0);
          for (int j = 0; j < terms_; ++j) {
            const Stage& s1 = stages_[static_cast<std::size_t>(j) * P + p1];
            const Stage& s2 = stages_[static_cast<std::size_t>(j) * P + p2];
            pg.kv = s1.taps.data();
            pg.kh = s2.taps.data();
            pg.fold1 = s2.fold;
            pg.dst = slot + static_cast<std::size_t>(j) * win + r0 * ext[2];
            plane_group(pg, pf);
          }
        }
      };
      index_t done = 0;  // output planes written, from z0
      for (index_t g0 = 0; g0 < planes_in; g0 += tiling_.group) {
        const index_t gn = std::min(tiling_.group, planes_in - g0);
        // The group's planes, tiling_.sub at a time: padded, then through the other axes' passes
        // into the ring (one term: ping-pong with the padded planes; more: they are kept
        // for the next term).
        Prefetcher pf;
        for (index_t s0 = g0; s0 < g0 + gn; s0 += tiling_.sub) {
          const index_t sn = std::min(tiling_.sub, g0 + gn - s0);
          box.origin[0] = z0 + s0;
          box.shape[0] = sn;
          const std::size_t slot = static_cast<std::size_t>(s0 % tiling_.ring) * pitch;
          if (!tiling_.fused && !by_groups) pad(in, P > 1 ? w.x.data() : rings + slot, box, 1);
          // The next planes' input rows are prefetched during these planes' passes.
          pf = Prefetcher{};
          if (s0 + sn < planes_in) {
            Box next = box;
            next.origin[0] = z0 + s0 + sn;
            next.shape[0] = std::min(tiling_.sub, planes_in - s0 - sn);
            pf.rows = w.rows.data();
            pf.n = input_rows(in, next, w.rows.data());
            pf.per_tick = 4;  // measured on 256^3/19^3 and 4096^2/31^2 against 2 and 8: within noise, 0 is 8-15% slower
          }
          if (by_groups) {
            for (index_t i = 0; i < sn; ++i) plane_groups(s0 + i, pf);
            continue;
          }
          for (int j = 0; j < terms_; ++j) {
            T* ring = rings + static_cast<std::size_t>(j) * win + slot;
            if (tiling_.fused) {
              T* const buf = w.x.data() + line_gap(w.x.data());
              const Stage& st = stages_[static_cast<std::size_t>(j) * P + (1 - tiling_.p0)];
              hpass_fused(in, box, st.taps.data(), st.fold, ring, static_cast<index_t>(pitch), buf, pf);
              continue;
            }
            if (P == 1) {
              if (j > 0) std::copy(rings + slot, rings + slot + static_cast<std::size_t>(sn) * plane, ring);
              continue;
            }
            const T* cur = w.x.data();
            Shape cs = box.shape;
            for (std::size_t p = 0, k = 0; p < P; ++p) {
              if (p == tiling_.p0) continue;
              SeparablePass q = passes_[p];
              q.input = cs;
              cs[q.axis] = ext[q.axis];
              q.output = cs;
              const bool last = ++k == P - 1;
              const View<T> d = last ? View<T>(ring, cs, ring_strides(cs))
                                     : View<T>(k % 2 == 1 ? w.a.data() : terms_ == 1 ? w.x.data() : w.acc.data(), cs);
              const Stage& st = stages_[static_cast<std::size_t>(j) * P + p];
              direct_pass<T>(q, st.taps.data(), st.fold, cur, d, false, false, 1, pf);
              cur = d.data();
            }
          }
        }
        // The output planes whose M0 input planes are now all in the rings: the axis-0 pass.
        const index_t ready = g0 + gn - (M0 - 1);
        if (ready <= done) continue;
        SeparablePass q = passes_[tiling_.p0];
        Shape ws = ext;
        ws[0] = ready - done + M0 - 1;
        q.input = ws;
        ws[0] = ready - done;
        q.output = ws;
        const View<T> dst(out.data() + out_off + (z0 + done) * out.stride(0), ws, out.strides());
        for (int j = 0; j < terms_; ++j) {
          const T* ring = rings + static_cast<std::size_t>(j) * win;
          for (index_t i = 0; i < q.input[0]; ++i)
            w.planes[static_cast<std::size_t>(i)] = ring + static_cast<std::size_t>((done + i) % tiling_.ring) * pitch;
          const Stage& st = stages_[static_cast<std::size_t>(j) * P + tiling_.p0];
          direct_pass_slices<T>(q, st.taps.data(), st.fold, Ring<T>{w.planes.data()}, dst, j > 0,
                                stream_out_ && terms_ == 1, 1, pf);
        }
        done = ready;
      }
    });
  } else {
    (void)in, (void)out, (void)threads;
  }
}

template <class T>
void SeparableEngine<T>::run(View<const T> in, View<T> out, int threads) const {
  if (tiling_.vfirst && in.stride(1) == 1 && out.stride(1) == 1) {
    run_vfirst(in, out, threads);
    return;
  }
  if (tiling_.stream) {
    run_stream(in, out, threads);
    return;
  }
  if (tiled_) {
    run_tiled(in, out, threads);
    return;
  }
  typename Pool<Work>::Lease lease(pool_, 1, [&](Work& w) {
    if (w.x.size() < x_size_) w.x.resize(x_size_);
    if (w.a.size() < mid_size_) w.a.resize(mid_size_);
    if (terms_ > 1 && passes_.size() > 2 && w.b.size() < mid_size_) w.b.resize(mid_size_);
    if (w.acc.size() < out_size_) w.acc.resize(out_size_);
  });
  Work& w = lease[0];
  pad(in, w.x.data(), Box{{}, padded_}, threads);
  const std::size_t P = passes_.size();
  for (int j = 0; j < terms_; ++j) {
    const T* cur = w.x.data();
    for (std::size_t p = 0; p < P; ++p) {
      const Stage& st = stages_[static_cast<std::size_t>(j) * P + p];
      const SeparablePass& ps = passes_[p];
      const bool own = !st.taps.empty();
      View<T> dst;
      if (p + 1 == P)  // later terms add into the output: in the pass itself, or from acc
        dst = j == 0 || own ? out : View<T>(w.acc.data(), ps.output);
      else  // one term: the padded input is free after the first pass; else keep it
        dst = View<T>(p % 2 == 0 ? w.a.data() : terms_ == 1 ? w.x.data() : w.b.data(), ps.output);
      if constexpr (!is_complex_v<T>) {
        if (own) {
          direct_pass<T>(ps, st.taps.data(), st.fold, cur, dst, p + 1 == P && j > 0, p + 1 == P && stream_out_, threads);
          cur = dst.data();
          continue;
        }
      }
      const View<const T> src(cur, ps.input);
      if (st.fft)
        st.fft->run(src, dst, threads);
      else
        st.direct->run(src, dst, threads);
      cur = dst.data();
      if (p + 1 == P && j > 0) add(w.acc.data(), out, threads);
    }
  }
}

template <class T>
std::unique_ptr<const SeparableEngine<T>> make_separable_engine(const Problem& pb, const std::vector<T>& kc,
                                                                const SeparableOptions& options) {
  const int bound = separable_rank_bound(pb.kernel);
  std::optional<Factors<T>> f = factor_kernel(pb.kernel, kc.data(), bound);
  if (!f)
    throw error(std::string(pb.api_name()) + ": Method::Separable needs a kernel that is a sum of at most " +
                std::to_string(bound) + " outer products; kernel " + pb.kernel.str() + " is not");
  return make_separable_engine(pb, *f, options);
}

template <class T>
std::size_t SeparableEngine<T>::workspace_bytes(int workers) const {
  if (!tiled_)
    return separable_workspace_bytes(pb_, sizeof(T), terms_) +
           static_cast<std::size_t>(terms_) * separable_pass_bytes(pb_, methods_, sizeof(real_t<T>), is_complex_v<T>,
                                                                   pass_limit_, workers);
  const TileBytes b = separable_tile_bytes(pb_, passes_, sizeof(T), terms_);
  return b.worker * static_cast<std::size_t>(std::max(1, workers)) + b.shared;
}

template <class T>
std::unique_ptr<const SeparableEngine<T>> make_separable_engine(const Problem& pb, const Factors<T>& f,
                                                                const SeparableOptions& options) {
  return std::make_unique<const SeparableEngine<T>>(pb, f, options);  // checks the limit first
}

#define AUTOCONV_SEPARABLE(T)                                                                          \
  template class SeparableEngine<T>;                                                                   \
  template std::unique_ptr<const SeparableEngine<T>> make_separable_engine(const Problem&, const std::vector<T>&, \
                                                                           const SeparableOptions&);         \
  template std::unique_ptr<const SeparableEngine<T>> make_separable_engine(const Problem&, const Factors<T>&,     \
                                                                           const SeparableOptions&);
AUTOCONV_SEPARABLE(float)
AUTOCONV_SEPARABLE(double)
AUTOCONV_SEPARABLE(std::complex<float>)
AUTOCONV_SEPARABLE(std::complex<double>)
#undef AUTOCONV_SEPARABLE


}  // namespace autoconv::detail
