// autoconv/separable.hpp: convolution with a kernel given as its 1-D factors (one per
// axis): the kernel outer(k0, k1, ...) is never formed; the input is border-padded once
// and convolved by one 1-D pass per axis.
#pragma once

#include <vector>

#include <autoconv/plan.hpp>

namespace autoconv {

namespace detail {
/// Which call form a separable call is (internal).
struct SeparableSpec {
  Operation op = Operation::Convolve;
  bool image = false;       // image style (Border alone): output shape = input shape
  Mode mode = Mode::Same;   // signal style
  bool has_border = false;  // signal style with a border
  Border border{};
};
/// Validates a separable call and returns its output shape (internal).
template <class T>
Shape separable_output_shape(const View<const T>& x, const std::vector<View<const T>>& factors,
                             const SeparableSpec& spec, const Options& options);
/// Runs a separable call into `out` (internal; validates before writing).
template <class T>
void separable_call(const View<const T>& x, const std::vector<View<const T>>& factors, const SeparableSpec& spec,
                    View<T> out, const Options& options);
}  // namespace detail

/// scipy.signal.convolve(x, k, mode) for the kernel k = outer(factors[0], factors[1], ...)
/// (k[m0, m1, ...] = factors[0][m0] * factors[1][m1] * ...), into `out` (shape from
/// output_shape(x.shape(), k's shape, mode)), computed as one 1-D pass per axis.
///
/// `factors`: one 1-D view per axis of `x` (rank-1 views; a factor of length 1 scales).
/// With Options::axes, the factors of the other axes must have length 1.
/// Options::method: Auto or Separable let each pass choose its method; Direct, FFT or
/// OverlapAdd force it on every pass. The numbers are those of
/// `convolve(x, k, mode, out)` within the library's error bound. Throws autoconv::error
/// (naming the argument and the shapes; `out` untouched) for a wrong number of factors,
/// a factor that is not 1-D or is empty, and every error `convolve` reports.
template <class T>
void convolve_separable(View<const typename detail::identity<T>::type> x,
                        const std::vector<View<const typename detail::identity<T>::type>>& factors, Mode mode,
                        View<T> out, const Options& options = {}) {
  detail::SeparableSpec s;
  s.mode = mode;
  detail::separable_call<T>(x, factors, s, out, options);
}
/// Signal style with a border (convolve2d's boundary=, any rank) for a kernel given by its factors.
template <class T>
void convolve_separable(View<const typename detail::identity<T>::type> x,
                        const std::vector<View<const typename detail::identity<T>::type>>& factors, Mode mode,
                        const Border& border, View<T> out, const Options& options = {}) {
  detail::SeparableSpec s;
  s.mode = mode;
  s.has_border = true;
  s.border = border;
  detail::separable_call<T>(x, factors, s, out, options);
}
/// Image style (scipy.ndimage.convolve(x, k, mode=border...)) for a kernel given by its
/// factors; `out` has the shape of `x`. The per-axis origin applies as for convolve.
template <class T>
void convolve_separable(View<const typename detail::identity<T>::type> x,
                        const std::vector<View<const typename detail::identity<T>::type>>& factors,
                        const Border& border, View<T> out, const Options& options = {}) {
  detail::SeparableSpec s;
  s.image = true;
  s.border = border;
  detail::separable_call<T>(x, factors, s, out, options);
}
/// scipy.signal.correlate(x, k, mode) for k = outer(factors...) (complex factors conjugated).
template <class T>
void correlate_separable(View<const typename detail::identity<T>::type> x,
                         const std::vector<View<const typename detail::identity<T>::type>>& factors, Mode mode,
                         View<T> out, const Options& options = {}) {
  detail::SeparableSpec s;
  s.op = Operation::Correlate;
  s.mode = mode;
  detail::separable_call<T>(x, factors, s, out, options);
}
/// Image style correlate (scipy.ndimage.correlate) for k = outer(factors...); `out` has x's shape.
template <class T>
void correlate_separable(View<const typename detail::identity<T>::type> x,
                         const std::vector<View<const typename detail::identity<T>::type>>& factors,
                         const Border& border, View<T> out, const Options& options = {}) {
  detail::SeparableSpec s;
  s.op = Operation::Correlate;
  s.image = true;
  s.border = border;
  detail::separable_call<T>(x, factors, s, out, options);
}

}  // namespace autoconv
