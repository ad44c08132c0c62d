// lib/core/value.hpp: traits of the four value types (float, double and their
// std::complex), shared by the engines and the tests.
#pragma once

#include <cmath>
#include <complex>
#include <type_traits>

namespace autoconv::detail {

template <class T>
struct real_of {
  using type = T;
};
template <class R>
struct real_of<std::complex<R>> {
  using type = R;
};
/// The real type underlying T (T itself for float and double).
template <class T>
using real_t = typename real_of<T>::type;
/// Is T one of the complex value types?
template <class T>
inline constexpr bool is_complex_v = !std::is_same_v<T, real_t<T>>;

// Is v finite (both parts, for complex values)?
template <class T>
inline bool finite_value(const T& v) {
  if constexpr (is_complex_v<T>)
    return std::isfinite(v.real()) && std::isfinite(v.imag());
  else
    return std::isfinite(v);
}

}  // namespace autoconv::detail
