// autoconv/eigen.hpp: adapters from Eigen tensors, tensor maps, matrices and
// arrays to the core's views. No copies of data-backed operands: a pointer, the
// shape and the strides are passed on. The only header that includes Eigen.
#pragma once

#include <Eigen/Core>
#include <unsupported/Eigen/CXX11/Tensor>

#include <autoconv/plan.hpp>
#include <autoconv/separable.hpp>

namespace autoconv {

namespace detail {

template <class X, class = void>
struct has_data : std::false_type {};
template <class X>
struct has_data<X, std::void_t<decltype(std::declval<X&>().data())>> : std::true_type {};

template <class X>
inline constexpr bool is_eigen_tensor_v = std::is_base_of_v<Eigen::TensorBase<X, Eigen::ReadOnlyAccessors>, X>;
template <class X>
struct is_tensor_ref : std::false_type {};
template <class P>
struct is_tensor_ref<Eigen::TensorRef<P>> : std::true_type {};
template <class X>
inline constexpr bool is_eigen_dense_v = std::is_base_of_v<Eigen::DenseBase<X>, X>;

template <class X>
using scalar_of_t = std::remove_const_t<typename Eigen::internal::traits<X>::Scalar>;

template <class X, class = void>
struct operand_traits {
  static constexpr bool value = false;
};

// Tensors, tensor maps, fixed-size tensors and tensor expressions (evaluated once).
template <class X>
struct operand_traits<X, std::enable_if_t<is_eigen_tensor_v<X>>> {
  static constexpr bool value = true;
  static constexpr int rank = Eigen::internal::traits<X>::NumDimensions;
  static constexpr int layout = static_cast<int>(Eigen::internal::traits<X>::Layout);
  using scalar = scalar_of_t<X>;
  using index = typename Eigen::internal::traits<X>::Index;
  using result = Eigen::Tensor<scalar, rank, layout, index>;
  static constexpr bool direct = has_data<const X>::value;

  template <class P>
  static View<P> view(P* data, const Eigen::DSizes<index, rank>& d) {
    Shape shape, strides;
    shape = Shape(d);
    strides = shape;
    index_t s = 1;
    for (int i = 0; i < rank; ++i) {
      const int a = layout == Eigen::RowMajor ? rank - 1 - i : i;
      strides[a] = s;
      s *= shape[a];
    }
    return View<P>(data, shape, strides);
  }
  static result allocate(const Shape& s) {
    Eigen::DSizes<index, rank> d;
    for (int a = 0; a < rank; ++a) d[a] = static_cast<index>(s[a]);
    return result(d);
  }
};

// Matrix, Array, Map, Block, Ref and their expressions: 2-D, element (i, j) at (row, col).
template <class X>
struct operand_traits<X, std::enable_if_t<is_eigen_dense_v<X>>> {
  static constexpr bool value = true;
  static constexpr int rank = 2;
  using scalar = scalar_of_t<X>;
  static constexpr int order = X::IsRowMajor ? Eigen::RowMajor : Eigen::ColMajor;
  using result = std::conditional_t<std::is_base_of_v<Eigen::ArrayBase<X>, X>,
                                    Eigen::Array<scalar, Eigen::Dynamic, Eigen::Dynamic, order>,
                                    Eigen::Matrix<scalar, Eigen::Dynamic, Eigen::Dynamic, order>>;
  static constexpr bool direct = (Eigen::internal::traits<X>::Flags & Eigen::DirectAccessBit) != 0;

  template <class D, class P>
  static View<P> view(P* data, const D& x) {
    const index_t inner = x.innerStride(), outer = x.outerStride();
    return View<P>(data, Shape{x.rows(), x.cols()}, X::IsRowMajor ? Shape{outer, inner} : Shape{inner, outer});
  }
  static result allocate(const Shape& s) { return result(s[0], s[1]); }
};

template <class X>
inline constexpr bool is_operand_v = operand_traits<std::decay_t<X>>::value;

// A read-only view of an Eigen operand; expressions without storage are evaluated
// into `holder` first.
template <class X, class Tr = operand_traits<X>, bool Direct = Tr::direct>
struct Operand;
template <class X, class Tr>
struct Operand<X, Tr, true> {
  // A TensorRef has data() but holds an expression (null data()) as often as storage:
  // such a one is evaluated into `holder`.
  std::conditional_t<is_tensor_ref<X>::value, typename Tr::result, char> holder{};
  View<const typename Tr::scalar> view;
  explicit Operand(const X& x) {
    if constexpr (is_tensor_ref<X>::value) {
      if (x.data() == nullptr && x.size() > 0) {
        holder = x;
        view = Tr::template view<const typename Tr::scalar>(holder.data(), holder.dimensions());
        return;
      }
    }
    if constexpr (is_eigen_tensor_v<X>)
      view = Tr::template view<const typename Tr::scalar>(x.data(), x.dimensions());
    else
      view = Tr::template view<X, const typename Tr::scalar>(x.data(), x);
  }
};
template <class X, class Tr>
struct Operand<X, Tr, false> {
  typename Tr::result holder;
  View<const typename Tr::scalar> view;
  explicit Operand(const X& x) : holder(x), view(Operand<typename Tr::result>(holder).view) {}
};

// Kernel operand of scalar type S: a real kernel on complex data is converted (kernels are small).
template <class S, class K>
struct KernelOperand {
  using Tr = operand_traits<K>;
  using KS = typename Tr::scalar;
  static_assert(std::is_same_v<KS, S> || std::is_same_v<std::complex<KS>, S>,
                "autoconv: the kernel's scalar type must be the input's, or its real type for complex input");
  Operand<K> op;
  std::vector<S> converted;
  View<const S> view;
  explicit KernelOperand(const K& k) : op(k) {
    if constexpr (std::is_same_v<KS, S>) {
      view = op.view;
    } else {
      // Copy into C order as complex values.
      const View<const KS>& v = op.view;
      std::size_t n = 1;
      for (index_t e : v.shape()) n *= static_cast<std::size_t>(e);
      converted.resize(n);
      std::array<index_t, max_rank> m{};
      for (std::size_t t = 0; t < n; ++t) {
        index_t off = 0;
        for (int a = 0; a < v.rank(); ++a) off += m[static_cast<std::size_t>(a)] * v.stride(a);
        converted[t] = S(v.data()[off]);
        for (int a = v.rank() - 1; a >= 0; --a) {
          if (++m[static_cast<std::size_t>(a)] < v.extent(a)) break;
          m[static_cast<std::size_t>(a)] = 0;
        }
      }
      view = View<const S>(converted.data(), v.shape());
    }
  }
};

template <class X, class K>
inline constexpr bool is_call_v = is_operand_v<X> && is_operand_v<K>;

template <class X, class K>
void check_ranks() {
  static_assert(operand_traits<X>::rank == operand_traits<K>::rank,
                "autoconv: the kernel must have the same rank as the input");
}

// Writable view of an output operand (Tensor, TensorMap, Matrix, Map, Block...).
template <class Out>
auto output_view(Out& out) {
  using Tr = operand_traits<std::remove_const_t<Out>>;
  static_assert(Tr::direct, "autoconv: the output must have storage (a Tensor, TensorMap, Matrix or Map)");
  using S = typename Tr::scalar;
  if constexpr (is_eigen_tensor_v<std::remove_const_t<Out>>)
    return Tr::template view<S>(out.data(), out.dimensions());
  else
    return Tr::template view<std::remove_const_t<Out>, S>(out.data(), out);
}

// The one allocating driver: plan (validates), allocate, execute.
template <class X, class K, class... Spec>
typename operand_traits<X>::result call(Operation op, const X& x, const K& k, const Options& opt,
                                        const Spec&... spec) {
  check_ranks<X, K>();
  using S = typename operand_traits<X>::scalar;
  Operand<X> xo(x);
  KernelOperand<S, K> ko(k);
  Plan<S> plan(op, xo.view.shape(), ko.view, spec..., one_shot(opt));
  auto out = operand_traits<X>::allocate(plan.output_shape());
  plan.execute(xo.view, output_view(out));
  return out;
}

// The one driver writing into a caller's output.
template <class X, class K, class Out, class... Spec>
void call_into(Operation op, const X& x, const K& k, Out& out, const Options& opt, const Spec&... spec) {
  check_ranks<X, K>();
  using S = typename operand_traits<X>::scalar;
  static_assert(std::is_same_v<typename operand_traits<std::remove_const_t<Out>>::scalar, S>,
                "autoconv: the output's scalar type must be the input's");
  Operand<X> xo(x);
  KernelOperand<S, K> ko(k);
  Plan<S>(op, xo.view.shape(), ko.view, spec..., one_shot(opt)).execute(xo.view, output_view(out));
}

template <class Out>
inline constexpr bool is_output_v = is_operand_v<std::remove_reference_t<Out>>;

// convolve_separable's driver: each factor a 1-D Tensor or a 2-D operand of one row or
// one column (an Eigen vector, a (1, n) Tensor), read in place; a new result of x's type.
template <class X, class K>
typename operand_traits<X>::result call_separable(const X& x, const std::vector<K>& factors, const SeparableSpec& s,
                                                  const Options& opt) {
  using S = typename operand_traits<X>::scalar;
  Operand<X> xo(x);
  std::vector<std::unique_ptr<KernelOperand<S, K>>> keep;
  std::vector<View<const S>> views;
  for (const K& k : factors) {
    keep.push_back(std::make_unique<KernelOperand<S, K>>(k));
    View<const S> v = keep.back()->view;
    if (v.rank() == 2 && (v.extent(0) == 1 || v.extent(1) == 1)) {
      const int a = v.extent(0) == 1 ? 1 : 0;
      v = View<const S>(v.data(), Shape{v.extent(a)}, Shape{v.stride(a)});
    }
    views.push_back(v);
  }
  auto out = operand_traits<X>::allocate(separable_output_shape<S>(xo.view, views, s, one_shot(opt)));
  separable_call<S>(xo.view, views, s, output_view(out), one_shot(opt));
  return out;
}

}  // namespace detail

/// A read-only View of an Eigen Tensor, TensorMap, Matrix, Array, Map or Block (no copy).
/// A TensorRef of a tensor's storage too (the view lives as long as that storage: for
/// a TensorRef of `.eval()`, as long as the TensorRef); one of an expression has no
/// storage to view: autoconv::error (evaluate it into a Tensor, or pass it to the
/// calls, which do).
template <class X, class = std::enable_if_t<detail::is_operand_v<X> && detail::operand_traits<X>::direct>>
View<const detail::scalar_of_t<X>> as_view(const X& x) {
  if constexpr (detail::is_tensor_ref<X>::value) {
    if (x.data() == nullptr && x.size() > 0)
      throw error("autoconv::as_view: the TensorRef holds an expression of shape " +
                  Shape(x.dimensions()).str() +
                  ", which has no storage to view; evaluate it into a Tensor first");
  }
  return detail::Operand<X>(x).view;
}

/// A writable View of an Eigen Tensor, TensorMap, Matrix, Array, Map or Block (no copy).
template <class X, class = std::enable_if_t<detail::is_operand_v<X> && detail::operand_traits<X>::direct>>
View<detail::scalar_of_t<X>> as_mutable_view(X& x) {
  return detail::output_view(x);
}

/// scipy.signal.convolve(x, k, mode): a new Tensor (or Matrix/Array) of x's type, rank and layout.
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve(const X& x, const K& k, Mode mode, const Options& options = {}) {
  return detail::call(Operation::Convolve, x, k, options, mode);
}
/// Signal style with a border: scipy.signal.convolve2d(x, k, mode, boundary=...), any rank.
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve(const X& x, const K& k, Mode mode, const Border& border, const Options& options = {}) {
  return detail::call(Operation::Convolve, x, k, options, mode, border);
}
/// Image style: scipy.ndimage.convolve(x, k, mode=border.boundary, cval, origin); shape of x.
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve(const X& x, const K& k, const Border& border, const Options& options = {}) {
  return detail::call(Operation::Convolve, x, k, options, border);
}
/// scipy.signal.correlate(x, k, mode) (complex kernels conjugated).
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto correlate(const X& x, const K& k, Mode mode, const Options& options = {}) {
  return detail::call(Operation::Correlate, x, k, options, mode);
}
/// Signal-style correlate with a border: convolve with k flipped on every axis and conjugated.
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto correlate(const X& x, const K& k, Mode mode, const Border& border, const Options& options = {}) {
  return detail::call(Operation::Correlate, x, k, options, mode, border);
}
/// Image style: scipy.ndimage.correlate(x, k, mode=border.boundary, cval, origin); shape of x.
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto correlate(const X& x, const K& k, const Border& border, const Options& options = {}) {
  return detail::call(Operation::Correlate, x, k, options, border);
}

/// convolve(x, k, mode) into a caller's Tensor/TensorMap/Matrix of the result's shape. No
/// result is allocated, but the call makes a temporary Plan (kernel copy, work buffers):
/// for no allocation by autoconv, make a Plan once and use execute(plan, x, out).
template <class X, class K, class Out, class = std::enable_if_t<detail::is_call_v<X, K> && detail::is_output_v<Out>>>
void convolve(const X& x, const K& k, Mode mode, Out&& out, const Options& options = {}) {
  detail::call_into(Operation::Convolve, x, k, out, options, mode);
}
/// convolve(x, k, mode, border) into a caller's output.
template <class X, class K, class Out, class = std::enable_if_t<detail::is_call_v<X, K> && detail::is_output_v<Out>>>
void convolve(const X& x, const K& k, Mode mode, const Border& border, Out&& out, const Options& options = {}) {
  detail::call_into(Operation::Convolve, x, k, out, options, mode, border);
}
/// convolve(x, k, border) (image style) into a caller's output of x's shape.
template <class X, class K, class Out, class = std::enable_if_t<detail::is_call_v<X, K> && detail::is_output_v<Out>>>
void convolve(const X& x, const K& k, const Border& border, Out&& out, const Options& options = {}) {
  detail::call_into(Operation::Convolve, x, k, out, options, border);
}
/// correlate(x, k, mode) into a caller's output.
template <class X, class K, class Out, class = std::enable_if_t<detail::is_call_v<X, K> && detail::is_output_v<Out>>>
void correlate(const X& x, const K& k, Mode mode, Out&& out, const Options& options = {}) {
  detail::call_into(Operation::Correlate, x, k, out, options, mode);
}
/// correlate(x, k, mode, border) into a caller's output.
template <class X, class K, class Out, class = std::enable_if_t<detail::is_call_v<X, K> && detail::is_output_v<Out>>>
void correlate(const X& x, const K& k, Mode mode, const Border& border, Out&& out, const Options& options = {}) {
  detail::call_into(Operation::Correlate, x, k, out, options, mode, border);
}
/// correlate(x, k, border) (image style) into a caller's output of x's shape.
template <class X, class K, class Out, class = std::enable_if_t<detail::is_call_v<X, K> && detail::is_output_v<Out>>>
void correlate(const X& x, const K& k, const Border& border, Out&& out, const Options& options = {}) {
  detail::call_into(Operation::Correlate, x, k, out, options, border);
}

/// convolve_separable(x, factors, mode) on Eigen operands: `factors` are 1-D Tensors or
/// 2-D operands of one row or one column (Eigen vectors; a Tensor of shape (1, n) or
/// (n, 1)), one per axis of x (see autoconv/separable.hpp); a new result of x's type.
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve_separable(const X& x, const std::vector<K>& factors, Mode mode, const Options& options = {}) {
  detail::SeparableSpec s;
  s.mode = mode;
  return detail::call_separable(x, factors, s, options);
}
/// convolve_separable(x, factors, mode, border) on Eigen operands (signal style with a border).
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve_separable(const X& x, const std::vector<K>& factors, Mode mode, const Border& border,
                        const Options& options = {}) {
  detail::SeparableSpec s;
  s.mode = mode;
  s.has_border = true;
  s.border = border;
  return detail::call_separable(x, factors, s, options);
}
/// convolve_separable(x, factors, border) on Eigen operands (image style, x's shape).
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve_separable(const X& x, const std::vector<K>& factors, const Border& border, const Options& options = {}) {
  detail::SeparableSpec s;
  s.image = true;
  s.border = border;
  return detail::call_separable(x, factors, s, options);
}

/// convolve_separable(x, {k0, k1, ...}, mode): the factors as a braced list.
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve_separable(const X& x, std::initializer_list<K> factors, Mode mode, const Options& options = {}) {
  return convolve_separable(x, std::vector<K>(factors), mode, options);
}
/// convolve_separable(x, {k0, k1, ...}, mode, border): the factors as a braced list.
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve_separable(const X& x, std::initializer_list<K> factors, Mode mode, const Border& border,
                        const Options& options = {}) {
  return convolve_separable(x, std::vector<K>(factors), mode, border, options);
}
/// convolve_separable(x, {k0, k1, ...}, border): the factors as a braced list (image style).
template <class X, class K, class = std::enable_if_t<detail::is_call_v<X, K>>>
auto convolve_separable(const X& x, std::initializer_list<K> factors, const Border& border,
                        const Options& options = {}) {
  return convolve_separable(x, std::vector<K>(factors), border, options);
}

/// Runs a Plan on an Eigen input into a new Tensor/Matrix of the input's type and layout.
template <class T, class X, class = std::enable_if_t<detail::is_operand_v<X>>>
auto execute(const Plan<T>& plan, const X& x) {
  detail::Operand<X> xo(x);
  auto out = detail::operand_traits<X>::allocate(plan.output_shape());
  plan.execute(xo.view, detail::output_view(out));
  return out;
}

/// Runs a Plan on an Eigen input into a caller's output; autoconv allocates nothing in
/// steady state (NaN or inf input to FFT methods, and FFTW's own scratch, aside: see Plan).
template <class T, class X, class Out, class = std::enable_if_t<detail::is_operand_v<X> && detail::is_output_v<Out>>>
void execute(const Plan<T>& plan, const X& x, Out&& out) {
  detail::Operand<X> xo(x);
  plan.execute(xo.view, detail::output_view(out));
}

}  // namespace autoconv
