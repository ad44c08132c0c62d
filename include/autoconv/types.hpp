// autoconv/types.hpp: the vocabulary of the public API: shapes, modes, borders,
// methods, options and the one error family.
#pragma once

#include <array>
#include <complex>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace autoconv {

/// Signed index and extent type used for shapes, strides and offsets.
using index_t = std::ptrdiff_t;

/// Largest rank a View, Shape or Plan can hold (inputs of rank 1 to max_rank work).
inline constexpr int max_rank = 8;

/// The one exception family of autoconv. Every failure the library detects
/// (bad shapes, bad options, impossible requests) throws `autoconv::error`;
/// the message names the argument and the shapes involved. When a call
/// throws, its output has not been written.
class error : public std::runtime_error {
 public:
  /// Make an error carrying `what` as its message.
  explicit error(const std::string& what) : std::runtime_error(what) {}
};

/// The extents of an array: a rank between 0 and max_rank and one extent per axis.
/// Construct from a braced list (`Shape{64, 64, 64}`) or from any container
/// of integers (`Shape(std::vector<long>{...})`).
class Shape {
 public:
  /// An empty shape of rank 0.
  Shape() = default;
  /// A shape from a braced list of extents; throws autoconv::error if longer than max_rank.
  Shape(std::initializer_list<index_t> extents) { assign(extents.begin(), extents.end()); }
  /// A shape from any container of integers (std::vector, std::array, Eigen DSizes...).
  template <class Container,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<Container>, Shape> &&
                                     std::is_integral_v<std::decay_t<decltype(
                                         *std::begin(std::declval<const Container&>()))>>>>
  explicit Shape(const Container& c) {
    assign(std::begin(c), std::end(c));
  }

  /// Number of axes.
  int rank() const { return rank_; }
  /// Extent of axis `axis` (unchecked).
  index_t operator[](int axis) const { return v_[static_cast<std::size_t>(axis)]; }
  /// Mutable extent of axis `axis` (unchecked).
  index_t& operator[](int axis) { return v_[static_cast<std::size_t>(axis)]; }
  /// Pointer to the first extent.
  const index_t* begin() const { return v_.data(); }
  /// Pointer past the last extent.
  const index_t* end() const { return v_.data() + rank_; }
  /// Equal when ranks and all extents are equal.
  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  /// Negation of ==.
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
  /// numpy-style text, e.g. "(4, 4)" or "(9,)".
  std::string str() const {
    std::string s = "(";
    for (int i = 0; i < rank_; ++i) {
      if (i) s += ", ";
      s += std::to_string(v_[static_cast<std::size_t>(i)]);
    }
    if (rank_ == 1) s += ",";
    return s + ")";
  }

 private:
  template <class It>
  void assign(It first, It last) {
    rank_ = 0;
    for (; first != last; ++first) {
      if (rank_ == max_rank)
        throw error("autoconv: rank above max_rank = " + std::to_string(max_rank) + " is not supported");
      v_[static_cast<std::size_t>(rank_++)] = static_cast<index_t>(*first);
    }
  }
  std::array<index_t, max_rank> v_{};
  int rank_ = 0;
};

/// Output size of a signal-style call (scipy.signal.convolve's `mode`).
enum class Mode {
  Full,   ///< N+M-1 per axis: every overlap of input and kernel.
  Same,   ///< N per axis (always the input's shape), centred as scipy: starts at (M-1)//2 of Full.
  Valid,  ///< |N-M|+1 per axis: where one operand lies wholly inside the other.
};

/// How the input is extended beyond its edges (scipy.ndimage's `mode`).
/// Shown for the input `a b c d`.
enum class Boundary {
  Reflect,   ///< d c b a | a b c d | d c b a  (scipy 'reflect', np.pad 'symmetric', convolve2d 'symm')
  Mirror,    ///< d c b | a b c d | c b a      (scipy 'mirror', np.pad 'reflect')
  Nearest,   ///< a a a | a b c d | d d d
  Wrap,      ///< b c d | a b c d | a b c      (scipy 'wrap'/'grid-wrap', convolve2d 'wrap')
  Constant,  ///< cval ... | a b c d | ... cval (scipy 'constant', convolve2d 'fill')
};

/// An image-style border: extension rule, constant value and per-axis origin.
/// An aggregate: `Border{Boundary::Reflect}`, `Border{Boundary::Constant, 0.5, {0, -1, 1}}`.
struct Border {
  /// Extension rule beyond the input's edges.
  Boundary boundary = Boundary::Constant;
  /// Value outside the input for Boundary::Constant (taken as cval + 0i for complex data).
  double cval = 0.0;
  /// Kernel centre shift per axis, scipy.ndimage's `origin`: empty = all zero, one value
  /// = the same on every axis, else one per axis, each in [-(M//2), (M-1)//2].
  /// Image-style calls only; signal-style calls with a border require it empty or zero.
  std::vector<index_t> origin = {};
};

/// The algorithm that computes a convolution. Method choice never changes the
/// numbers beyond the stated error bound; it only changes speed and memory.
enum class Method {
  Auto,        ///< Let the cost model choose (see autoconv::explain).
  Direct,      ///< Direct summation over the kernel's taps (exact order, vectorised).
  FFT,         ///< One FFT of the (padded) problem per batch slice.
  OverlapAdd,  ///< Blocked FFT (overlap-save): small transforms, memory per block.
  Separable,   ///< Successive 1-D passes over the border-padded input, for a kernel that is
               ///< a sum of few outer products of 1-D kernels (rank 1: Gaussian, box, Sobel).
};

/// Which product a plan computes.
enum class Operation {
  Convolve,   ///< sum_m x[i - m] k[m]
  Correlate,  ///< sum_m x[i + m] conj(k[m])
};

/// How hard FFTW searches for a fast transform when a plan is made.
enum class Planning {
  Auto,      ///< Estimate for one-shot calls, Measure for a Plan or Stream (made to be reused).
  Estimate,  ///< FFTW_ESTIMATE: instant, sometimes slower transforms.
  Measure,   ///< FFTW_MEASURE, capped at 1 s per transform shape (the cap costs no speed here).
  Patient,   ///< FFTW_PATIENT, capped at 10 s per transform shape.
};

/// Options shared by every call. A plain struct: set the fields you need.
struct Options {
  /// Algorithm; Auto lets the library choose.
  Method method = Method::Auto;
  /// Worker threads: 0 = OpenMP's default (OMP_NUM_THREADS or the core count),
  /// 1 = run on the calling thread; counts above 256 are taken as 256. A call made
  /// from inside an OpenMP parallel region always runs on the calling thread. Calls
  /// made at once from several std::threads each open their own team (set threads = 1
  /// there to avoid oversubscribing the cores). A build without OpenMP
  /// (-Dopenmp=disabled) always runs on the calling thread.
  int threads = 0;
  /// FFT planner effort (FFT and OverlapAdd). Plans are cached process-wide, so each
  /// transform shape is planned once per effort. Method::Auto weighs it too: Estimate
  /// (a one-shot call) prices the setup into the choice, Measure and Patient do not.
  Planning planning = Planning::Auto;
  /// Working memory a plan may use, in bytes (0 = half of the physical memory). A
  /// forced FFT above it fails before allocating; OverlapAdd shrinks its blocks.
  /// Method::Direct is the method of last resort and runs under any limit, in a slab
  /// buffer per thread (explain shows its bytes: ~1 MiB of doubles for most problems, more where
  /// the kernel spans many planes of a volume). FFTW's own plans and the scratch its
  /// multi-dimensional transforms take are not counted (docs/cost-model.md).
  std::size_t memory_limit = 0;
  /// Axes to convolve (empty = all). On the other axes the kernel must have extent 1:
  /// every slice along them is convolved with the same kernel (a batch), and the
  /// 'valid' swap rule looks at the listed axes only.
  std::vector<int> axes = {};
};

/// Short lower-case name of a method ("auto", "direct", "fft", "overlap_add", "separable").
const char* to_string(Method m);
/// Short lower-case name of a mode ("full", "same", "valid").
const char* to_string(Mode m);
/// Short lower-case name of a boundary ("reflect", "mirror", "nearest", "wrap", "constant").
const char* to_string(Boundary b);

/// The library's version as "major.minor.patch".
const char* version();

}  // namespace autoconv
