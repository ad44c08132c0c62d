// autoconv/plan.hpp: Plan<T> (decide and precompute once, execute many) and the
// one-shot calls on raw strided views, which are a temporary Plan.
#pragma once

#include <complex>
#include <memory>

#include <autoconv/types.hpp>
#include <autoconv/view.hpp>

namespace autoconv {

namespace detail {
template <class T>
struct PlanImpl;
template <class T>
struct identity {
  using type = T;
};
/// Options of a one-shot call: a temporary plan is not worth FFTW_MEASURE, so
/// Planning::Auto becomes Planning::Estimate.
inline Options one_shot(Options o) {
  if (o.planning == Planning::Auto) o.planning = Planning::Estimate;
  return o;
}
}  // namespace detail

/// Is T one of the four value types (float, double, std::complex<float>, std::complex<double>)?
template <class T>
inline constexpr bool is_value_type_v =
    std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::complex<float>> ||
    std::is_same_v<T, std::complex<double>>;

/// Everything decided and precomputed once for one problem: input shape, kernel
/// (copied), operation, mode or border, options. `execute` may then be called
/// any number of times, from any number of threads at once; after the first
/// call with a given memory layout the library allocates nothing, except where an
/// FFT or OverlapAdd plan, or a Separable plan's FFT pass, meets NaN or inf in its
/// input or in a Constant border's value (for float, also a value that rounds to inf):
/// the outputs those reach are found and recomputed directly, with bookkeeping made on
/// every such call (docs/cost-model.md). FFTW itself does
/// in some transforms: its buffered algorithms, which a Plan keeps for
/// multi-dimensional transforms and 1-D ones under 8192 points because they are
/// faster there, take scratch blocks inside every transform (measured: 4 to 151 per
/// execute, at most 320 KiB live, on 300² to 64 x 20000 double inputs; 150-2200 per
/// execute for FFT plans of 64³ and 400 x 2100, 1300-3400 for OverlapAdd plans of 512²
/// and 64³, whose every block is a transform). 1-D transforms
/// of 8192 points or more (long signals, Streams) are planned without them (except
/// under Planning::Estimate), and most then allocate nothing; but FFTW's flag for that
/// does not rule out the buffered variants of its codelet solvers, which FFTW_MEASURE
/// still picks for a few lengths (measured: 9-10 of the 198 lengths autoconv plans
/// from 8192 to 2^21 in double, 7 in float; docs/architecture.md, "FFTW discipline").
///
/// Three forms, as the one-shot calls:
/// - signal style `(op, shape, kernel, Mode)`: scipy.signal.convolve/correlate;
/// - signal style with a border `(op, shape, kernel, Mode, Border)`: scipy.signal.convolve2d's
///   `boundary`, any rank (the border's origin must be empty or zero);
/// - image style `(op, shape, kernel, Border)`: scipy.ndimage.convolve/correlate, output
///   shape = input shape.
///
/// Copying a Plan is cheap and shares the precomputed state.
///
/// The constructors throw autoconv::error for bad arguments (the message names the
/// argument and the shapes; see docs/errors.md), and std::bad_alloc if memory runs out
/// (FFTW's planner aborts the program instead when its own allocations fail).
/// With Planning::Auto a Plan plans its transforms with FFTW_MEASURE, capped at 1 s per
/// transform shape and cached process-wide: the first Plan of a large FFT problem may
/// take seconds, later ones of the same shapes reuse the plans. Plans may be made from
/// several threads at once (FFTW's planner is serialised by a lock).
template <class T>
class Plan {
  static_assert(is_value_type_v<T>, "autoconv::Plan<T>: T must be float, double or std::complex of either");

 public:
  /// Signal style: output size per `mode`, zero outside the input.
  Plan(Operation op, const Shape& input_shape, View<const T> kernel, Mode mode, const Options& options = {});
  /// Signal style with the input extended by `border` (convolve2d's boundary= for any rank).
  Plan(Operation op, const Shape& input_shape, View<const T> kernel, Mode mode, const Border& border,
       const Options& options = {});
  /// Image style: output shape = input shape, input extended by `border`, kernel centred per origin.
  Plan(Operation op, const Shape& input_shape, View<const T> kernel, const Border& border,
       const Options& options = {});

  /// Shape every input given to execute() must have.
  const Shape& input_shape() const;
  /// Shape of the output execute() writes.
  const Shape& output_shape() const;
  /// The method this plan runs (never Method::Auto).
  Method method() const;

  /// Compute the result for `input` into `output` (any strides). Throws
  /// autoconv::error, leaving `output` untouched, if a shape differs from the
  /// plan's or if `output` overlaps `input` or itself. Throws std::bad_alloc where
  /// autoconv's own allocations fail (where this call allocates: see above; from any
  /// thread of the call): `output` is then partly written, nothing leaks, and the plan
  /// stays usable. FFTW's own allocations (its scratch, see above) abort the program
  /// when they fail, as FFTW does.
  void execute(View<const T> input, View<T> output) const;

 private:
  std::shared_ptr<const detail::PlanImpl<T>> impl_;
};

extern template class Plan<float>;
extern template class Plan<double>;
extern template class Plan<std::complex<float>>;
extern template class Plan<std::complex<double>>;

/// Output shape of a signal-style call, without computing anything; throws
/// autoconv::error for an impossible request (rank mismatch, impossible 'valid', ...).
Shape output_shape(const Shape& input, const Shape& kernel, Mode mode);

/// scipy.signal.convolve(in, k, mode) into `out` (shape from output_shape()).
template <class T>
void convolve(View<const typename detail::identity<T>::type> in, View<const typename detail::identity<T>::type> k,
              Mode mode, View<T> out, const Options& options = {}) {
  Plan<T>(Operation::Convolve, in.shape(), k, mode, detail::one_shot(options)).execute(in, out);
}
/// Signal style with a border (convolve2d's boundary=, any rank) into `out`.
template <class T>
void convolve(View<const typename detail::identity<T>::type> in, View<const typename detail::identity<T>::type> k,
              Mode mode, const Border& border, View<T> out, const Options& options = {}) {
  Plan<T>(Operation::Convolve, in.shape(), k, mode, border, detail::one_shot(options)).execute(in, out);
}
/// scipy.ndimage.convolve(in, k, mode=border) into `out` (same shape as `in`).
template <class T>
void convolve(View<const typename detail::identity<T>::type> in, View<const typename detail::identity<T>::type> k,
              const Border& border, View<T> out, const Options& options = {}) {
  Plan<T>(Operation::Convolve, in.shape(), k, border, detail::one_shot(options)).execute(in, out);
}
/// scipy.signal.correlate(in, k, mode) into `out` (complex kernels are conjugated).
template <class T>
void correlate(View<const typename detail::identity<T>::type> in, View<const typename detail::identity<T>::type> k,
               Mode mode, View<T> out, const Options& options = {}) {
  Plan<T>(Operation::Correlate, in.shape(), k, mode, detail::one_shot(options)).execute(in, out);
}
/// Signal-style correlate with a border into `out`: convolve with the kernel flipped and conjugated.
template <class T>
void correlate(View<const typename detail::identity<T>::type> in, View<const typename detail::identity<T>::type> k,
               Mode mode, const Border& border, View<T> out, const Options& options = {}) {
  Plan<T>(Operation::Correlate, in.shape(), k, mode, border, detail::one_shot(options)).execute(in, out);
}
/// scipy.ndimage.correlate(in, k, mode=border) into `out` (same shape as `in`).
template <class T>
void correlate(View<const typename detail::identity<T>::type> in, View<const typename detail::identity<T>::type> k,
               const Border& border, View<T> out, const Options& options = {}) {
  Plan<T>(Operation::Correlate, in.shape(), k, border, detail::one_shot(options)).execute(in, out);
}

}  // namespace autoconv
