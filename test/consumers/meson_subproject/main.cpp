// A downstream meson project with autoconv as a subproject (subprojects/autoconv):
// scipy.ndimage.convolve(volume, ones((3,3,3))/27, mode='constant') on a 3x3x3
// volume, checked against the sums written out by hand, and a reused Plan; exits
// non-zero if a number or the version differs.
#include <autoconv/autoconv.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>

int main() {
  Eigen::Tensor<double, 3> volume(3, 3, 3), box(3, 3, 3);
  for (Eigen::Index i = 0; i < volume.size(); ++i) volume.data()[i] = static_cast<double>(i);  // column-major 0..26
  box.setConstant(1.0 / 27.0);
  const auto out = autoconv::convolve(volume, box, autoconv::Border{autoconv::Boundary::Constant, 0.0});

  // volume(i, j, k) = i + 3j + 9k. Centre: the mean of 0..26 = 13. Corner (0,0,0): the 2x2x2
  // block {0,1,3,4,9,10,12,13} sums to 52, over 27. Face centre (1,1,0): 3x3x2 = k in {0,1},
  // sum = 18 * 4 (mean of i+3j = 4) + 9 * 9 (k = 1 for 9 taps) = 153, over 27.
  int bad = 0;
  const struct { int i, j, k; double v; } expect[] = {{1, 1, 1, 13.0}, {0, 0, 0, 52.0 / 27}, {1, 1, 0, 153.0 / 27}};
  for (const auto& e : expect)
    if (std::abs(out(e.i, e.j, e.k) - e.v) > 1e-12) {
      std::printf("meson consumer: out(%d, %d, %d) = %.17g, expected %.17g\n", e.i, e.j, e.k, out(e.i, e.j, e.k), e.v);
      bad = 1;
    }

  // The same through a Plan executed twice into a caller's tensor.
  const autoconv::Plan<double> plan(autoconv::Operation::Convolve, autoconv::Shape(volume.dimensions()),
                                    autoconv::as_view(box), autoconv::Border{autoconv::Boundary::Constant, 0.0});
  Eigen::Tensor<double, 3> again(3, 3, 3);
  for (int rep = 0; rep < 2; ++rep) autoconv::execute(plan, volume, again);
  // A reused plan may run another method than a one-shot call (Method::Auto counts a
  // one-shot call's setup): equal within rounding, values ~13.
  const Eigen::Tensor<double, 0> diff = (again - out).abs().maximum();
  if (diff() > 1e-12) {
    std::printf("meson consumer: plan and one-shot differ by %g\n", diff());
    bad = 1;
  }
  if (std::strcmp(autoconv::version(), AUTOCONV_VERSION_STRING) != 0) {
    std::printf("meson consumer: library %s, headers %s\n", autoconv::version(), AUTOCONV_VERSION_STRING);
    bad = 1;
  }
  std::printf("meson subproject consumer: autoconv %s (%s), 3-D ndimage constant %s\n", autoconv::version(),
              autoconv::to_string(plan.method()), bad ? "WRONG" : "ok");
  return bad;
}
