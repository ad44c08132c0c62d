// lib/fft/engine.cpp: FFT and overlap-save engines on FFTW (one templated source for
// the four value types), their block-shape choice and memory budget, and the
// direct recomputation that keeps non-finite input local.
#include "fft/engine.hpp"
#include "core/simd.hpp"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numeric>

#include "core/format.hpp"
#include "cost/model.hpp"
#include "parallel/slices.hpp"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace autoconv::detail {

namespace {

// Transform axes: those where the kernel has more than one tap (the others are a
// batch: output i reads input i). A one-tap kernel still needs one axis.
std::vector<int> transform_axes(const Problem& pb) {
  std::vector<int> t;
  for (int d = 0; d < pb.rank(); ++d)
    if (pb.kernel[d] > 1) t.push_back(d);
  if (t.empty()) t.push_back(pb.rank() - 1);
  return t;
}

// A c2c step of a shared transform (make_shared_steps) along an axis whose stride is
// fft_gather_stride complex values or more, planned with FFTW_ESTIMATE, copies
// fft_gather_cols columns at a time into a contiguous scratch, transforms them there
// and copies them back. Measured on Zen 4 (scripts/bench/fftw_columns.cpp, float
// 256^3 valid 17^3, 1 thread): the outer axis's 256-point transforms at a stride of
// 33024 took 173-226 ms in place under FFTW_ESTIMATE (in batches of 8 to 1024 columns
// alike), 28 ms gathered; FFTW_MEASURE plans find their own way (56 ms for the whole
// 3-D r2c) and run in place.
constexpr index_t fft_gather_cols = 16;
constexpr index_t fft_gather_stride = 1024;

// The transform lengths of a layout, axis by axis.
std::vector<index_t> lengths(const FftLayout& l) {
  std::vector<index_t> F;
  for (const auto& a : l.axes) F.push_back(a.F);
  return F;
}

// Whether the c2c step along an axis of stride `stride` (complex values) gathers, when
// planned with FFTW_ESTIMATE.
bool gathers_at(index_t stride) { return stride >= fft_gather_stride; }

// One worker's gather scratch, in complex values, for a transform whose spectrum has
// complex extents C (the last axis halved): fft_gather_cols columns of the longest
// gathered axis; 0 when no axis gathers.
index_t gather_scratch_complex(const std::vector<index_t>& C) {
  index_t stride = C.back(), longest = 0;
  for (std::size_t i = C.size() - 1; i-- > 0;) {
    if (gathers_at(stride)) longest = std::max(longest, C[i]);
    stride *= C[i];
  }
  return longest * fft_gather_cols;
}

}  // namespace

std::vector<index_t> spectrum_extents(const std::vector<index_t>& F, bool complex_data) {
  std::vector<index_t> C = F;
  if (!complex_data && !C.empty()) C.back() = C.back() / 2 + 1;
  return C;
}

bool fft_shared_steps(const FftLayout& l, bool complex_data, bool single, fft::Effort effort) {
  const std::size_t r = l.axes.size();
  if (complex_data || l.units != 1 || r < 2) return false;
  const std::vector<index_t> C = spectrum_extents(lengths(l), false);
  // make_shared_steps' c2c step along axis i: stride = prod C[j > i], outer = prod C[j < i].
  index_t stride = C[r - 1];
  for (std::size_t i = r - 1; i-- > 0;) {
    index_t outer = 1;
    for (std::size_t j = 0; j < i; ++j) outer *= C[j];
    const bool gather = effort == fft::Effort::Estimate && gathers_at(stride);
    if (single && !gather && outer > 1 && (C[i] * stride) % 2 != 0) return false;
    stride *= C[i];
  }
  return true;
}

void transform_bytes(const std::vector<index_t>& F, std::size_t value_bytes, bool complex_data, std::size_t* spectrum,
                     std::size_t* block) {
  double s = 1;
  for (std::size_t i = 0; i < F.size(); ++i)
    s *= static_cast<double>((!complex_data && i + 1 == F.size()) ? F[i] / 2 + 1 : F[i]);
  const double b = s * 2.0 * static_cast<double>(value_bytes);
  if (b > 1e18) throw error("autoconv: FFT size overflows");
  *spectrum = static_cast<std::size_t>(b);
  *block = static_cast<std::size_t>(b);
}

double block_cost(const std::vector<index_t>& F, std::size_t block_bytes) {
  double points = 1;
  for (index_t f : F) points *= static_cast<double>(f);
  const double mem = block_bytes > (std::size_t(1) << 20) ? 2.0 : 1.0;
  return fft::transform_cost(F) * mem + 6.0 * points;
}

namespace {
// Blocks run() runs at once on `threads` workers: a transform buffer each.
index_t fft_concurrent_blocks(const FftLayout& l, int threads) {
  return std::min<index_t>(l.units, resolve_threads(std::max(1, threads), l.units, l.predicted_cost));
}
}  // namespace

double fft_layout_bytes(const FftLayout& l, int threads) {
  return static_cast<double>(l.spectrum_bytes) +
         static_cast<double>(fft_concurrent_blocks(l, threads)) * static_cast<double>(l.block_bytes) +
         static_cast<double>(std::max(1, threads)) * static_cast<double>(l.gather_bytes);
}

FftLayout fft_layout(const Problem& pb, Method method, std::size_t value_bytes, bool complex_data,
                     std::size_t memory_limit, int threads) {
  const std::vector<int> ta = transform_axes(pb);
  const std::size_t r = ta.size();
  double batch = 1;
  for (int d = 0; d < pb.rank(); ++d)
    if (std::find(ta.begin(), ta.end(), d) == ta.end()) batch *= static_cast<double>(pb.output[d]);
  const double workers = std::max(1, threads);

  // A transform longer than fft::max_length along an axis is never planned: the single
  // block needs L + M - 1 points (at least), an overlap-save block 2M.
  auto too_long = [&](const char* method, index_t need, int d) {
    return error(std::string(pb.api_name()) + ": Method::" + method + " would need a transform of " +
                 std::to_string(need) + " points along axis " + std::to_string(d) + " (input " + pb.input.str() +
                 ", kernel " + pb.kernel.str() + "), above the longest planned, " + std::to_string(fft::max_length));
  };
  auto good_size = [&](index_t n, int d) {
    if (n > fft::max_length) throw too_long(method == Method::FFT ? "FFT" : "OverlapAdd", n, d);
    return fft::good_size(n);
  };

  // Per axis: the single-block geometry (Method::FFT) ...
  std::vector<FftAxis> single(r);
  for (std::size_t i = 0; i < r && method == Method::FFT; ++i) {
    const int d = ta[i];
    const auto u = static_cast<std::size_t>(d);
    const index_t N = pb.input[d], M = pb.kernel[d], L = pb.output[d], S = pb.start[u];
    FftAxis a;
    a.axis = d;
    a.B = L;
    a.nblocks = 1;
    index_t W = L + M - 1;  // overlap-save over the whole extended window
    if (pb.ext == Ext::Zero) {
      // Only the part of the window inside the input is non-zero: transform it with a
      // zero tail of M-1 (linear convolution) when that is shorter ('full' mode).
      const index_t r0 = std::max<index_t>(0, S - (M - 1)), r1 = std::min<index_t>(N, S + L);
      if (r1 > r0 && (r1 - r0) + M - 1 < W && S - r0 >= 0) {
        const index_t F = good_size((r1 - r0) + M - 1, d);
        if (L - 1 + S - r0 < F) {
          a.zero_tail = true;
          a.p_lo0 = r0;
          a.fill = r1 - r0;
          a.F = F;
        }
      }
    }
    if (!a.zero_tail) a.F = good_size(W, d);
    single[i] = a;
  }
  auto finish = [&](std::vector<FftAxis> axes) {
    FftLayout l;
    std::vector<index_t> F;
    double units = batch;
    for (const auto& a : axes) {
      F.push_back(a.F);
      units *= static_cast<double>(a.nblocks);
    }
    transform_bytes(F, value_bytes, complex_data, &l.spectrum_bytes, &l.block_bytes);
    l.axes = std::move(axes);
    l.units = static_cast<index_t>(units);
    // One real transform shared between the workers (make_shared_steps): its c2c steps
    // of large stride gather columns into a scratch per worker.
    if (l.units == 1 && F.size() >= 2 && !complex_data)
      l.gather_bytes = static_cast<std::size_t>(gather_scratch_complex(spectrum_extents(F, false))) * 2 * value_bytes;
    l.predicted_cost = units * block_cost(F, l.block_bytes);
    return l;
  };
  auto concurrent = [&](const FftLayout& l) { return fft_concurrent_blocks(l, static_cast<int>(workers)); };
  auto bytes_needed = [&](const FftLayout& l) { return fft_layout_bytes(l, static_cast<int>(workers)); };

  if (method == Method::FFT) {
    FftLayout l = finish(single);
    if (bytes_needed(l) > static_cast<double>(memory_limit)) {
      std::string dims;
      for (const auto& a : l.axes) dims += (dims.empty() ? "" : " x ") + std::to_string(a.F);
      throw error(std::string(pb.api_name()) + ": Method::FFT needs " + bytes_str(bytes_needed(l)) +
                  " of working memory (transform " + dims + ", input " + pb.input.str() + ", kernel " +
                  pb.kernel.str() + "), above Options::memory_limit = " + bytes_str(static_cast<double>(memory_limit)) +
                  "; use Method::OverlapAdd or raise the limit");
    }
    return l;
  }

  // ... and for overlap-save, candidate transform lengths per axis: fast lengths from
  // about 2M up to the single block; block = F - M + 1 outputs.
  std::vector<std::vector<index_t>> cand(r);
  for (std::size_t i = 0; i < r; ++i) {
    const int d = ta[i];
    const index_t M = pb.kernel[d], L = pb.output[d];
    // The single block, or the longest block planned (then several blocks).
    const index_t top = good_size(std::min(L + M - 1, std::max(fft::max_length / 2, 2 * M)), d);
    for (index_t t = std::max<index_t>(2 * M, 16); t < top; t = t * 3 / 2) {
      const index_t F = fft::good_size(t);
      if (F < top && (cand[i].empty() || cand[i].back() != F)) cand[i].push_back(F);
    }
    cand[i].push_back(top);
  }
  // Search the product of the candidate lists (or axis by axis when it is large).
  double combos = 1;
  for (const auto& c : cand) combos *= static_cast<double>(c.size());
  FftLayout best;
  bool found = false;
  // Cost and memory of F without building a layout (the search runs up to 20000 of them).
  auto quick = [&](const std::vector<index_t>& F, double* bytes) {
    double units = batch, s = 1, points = 1;
    for (std::size_t i = 0; i < r; ++i) {
      const index_t M = pb.kernel[ta[i]], L = pb.output[ta[i]];
      const index_t B = std::min(L, F[i] - M + 1);
      units *= static_cast<double>((L + B - 1) / B);
      points *= static_cast<double>(F[i]);
      s *= static_cast<double>((!complex_data && i + 1 == r) ? F[i] / 2 + 1 : F[i]);
    }
    const double block = s * 2.0 * static_cast<double>(value_bytes);
    *bytes = 2 * block;  // spectrum and one block: a lower bound (bytes_needed decides)
    const double mem = block > static_cast<double>(std::size_t(1) << 20) ? 2.0 : 1.0;
    return units * (fft::transform_cost(F) * mem + 6.0 * points);
  };
  // The overlap-save layout of transform lengths F: blocks of F - M + 1 outputs.
  auto blocks_of = [&](const std::vector<index_t>& F) {
    std::vector<FftAxis> axes(r);
    for (std::size_t i = 0; i < r; ++i) {
      const int d = ta[i];
      const index_t M = pb.kernel[d], L = pb.output[d];
      axes[i].axis = d;
      axes[i].F = F[i];
      axes[i].B = std::min(L, F[i] - M + 1);
      axes[i].nblocks = (L + axes[i].B - 1) / axes[i].B;
    }
    return finish(std::move(axes));
  };
  double best_quick = HUGE_VAL;
  auto consider = [&](const std::vector<index_t>& F) {
    double bytes = 0;
    const double c = quick(F, &bytes);
    if (bytes > static_cast<double>(memory_limit) || c >= best_quick) return;
    FftLayout l = blocks_of(F);
    if (bytes_needed(l) > static_cast<double>(memory_limit)) return;
    best_quick = c;  // only a layout that fits raises the bar
    if (!found || l.predicted_cost < best.predicted_cost) best = std::move(l), found = true;
  };
  if (combos <= 20000) {
    std::vector<std::size_t> idx(r, 0);
    std::vector<index_t> F(r);
    for (double c = 0; c < combos; ++c) {
      for (std::size_t i = 0; i < r; ++i) F[i] = cand[i][idx[i]];
      consider(F);
      for (std::size_t i = r; i-- > 0;) {
        if (++idx[i] < cand[i].size()) break;
        idx[i] = 0;
      }
    }
  } else {
    std::vector<index_t> F(r);
    for (std::size_t i = 0; i < r; ++i) F[i] = cand[i][std::min<std::size_t>(cand[i].size() - 1, 3)];
    consider(F);
    if (!found) {  // the smallest blocks, before giving up
      for (std::size_t i = 0; i < r; ++i) F[i] = cand[i].front();
      consider(F);
    }
  }
  if (!found) {
    // The smallest blocks: what the limit must allow at these threads (a buffer per
    // concurrent block), and at one thread.
    std::vector<index_t> F(r);
    for (std::size_t i = 0; i < r; ++i) F[i] = cand[i].front();
    const FftLayout l = blocks_of(F);
    const double need = bytes_needed(l);
    const double one = static_cast<double>(l.spectrum_bytes) + static_cast<double>(l.block_bytes);
    const index_t at_once = concurrent(l);
    throw error(std::string(pb.api_name()) + ": Method::OverlapAdd needs at least " + bytes_str(need) +
                " of working memory for kernel " + pb.kernel.str() +
                (at_once > 1 ? " on " + std::to_string(at_once) + " threads (a transform buffer each; " +
                                   bytes_str(one) + " on 1 thread)"
                             : std::string()) +
                ", above Options::memory_limit = " + bytes_str(static_cast<double>(memory_limit)));
  }
  return best;
}

// ---- the engine ---------------------------------------------------------------------

namespace {

// Outputs at least this large are written with non-temporal stores (see direct.cpp).
constexpr double stream_bytes = 4.0 * 1024 * 1024;

// dst[0..n) = src[0..n) with non-temporal stores where dst is 64-byte aligned.
template <class R>
void stream_copy(R* dst, const R* src, index_t n) {
#if defined(__AVX512F__)
  constexpr index_t L = 64 / sizeof(R);
  index_t j = 0;
  while (j < n && (reinterpret_cast<std::uintptr_t>(dst + j) & 63) != 0) dst[j] = src[j], ++j;
  for (; j + L <= n; j += L) {
    if constexpr (std::is_same_v<R, double>)
      _mm512_stream_pd(dst + j, _mm512_loadu_pd(src + j));
    else
      _mm512_stream_ps(dst + j, _mm512_loadu_ps(src + j));
  }
  for (; j < n; ++j) dst[j] = src[j];
#else
  std::copy(src, src + n, dst);
#endif
}

}  // namespace

template <class T>
struct FftEngine<T>::Work {
  fft::Buffer<R> buf;
};

template <class T>
FftEngine<T>::FftEngine(const Problem& pb, const std::vector<T>& kc, FftLayout layout, fft::Effort effort,
                        int workers, std::shared_ptr<const DirectEngine<T>> fallback)
    : pb_(pb), kc_(kc), lay_(std::move(layout)), fallback_(std::move(fallback)) {
  constexpr bool cplx = is_complex_v<T>;
  out_bytes_ = sizeof(T);
  for (int d = 0; d < pb_.rank(); ++d) out_bytes_ *= static_cast<double>(pb_.output[d]);
  std::vector<int> n;
  for (const auto& a : lay_.axes) n.push_back(static_cast<int>(a.F));
  for (int d = 0; d < pb_.rank(); ++d)
    if (std::none_of(lay_.axes.begin(), lay_.axes.end(), [&](const FftAxis& a) { return a.axis == d; }))
      batch_.push_back(d);
  // Units (batch slices x blocks) run in parallel; a transform is never threaded by
  // FFTW itself: here FFTW's 2 threads gained nothing on a 144^3 r2c+c2r pair
  // (pthreads: 19.5 vs 20.5 ms) and its OpenMP build lost 3x (72 ms) to spinning
  // threads, and they were measured 8x slower at 1e4 points.
  tr_ = fft::transform(n, cplx, std::is_same_v<R, float>, effort, 1);

  // Kernel spectrum: kf (convolution order, kf[m] = kc[M-1-m]) at buffer positions
  // [0, M) of the transform axes, forward transformed, scaled by 1 / prod(F).
  spectrum_.reserve(tr_->buffer_reals());
  R* s = spectrum_.data.get();
  std::fill(s, s + tr_->buffer_reals(), R(0));
  const std::size_t r = lay_.axes.size();
  std::vector<index_t> bstride(r);  // buffer strides in values (real or complex)
  {
    index_t st = 1;
    for (std::size_t i = r; i-- > 0;) {
      bstride[i] = st;
      st *= (!cplx && i + 1 == r) ? 2 * (lay_.axes[i].F / 2 + 1) : lay_.axes[i].F;
    }
  }
  std::array<index_t, max_rank> kstride{};
  {
    index_t st = 1;
    for (int d = pb_.rank() - 1; d >= 0; --d) {
      kstride[static_cast<std::size_t>(d)] = st;
      st *= pb_.kernel[d];
    }
  }
  std::array<index_t, max_rank> m{};
  double scale = 1;
  for (const auto& a : lay_.axes) scale *= static_cast<double>(a.F);
  for (std::size_t t = 0; t < kc_.size(); ++t) {
    index_t src = 0, dst = 0;
    for (int d = 0; d < pb_.rank(); ++d) {
      const auto u = static_cast<std::size_t>(d);
      src += (pb_.kernel[d] - 1 - m[u]) * kstride[u];
    }
    for (std::size_t i = 0; i < r; ++i) dst += m[static_cast<std::size_t>(lay_.axes[i].axis)] * bstride[i];
    const T v = kc_[static_cast<std::size_t>(src)] / static_cast<R>(scale);
    if constexpr (cplx) {
      s[2 * dst] = v.real();
      s[2 * dst + 1] = v.imag();
    } else {
      s[dst] = v;
    }
    for (int d = pb_.rank() - 1; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      if (++m[u] < pb_.kernel[d]) break;
      m[u] = 0;
    }
  }

  // A single unit (one big transform) with two or more transform axes, real data:
  // run it as batches of 1-D transforms along each axis, every step split between
  // the workers. Even on one thread this beat FFTW's own multi-dimensional plan here
  // (2160^2 r2c*c2r: 60 vs 86 ms), and FFTW's threads gained nothing (see above).
  // A 1-D transform, or complex data, stays one FFTW plan.
  if constexpr (!cplx) {
    if (fft_shared_steps(lay_, false, std::is_same_v<R, float>, effort))
      shared_ = make_shared_steps(std::max(workers, 1), effort);
  }
  // The kernel's transform takes the same steps as the input's. Through FFTW's own
  // plan (one thread, FFTW_ESTIMATE) it had taken 0.26 s of a 0.44 s one-shot call on
  // float 256^3 valid 17^3 here, whose execute takes 0.17 s.
  if (shared_) {
    kernel_forward(s, std::min(max_threads(workers), shared_->workers));
  } else {
    tr_->forward(s);
  }
}

template <class T>
FftEngine<T>::~FftEngine() = default;

template <class T>
std::unique_ptr<typename FftEngine<T>::Shared> FftEngine<T>::make_shared_steps(int nt, fft::Effort effort) const {
  const bool single = std::is_same_v<R, float>;
  const std::size_t r = lay_.axes.size();
  const std::vector<index_t> C = spectrum_extents(lengths(lay_), false);
  const index_t H = C[r - 1], row_len = 2 * H;
  // FFTW's new-array execute needs the planned 16-byte alignment: offsets must be
  // whole multiples of 16 bytes (an even count of single-precision complex values).
  const index_t align_complex = single ? 2 : 1;
  auto sh = std::make_unique<Shared>();
  sh->workers = nt;
  if (effort == fft::Effort::Estimate) sh->gather_reals = 2 * static_cast<std::size_t>(gather_scratch_complex(C));
  auto chunked = [&](index_t total, index_t align) {
    index_t c = (total + nt - 1) / nt;
    c = (c + align - 1) / align * align;
    return std::pair<index_t, index_t>{c, (total + c - 1) / c};
  };
  // Rows along the last axis: r2c forward, c2r backward.
  index_t rows = 1;
  for (std::size_t i = 0; i + 1 < r; ++i) rows *= C[i];
  {
    const auto [c, chunks] = chunked(rows, align_complex);
    const index_t last = rows - (chunks - 1) * c;
    const int F = static_cast<int>(lay_.axes[r - 1].F);
    for (auto kind : {fft::Batch::R2C, fft::Batch::C2R}) {
      Step st;
      st.reals = true;
      st.axis = r - 1;
      st.chunks = chunks;
      st.chunk_offset = c * row_len;
      st.plan = fft::batch(kind, F, static_cast<int>(c), 1, static_cast<int>(H), single, effort);
      st.last_plan = fft::batch(kind, F, static_cast<int>(last), 1, static_cast<int>(H), single, effort);
      (kind == fft::Batch::R2C ? sh->forward : sh->backward).push_back(st);
    }
  }
  // c2c along each other axis i: stride = prod C[j > i], outer blocks = prod C[j < i].
  std::vector<Step> fwd_axes, bwd_axes;
  for (std::size_t i = r - 1; i-- > 0;) {
    index_t stride = 1, outer = 1;
    for (std::size_t j = i + 1; j < r; ++j) stride *= C[j];
    for (std::size_t j = 0; j < i; ++j) outer *= C[j];
    const int F = static_cast<int>(C[i]);
    const bool gather = effort == fft::Effort::Estimate && gathers_at(stride);
    for (auto kind : {fft::Batch::C2C_FWD, fft::Batch::C2C_BWD}) {
      Step st;
      st.axis = i;
      if (gather) {  // outer blocks of `stride` columns, fft_gather_cols at a time
        const index_t B = fft_gather_cols, rest = stride % B;
        st.gather = B;
        st.len = C[i];
        st.stride = stride;
        st.reps = outer;
        st.rep_offset = C[i] * stride;
        st.plan = fft::batch(kind, F, static_cast<int>(B), static_cast<int>(B), 1, single, effort);
        st.last_plan = rest == 0 ? st.plan
                                 : fft::batch(kind, F, static_cast<int>(rest), static_cast<int>(rest), 1, single, effort);
      } else if (outer >= nt && (C[i] * stride) % align_complex == 0) {  // whole blocks per worker
        const auto [c, chunks] = chunked(outer, 1);
        st.blocks = true;
        st.chunks = chunks;
        st.reps = c;
        st.last_reps = outer - (chunks - 1) * c;
        st.rep_offset = C[i] * stride;
        st.chunk_offset = c * C[i] * stride;
        st.plan = st.last_plan =
            fft::batch(kind, F, static_cast<int>(stride), static_cast<int>(stride), 1, single, effort);
      } else {  // the transforms of each block split between workers
        // Misaligned block starts (C[i] * stride odd in float) with outer > 1 cannot
        // happen here: fft_shared_steps refuses them.
        const auto [c, chunks] = chunked(stride, align_complex);
        st.chunks = chunks;
        st.reps = st.last_reps = outer;
        st.rep_offset = C[i] * stride;
        st.chunk_offset = c;
        st.plan = fft::batch(kind, F, static_cast<int>(c), static_cast<int>(stride), 1, single, effort);
        st.last_plan = fft::batch(kind, F, static_cast<int>(stride - (chunks - 1) * c), static_cast<int>(stride), 1,
                                  single, effort);
      }
      (kind == fft::Batch::C2C_FWD ? fwd_axes : bwd_axes).push_back(st);
    }
  }
  // Forward: rows, then the other axes inward to outward; backward: the reverse.
  for (const auto& st : fwd_axes) sh->forward.push_back(st);
  std::vector<Step> back;
  for (auto it = bwd_axes.rbegin(); it != bwd_axes.rend(); ++it) back.push_back(*it);
  back.push_back(sh->backward.front());
  sh->backward = std::move(back);
  return sh;
}

template <class T>
typename FftEngine<T>::Scratch FftEngine<T>::gather_scratch(int nt) const {
  return Scratch(gather_pool_, shared_->gather_reals > 0 ? nt : 0,
                 [&](fft::Buffer<R>& b) { b.reserve(shared_->gather_reals); });
}

template <class T>
void FftEngine<T>::kernel_forward(R* buf, int nt) const {
  const std::size_t r = lay_.axes.size();
  const std::vector<index_t> C = spectrum_extents(lengths(lay_), false);
  std::vector<index_t> K(r);
  for (std::size_t i = 0; i < r; ++i) K[i] = pb_.kernel[lay_.axes[i].axis];
  const index_t H = C[r - 1];
  const Scratch scratch = gather_scratch(nt);
  // The rows along the last axis: only those within the kernel hold data, K[r - 2]
  // consecutive ones for each index within it on the axes before. A float row offset
  // must keep 16-byte alignment (FFTW's new-array execute): with an odd H and an odd
  // extent before, some would not, and every row is transformed instead.
  const bool single = std::is_same_v<R, float>;
  if (single && H % 2 == 1 && r > 2 && C[r - 2] % 2 == 1) {
    run_steps(shared_->forward, buf, nt, scratch, K);  // the c2c steps still skip zeros
    return;
  }
  const auto rows = fft::batch(fft::Batch::R2C, static_cast<int>(lay_.axes[r - 1].F), static_cast<int>(K[r - 2]), 1,
                               static_cast<int>(H), single, fft::Effort::Estimate);
  index_t runs = 1;
  for (std::size_t j = 0; j + 2 < r; ++j) runs *= K[j];
  for_each_slice(runs, nt, [&](index_t run, int) {
    index_t row0 = 0, mult = 1;
    for (std::size_t j = r - 2; j-- > 0;) {
      mult *= C[j + 1];
      row0 += (run % K[j]) * mult;
      run /= K[j];
    }
    rows->execute(buf + 2 * H * row0);
  });
  const std::vector<Step> c2c(shared_->forward.begin() + 1, shared_->forward.end());
  run_steps(c2c, buf, nt, scratch, K);
}

template <class T>
void FftEngine<T>::run_steps(const std::vector<Step>& steps, R* buf, int nt, const Scratch& scratch,
                             const std::vector<index_t>& nonzero) const {
  // Outer block b (C order over the axes before st.axis) holds only zeros.
  auto zeros = [&](const Step& st, index_t b) {
    if (nonzero.empty()) return false;
    for (std::size_t j = st.axis; j-- > 0;) {
      const index_t Cj = lay_.axes[j].F;  // j < st.axis < last: complex extent = F
      if (b % Cj >= nonzero[j]) return true;
      b /= Cj;
    }
    return false;
  };
  // The outer blocks of a step that hold data (all of them without `nonzero`).
  auto live_blocks = [&](const Step& st, index_t total) {
    std::vector<index_t> live;
    for (index_t b = 0; b < total; ++b)
      if (!zeros(st, b)) live.push_back(b);
    return live;
  };
  for (const Step& st : steps) {
    if (st.gather > 0) {
      const index_t B = st.gather, groups = (st.stride + B - 1) / B;
      const std::size_t row = static_cast<std::size_t>(2 * st.stride);  // reals from one row of the axis to the next
      const std::vector<index_t> live = nonzero.empty() ? std::vector<index_t>{} : live_blocks(st, st.reps);
      const index_t blocks = nonzero.empty() ? st.reps : static_cast<index_t>(live.size());
      for_each_slice(blocks * groups, nt, [&](index_t item, int worker) {
        const index_t blk = nonzero.empty() ? item / groups : live[static_cast<std::size_t>(item / groups)];
        const index_t g = item % groups, w = std::min(B, st.stride - g * B);
        R* const base = buf + 2 * (blk * st.rep_offset + g * B);
        R* const s = scratch[worker].data.get();
        const std::size_t n = static_cast<std::size_t>(2 * w);
        for (index_t t = 0; t < st.len; ++t) std::memcpy(s + t * 2 * w, base + t * row, n * sizeof(R));
        (w == B ? *st.plan : *st.last_plan).execute(s);
        for (index_t t = 0; t < st.len; ++t) std::memcpy(base + t * row, s + t * 2 * w, n * sizeof(R));
      });
      continue;
    }
    if (st.blocks && !nonzero.empty()) {  // the blocks left, shared out afresh (one plan for all)
      const std::vector<index_t> live = live_blocks(st, (st.chunks - 1) * st.reps + st.last_reps);
      for_each_slice(static_cast<index_t>(live.size()), nt, [&](index_t b, int) {
        st.plan->execute(buf + 2 * live[static_cast<std::size_t>(b)] * st.rep_offset);
      });
      continue;
    }
    for_each_slice(st.chunks, nt, [&](index_t j, int) {
      const bool last = j + 1 == st.chunks;
      const fft::Batch& plan = last ? *st.last_plan : *st.plan;
      const index_t reps = last ? st.last_reps : st.reps;
      for (index_t k = 0; k < reps; ++k) {
        const index_t off = j * st.chunk_offset + k * st.rep_offset;  // reals or complex values
        // c2c steps: rep_offset is one outer block; chunks are whole blocks or columns within one.
        if (!st.reals && zeros(st, off / st.rep_offset)) continue;
        plan.execute(buf + (st.reals ? off : 2 * off));
      }
    });
  }
}

template <class T>
typename FftEngine<T>::Geom FftEngine<T>::geometry(index_t unit, const View<const T>& in, const View<T>& out) const {
  const std::size_t r = lay_.axes.size();
  Geom g;
  // unit -> (batch index, block index per transform axis), C order.
  std::array<index_t, max_rank> bi{}, blk{};
  for (std::size_t i = r; i-- > 0;) {
    blk[i] = unit % lay_.axes[i].nblocks;
    unit /= lay_.axes[i].nblocks;
  }
  for (std::size_t j = batch_.size(); j-- > 0;) {
    const index_t n = pb_.output[batch_[j]];
    bi[j] = unit % n;
    unit /= n;
  }
  // Base input offset of the batch slice (batch axes read input i + start there).
  for (std::size_t j = 0; j < batch_.size(); ++j) {
    const int d = batch_[j];
    const index_t idx = extend_index(bi[j] + pb_.start[static_cast<std::size_t>(d)], pb_.input[d], pb_.ext);
    if (idx < 0)
      g.batch_outside = true;
    else
      g.in_base += idx * in.stride(d);
    g.out_base += bi[j] * out.stride(d);
  }
  // Per transform axis: first output, x position of buffer sample 0, samples to take.
  for (std::size_t i = 0; i < r; ++i) {
    const FftAxis& a = lay_.axes[i];
    const auto u = static_cast<std::size_t>(a.axis);
    g.o[i] = blk[i] * a.B;
    if (a.zero_tail) {
      g.plo[i] = a.p_lo0;
      g.lim[i] = a.fill;
    } else {
      g.plo[i] = g.o[i] + pb_.start[u] - (pb_.kernel[a.axis] - 1);
      g.lim[i] = a.F;
    }
    g.circ0[i] = g.o[i] + pb_.start[u] - g.plo[i];  // circular index of output o
  }
  return g;
}

template <class T>
bool FftEngine<T>::fill(const Geom& g, const View<const T>& in, R* buf, index_t row_lo, index_t row_hi, bool clean) const {
  constexpr bool cplx = is_complex_v<T>;
  const std::size_t r = lay_.axes.size();
  // 1. Fill: buffer rows along the last transform axis.
  const index_t Flast = lay_.axes[r - 1].F;
  const index_t row_len = cplx ? 2 * Flast : 2 * (Flast / 2 + 1);  // reals per buffer row
  const T cval = pb_.outside_value<T>();
  // clean: copy as is, and note any non-finite sample (v * 0 is NaN exactly for those);
  // else: zero the non-finite samples (their outputs are recomputed directly).
  // Every input sample passes through the middle copy of some row (the blocks cover
  // the input), so the check is made there; edges and constants are written as they are.
  R seen = 0;
  const auto put = [&](R* row, index_t q, T v) {  // an edge or constant sample
    if (!clean && !finite_value(v)) v = T(0);
    if constexpr (cplx) {
      row[2 * q] = v.real();
      row[2 * q + 1] = v.imag();
    } else {
      row[q] = v;
    }
  };
  const auto put_checked = [&](R* row, index_t q, T v) {  // a middle sample, strided or complex
    if (clean) {
      if (!finite_value(v)) seen = std::numeric_limits<R>::quiet_NaN();
    } else if (!finite_value(v)) {
      v = T(0);
    }
    if constexpr (cplx) {
      row[2 * q] = v.real();
      row[2 * q + 1] = v.imag();
    } else {
      row[q] = v;
    }
  };
  const auto fill_value = [&](R* row, index_t j0, index_t j1, T v) {
    if constexpr (cplx) {
      for (index_t j = j0; j < j1; ++j) row[2 * j] = v.real(), row[2 * j + 1] = v.imag();
    } else {
      std::fill(row + j0, row + j1, v);
    }
  };
  {
    std::array<index_t, max_rank> q{};  // buffer row index row_lo, unravelled
    for (index_t rest = row_lo, i = static_cast<index_t>(r) - 1; i-- > 0;) {
      q[static_cast<std::size_t>(i)] = rest % lay_.axes[static_cast<std::size_t>(i)].F;
      rest /= lay_.axes[static_cast<std::size_t>(i)].F;
    }
    const FftAxis& al = lay_.axes[r - 1];
    const index_t nl = pb_.input[al.axis], sl = in.stride(al.axis);
    for (index_t row = row_lo; row < row_hi; ++row) {
      R* dst = buf + row * row_len;
      index_t src = g.in_base;
      bool zero = false, outside = g.batch_outside;
      for (std::size_t i = 0; i + 1 < r; ++i) {
        if (q[i] >= g.lim[i]) {
          zero = true;
          break;
        }
        const int d = lay_.axes[i].axis;
        const index_t idx = extend_index(g.plo[i] + q[i], pb_.input[d], pb_.ext);
        if (idx < 0)
          outside = true;
        else
          src += idx * in.stride(d);
      }
      const index_t take = zero ? 0 : g.lim[r - 1];
      const index_t p0 = g.plo[r - 1];
      if (outside && !zero) {
        fill_value(dst, 0, take, (!clean && !finite_value(cval)) ? T(0) : cval);
      } else {
        // Inside the input along the row: a straight strided copy; the ends through
        // the extension rule.
        const index_t lo = std::clamp<index_t>(-p0, 0, take), hi = std::clamp<index_t>(nl - p0, lo, take);
        const bool constant_edges = pb_.ext == Ext::Zero || pb_.ext == Ext::Constant;
        if (constant_edges) {
          fill_value(dst, 0, lo, (!clean && !finite_value(cval)) ? T(0) : cval);
        } else {
          for (index_t j = 0; j < lo; ++j) put(dst, j, in.data()[src + extend_index(p0 + j, nl, pb_.ext) * sl]);
        }
        const T* sp = in.data() + src + p0 * sl;
        if (clean && !cplx && sl == 1) {
          // Copy and test the exponent bits (all ones: Inf or NaN) in integer
          // arithmetic, which vectorises; a floating-point sum would not reassociate.
          using U = std::conditional_t<sizeof(R) == 8, std::uint64_t, std::uint32_t>;
          constexpr U exp_mask = sizeof(R) == 8 ? U(0x7ff0000000000000ull) : U(0x7f800000u);
          const R* rs = reinterpret_cast<const R*>(sp);
          U bad = 0;
          for (index_t j = lo; j < hi; ++j) {
            U bits;
            std::memcpy(&bits, rs + j, sizeof bits);
            bad |= U((bits & exp_mask) == exp_mask);
            dst[j] = rs[j];
          }
          if (bad) seen = std::numeric_limits<R>::quiet_NaN();
        } else {
          for (index_t j = lo; j < hi; ++j) put_checked(dst, j, sp[j * sl]);
        }
        if (constant_edges) {
          fill_value(dst, hi, take, (!clean && !finite_value(cval)) ? T(0) : cval);
        } else {
          for (index_t j = hi; j < take; ++j) put(dst, j, in.data()[src + extend_index(p0 + j, nl, pb_.ext) * sl]);
        }
      }
      fill_value(dst, take, Flast, T(0));
      for (std::size_t i = r - 1; i-- > 0;) {
        if (++q[i] < lay_.axes[i].F) break;
        q[i] = 0;
      }
    }
  }
  return clean && seen != seen;  // then the caller redoes everything the careful way
}


template <class T>
void FftEngine<T>::multiply(R* buf, std::size_t k_lo, std::size_t k_hi) const {
  const R* ks = spectrum_.data.get();
  for (std::size_t k = k_lo; k < k_hi; ++k) {
    const R a = buf[2 * k], b = buf[2 * k + 1], c = ks[2 * k], d = ks[2 * k + 1];
    buf[2 * k] = a * c - b * d;
    buf[2 * k + 1] = a * d + b * c;
  }
}

template <class T>
void FftEngine<T>::extract(const Geom& g, const View<T>& out, const R* buf, index_t row_lo, index_t row_hi,
                           bool stream) const {
  constexpr bool cplx = is_complex_v<T>;
  const std::size_t r = lay_.axes.size();
  const index_t Flast = lay_.axes[r - 1].F;
  const index_t row_len = cplx ? 2 * Flast : 2 * (Flast / 2 + 1);
  // 3. Extract the block's outputs: output i reads circular index i - o + circ0.
  {
    std::array<index_t, max_rank> cnt{}, q{};
    for (std::size_t i = 0; i < r; ++i) cnt[i] = std::min(lay_.axes[i].B, pb_.output[lay_.axes[i].axis] - g.o[i]);
    for (index_t rest = row_lo, i = static_cast<index_t>(r) - 1; i-- > 0;) {  // row row_lo, unravelled
      q[static_cast<std::size_t>(i)] = rest % cnt[static_cast<std::size_t>(i)];
      rest /= cnt[static_cast<std::size_t>(i)];
    }
    const int dl = lay_.axes[r - 1].axis;
    const index_t osl = out.stride(dl);
    for (index_t row = row_lo; row < row_hi; ++row) {
      index_t boff = 0, ooff = g.out_base;
      for (std::size_t i = 0; i + 1 < r; ++i) {
        index_t st = 1;
        for (std::size_t k = i + 1; k + 1 < r; ++k) st *= lay_.axes[k].F;
        boff += (q[i] + g.circ0[i]) * st * row_len;
        ooff += (g.o[i] + q[i]) * out.stride(lay_.axes[i].axis);
      }
      const R* src = buf + boff;
      T* dst = out.data() + ooff + g.o[r - 1] * osl;
      const index_t c0 = g.circ0[r - 1];
      if constexpr (!cplx) {
        if (stream && osl == 1) {
          stream_copy(dst, src + c0, cnt[r - 1]);
        } else {
          for (index_t j = 0; j < cnt[r - 1]; ++j) dst[j * osl] = src[c0 + j];
        }
      } else {
        for (index_t j = 0; j < cnt[r - 1]; ++j) dst[j * osl] = T(src[2 * (c0 + j)], src[2 * (c0 + j) + 1]);
      }
      for (std::size_t i = r - 1; i-- > 0;) {
        if (++q[i] < cnt[i]) break;
        q[i] = 0;
      }
    }
  }
}

template <class T>
index_t FftEngine<T>::fill_rows() const {
  index_t n = 1;
  for (std::size_t i = 0; i + 1 < lay_.axes.size(); ++i) n *= lay_.axes[i].F;
  return n;
}

template <class T>
index_t FftEngine<T>::out_rows(const Geom& g) const {
  index_t n = 1;
  for (std::size_t i = 0; i + 1 < lay_.axes.size(); ++i)
    n *= std::min(lay_.axes[i].B, pb_.output[lay_.axes[i].axis] - g.o[i]);
  return n;
}

template <class T>
bool FftEngine<T>::run_unit_shared(index_t unit, const View<const T>& in, const View<T>& out, Work& w, bool clean,
                                   int nt, const Scratch& scratch) const {
  const Geom g = geometry(unit, in, out);
  R* buf = w.buf.data.get();
  const auto chunk = [nt](index_t n) { return std::max<index_t>(1, (n + 4 * nt - 1) / (4 * nt)); };
  const index_t nf = fill_rows(), cf = chunk(nf);
  std::array<unsigned char, max_workers> seen{};
  for_each_slice((nf + cf - 1) / cf, nt, [&](index_t c, int worker) {
    if (fill(g, in, buf, c * cf, std::min(nf, (c + 1) * cf), clean)) seen[static_cast<std::size_t>(worker)] = 1;
  });
  if (std::any_of(seen.begin(), seen.begin() + nt, [](unsigned char v) { return v != 0; })) return true;
  run_steps(shared_->forward, buf, nt, scratch);
  const auto ns = static_cast<index_t>(tr_->spectrum_size());
  const index_t cm = chunk(ns);
  for_each_slice((ns + cm - 1) / cm, nt, [&](index_t c, int) {
    multiply(buf, static_cast<std::size_t>(c * cm), static_cast<std::size_t>(std::min(ns, (c + 1) * cm)));
  });
  run_steps(shared_->backward, buf, nt, scratch);
  const bool stream = streamed_output_ || out_bytes_ >= stream_bytes;
  const index_t no = out_rows(g), ce = chunk(no);
  for_each_slice((no + ce - 1) / ce, nt, [&](index_t c, int) {
    extract(g, out, buf, c * ce, std::min(no, (c + 1) * ce), stream);
    if (stream) stream_fence();
  });
  return false;
}

template <class T>
bool FftEngine<T>::run_unit(index_t unit, const View<const T>& in, const View<T>& out, Work& w, bool clean) const {
  const Geom g = geometry(unit, in, out);
  R* buf = w.buf.data.get();
  if (fill(g, in, buf, 0, fill_rows(), clean)) return true;
  tr_->forward(buf);
  multiply(buf, 0, tr_->spectrum_size());
  tr_->backward(buf);
  const bool stream = streamed_output_ || out_bytes_ >= stream_bytes;
  extract(g, out, buf, 0, out_rows(g), stream);
  if (stream) stream_fence();
  return false;
}

template <class T>
void FftEngine<T>::run(View<const T> in, View<T> out, int threads) const {
  const int nt = resolve_threads(threads, lay_.units, lay_.predicted_cost);
  typename Pool<Work>::Lease works(pool_, nt, [&](Work& w) { w.buf.reserve(tr_->buffer_reals()); });
  // Non-finite input must not spread over the whole output (scipy's fftconvolve turns
  // one NaN into an all-NaN result). The fill notices such samples for free; only then
  // is everything redone with them zeroed, and the outputs whose window holds one are
  // recomputed directly.
  // The cval as the samples see it: 1e300 is finite as a double, infinite as a float.
  const bool finite_cval = finite_value(pb_.outside_value<T>());
  bool clean = finite_cval;
  // Non-finite input and a cost model that predicts the direct engine to be cheaper
  // than the redo: run it directly (its outputs are exact where the FFT's would be).
  auto direct_instead = [&] {
    if (!prefer_direct_ || !fallback_ || !prefer_direct_(cost::count_nonfinite(in))) return false;
    fallback_->run(in, out, threads);
    return true;
  };
  // One big transform: every step shared between the threads.
  if (shared_) {
    const int share = std::min(max_threads(threads), shared_->workers);
    // Each call its own scratch (calls on one plan may run at once).
    const Scratch scratch = gather_scratch(share);
    if (run_unit_shared(0, in, out, works[0], clean, share, scratch)) {  // a non-finite sample: again, zeroed
      if (direct_instead()) return;
      run_unit_shared(0, in, out, works[0], false, share, scratch);
      recompute_nonfinite(in, out);
    } else if (!clean) {
      recompute_nonfinite(in, out);
    }
    return;
  }
  if (clean) {
    std::array<unsigned char, max_workers> seen{};
    for_each_slice(lay_.units, nt, [&](index_t u, int worker) {
      auto& s = seen[static_cast<std::size_t>(worker)];
      if (!s) s = run_unit(u, in, out, works[worker], true);
    });
    clean = std::none_of(seen.begin(), seen.begin() + nt, [](unsigned char v) { return v != 0; });
  }
  if (!clean) {
    if (finite_cval && direct_instead()) return;
    for_each_slice(lay_.units, nt,
                   [&](index_t u, int worker) { run_unit(u, in, out, works[worker], false); });
    recompute_nonfinite(in, out);
  }
}

template <class T>
void FftEngine<T>::recompute_nonfinite(const View<const T>& in, const View<T>& out) const {
  const int D = pb_.rank();
  const std::size_t nout = checked_size(pb_.output, pb_.api_name(), "output");
  std::vector<unsigned char> mark(nout, 0);
  std::array<index_t, max_rank> ostride{};
  {
    index_t st = 1;
    for (int d = D - 1; d >= 0; --d) {
      ostride[static_cast<std::size_t>(d)] = st;
      st *= pb_.output[d];
    }
  }
  // Per axis: the extended positions e in the window range that read input index p,
  // pos[first[p] .. first[p + 1]) (one flat list: a few allocations per axis, not one
  // per input index), and the outputs [e - start, e - start + M - 1] that read e.
  std::array<std::vector<index_t>, max_rank> first, pos;
  for (int d = 0; d < D; ++d) {
    const auto u = static_cast<std::size_t>(d);
    const index_t n = pb_.input[d];
    const index_t lo = pb_.start[u] - (pb_.kernel[d] - 1), hi = pb_.start[u] + pb_.output[d] - 1;
    first[u].assign(static_cast<std::size_t>(n + 1), 0);
    for (index_t e = lo; e <= hi; ++e)
      if (const index_t idx = extend_index(e, n, pb_.ext); idx >= 0) ++first[u][static_cast<std::size_t>(idx + 1)];
    for (index_t q = 0; q < n; ++q) first[u][static_cast<std::size_t>(q + 1)] += first[u][static_cast<std::size_t>(q)];
    pos[u].resize(static_cast<std::size_t>(first[u][static_cast<std::size_t>(n)]));
    std::vector<index_t> at(first[u].begin(), first[u].end() - 1);
    for (index_t e = lo; e <= hi; ++e)
      if (const index_t idx = extend_index(e, n, pb_.ext); idx >= 0)
        pos[u][static_cast<std::size_t>(at[static_cast<std::size_t>(idx)]++)] = e;
  }
  // Marks every output in the product of per-axis output intervals.
  auto mark_box = [&](const std::array<std::vector<std::pair<index_t, index_t>>, max_rank>& iv) {
    std::array<std::size_t, max_rank> k{};
    for (;;) {
      // Odometer over the interval choice per axis, then over the box.
      std::array<index_t, max_rank> lo{}, hi{}, i{};
      bool empty = false;
      for (int d = 0; d < D; ++d) {
        const auto u = static_cast<std::size_t>(d);
        lo[u] = iv[u][k[u]].first;
        hi[u] = iv[u][k[u]].second;
        empty = empty || lo[u] > hi[u];
        i[u] = lo[u];
      }
      if (!empty)
        for (;;) {
          std::size_t f = 0;
          for (int d = 0; d < D; ++d) f += static_cast<std::size_t>(i[static_cast<std::size_t>(d)] * ostride[static_cast<std::size_t>(d)]);
          mark[f] = 1;
          int d = D - 1;
          for (; d >= 0; --d) {
            const auto u = static_cast<std::size_t>(d);
            if (++i[u] <= hi[u]) break;
            i[u] = lo[u];
          }
          if (d < 0) break;
        }
      int d = D - 1;
      for (; d >= 0; --d) {
        const auto u = static_cast<std::size_t>(d);
        if (++k[u] < iv[u].size()) break;
        k[u] = 0;
      }
      if (d < 0) break;
    }
  };
  std::array<std::vector<std::pair<index_t, index_t>>, max_rank> iv;
  if (!finite_value(pb_.outside_value<T>())) {
    // A non-finite cval: every output whose window leaves the input.
    std::array<index_t, max_rank> i{};
    for (std::size_t f = 0; f < nout; ++f) {
      bool leaves = false;
      for (int d = 0; d < D; ++d) {
        const auto u = static_cast<std::size_t>(d);
        leaves = leaves || i[u] + pb_.start[u] - (pb_.kernel[d] - 1) < 0 || i[u] + pb_.start[u] >= pb_.input[d];
      }
      if (leaves) mark[f] = 1;
      for (int d = D - 1; d >= 0; --d) {
        const auto u = static_cast<std::size_t>(d);
        if (++i[u] < pb_.output[d]) break;
        i[u] = 0;
      }
    }
  }
  {
    std::array<index_t, max_rank> p{};
    const std::size_t nin = checked_size(pb_.input, pb_.api_name(), "input");
    for (std::size_t f = 0; f < nin; ++f) {
      index_t off = 0;
      for (int d = 0; d < D; ++d) off += p[static_cast<std::size_t>(d)] * in.stride(d);
      if (!finite_value(in.data()[off])) {
        bool any = true;
        for (int d = 0; d < D; ++d) {
          const auto u = static_cast<std::size_t>(d);
          iv[u].clear();
          const auto j0 = static_cast<std::size_t>(first[u][static_cast<std::size_t>(p[u])]);
          const auto j1 = static_cast<std::size_t>(first[u][static_cast<std::size_t>(p[u] + 1)]);
          for (std::size_t j = j0; j < j1; ++j) {
            const index_t e = pos[u][j];
            iv[u].emplace_back(std::max<index_t>(0, e - pb_.start[u]),
                               std::min<index_t>(pb_.output[d] - 1, e - pb_.start[u] + pb_.kernel[d] - 1));
          }
          any = any && !iv[u].empty();
        }
        if (any) mark_box(iv);
      }
      for (int d = D - 1; d >= 0; --d) {
        const auto u = static_cast<std::size_t>(d);
        if (++p[u] < pb_.input[d]) break;
        p[u] = 0;
      }
    }
  }
  const std::size_t marked = static_cast<std::size_t>(std::count(mark.begin(), mark.end(), 1));
  if (marked == 0) return;
  if (fallback_ && marked * 8 > nout) {  // most of the output: the direct engine for all of it
    fallback_->run(in, out, 1);
    return;
  }
  // Direct sums for the marked outputs, in the kernel's order (correlation form).
  const T cval = pb_.outside_value<T>();
  std::array<index_t, max_rank> i{};
  for (std::size_t f = 0; f < nout; ++f) {
    if (mark[f]) {
      T acc = T(0);
      std::array<index_t, max_rank> m{};
      for (std::size_t t = 0; t < kc_.size(); ++t) {
        index_t off = 0;
        bool outside = false;
        for (int d = 0; d < D; ++d) {
          const auto u = static_cast<std::size_t>(d);
          const index_t idx = extend_index(i[u] + pb_.start[u] - (pb_.kernel[d] - 1) + m[u], pb_.input[d], pb_.ext);
          if (idx < 0) {
            outside = true;
            break;
          }
          off += idx * in.stride(d);
        }
        acc += kc_[t] * (outside ? cval : in.data()[off]);
        for (int d = D - 1; d >= 0; --d) {
          const auto u = static_cast<std::size_t>(d);
          if (++m[u] < pb_.kernel[d]) break;
          m[u] = 0;
        }
      }
      index_t ooff = 0;
      for (int d = 0; d < D; ++d) ooff += i[static_cast<std::size_t>(d)] * out.stride(d);
      out.data()[ooff] = acc;
    }
    for (int d = D - 1; d >= 0; --d) {
      const auto u = static_cast<std::size_t>(d);
      if (++i[u] < pb_.output[d]) break;
      i[u] = 0;
    }
  }
}

fft::Effort effort_of(Planning p, const char* api) {
  switch (p) {
    case Planning::Auto:  // a Plan is made to be reused; one-shot calls pass Estimate
    case Planning::Measure:
      return fft::Effort::Measure;
    case Planning::Estimate:
      return fft::Effort::Estimate;
    case Planning::Patient:
      return fft::Effort::Patient;
  }
  throw error(std::string(api) + ": unknown Planning value " + std::to_string(static_cast<int>(p)));
}

template class FftEngine<float>;
template class FftEngine<double>;
template class FftEngine<std::complex<float>>;
template class FftEngine<std::complex<double>>;

}  // namespace autoconv::detail
