// autoconv/autoconv.hpp: the umbrella header. Include this one.
//
//   #include <autoconv/autoconv.hpp>
//   Eigen::Tensor<double, 3> v(64, 64, 64), k(5, 5, 5);
//   auto a = autoconv::convolve(v, k, autoconv::Mode::Same);   // scipy.signal.convolve(v, k, 'same')
#pragma once

#include <autoconv/version.hpp>
#include <autoconv/types.hpp>
#include <autoconv/view.hpp>
#include <autoconv/plan.hpp>
#include <autoconv/explain.hpp>
#include <autoconv/stream.hpp>
#include <autoconv/separable.hpp>
#include <autoconv/fft.hpp>
#include <autoconv/eigen.hpp>
