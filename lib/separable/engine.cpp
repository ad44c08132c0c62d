// lib/separable/engine.cpp: the separable engine (see engine.hpp).
#include "separable/engine.hpp"

#include <algorithm>
#include <numeric>

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

Method separable_pass_method(const Problem&, std::size_t, bool, int) { return Method::Direct; }

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
  x_size_ = volume(padded_);
  mid_size_ = passes_.size() > 1 ? volume(passes_.front().output) : 0;
  out_size_ = terms_ > 1 ? volume(pb.output) : 0;
}

template <class T>
SeparableEngine<T>::~SeparableEngine() = default;

template <class T>
void SeparableEngine<T>::pad(const View<const T>& in, T* x, int threads) const {
  const int D = pb_.rank();
  const index_t len = padded_[D - 1], st = in.stride(D - 1);
  const index_t ilo = inner_lo_[static_cast<std::size_t>(D - 1)], ihi = inner_hi_[static_cast<std::size_t>(D - 1)];
  const T cval = T(static_cast<real_t<T>>(pb_.ext == Ext::Constant ? pb_.cval : 0.0));
  const index_t* tab = src_[static_cast<std::size_t>(D - 1)].data();
  for_rows(padded_, threads, [&](index_t r, const std::array<index_t, max_rank>& idx) {
    T* dst = x + r * len;
    index_t off = 0;
    for (int a = 0; a + 1 < D; ++a) {
      const index_t s = src_[static_cast<std::size_t>(a)][static_cast<std::size_t>(idx[static_cast<std::size_t>(a)])];
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
void SeparableEngine<T>::run(View<const T> in, View<T> out, int threads) const {
  typename Pool<Work>::Lease lease(pool_, 1, [&](Work& w) {
    if (w.x.size() < x_size_) w.x.resize(x_size_);
    if (w.a.size() < mid_size_) w.a.resize(mid_size_);
    if (terms_ > 1 && passes_.size() > 2 && w.b.size() < mid_size_) w.b.resize(mid_size_);
    if (w.acc.size() < out_size_) w.acc.resize(out_size_);
  });
  Work& w = lease[0];
  pad(in, w.x.data(), threads);
  const std::size_t P = passes_.size();
  for (int j = 0; j < terms_; ++j) {
    const T* cur = w.x.data();
    for (std::size_t p = 0; p < P; ++p) {
      const Stage& st = stages_[static_cast<std::size_t>(j) * P + p];
      const SeparablePass& ps = passes_[p];
      View<T> dst;
      if (p + 1 == P)
        dst = j == 0 ? out : View<T>(w.acc.data(), ps.output);
      else  // one term: the padded input is free after the first pass; else keep it
        dst = View<T>(p % 2 == 0 ? w.a.data() : terms_ == 1 ? w.x.data() : w.b.data(), ps.output);
      const View<const T> src(cur, ps.input);
      if (st.fft)
        st.fft->run(src, dst, threads);
      else
        st.direct->run(src, dst, threads);
      cur = dst.data();
    }
    if (j > 0) add(w.acc.data(), out, threads);
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
