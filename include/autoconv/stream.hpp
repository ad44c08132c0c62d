// autoconv/stream.hpp: Stream<T>, convolution of a time series that arrives in chunks
// (a sensor, a simulation writing one step at a time, a file too big for memory).
#pragma once

#include <memory>
#include <vector>

#include <autoconv/plan.hpp>
#include <autoconv/types.hpp>
#include <autoconv/view.hpp>

namespace autoconv {

namespace detail {
template <class T>
struct StreamImpl;
}  // namespace detail

/// Convolution (or correlation) of a signal pushed in chunks with a 1-D kernel: the
/// concatenation of what push() and finish() return equals the batch call on the whole
/// signal (within the error bound of docs/semantics.md), for any chunk sizes.
///
/// Data is one signal (chunks of shape `{n}`) or `channels` signals in lockstep
/// (chunks of shape `{channels, n}`: channels × time, the same kernel for every
/// channel). Outputs have the same layout: `{channels, count}` (or `{count}`).
///
/// Forms, as the batch calls (see docs/semantics.md, "Streaming"):
/// - `(kernel, Mode)` / `(op, kernel, Mode)`: scipy.signal.convolve/correlate, any Mode;
/// - `(op, kernel, Mode, Border)`: signal style with a border (convolve2d's boundary=);
/// - `(op, kernel, Border)`: image style (scipy.ndimage), output length = input length.
///
/// Borders: Constant (cval) streams from the first sample; Reflect, Mirror and Nearest
/// hold the output back until the samples their left extension reads have arrived;
/// Wrap needs the end of the signal at its start and is refused.
///
/// Short kernels are summed directly as samples arrive (every output whose window has
/// arrived is returned at once); long kernels run FFT overlap-save blocks, whose length
/// the cost model picks (block_length()): outputs then come a block at a time
/// (latency()). Channels run in parallel under Options::threads; with more threads than
/// channels, each channel's blocks run several at once, one per thread (threads /
/// channels of them, at most 8, when a block is worth a thread and the memory limit
/// allows), and latency() grows to that many blocks. The numbers do not depend on it.
/// Making an overlap-save stream plans its block transform with Options::planning
/// (Auto: FFTW_MEASURE, capped at 1 s; 0.9-1.2 s measured for 10001 taps, the first
/// time a block length is planned in a process; later streams reuse the cached plan).
/// Planning::Estimate makes it instant, at some risk of slower blocks.
/// A Stream is not thread-safe (push changes it); it is movable, not copyable.
/// Where memory runs out inside push() or finish() (std::bad_alloc: in the first
/// blocks, where buffers are made, and in finish(), which allocates), the call stops
/// part way. Once the channels were being fed, `out` is partly written and the stream's
/// state is lost: push() and finish() then throw autoconv::error, output_size() and
/// finish_size() return 0, and samples_in() may count the lost chunk, until reset().
/// A std::bad_alloc before the channels are fed (finish()'s own buffers, a finish() of
/// a signal shorter than the kernel) leaves the stream as it was.
template <class T>
class Stream {
  static_assert(is_value_type_v<T>, "autoconv::Stream<T>: T must be float, double or std::complex of either");

 public:
  /// scipy.signal.convolve(whole_signal, kernel, mode), streamed. `kernel` must be 1-D.
  Stream(View<const T> kernel, Mode mode, const Options& options = {}, index_t channels = 1);
  /// Convolve or correlate, signal style (scipy.signal.convolve / correlate).
  Stream(Operation op, View<const T> kernel, Mode mode, const Options& options = {}, index_t channels = 1);
  /// Signal style with the signal extended by `border` (origin must be empty or zero).
  Stream(Operation op, View<const T> kernel, Mode mode, const Border& border, const Options& options = {},
         index_t channels = 1);
  /// Image style (scipy.ndimage.convolve / correlate with mode=border, cval, origin).
  Stream(Operation op, View<const T> kernel, const Border& border, const Options& options = {},
         index_t channels = 1);
  /// Frees the stream's buffers.
  ~Stream();
  /// Moves the stream's state; the moved-from stream may only be destroyed or assigned.
  Stream(Stream&&) noexcept;
  /// Moves the stream's state; the moved-from stream may only be destroyed or assigned.
  Stream& operator=(Stream&&) noexcept;

  /// Number of channels (rows of every chunk).
  index_t channels() const;
  /// Number of kernel taps.
  index_t kernel_size() const;
  /// Method::Direct (sliding sums) or Method::OverlapAdd (FFT overlap-save blocks).
  Method method() const;
  /// Transform length of the overlap-save blocks (0 for Method::Direct); each block
  /// returns block_length() - kernel_size() + 1 outputs.
  index_t block_length() const;
  /// Samples per channel that may wait in the stream beyond what the kernel needs:
  /// 0 for Method::Direct; for overlap-save, the outputs of the blocks run at once
  /// (block_length() - kernel_size() + 1 per block; see the class comment).
  index_t latency() const;
  /// Samples per channel pushed since construction or reset().
  index_t samples_in() const;
  /// Samples per channel returned since construction or reset().
  index_t samples_out() const;
  /// True after finish(), until reset().
  bool finished() const;

  /// Exactly how many samples per channel the next push of `n` samples per channel
  /// returns (0 after finish(), 0 for n <= 0, 0 after an interrupted call, see the
  /// class comment). The output given to push needs at least
  /// this many columns. Throws autoconv::error when the count would overflow index_t.
  index_t output_size(index_t n) const;
  /// An upper bound of output_size(n) whatever the stream's state:
  /// n + kernel_size() - 1 + latency(). A buffer this wide serves every push of n samples.
  /// Throws autoconv::error when that sum overflows index_t.
  index_t max_output_size(index_t n) const;
  /// Exactly how many samples per channel finish() returns now (0 after an
  /// interrupted call, see the class comment).
  index_t finish_size() const;

  /// Takes the next `n` samples of every channel (`chunk`: shape `{n}`, or `{channels, n}`;
  /// `{1, n}` also for one channel; any strides) and writes the outputs that are now
  /// final into columns [0, count) of `out` (shape `{cap}` or `{channels, cap}` with
  /// cap >= output_size(n), any strides); returns count. Throws autoconv::error, with
  /// `out` and the stream untouched, on a wrong or negative shape, a too small or overlapping
  /// `out`, or after finish(). Allocates nothing once warm: after the first block, and
  /// with several threads once each has run one (the block plan's buffers are pooled
  /// per concurrent use, as Plan::execute's; as there, the exceptions are blocks that
  /// meet NaN or inf, and FFTW's own scratch: in blocks under 8192 points, any under
  /// Planning::Estimate, and in the few measured plans that pick a buffered codelet
  /// solver; see Plan).
  index_t push(View<const T> chunk, View<T> out);
  /// push() into a new vector: channel c's count outputs at [c * count, (c + 1) * count).
  std::vector<T> push(View<const T> chunk);
  /// Ends the signal: writes the remaining outputs (finish_size() per channel, shapes
  /// as for push) and returns their count. Throws autoconv::error if no sample was pushed
  /// (an empty signal has no convolution, as in the batch call) or after finish().
  index_t finish(View<T> out);
  /// finish() into a new vector, channel-major as push().
  std::vector<T> finish();
  /// Forgets the signal: the stream is as constructed, ready for a new one.
  void reset();

 private:
  std::unique_ptr<detail::StreamImpl<T>> impl_;
};

extern template class Stream<float>;
extern template class Stream<double>;
extern template class Stream<std::complex<float>>;
extern template class Stream<std::complex<double>>;

}  // namespace autoconv
