// lib/stream/stream.cpp: Stream<T>. A stream is the normalised problem of
// lib/core/problem.hpp fed one sample at a time: every form is
//
//     out[i] = sum_m kc[m] * x_ext[i + start - (M-1) + m],
//
// a 'valid' correlation of the extended signal x_ext. The stream feeds x_ext to one
// sliding core per channel: first the left extension (M-1-start samples: zeros or cval
// at once; Reflect/Mirror/Nearest once the first samples they read have arrived), then
// the signal, and at finish() the right extension (read from the last M samples kept).
// The core either sums directly as samples arrive or runs FFT overlap-save blocks
// through an FFT engine of 'valid' mode on a ring of F samples (K blocks at once). A signal shorter than the
// kernel is finished by the batch call on the samples kept (its extensions may wrap
// around the whole signal, and 'valid' swaps the operands there).
#include <autoconv/stream.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/format.hpp"
#include "core/problem.hpp"
#include "core/simd.hpp"
#include "core/views.hpp"
#include "fft/engine.hpp"
#include "fft/fftw.hpp"
#include "parallel/slices.hpp"
#include "stream/block.hpp"

namespace autoconv::detail {

// A direct tap (one multiply-add per output) in transform cost units. Measured here
// (streams of 1e6 samples in chunks of 4096, one thread): direct sums ran 0.03 (float)
// to 0.07-0.09 (double) ns per tap, complex double 0.25-0.6; overlap-save blocks 3-8 ns
// per sample for 100-tap kernels. With 0.2 units a tap (x4 complex) the choice flips at
// ~88 taps for real data (measured: ~70-100) and ~20 for complex (measured: ~20).
inline constexpr double direct_tap_cost = 0.2;

double stream_direct_cost(index_t M, bool complex_data) {
  return direct_tap_cost * static_cast<double>(M) * (complex_data ? 4.0 : 1.0);
}

StreamBlock stream_block_length(index_t M, std::size_t value_bytes, bool complex_data, index_t channels,
                                std::size_t memory_limit) {
  StreamBlock best;
  // The cost per output rises again long before 64 M; no block beyond fft::max_length.
  const index_t top = std::min(64 * std::max<index_t>(M, 64), fft::max_length);
  for (index_t t = std::max<index_t>(2 * M, 16); t <= top; t = t * 3 / 2) {
    const index_t F = fft::good_size(t);
    std::size_t spectrum = 0, block = 0;
    transform_bytes({F}, value_bytes, complex_data, &spectrum, &block);
    const double ring = static_cast<double>(F) * static_cast<double>(value_bytes) * (complex_data ? 2.0 : 1.0);
    const double bytes = static_cast<double>(spectrum + block) + static_cast<double>(channels) * ring;
    if (bytes > static_cast<double>(memory_limit)) break;  // only grows with F
    // The block (transforms, fill, multiply, extract) plus copying F samples into the ring.
    const double cost = (block_cost({F}, block) + 2.0 * static_cast<double>(F)) / static_cast<double>(F - M + 1);
    if (best.F == 0 || cost < best.cost_per_output) best = {F, cost, bytes};
  }
  return best;
}

namespace {

// acc += k * s; complex products written out (std::complex's operator* checks for NaN
// on every product and keeps the loop from vectorising: ~10x slower here).
template <class T>
inline void mac(T& acc, const T& k, const T& s) {
  if constexpr (is_complex_v<T>)
    acc = T(acc.real() + k.real() * s.real() - k.imag() * s.imag(), acc.imag() + k.real() * s.imag() + k.imag() * s.real());
  else
    acc += k * s;
}

// out[j * os] = sum_m kc[m] x[j + m] for j in [0, W): one sequential multiply-add sum
// per output, W accumulators (the compiler vectorises over j).
template <index_t W, class T>
inline void slide_block(const T* x, const T* kc, index_t M, T* out, index_t os) {
  T acc[W];
  for (index_t j = 0; j < W; ++j) acc[j] = T(0);
  for (index_t m = 0; m < M; ++m) {
    const T k = kc[m];
    const T* s = x + m;
    for (index_t j = 0; j < W; ++j) mac(acc[j], k, s[j]);
  }
  for (index_t j = 0; j < W; ++j) out[j * os] = acc[j];
}

template <class T>
void slide(const T* x, index_t count, const T* kc, index_t M, T* out, index_t os) {
  constexpr index_t W = 64;
  index_t j = 0;
  for (; j + W <= count; j += W) slide_block<W>(x + j, kc, M, out + j * os, os);
  for (; j < count; ++j) {  // the tail, output by output in the same order
    T acc = T(0);
    for (index_t m = 0; m < M; ++m) mac(acc, kc[m], x[j + m]);
    out[j * os] = acc;
  }
}

}  // namespace

template <class T>
struct StreamImpl {
  struct Channel {
    std::vector<T> head;  // the first min(N, M) samples
    std::vector<T> tail;  // the last M samples, sample i at i % M
    std::vector<T> buf;   // the core's input: direct window, or the overlap-save ring
    std::vector<T> pad;   // extension samples being fed
    index_t fill = 0;     // samples in buf
    index_t pos = 0;      // direct: first window of buf not yet summed
  };

  // The request.
  Operation op = Operation::Convolve;
  int style = 0;  // 0 signal, 1 signal with border, 2 image
  Mode mode = Mode::Full;
  Border border;
  Options opt;
  std::vector<T> kernel;  // the user's, contiguous
  std::vector<T> kc;      // correlation order
  index_t M = 1, C = 1;
  index_t start = 0, left = 0;  // left = M - 1 - start extension samples before x[0]
  Ext ext = Ext::Zero;
  T cval = T(0);
  index_t H = 0;  // samples needed before the left extension is known (0: at once)
  // The core.
  Method method = Method::Direct;
  index_t F = 0, B = 0;  // overlap-save transform length and outputs per block
  index_t K = 1;         // overlap-save blocks per channel run at once (on K threads)
  index_t cap = 0;       // buf length per channel: F + (K - 1) B
  std::unique_ptr<const FftEngine<T>> engine;  // overlap-save blocks
  std::vector<Channel> ch;
  // The state (every channel in lockstep).
  index_t N = 0;        // samples in per channel
  index_t E = 0;        // x_ext samples fed per channel
  index_t emitted = 0;  // outputs returned per channel
  bool running = false, done = false;
  bool broken = false;  // a push or finish threw part way (std::bad_alloc): state lost until reset()

  // Outputs the core has produced after E samples of x_ext.
  index_t computed(index_t e) const {
    if (F == 0) return e >= M ? e - M + 1 : 0;
    return e >= cap ? (e - (M - 1)) / (K * B) * (K * B) : 0;
  }
  // The batch call's output length for a signal of n samples.
  index_t batch_length(index_t n) const {
    if (style == 2) return n;
    switch (mode) {
      case Mode::Full:
        return n + M - 1;
      case Mode::Same:
        return n;
      case Mode::Valid:
        return (n > M ? n - M : M - n) + 1;
    }
    return n;
  }

  // Appends n samples (src, stride) to channel c's core; writes the outputs they
  // complete at out (stride os); returns their count.
  index_t feed(Channel& c, const T* src, index_t stride, index_t n, T* out, index_t os) const {
    index_t w = 0;
    while (n > 0) {
      const index_t take = std::min(n, cap - c.fill);
      T* dst = c.buf.data() + c.fill;
      if (stride == 1)
        copy_ahead(dst, src, take);
      else
        for (index_t i = 0; i < take; ++i) dst[i] = src[i * stride];
      src += take * stride;
      n -= take;
      c.fill += take;
      if (F == 0) {
        const index_t cnt = c.fill - (M - 1) - c.pos;
        if (cnt > 0) {
          slide(c.buf.data() + c.pos, cnt, kc.data(), M, out + w * os, os);
          w += cnt;
          c.pos += cnt;
        }
        if (c.fill == cap) {  // keep the last M - 1 samples: the next windows start there
          std::copy(c.buf.begin() + (cap - (M - 1)), c.buf.begin() + cap, c.buf.begin());
          c.fill = M - 1;
          c.pos = 0;
        }
      } else if (c.fill == cap) {
        blocks(c.buf.data(), K, out + w * os, os);
        w += K * B;
        std::copy(c.buf.begin() + (cap - (M - 1)), c.buf.begin() + cap, c.buf.begin());
        c.fill = M - 1;
      }
    }
    return w;
  }

  // Overlap-save blocks [0, n) of a channel's ring at buf (block b reads F samples
  // from b B) on up to n threads; writes their n B outputs at out (stride os). Inside a
  // parallel region (channels in parallel) they run one by one.
  void blocks(const T* buf, index_t n, T* out, index_t os) const {
    const int nt = resolve_threads(opt.threads, n, static_cast<double>(n) * block_work());
    for_each_slice(n, nt, [&](index_t b, int) {
      engine->run(View<const T>(buf + b * B, Shape{F}), View<T>(out + b * B * os, Shape{B}, Shape{os}), 1);
    });
  }
  // One block's work in multiply-add units (for resolve_threads).
  double block_work() const { return 8.0 * static_cast<double>(F) * std::log2(static_cast<double>(F)); }

  // Keeps the last M samples of channel c (sample i at tail[i % M]) for the right
  // extension of Reflect, Mirror and Nearest; x holds samples [n0, n0 + n).
  void keep_tail(Channel& c, const T* x, index_t stride, index_t n0, index_t n) const {
    index_t i = std::max<index_t>(0, n - M), at = (n0 + i) % M;
    while (i < n) {
      const index_t run = std::min(n - i, M - at);
      for (index_t j = 0; j < run; ++j) c.tail[static_cast<std::size_t>(at + j)] = x[(i + j) * stride];
      i += run;
      at = 0;
    }
  }

  // The left extension of channel c from its first samples (N of them so far).
  void feed_left(Channel& c) const {
    for (index_t q = 0; q < left; ++q) {
      const index_t idx = extend_index(q - left, N, ext);
      c.pad[static_cast<std::size_t>(q)] = idx < 0 ? cval : c.head[static_cast<std::size_t>(idx)];
    }
    feed(c, c.pad.data(), 1, left, nullptr, 0);  // fewer than M samples: no output
  }

  void reset() {
    N = E = emitted = 0;
    done = broken = false;
    running = H == 0;
    for (Channel& c : ch) {
      c.fill = c.pos = 0;
      if (running) feed_left(c);
    }
    if (running) E = left;
  }

  // Throws for a stream an earlier push or finish left part way (see broken).
  void check_whole(const char* api) const {
    if (broken)
      throw error(std::string(api) + ": an earlier push() or finish() stopped part way on an exception (out of "
                  "memory) and the stream's state is lost; call reset() to start a new signal");
  }
};

namespace {

template <class T>
std::unique_ptr<StreamImpl<T>> build_stream(Operation op, const View<const T>& kernel, int style, Mode mode,
                                            const Border& border, const Options& opt, index_t channels) {
  const std::string api = "autoconv::Stream";
  if (channels < 1)
    throw error(api + ": channels = " + std::to_string(channels) + "; give at least 1 (rows of every chunk)");
  if (kernel.rank() != 1)
    throw error(api + ": kernel has rank " + std::to_string(kernel.rank()) + ", shape " + kernel.shape().str() +
                "; a Stream takes a 1-D kernel (channels x time data: the kernel applies to every channel)");
  const index_t M = kernel.extent(0);
  if (M < 1) throw error(api + ": kernel is empty, shape " + kernel.shape().str());
  check_view(kernel, kernel.shape(), api.c_str(), "kernel", "");
  if (!opt.axes.empty())
    throw error(api + ": Options::axes does not apply to a Stream (it convolves the time axis of each channel; kernel " +
                kernel.shape().str() + ")");
  if (opt.threads < 0)
    throw error(api + ": Options::threads = " + std::to_string(opt.threads) +
                " is negative; use 0 for OpenMP's default or a positive count");
  // The rules of the batch call, checked for a signal as long as the kernel.
  Problem pb;
  try {
    const Shape s{M};
    pb = style == 0 ? make_problem(op, s, s, mode) : style == 1 ? make_problem(op, s, s, mode, border)
                                                                : make_problem(op, s, s, border);
  } catch (const error& e) {  // without the batch call's name and the stand-in signal's shapes
    std::string what = e.what();
    const std::size_t shapes = what.rfind(" (input (");
    if (shapes != std::string::npos) what.erase(shapes);
    const std::size_t name = what.find(": ");
    if (what.rfind("autoconv::", 0) == 0 && name != std::string::npos) what.erase(0, name + 2);
    throw error(api + ": " + what + " (kernel " + kernel.shape().str() + ")");
  }
  if (pb.ext == Ext::Wrap)
    throw error(api + ": Boundary::Wrap reads the end of the signal before its start, which a stream has not "
                "seen yet; use Reflect, Mirror, Nearest or Constant, or the batch call (kernel " +
                kernel.shape().str() + ")");

  auto s = std::make_unique<StreamImpl<T>>();
  s->op = op;
  s->style = style;
  s->mode = mode;
  s->border = border;
  s->opt = opt;
  s->M = M;
  s->C = channels;
  s->start = pb.start[0];
  s->left = M - 1 - s->start;
  s->ext = pb.ext;
  s->cval = pb.outside_value<T>();
  switch (pb.ext) {
    case Ext::Reflect:  // x_ext[-q] = x[q-1]
      s->H = std::max<index_t>(s->left, 1);
      break;
    case Ext::Mirror:  // x_ext[-q] = x[q]
      s->H = s->left + 1;
      break;
    case Ext::Nearest:
      s->H = 1;
      break;
    default:
      s->H = 0;
  }
  s->kernel.resize(static_cast<std::size_t>(M));
  for (index_t i = 0; i < M; ++i) s->kernel[static_cast<std::size_t>(i)] = kernel.data()[i * kernel.stride(0)];
  s->kc = kernel_in_correlation_order(pb, kernel);

  // Direct sliding sums or overlap-save blocks, by predicted cost per output.
  const std::size_t limit = opt.memory_limit ? opt.memory_limit : default_memory_limit();
  bool fft = false;
  StreamBlock blk;
  switch (opt.method) {
    case Method::Auto:
      blk = stream_block_length(M, sizeof(real_t<T>), is_complex_v<T>, channels, limit);
      fft = blk.F != 0 && blk.cost_per_output < stream_direct_cost(M, is_complex_v<T>);
      break;
    case Method::Direct:
    case Method::Separable:  // a 1-D kernel is its own separable form
      break;
    case Method::FFT:
    case Method::OverlapAdd:
      blk = stream_block_length(M, sizeof(real_t<T>), is_complex_v<T>, channels, limit);
      if (blk.F == 0)
        throw error(api + ": FFT blocks for kernel " + kernel.shape().str() + " and " + std::to_string(channels) +
                    " channel(s) need more than Options::memory_limit = " + bytes_str(static_cast<double>(limit)));
      fft = true;
      break;
    default:
      throw error(api + ": unknown Method value " + std::to_string(static_cast<int>(opt.method)));
  }
  if (fft) {
    s->method = Method::OverlapAdd;
    s->F = blk.F;
    s->B = blk.F - M + 1;
    // With more threads than channels, a channel's blocks run K at a time, one per
    // thread, when a block is worth a thread (resolve_threads' rule) and the larger
    // rings (K - 1 more blocks of input per channel) and the extra concurrent block
    // buffers fit the memory limit.
    const index_t by_threads = std::max<index_t>(1, max_threads(opt.threads) / channels);
    s->K = s->block_work() >= min_work_per_thread ? std::min<index_t>(by_threads, 8) : 1;
    while (s->K > 1) {
      const double extra = static_cast<double>(s->K - 1) *
                           (static_cast<double>(channels * s->B * static_cast<index_t>(sizeof(T))) + blk.bytes);
      if (blk.bytes + extra <= static_cast<double>(limit)) break;
      --s->K;
    }
    s->cap = blk.F + (s->K - 1) * s->B;
    // The block engine: 'valid' mode on F samples, one thread per block, every output
    // written with non-temporal stores (the next block's transforms would evict it from
    // the cache anyway; measured 0.86 -> 0.92 of the batch call's throughput).
    const Problem q = make_problem(op, Shape{blk.F}, Shape{M}, Mode::Valid);
    std::vector<T> qk = kernel_in_correlation_order(q, View<const T>(s->kernel.data(), Shape{M}));
    FftLayout lay = fft_layout(q, Method::FFT, sizeof(real_t<T>), is_complex_v<T>, limit, 1);
    auto fallback = std::make_shared<const DirectEngine<T>>(q, qk);  // for non-finite samples
    auto engine = std::make_unique<FftEngine<T>>(q, qk, std::move(lay), effort_of(opt.planning, api.c_str()), 1,
                                                 std::move(fallback));
    engine->set_streamed_output(true);
    s->engine = std::move(engine);
  } else {
    s->method = Method::Direct;
    s->cap = (M - 1) + 4096;
  }
  s->ch.resize(static_cast<std::size_t>(channels));
  for (auto& c : s->ch) {
    c.head.resize(static_cast<std::size_t>(M));
    c.tail.resize(static_cast<std::size_t>(M));
    c.buf.resize(static_cast<std::size_t>(s->cap));
    c.pad.resize(static_cast<std::size_t>(M));
  }
  s->reset();
  return s;
}

// Rows of a chunk or output view: shape {n} (one channel) or {channels, n}.
template <class V>
bool rows_ok(const V& v, index_t channels) {
  return (v.rank() == 1 && channels == 1) || (v.rank() == 2 && v.extent(0) == channels);
}
template <class V>
index_t columns(const V& v) {
  return v.extent(v.rank() - 1);
}
template <class V>
index_t row_stride(const V& v) {
  return v.rank() == 2 ? v.stride(0) : 0;
}
template <class V>
index_t col_stride(const V& v) {
  return v.stride(v.rank() - 1);
}

std::string expected_rows(index_t channels, const char* n) {
  return channels == 1 ? std::string("(") + n + ",) or (1, " + n + ")"
                       : "(" + std::to_string(channels) + ", " + n + ")";
}

template <class T>
void check_out(const StreamImpl<T>& s, const View<T>& out, const View<const T>* chunk, index_t count,
               const char* api) {
  checked_size(out.shape(), api, "out");  // negative extents
  if (!rows_ok(out, s.C))
    throw error(std::string(api) + ": out has shape " + out.shape().str() + " but the stream has " + std::to_string(s.C) +
                " channel(s); give shape " + expected_rows(s.C, "cap"));
  if (columns(out) < count)
    throw error(std::string(api) + ": out has shape " + out.shape().str() + " but " + std::to_string(count) +
                " samples per channel are ready; give at least " + std::to_string(count) +
                " columns (output_size(n) / finish_size())");
  if (count == 0) return;
  check_view(out, out.shape(), api, "out", "");
  if (!is_non_self_overlapping(out))
    throw error(std::string(api) + ": out strides " + out.strides().str() + " with shape " + out.shape().str() +
                " make elements overlap");
  if (chunk && views_overlap(*chunk, View<const T>(out)))
    throw error(std::string(api) + ": out memory overlaps chunk memory (chunk " + chunk->shape().str() + ", out " +
                out.shape().str() + ")");
}

}  // namespace
}  // namespace autoconv::detail

namespace autoconv {

template <class T>
Stream<T>::Stream(View<const T> kernel, Mode mode, const Options& options, index_t channels)
    : Stream(Operation::Convolve, kernel, mode, options, channels) {}

template <class T>
Stream<T>::Stream(Operation op, View<const T> kernel, Mode mode, const Options& options, index_t channels)
    : impl_(detail::build_stream(op, kernel, 0, mode, Border{}, options, channels)) {}

template <class T>
Stream<T>::Stream(Operation op, View<const T> kernel, Mode mode, const Border& border, const Options& options,
                  index_t channels)
    : impl_(detail::build_stream(op, kernel, 1, mode, border, options, channels)) {}

template <class T>
Stream<T>::Stream(Operation op, View<const T> kernel, const Border& border, const Options& options,
                  index_t channels)
    : impl_(detail::build_stream(op, kernel, 2, Mode::Same, border, options, channels)) {}

template <class T>
Stream<T>::~Stream() = default;
template <class T>
Stream<T>::Stream(Stream&&) noexcept = default;
template <class T>
Stream<T>& Stream<T>::operator=(Stream&&) noexcept = default;

template <class T>
index_t Stream<T>::channels() const {
  return impl_->C;
}
template <class T>
index_t Stream<T>::kernel_size() const {
  return impl_->M;
}
template <class T>
Method Stream<T>::method() const {
  return impl_->method;
}
template <class T>
index_t Stream<T>::block_length() const {
  return impl_->F;
}
template <class T>
index_t Stream<T>::latency() const {
  return impl_->K * impl_->B;
}
template <class T>
index_t Stream<T>::samples_in() const {
  return impl_->N;
}
template <class T>
index_t Stream<T>::samples_out() const {
  return impl_->emitted;
}
template <class T>
bool Stream<T>::finished() const {
  return impl_->done;
}

namespace {
// a + b, or an error naming the query when the count leaves index_t.
index_t count_sum(index_t a, index_t b, const char* api, index_t n) {
  index_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    throw error(std::string(api) + ": n = " + std::to_string(n) + " is too large: the sample count overflows index_t");
  return r;
}
}  // namespace

template <class T>
index_t Stream<T>::output_size(index_t n) const {
  const auto& s = *impl_;
  if (s.done || s.broken || n <= 0) return 0;
  const char* api = "autoconv::Stream::output_size";
  index_t e = count_sum(s.E, n, api, n);
  if (!s.running) {
    const index_t in = count_sum(s.N, n, api, n);
    if (in < s.H) return 0;
    e = count_sum(s.left, in, api, n);
  }
  return s.computed(e) - s.emitted;
}

template <class T>
index_t Stream<T>::max_output_size(index_t n) const {
  const auto& s = *impl_;
  return count_sum(std::max<index_t>(n, 0), (s.M - 1) + s.K * s.B, "autoconv::Stream::max_output_size", n);
}

template <class T>
index_t Stream<T>::finish_size() const {
  const auto& s = *impl_;
  if (s.done || s.broken || s.N == 0) return 0;
  return s.batch_length(s.N) - s.emitted;
}

template <class T>
index_t Stream<T>::push(View<const T> chunk, View<T> out) {
  auto& s = *impl_;
  const char* api = "autoconv::Stream::push";  // (no std::string: a warm push allocates nothing)
  s.check_whole(api);
  if (s.done) throw error(std::string(api) + ": called after finish(); call reset() to start a new signal");
  if (!detail::rows_ok(chunk, s.C))
    throw error(std::string(api) + ": chunk has shape " + chunk.shape().str() + " but the stream has " + std::to_string(s.C) +
                " channel(s); give shape " + detail::expected_rows(s.C, "n"));
  detail::checked_size(chunk.shape(), api, "chunk");  // negative extents, before anything is counted
  const index_t n = detail::columns(chunk);
  if (n > 0) detail::check_view(chunk, chunk.shape(), api, "chunk", "");
  const index_t count = output_size(n);
  detail::check_out(s, out, n > 0 ? &chunk : nullptr, count, api);
  if (n == 0) return 0;

  const index_t n0 = s.N, M = s.M;
  s.broken = true;  // until the push is through (an exception leaves it set)
  s.N = n0 + n;
  const bool start_now = !s.running && s.N >= s.H;
  const index_t crs = detail::row_stride(chunk), ccs = detail::col_stride(chunk);
  const index_t ors = detail::row_stride(out), ocs = detail::col_stride(out);
  const bool was_running = s.running;
  const double work = static_cast<double>(s.C) * static_cast<double>(n) *
                      (s.F ? 8.0 * std::log2(static_cast<double>(s.F)) : static_cast<double>(M));
  const int nt = detail::resolve_threads(s.opt.threads, s.C, work);
  detail::for_each_slice(s.C, nt, [&](index_t r, int) {
    auto& c = s.ch[static_cast<std::size_t>(r)];
    const T* x = chunk.data() + r * crs;
    T* o = out.data() + r * ors;
    for (index_t i = n0; i < std::min(M, s.N); ++i) c.head[static_cast<std::size_t>(i)] = x[(i - n0) * ccs];
    if (s.H > 0) s.keep_tail(c, x, ccs, n0, n);
    index_t w = 0;
    if (start_now) {  // the left extension is known now: feed it and the samples kept
      s.feed_left(c);
      w += s.feed(c, c.head.data(), 1, n0, o, ocs);
    }
    if (was_running || start_now) s.feed(c, x, ccs, n, o + w * ocs, ocs);
  });
  if (start_now) {
    s.running = true;
    s.E = s.left + s.N;
  } else if (was_running) {
    s.E += n;
  }
  s.emitted += count;
  s.broken = false;
  return count;
}

template <class T>
std::vector<T> Stream<T>::push(View<const T> chunk) {
  const index_t n = detail::rows_ok(chunk, impl_->C) ? detail::columns(chunk) : 0;
  const index_t count = output_size(n);
  std::vector<T> v(static_cast<std::size_t>(impl_->C * count));
  push(chunk, View<T>(v.data(), Shape{impl_->C, count}));
  return v;
}

template <class T>
index_t Stream<T>::finish(View<T> out) {
  auto& s = *impl_;
  const char* api = "autoconv::Stream::finish";
  s.check_whole(api);
  if (s.done) throw error(std::string(api) + ": called twice; call reset() to start a new signal");
  if (s.N == 0)
    throw error(std::string(api) + ": no samples were pushed; an empty signal has no convolution (the batch call refuses it too)");
  const index_t count = finish_size();
  detail::check_out(s, out, static_cast<const View<const T>*>(nullptr), count, api);
  const index_t N = s.N, M = s.M, L = s.batch_length(N);
  const index_t ors = detail::row_stride(out), ocs = detail::col_stride(out);
  if (N < M) {
    // Shorter than the kernel: the extensions may wrap around the whole signal and
    // 'valid' swaps the operands; the batch call on the samples kept says what is left.
    Options o = detail::one_shot(s.opt);
    o.threads = 1;
    o.method = Method::Auto;
    const Shape in{N};
    const View<const T> k(s.kernel.data(), Shape{M});
    const Plan<T> batch = s.style == 0   ? Plan<T>(s.op, in, k, s.mode, o)
                          : s.style == 1 ? Plan<T>(s.op, in, k, s.mode, s.border, o)
                                         : Plan<T>(s.op, in, k, s.border, o);
    std::vector<T> tmp(static_cast<std::size_t>(L));
    for (index_t r = 0; r < s.C; ++r) {
      batch.execute(View<const T>(s.ch[static_cast<std::size_t>(r)].head.data(), in), View<T>(tmp.data(), Shape{L}));
      for (index_t j = 0; j < count; ++j) out.data()[r * ors + j * ocs] = tmp[static_cast<std::size_t>(s.emitted + j)];
    }
  } else {
    // The right extension from the last M samples, then the last partial block.
    const index_t right = L + s.start - N;
    std::vector<T> last(s.F ? static_cast<std::size_t>(s.C * s.K * s.B) : 0);
    s.broken = true;  // the channels are fed from here: until finish is through
    detail::for_each_slice(s.C, detail::resolve_threads(s.opt.threads, s.C, 0), [&](index_t r, int) {
      auto& c = s.ch[static_cast<std::size_t>(r)];
      T* o = out.data() + r * ors;
      for (index_t q = 0; q < right; ++q) {
        const index_t idx = detail::extend_index(N + q, N, s.ext);
        c.pad[static_cast<std::size_t>(q)] = idx < 0 ? s.cval : c.tail[static_cast<std::size_t>(idx % M)];
      }
      index_t w = s.feed(c, c.pad.data(), 1, right, o, ocs);
      if (s.F && c.fill > M - 1) {
        const index_t rest = c.fill - (M - 1);  // < K B
        std::fill(c.buf.begin() + c.fill, c.buf.end(), T(0));
        T* blk = last.data() + r * s.K * s.B;
        s.blocks(c.buf.data(), (rest + s.B - 1) / s.B, blk, 1);
        for (index_t j = 0; j < rest; ++j) o[(w + j) * ocs] = blk[j];
        w += rest;
      }
    });
  }
  s.done = true;
  s.broken = false;
  s.emitted += count;
  return count;
}

template <class T>
std::vector<T> Stream<T>::finish() {
  const index_t count = finish_size();
  std::vector<T> v(static_cast<std::size_t>(impl_->C * count));
  finish(View<T>(v.data(), Shape{impl_->C, count}));
  return v;
}

template <class T>
void Stream<T>::reset() {
  impl_->reset();
}

template class Stream<float>;
template class Stream<double>;
template class Stream<std::complex<float>>;
template class Stream<std::complex<double>>;

}  // namespace autoconv
