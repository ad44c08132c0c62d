// lib/direct/direct.cpp: the direct engine: slab buffers with the border already
// applied, and a register-blocked SIMD micro-kernel over a flat tap list.
#include "direct/direct.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "parallel/slices.hpp"

namespace autoconv::detail {

namespace {

// 64-byte GCC/Clang vectors: one AVX-512 register where the target has it; the
// compiler splits them into two AVX2 or four SSE2 registers elsewhere.
template <class R>
struct simd;
template <>
struct simd<double> {
  typedef double v __attribute__((vector_size(64)));
};
template <>
struct simd<float> {
  typedef float v __attribute__((vector_size(64)));
};

// dst[0 .. NV*lanes) = sum_t w[t] * base[off[t] + 0 .. NV*lanes). NV independent
// accumulators hide the FMA latency (4 cycles x 2 ports needs 8 in flight).
// The taps are summed in list order, one rounding per fused multiply-add, exactly
// as in dot_scalar: a value does not depend on which path computed it.
template <class R, int NV>
inline __attribute__((always_inline)) void dot_block(const R* base, const index_t* off, const R* w, std::size_t nt,
                                                     R* dst) {
  using V = typename simd<R>::v;
  constexpr int lanes = sizeof(V) / sizeof(R);
  V acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = V{};
  for (std::size_t t = 0; t < nt; ++t) {
    const R* p = base + off[t];
    const V wv = V{} + w[t];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      V x;
      std::memcpy(&x, p + v * lanes, sizeof(V));
      acc[v] += wv * x;
    }
  }
  std::memcpy(dst, acc, sizeof(acc));
}

template <class R>
inline R dot_scalar(const R* base, const index_t* off, const R* w, std::size_t nt) {
  R a = 0;
  for (std::size_t t = 0; t < nt; ++t) a += w[t] * base[off[t]];
  return a;
}

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
    if (stride == 1) {
      std::memcpy(dst_re + mid_lo, src + p0 + mid_lo, static_cast<std::size_t>(mid_hi - mid_lo) * sizeof(R));
    } else {
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

// One output row of `len` samples at buffer position `base`, written to out with stride os.
template <class T, class R>
void compute_row(const R* base, index_t len, T* out, index_t os, const index_t* off_re, const R* w_re,
                 std::size_t n_re, const index_t* off_im, const R* w_im, std::size_t n_im) {
  using V = typename simd<R>::v;
  constexpr index_t lanes = sizeof(V) / sizeof(R);
  constexpr index_t block = 8 * lanes;
  alignas(64) R re[block];
  alignas(64) R im[block];
  auto store = [&](index_t j, index_t cnt) {
    if constexpr (is_complex_v<T>) {
      for (index_t b = 0; b < cnt; ++b) out[(j + b) * os] = T(re[b], im[b]);
    } else {
      if (os == 1) {
        std::memcpy(out + j, re, static_cast<std::size_t>(cnt) * sizeof(R));
      } else {
        for (index_t b = 0; b < cnt; ++b) out[(j + b) * os] = re[b];
      }
    }
  };
  auto run = [&](auto nv_const, index_t j) {
    constexpr int NV = decltype(nv_const)::value;
    dot_block<R, NV>(base + j, off_re, w_re, n_re, re);
    if constexpr (is_complex_v<T>) dot_block<R, NV>(base + j, off_im, w_im, n_im, im);
    store(j, NV * lanes);
  };
  index_t j = 0;
  for (; j + block <= len; j += block) run(std::integral_constant<int, 8>{}, j);
  if (j + 4 * lanes <= len) run(std::integral_constant<int, 4>{}, j), j += 4 * lanes;
  if (j + 2 * lanes <= len) run(std::integral_constant<int, 2>{}, j), j += 2 * lanes;
  if (j + lanes <= len) run(std::integral_constant<int, 1>{}, j), j += lanes;
  for (; j < len; ++j) {
    re[0] = dot_scalar(base + j, off_re, w_re, n_re);
    if constexpr (is_complex_v<T>) im[0] = dot_scalar(base + j, off_im, w_im, n_im);
    store(j, 1);
  }
}

// Target size of one slab buffer (elements per plane): about 512 KiB of doubles,
// half of this machine's 1-2 MiB L2, so the rows a block reads stay cached while
// the next output row reuses them.
constexpr index_t slab_target_elems = 64 * 1024;

}  // namespace

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
  std::stable_sort(perm.begin(), perm.begin() + D, [&](int a, int b) {
    const index_t sa = out.stride(a) < 0 ? -out.stride(a) : out.stride(a);
    const index_t sb = out.stride(b) < 0 ? -out.stride(b) : out.stride(b);
    return sa > sb;
  });
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
  index_t plane_rows = 1;  // elements of one position-0 row of the buffer
  for (int j = 1; j < D; ++j) plane_rows *= l->E[static_cast<std::size_t>(j)];
  const index_t m0 = l->M[0];
  index_t slab = std::max<index_t>(1, slab_target_elems / plane_rows - (m0 - 1));
  if (D == 1) slab = std::max<index_t>(slab, 4096);  // 1-D: keep slabs long even for long kernels
  l->slab = std::min(slab, l->L[0]);
  l->nslabs = (l->L[0] + l->slab - 1) / l->slab;
  l->bs[static_cast<std::size_t>(D - 1)] = 1;
  for (int j = D - 2; j >= 0; --j)
    l->bs[static_cast<std::size_t>(j)] = l->bs[static_cast<std::size_t>(j + 1)] * l->E[static_cast<std::size_t>(j + 1)];
  l->plane = static_cast<std::size_t>((l->slab + m0 - 1) * plane_rows);

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
  layouts_.push_back(std::move(l));
  return *layouts_.back();
}

template <class T>
std::vector<typename DirectEngine<T>::R>* DirectEngine<T>::acquire(std::size_t elems) const {
  std::unique_ptr<std::vector<R>> b;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!pool_.empty()) {
      b = std::move(pool_.back());
      pool_.pop_back();
    }
  }
  if (!b) b = std::make_unique<std::vector<R>>();
  if (b->size() < elems) b->resize(elems);
  return b.release();
}

template <class T>
void DirectEngine<T>::release(std::vector<R>* buf) const {
  std::unique_ptr<std::vector<R>> b(buf);
  std::lock_guard<std::mutex> lock(mu_);
  pool_.push_back(std::move(b));
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
  double work = static_cast<double>(l.off_re.size()) * (cplx ? 2.0 : 1.0);
  for (int j = 0; j < D; ++j) work *= static_cast<double>(l.L[static_cast<std::size_t>(j)]);
  const int nt = resolve_threads(threads, l.nslabs, work);

  // Buffers are taken before the parallel region so nothing in it can throw.
  std::vector<std::vector<R>*> bufs;
  bufs.reserve(static_cast<std::size_t>(nt));
  struct Returner {
    const DirectEngine* e;
    std::vector<std::vector<R>*>* b;
    ~Returner() {
      for (auto* p : *b) e->release(p);
    }
  } returner{this, &bufs};
  for (int t = 0; t < nt; ++t) bufs.push_back(acquire(buf_elems));

  const R cval = pb_.ext == Ext::Constant ? static_cast<R>(pb_.cval) : R(0);
  const T* in_data = in.data();
  T* out_data = out.data();
  const std::size_t last = static_cast<std::size_t>(D - 1);

  for_each_slice(l.nslabs, nt, [&](index_t s, int worker) {
    R* buf_re = bufs[static_cast<std::size_t>(worker)]->data();
    R* buf_im = cplx ? buf_re + l.plane : nullptr;
    const index_t a = s * l.slab;
    const index_t b = std::min(l.L[0], a + l.slab);
    const index_t rows0 = (b - a) + l.M[0] - 1;  // buffer extent on position 0

    // 1. Fill the slab buffer with x_ext over [a, a + rows0) x E[1] x ... x E[D-1].
    if (D == 1) {
      fill_row<T, R>(buf_re, buf_im, in_data, is[0], a, rows0, l.S[0] - (l.M[0] - 1), l.N[0], pb_.ext, cval);
    } else {
      std::array<index_t, max_rank> q{};
      q[0] = 0;
      index_t nrows = rows0;
      for (std::size_t j = 1; j < last; ++j) nrows *= l.E[j];
      index_t dst = 0;
      for (index_t r = 0; r < nrows; ++r, dst += l.E[last]) {
        index_t src = 0;
        bool outside = false;
        for (std::size_t j = 0; j < last; ++j) {
          const index_t p = (j == 0 ? a : 0) + q[j] + l.S[j] - (l.M[j] - 1);
          const index_t idx = extend_index(p, l.N[j], pb_.ext);
          if (idx < 0) {
            outside = true;
            break;
          }
          src += idx * is[j];
        }
        if (outside)
          fill_const(buf_re + dst, cplx ? buf_im + dst : nullptr, l.E[last], cval, cplx);
        else
          fill_row<T, R>(buf_re + dst, cplx ? buf_im + dst : nullptr, in_data + src, is[last], 0, l.E[last],
                         l.S[last] - (l.M[last] - 1), l.N[last], pb_.ext, cval);
        for (std::size_t j = last; j-- > 0;) {  // odometer over buffer rows
          const index_t ext_j = j == 0 ? rows0 : l.E[j];
          if (++q[j] < ext_j) break;
          q[j] = 0;
        }
      }
    }

    // 2. Output rows of the slab.
    const index_t* ore = l.off_re.data();
    const R* wre = l.w_re.data();
    const index_t* oim = l.off_im.data();
    const R* wim = l.w_im.data();
    const std::size_t nre = l.off_re.size(), nim = l.off_im.size();
    if (D == 1) {
      compute_row<T, R>(buf_re, b - a, out_data + a * os[0], os[0], ore, wre, nre, oim, wim, nim);
      return;
    }
    std::array<index_t, max_rank> i{};
    index_t nrows = b - a;
    for (std::size_t j = 1; j < last; ++j) nrows *= l.L[j];
    for (index_t r = 0; r < nrows; ++r) {
      index_t boff = 0, ooff = (a + i[0]) * os[0];
      boff = i[0] * l.bs[0];
      for (std::size_t j = 1; j < last; ++j) {
        boff += i[j] * l.bs[j];
        ooff += i[j] * os[j];
      }
      compute_row<T, R>(buf_re + boff, l.L[last], out_data + ooff, os[last], ore, wre, nre, oim, wim, nim);
      for (std::size_t j = last; j-- > 0;) {
        const index_t ext_j = j == 0 ? b - a : l.L[j];
        if (++i[j] < ext_j) break;
        i[j] = 0;
      }
    }
  });
}

template class DirectEngine<float>;
template class DirectEngine<double>;
template class DirectEngine<std::complex<float>>;
template class DirectEngine<std::complex<double>>;

}  // namespace autoconv::detail
