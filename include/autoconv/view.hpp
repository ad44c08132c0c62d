// autoconv/view.hpp: View<T>, a non-owning strided N-D array (pointer, shape,
// strides in elements): the core's currency and the API for plain buffers.
#pragma once

#include <limits>

#include <autoconv/types.hpp>

namespace autoconv {

/// A non-owning view of an N-D array: `data`, a Shape and one stride per axis,
/// in elements (not bytes). Any strides are accepted, negative and zero included
/// (a zero stride on an output is rejected as overlapping, and so, conservatively, is
/// an output whose axes interleave; see docs/errors.md). Element (i0, i1, ...)
/// lives at `data + i0*stride[0] + i1*stride[1] + ...`.
///
/// `View<const double>` reads, `View<double>` writes. A `View<T>` converts to
/// `View<const T>` implicitly.
template <class T>
class View {
 public:
  /// The element type, with its const qualification.
  using element_type = T;

  /// An empty view of rank 0 with no data.
  View() = default;

  /// A C-order (row-major, last axis contiguous) view of `shape` at `data`. A shape
  /// with more elements than index_t counts is refused when the view is used.
  View(T* data, const Shape& shape) : data_(data), shape_(shape), strides_(shape) {
    index_t s = 1;
    for (int a = shape.rank() - 1; a >= 0; --a) {
      strides_[a] = s;
      s = times(s, shape[a]);
    }
  }

  /// A view with explicit strides in elements; `strides.rank()` must equal `shape.rank()`.
  View(T* data, const Shape& shape, const Shape& strides) : data_(data), shape_(shape), strides_(strides) {
    if (strides.rank() != shape.rank())
      throw error("autoconv::View: strides " + strides.str() + " do not match the rank of shape " + shape.str());
  }

  /// A Fortran-order (column-major, first axis contiguous) view of `shape` at `data`.
  static View column_major(T* data, const Shape& shape) {
    Shape st = shape;
    index_t s = 1;
    for (int a = 0; a < st.rank(); ++a) {
      const index_t e = st[a];
      st[a] = s;
      s = times(s, e);
    }
    return View(data, shape, st);
  }

  /// Read-only view of the same array.
  template <class U = T, class = std::enable_if_t<!std::is_const_v<U>>>
  operator View<const U>() const {
    return View<const U>(data_, shape_, strides_);
  }

  /// Pointer to element (0, 0, ...).
  T* data() const { return data_; }
  /// Extents.
  const Shape& shape() const { return shape_; }
  /// Strides in elements.
  const Shape& strides() const { return strides_; }
  /// Number of axes.
  int rank() const { return shape_.rank(); }
  /// Extent of one axis.
  index_t extent(int axis) const { return shape_[axis]; }
  /// Stride of one axis in elements.
  index_t stride(int axis) const { return strides_[axis]; }

 private:
  // s * e, saturated instead of overflowing (the shape's size check then refuses it).
  static index_t times(index_t s, index_t e) {
    index_t r = 0;
    return __builtin_mul_overflow(s, e, &r) ? std::numeric_limits<index_t>::max() : r;
  }

  T* data_ = nullptr;
  Shape shape_;
  Shape strides_;
};

}  // namespace autoconv
