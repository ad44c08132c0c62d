// lib/separable/engine.cpp: the separable engine (see engine.hpp).
#include "separable/engine.hpp"

#include <algorithm>
#include <numeric>

#include "core/simd.hpp"
#include "cost/model.hpp"
#include "parallel/slices.hpp"

namespace autoconv::detail {

namespace {

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

// Input vectors t in [t0, t1) of a last-axis pass: vector r of the 4 (if bit r of
// Mask) takes tap t - r W.
template <int Mask, class R>
inline __attribute__((always_inline)) void hspan(const R* q, const R* k, index_t t0, index_t t1, vec_t<R>& a0,
                                                 vec_t<R>& a1, vec_t<R>& a2, vec_t<R>& a3) {
  constexpr index_t W = lanes_v<R>;
  for (index_t t = t0; t < t1; ++t) {
    const vec_t<R> x = load(q + t);
    if constexpr ((Mask & 1) != 0) a0 += broadcast(k[t]) * x;
    if constexpr ((Mask & 2) != 0) a1 += broadcast(k[t - W]) * x;
    if constexpr ((Mask & 4) != 0) a2 += broadcast(k[t - 2 * W]) * x;
    if constexpr ((Mask & 8) != 0) a3 += broadcast(k[t - 3 * W]) * x;
  }
}

// One real 1-D direct pass: `out` = the 'valid' correlation of `in` (C order, shape
// p.input) with the M taps `k` along p.axis; `out` has any strides, and with
// `accumulate` the result is added to it. Every output is one sequential fused
// multiply-add sum over m = 0..M-1 (bit-identical for any thread count), computed
// 4 vectors at a time along the last axis. Off the last axis, the outputs of one
// column (every index but p.axis fixed) are computed in order, so the M input rows an
// output reads are, but one, those the previous output read (in L1).
template <class R>
void direct_pass(const SeparablePass& p, const R* k, const R* in, const View<R>& out, bool accumulate, bool stream,
                 int threads) {
  using V = vec_t<R>;
  constexpr index_t W = lanes_v<R>;
  const int D = p.input.rank(), last = D - 1, ax = p.axis;
  const index_t M = p.kernel;
  std::array<index_t, max_rank> is{};
  is[static_cast<std::size_t>(last)] = 1;
  for (int b = last - 1; b >= 0; --b)
    is[static_cast<std::size_t>(b)] = is[static_cast<std::size_t>(b + 1)] * p.input[b + 1];
  const index_t sa = is[static_cast<std::size_t>(ax)];  // input step of one tap
  const index_t tap = ax == last ? 1 : sa;
  const index_t n = p.output[last], osl = out.stride(last);
  // Non-temporal stores only for long rows: a row's unaligned head is computed one
  // output at a time (measured: 64-wide tile rows lost 20% to it, 4096 gained 15%).
  stream = stream && n >= 256;
  // Columns: every row index (all axes but the last) except p.axis; a column runs
  // along p.axis (one output row when p.axis is the last axis).
  Shape cols = p.output;
  cols[last] = 1;
  const index_t along = ax == last ? 1 : p.output[ax];
  if (ax != last) cols[ax] = 1;
  index_t ncols = 1;
  for (index_t e : cols) ncols *= e;
  const index_t per_slice = std::max<index_t>(1, (index_t(1) << 15) / std::max<index_t>(1, along * n));
  const index_t slices = (ncols + per_slice - 1) / per_slice;
  const double work = static_cast<double>(ncols) * static_cast<double>(along * n * M);
  const int nt = resolve_threads(threads, slices, work);
  auto put = [&](R* dst, index_t j, V v) {
    if (osl == 1) {
      if (accumulate) v += load(dst + j);
      store(dst + j, v, stream);
    } else {
      for (index_t l = 0; l < W; ++l) {
        R* o = dst + (j + l) * osl;
        *o = (accumulate ? *o : R(0)) + v[l];
      }
    }
  };
  // Outputs [j0, j1) of one row one at a time (row heads and tails): the same
  // sequential sum as the vector lanes.
  auto scalar = [&](const R* src, R* dst, index_t j0, index_t j1) {
    for (index_t j = j0; j < j1; ++j) {
      R acc = 0;
      const R* q = src + j;
      for (index_t m = 0; m < M; ++m, q += tap) acc += k[m] * *q;
      R* o = dst + j * osl;
      *o = (accumulate ? *o : R(0)) + acc;
    }
  };
  // With non-temporal stores, the first outputs of a row are computed one at a time up
  // to a 64-byte boundary, so that the vector stores are aligned (they need to be).
  auto head = [&](const R* dst) -> index_t {
    const auto addr = reinterpret_cast<std::uintptr_t>(dst);
    if (!stream || osl != 1 || addr % sizeof(R) != 0) return 0;
    return std::min<index_t>(n, static_cast<index_t>((64 - addr % 64) % 64 / sizeof(R)));
  };
  auto row = [&](const R* src, R* dst) {
    index_t j = head(dst);
    scalar(src, dst, 0, j);
    if (ax == last)  // 4 output vectors; the input vector at j + t is tap t - r W of vector r
      for (; j + 4 * W <= n; j += 4 * W) {
        V a0{}, a1{}, a2{}, a3{};
        const R* q = src + j;
        if (M >= 3 * W) {  // seven spans, each with a fixed set of vectors fed, no branches
          hspan<1>(q, k, 0, W, a0, a1, a2, a3);
          hspan<3>(q, k, W, 2 * W, a0, a1, a2, a3);
          hspan<7>(q, k, 2 * W, 3 * W, a0, a1, a2, a3);
          hspan<15>(q, k, 3 * W, M, a0, a1, a2, a3);
          hspan<14>(q, k, M, M + W, a0, a1, a2, a3);
          hspan<12>(q, k, M + W, M + 2 * W, a0, a1, a2, a3);
          hspan<8>(q, k, M + 2 * W, M + 3 * W, a0, a1, a2, a3);
        } else {
          for (index_t t = 0; t < M + 3 * W; ++t) {
            const V x = load(q + t);
            if (t < M) a0 += broadcast(k[t]) * x;
            if (t >= W && t < M + W) a1 += broadcast(k[t - W]) * x;
            if (t >= 2 * W && t < M + 2 * W) a2 += broadcast(k[t - 2 * W]) * x;
            if (t >= 3 * W) a3 += broadcast(k[t - 3 * W]) * x;
          }
        }
        put(dst, j, a0);
        put(dst, j + W, a1);
        put(dst, j + 2 * W, a2);
        put(dst, j + 3 * W, a3);
      }
    for (; j + 4 * W <= n; j += 4 * W) {
      V a0{}, a1{}, a2{}, a3{};
      const R* q = src + j;
      for (index_t m = 0; m < M; ++m, q += tap) {
        const V w = broadcast(k[m]);
        a0 += w * load(q);
        a1 += w * load(q + W);
        a2 += w * load(q + 2 * W);
        a3 += w * load(q + 3 * W);
      }
      if (osl == 1) {
        if (accumulate) {
          a0 += load(dst + j);
          a1 += load(dst + j + W);
          a2 += load(dst + j + 2 * W);
          a3 += load(dst + j + 3 * W);
        }
        store(dst + j, a0, false);
        store(dst + j + W, a1, false);
        store(dst + j + 2 * W, a2, false);
        store(dst + j + 3 * W, a3, false);
      } else {
        for (index_t l = 0; l < W; ++l) {
          R* o = dst + (j + l) * osl;
          *o = (accumulate ? *o : R(0)) + a0[l];
          o += W * osl;
          *o = (accumulate ? *o : R(0)) + a1[l];
          o += W * osl;
          *o = (accumulate ? *o : R(0)) + a2[l];
          o += W * osl;
          *o = (accumulate ? *o : R(0)) + a3[l];
        }
      }
    }
    scalar(src, dst, j, n);
  };
  auto rows4 = [&](const R* src, R* dst, index_t ostep) {
    index_t j = head(dst);
    for (int r = 0; r < 4; ++r) scalar(src + r * sa, dst + r * ostep, 0, j);
    for (; j + 2 * W <= n; j += 2 * W) {
      // Named accumulators (an array, or a lambda taking them, spills them to the stack).
      V a00{}, a01{}, a10{}, a11{}, a20{}, a21{}, a30{}, a31{};
      const R* q = src + j;
      for (index_t t = 0; t < M + 3; ++t, q += sa) {
        const V x0 = load(q), x1 = load(q + W);
        if (t < M) {
          const V w = broadcast(k[t]);
          a00 += w * x0;
          a01 += w * x1;
        }
        if (t >= 1 && t <= M) {
          const V w = broadcast(k[t - 1]);
          a10 += w * x0;
          a11 += w * x1;
        }
        if (t >= 2 && t <= M + 1) {
          const V w = broadcast(k[t - 2]);
          a20 += w * x0;
          a21 += w * x1;
        }
        if (t >= 3) {
          const V w = broadcast(k[t - 3]);
          a30 += w * x0;
          a31 += w * x1;
        }
      }
      put(dst, j, a00);
      put(dst, j + W, a01);
      put(dst + ostep, j, a10);
      put(dst + ostep, j + W, a11);
      put(dst + 2 * ostep, j, a20);
      put(dst + 2 * ostep, j + W, a21);
      put(dst + 3 * ostep, j, a30);
      put(dst + 3 * ostep, j + W, a31);
    }
    for (int r = 0; r < 4; ++r) scalar(src + r * sa, dst + r * ostep, j, n);  // the row tails
  };
  for_each_slice(slices, nt, [&](index_t sl, int) {
    const index_t c0 = sl * per_slice, c1 = std::min(ncols, c0 + per_slice);
    std::array<index_t, max_rank> idx{};
    index_t rem = c0;
    for (int b = last; b >= 0; --b) {
      idx[static_cast<std::size_t>(b)] = rem % cols[b];
      rem /= cols[b];
    }
    for (index_t c = c0; c < c1; ++c) {
      index_t ib = 0, ob = 0;
      for (int b = 0; b < last; ++b) {
        ib += idx[static_cast<std::size_t>(b)] * is[static_cast<std::size_t>(b)];
        ob += idx[static_cast<std::size_t>(b)] * out.stride(b);
      }
      index_t i = 0;
      if (ax != last)
        for (; i + 4 <= along; i += 4) rows4(in + ib + i * sa, out.data() + ob + i * out.stride(ax), out.stride(ax));
      for (; i < along; ++i) row(in + ib + i * sa, out.data() + ob + i * out.stride(ax));
      for (int b = last; b >= 0; --b) {
        if (++idx[static_cast<std::size_t>(b)] < cols[b]) break;
        idx[static_cast<std::size_t>(b)] = 0;
      }
    }
    if (stream) stream_fence();
  });
}

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

}  // namespace

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

std::size_t separable_workspace_bytes(const Problem& pb, std::size_t value_bytes, int terms) {
  const auto passes = separable_passes(pb);
  const std::size_t x = volume(passes.front().input);
  const std::size_t mid = passes.size() > 1 ? volume(passes.front().output) : 0;
  std::size_t n = x + mid;  // one term: the padded input and the first intermediate alternate
  if (terms > 1) n += (passes.size() > 2 ? mid : 0) + volume(pb.output);  // the input kept; an accumulator
  return n * value_bytes;
}

Method separable_pass_method(const Problem& pass, std::size_t value_bytes, bool complex_data, int workers) {
  // The cost model's choice for this 1-D pass as a reused plan (the engine keeps it).
  cost::Request r;
  r.pb = pass;
  r.real_bytes = value_bytes;
  r.complex_data = complex_data;
  r.workers = std::max(1, workers);
  r.memory_limit = default_memory_limit();
  return cost::decide(r, cost::machine_profile()).method;
}

template <class T>
struct SeparableEngine<T>::Work {
  std::vector<T> x, a, b, acc;
};

template <class T>
SeparableEngine<T>::SeparableEngine(const Problem& pb, const Factors<T>& factors, const SeparableOptions& options)
    : pb_(pb), terms_(factors.terms), passes_(separable_passes(pb)), padded_(padded_shape(pb)) {
  const int D = pb.rank();
  for (const SeparablePass& p : passes_) {
    const Problem q = pass_problem(pb_, p);
    Method m = options.pass_method;
    if (m == Method::Auto) m = separable_pass_method(q, sizeof(real_t<T>), is_complex_v<T>, options.workers);
    methods_.push_back(m);
  }
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
  // Real data with every pass Direct: tiles whose padded input fits in ~768 KiB (half
  // of this machine's 2 MiB L2 per core, leaving room for the intermediate), found by
  // halving the largest tile extent (the last axis only down to 64, for the vectors).
  tiled_ = !is_complex_v<T> && std::all_of(methods_.begin(), methods_.end(), [](Method m) { return m == Method::Direct; });
  if (tiled_) {
    tile_ = pb.output;
    auto padded_tile = [&] {
      std::size_t v = 1;
      for (int a = 0; a < D; ++a) v *= static_cast<std::size_t>(tile_[a] + pb.kernel[a] - 1);
      return v;
    };
    const std::size_t budget = (std::size_t(768) << 10) / sizeof(T);
    while (padded_tile() > budget) {
      int best = -1;
      for (int a = 0; a < D; ++a)
        if (tile_[a] > 1 && (a != D - 1 || tile_[a] >= 128) && (best < 0 || tile_[a] > tile_[best])) best = a;
      if (best < 0) break;
      tile_[best] = (tile_[best] + 1) / 2;
    }
    tile_x_size_ = padded_tile();
    Shape first(tile_);
    for (int a = 0; a < D; ++a) first[a] = tile_[a] + (a == passes_.front().axis ? 0 : pb.kernel[a] - 1);
    tile_mid_size_ = passes_.size() > 1 ? volume(first) : 0;
  }
  // Streaming along axis 0 (D >= 2, a pass on axis 0): tiles over the other axes such
  // that the window of M0 - 1 + batch result planes stays within 1.5 MiB (of the 2 MiB
  // L2 per core here), batch = 2 M0: measured on 256^3/19^3 and 4096^2/31^2 against
  // batch M0 and 4 M0 and windows of 1 and 3 MiB (within 10%, the machine's noise).
  stream_ = tiled_ && D >= 2 && pb.kernel[0] > 1;
  if (stream_) {
    p0_ = static_cast<std::size_t>(std::find_if(passes_.begin(), passes_.end(),
                                                [](const SeparablePass& q) { return q.axis == 0; }) -
                                   passes_.begin());
    batch_ = std::min(2 * pb.kernel[0], pb.output[0]);  // the window shift copies M0 - 1 planes per batch
    tile_ = pb.output;
    tile_[0] = 1;
    auto plane = [&](bool padded) {
      std::size_t v = 1;
      for (int a = 1; a < D; ++a) v *= static_cast<std::size_t>(tile_[a] + (padded ? pb.kernel[a] - 1 : 0));
      return v;
    };
    const std::size_t budget = (std::size_t(1536) << 10) / sizeof(T);
    const std::size_t windows = static_cast<std::size_t>(terms_);  // one window per term
    while (plane(false) * static_cast<std::size_t>(pb.kernel[0] - 1 + batch_) * windows > budget ||
           plane(true) * 2 > budget) {
      int best = -1;
      for (int a = 1; a < D; ++a)
        if (tile_[a] > 1 && (a != D - 1 || tile_[a] >= 128) && (best < 0 || tile_[a] > tile_[best])) best = a;
      if (best < 0) break;
      tile_[best] = (tile_[best] + 1) / 2;
    }
    tile_x_size_ = plane(true);
    tile_mid_size_ = plane(false) * static_cast<std::size_t>(pb.kernel[0] - 1 + batch_) * windows;
  }
  // Outputs of 4 MiB or more are written with non-temporal stores, as the direct engine does.
  stream_out_ = volume(pb.output) * sizeof(T) >= (std::size_t(4) << 20);
  x_size_ = volume(padded_);
  mid_size_ = passes_.size() > 1 ? volume(passes_.front().output) : 0;
  out_size_ = terms_ > 1 ? volume(pb.output) : 0;
}

template <class T>
SeparableEngine<T>::~SeparableEngine() = default;

template <class T>
void SeparableEngine<T>::pad(const View<const T>& in, T* x, const Box& box, int threads) const {
  // x = the padded input over padded positions [box.origin, box.origin + box.shape), C order.
  const int D = pb_.rank();
  const index_t len = box.shape[D - 1], st = in.stride(D - 1), o_last = box.origin[static_cast<std::size_t>(D - 1)];
  // Positions of this box's rows that read the input in order (contiguous when st == 1).
  const index_t ilo = std::clamp<index_t>(inner_lo_[static_cast<std::size_t>(D - 1)] - o_last, 0, len);
  const index_t ihi = std::clamp<index_t>(inner_hi_[static_cast<std::size_t>(D - 1)] - o_last, ilo, len);
  const T cval = T(static_cast<real_t<T>>(pb_.ext == Ext::Constant ? pb_.cval : 0.0));
  const index_t* tab = src_[static_cast<std::size_t>(D - 1)].data() + o_last;
  for_rows(box.shape, threads, [&](index_t r, const std::array<index_t, max_rank>& idx) {
    T* dst = x + r * len;
    index_t off = 0;
    for (int a = 0; a + 1 < D; ++a) {
      const std::size_t ua = static_cast<std::size_t>(a);
      const index_t s = src_[ua][static_cast<std::size_t>(box.origin[ua] + idx[ua])];
      if (s < 0) {
        std::fill(dst, dst + len, cval);
        return;
      }
      off += s * in.stride(a);
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
      count[static_cast<std::size_t>(a)] = (pb_.output[a] + tile_[a] - 1) / tile_[a];
      tiles *= count[static_cast<std::size_t>(a)];
    }
    double work = 0;
    for (const SeparablePass& p : passes_) work += static_cast<double>(volume(p.output)) * static_cast<double>(p.kernel);
    const int nt = resolve_threads(threads, tiles, work * terms_);
    typename Pool<Work>::Lease lease(tile_pool_, nt, [&](Work& w) {
      if (w.x.size() < tile_x_size_) w.x.resize(tile_x_size_);
      if (w.a.size() < tile_mid_size_) w.a.resize(tile_mid_size_);
      if (terms_ > 1 && passes_.size() > 2 && w.b.size() < tile_mid_size_) w.b.resize(tile_mid_size_);
    });
    const std::size_t P = passes_.size();
    for_each_slice(tiles, nt, [&](index_t t, int worker) {
      Work& w = lease[worker];
      Box box;
      Shape ext = pb_.output;  // this tile's output extents
      const index_t out_off = locate_tile(t, 0, tile_, pb_.output, count, out, box.origin, ext);
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
          direct_pass<T>(q, stages_[static_cast<std::size_t>(j) * P + p].taps.data(), cur, dst, last && j > 0,
                         last && stream_out_, 1);
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
      count[static_cast<std::size_t>(a)] = (pb_.output[a] + tile_[a] - 1) / tile_[a];
      tiles *= count[static_cast<std::size_t>(a)];
    }
    // Axis-0 chunks when there are too few tiles for the threads (each chunk re-reads M0 - 1 planes).
    const int want = max_threads(threads);
    const index_t chunks = std::clamp<index_t>((2 * want + tiles - 1) / tiles, 1, std::max<index_t>(1, L0 / (4 * M0)));
    const index_t chunk = (L0 + chunks - 1) / chunks;
    double work = 0;
    for (const SeparablePass& p : passes_) work += static_cast<double>(volume(p.output)) * static_cast<double>(p.kernel);
    const int nt = resolve_threads(threads, tiles * chunks, work * terms_);
    typename Pool<Work>::Lease lease(tile_pool_, nt, [&](Work& w) {
      if (w.x.size() < tile_x_size_) w.x.resize(tile_x_size_);
      if (w.a.size() < tile_x_size_) w.a.resize(tile_x_size_);
      if (w.b.size() < tile_mid_size_) w.b.resize(tile_mid_size_);
      if (terms_ > 1 && w.acc.size() < tile_x_size_) w.acc.resize(tile_x_size_);
    });
    const std::size_t P = passes_.size();
    for_each_slice(tiles * chunks, nt, [&](index_t unit, int worker) {
      Work& w = lease[worker];
      const index_t c = unit % chunks;
      Box box;  // one padded plane of this tile
      Shape ext = pb_.output;
      const index_t out_off = locate_tile(unit / chunks, 1, tile_, pb_.output, count, out, box.origin, ext);
      ext[0] = 1;
      box.shape = ext;
      for (int a = 1; a < D; ++a) box.shape[a] += pb_.kernel[a] - 1;
      const std::size_t plane = volume(ext);
      const index_t z0 = c * chunk, z1 = std::min(L0, z0 + chunk);  // output planes of this unit
      // Every term shares the padded plane; each has its own window of result planes.
      // A batch's output rows, written by term 0, are still in cache when later terms add.
      const std::size_t win = tile_mid_size_ / static_cast<std::size_t>(terms_);
      index_t filled = 0;  // window planes held
      index_t done = z0;   // next output plane
      for (index_t z = z0; z < z1 + M0 - 1; ++z) {
        box.origin[0] = z;
        const bool plane_passes = P > 1;
        T* slot0 = w.b.data() + static_cast<std::size_t>(filled) * plane;
        pad(in, plane_passes ? w.x.data() : slot0, box, 1);
        for (int j = 0; j < terms_; ++j) {
          T* slot = w.b.data() + static_cast<std::size_t>(j) * win + static_cast<std::size_t>(filled) * plane;
          if (!plane_passes) {
            if (j > 0) std::copy(slot0, slot0 + plane, slot);
            continue;
          }
          // Plane z of the padded input through the other axes' passes, into the window
          // (one term: ping-pong with the padded plane; more: it is kept for the next term).
          const T* cur = w.x.data();
          Shape cs = box.shape;
          for (std::size_t p = 0, k = 0; p < P; ++p) {
            if (p == p0_) continue;
            SeparablePass q = passes_[p];
            q.input = cs;
            cs[q.axis] = ext[q.axis];
            q.output = cs;
            const bool last = ++k == P - 1;
            T* d = last ? slot : k % 2 == 1 ? w.a.data() : terms_ == 1 ? w.x.data() : w.acc.data();
            direct_pass<T>(q, stages_[static_cast<std::size_t>(j) * P + p].taps.data(), cur, View<T>(d, cs), false, false,
                           1);
            cur = d;
          }
        }
        ++filled;
        // A full batch (or the last planes): the axis-0 pass, then keep the last M0 - 1 planes.
        const index_t ready = filled - (M0 - 1);
        if (ready == batch_ || (z + 1 == z1 + M0 - 1 && ready > 0)) {
          SeparablePass q = passes_[p0_];
          Shape ws = ext;
          ws[0] = filled;
          q.input = ws;
          ws[0] = ready;
          q.output = ws;
          const View<T> dst(out.data() + out_off + done * out.stride(0), ws, out.strides());
          for (int j = 0; j < terms_; ++j) {
            T* window = w.b.data() + static_cast<std::size_t>(j) * win;
            direct_pass<T>(q, stages_[static_cast<std::size_t>(j) * P + p0_].taps.data(), window, dst, j > 0,
                           stream_out_ && terms_ == 1, 1);
            std::copy(window + static_cast<std::size_t>(ready) * plane, window + static_cast<std::size_t>(filled) * plane,
                      window);
          }
          done += ready;
          filled = M0 - 1;
        }
      }
    });
  } else {
    (void)in, (void)out, (void)threads;
  }
}

template <class T>
void SeparableEngine<T>::run(View<const T> in, View<T> out, int threads) const {
  if (stream_) {
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
          direct_pass<T>(ps, st.taps.data(), cur, dst, p + 1 == P && j > 0, p + 1 == P && stream_out_, threads);
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
std::unique_ptr<const SeparableEngine<T>> make_separable_engine(const Problem& pb, const Factors<T>& f,
                                                                const SeparableOptions& options) {
  const std::size_t bytes = separable_workspace_bytes(pb, sizeof(T), f.terms);
  if (bytes > options.memory_limit)
    throw error(std::string(pb.api_name()) + ": Method::Separable needs " + std::to_string(bytes) +
                " bytes of buffers (input " + pb.input.str() + ", kernel " + pb.kernel.str() + ", " +
                std::to_string(f.terms) + " terms), above Options::memory_limit = " +
                std::to_string(options.memory_limit));
  return std::make_unique<const SeparableEngine<T>>(pb, f, options);
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
