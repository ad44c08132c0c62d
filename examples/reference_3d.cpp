// examples/reference_3d.cpp: the tutorial's 3-D example,
// scipy.ndimage.convolve(volume, ones((3,3,3))/27, mode='constant', cval=0.0).
#include <autoconv/autoconv.hpp>

#include "print.hpp"

int main() {
  // The tutorial's random volume as it printed it (8 decimals), numpy index order.
  const double values[4][4][4] = {
      {{0.46186776, 0.09130699, 0.36913034, 0.51669149},
       {0.90316515, 0.38362845, 0.90886156, 0.60454144},
       {0.80756784, 0.28656032, 0.73140925, 0.75789388},
       {0.36958966, 0.66157156, 0.19902489, 0.89519004}},
      {{0.04953332, 0.98571523, 0.80654445, 0.47526839},
       {0.67375222, 0.31837149, 0.20836025, 0.10996474},
       {0.48799518, 0.34754979, 0.85689208, 0.21079349},
       {0.91936308, 0.79818294, 0.18737238, 0.01728286}},
      {{0.50793178, 0.93691426, 0.00515023, 0.29870646},
       {0.22871996, 0.3098202, 0.0396516, 0.98755326},
       {0.3347781, 0.56108282, 0.89520242, 0.77143481},
       {0.64504437, 0.0133608, 0.61686021, 0.01443242}},
      {{0.96126985, 0.11224998, 0.79332687, 0.0438432},
       {0.39348891, 0.36066344, 0.06157876, 0.29697117},
       {0.40409768, 0.88212056, 0.22872878, 0.7545221},
       {0.09578231, 0.06486727, 0.94749091, 0.79605238}}};
  Eigen::Tensor<double, 3> volume(4, 4, 4);  // ColMajor: element (i, j, k) is still volume[i][j][k]
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j)
      for (int k = 0; k < 4; ++k) volume(i, j, k) = values[i][j][k];
  Eigen::Tensor<double, 3> kernel(3, 3, 3);
  kernel.setConstant(1.0 / 27.0);

  const auto out = autoconv::convolve(volume, kernel, autoconv::Border{autoconv::Boundary::Constant, 0.0});

  example::print("out", out);
  return 0;
}
