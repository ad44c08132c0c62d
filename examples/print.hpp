// examples/print.hpp: prints Eigen tensors the way numpy prints arrays (nested
// brackets, index order (i, j, k) whatever the storage order).
#pragma once

#include <cstdio>
#include <string>

#include <unsupported/Eigen/CXX11/Tensor>

namespace example {

inline void print_number(double v) { std::printf("%.8g", v); }

/// Prints a rank-1, 2 or 3 tensor as numpy does, prefixed by `name = `.
template <class Tensor>
void print(const char* name, const Tensor& t) {
  constexpr int R = Tensor::NumDimensions;
  const auto d = t.dimensions();
  std::printf("%s = ", name);
  const std::string pad(std::string(name).size() + 3, ' ');
  if constexpr (R == 1) {
    std::printf("[");
    for (Eigen::Index i = 0; i < d[0]; ++i) {
      if (i) std::printf(" ");
      print_number(t(i));
    }
    std::printf("]\n");
  } else if constexpr (R == 2) {
    std::printf("[");
    for (Eigen::Index i = 0; i < d[0]; ++i) {
      std::printf(i ? "%s [" : "[", pad.c_str());
      for (Eigen::Index j = 0; j < d[1]; ++j) {
        if (j) std::printf(" ");
        print_number(t(i, j));
      }
      std::printf(i + 1 < d[0] ? "]\n" : "]]\n");
    }
  } else {
    static_assert(R == 3, "print handles ranks 1 to 3");
    std::printf("[");
    for (Eigen::Index i = 0; i < d[0]; ++i) {
      for (Eigen::Index j = 0; j < d[1]; ++j) {
        if (j)
          std::printf("%s  [", pad.c_str());
        else
          std::printf(i ? "%s [[" : "[[", pad.c_str());
        for (Eigen::Index k = 0; k < d[2]; ++k) {
          if (k) std::printf(" ");
          print_number(t(i, j, k));
        }
        std::printf(j + 1 < d[1] ? "]\n" : (i + 1 < d[0] ? "]]\n\n" : "]]]\n"));
      }
    }
  }
}

}  // namespace example
