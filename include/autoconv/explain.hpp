// autoconv/explain.hpp: what Method::Auto would choose for a problem, and why —
// the cost model's predicted seconds and bytes for every candidate method.
#pragma once

#include <complex>
#include <iosfwd>
#include <string>
#include <vector>

#include <autoconv/types.hpp>
#include <autoconv/view.hpp>

namespace autoconv {

/// One method the cost model weighed.
struct Candidate {
  /// Direct, FFT, OverlapAdd or Separable.
  Method method = Method::Direct;
  /// Predicted seconds, from the machine profile: of the one-shot call, setup included
  /// (Options::planning Auto or Estimate), or of one execute of a warm Plan (Measure or
  /// Patient).
  double seconds = 0;
  /// Predicted working memory beyond input and output, in bytes.
  std::size_t bytes = 0;
  /// False when the method cannot run this problem (memory limit, kernel not separable).
  bool feasible = true;
  /// Geometry the prediction is for: transform lengths, block shape, separable terms.
  std::string detail;
  /// Empty for the chosen candidate; otherwise why it was not chosen.
  std::string why_not;
};

/// The cost model's decision for one problem: the chosen method and every candidate.
struct Decision {
  /// The method Method::Auto runs (never Method::Auto).
  Method method = Method::Direct;
  /// Every candidate weighed, in the order Direct, FFT, OverlapAdd, Separable.
  std::vector<Candidate> candidates;
  /// Where the machine constants came from: a profile file's path, or "built-in" (the
  /// reference machine's constants) or "built-in (AMD Zen 4)" (docs/cost-model.md).
  std::string profile;
  /// The problem in words: type, shapes, mode or border, threads.
  std::string problem;
  /// The decision as a small text table (method, predicted seconds, bytes, why not).
  std::string table() const;
};

/// Write Decision::table() to a stream.
std::ostream& operator<<(std::ostream& os, const Decision& d);

// Every form reads its Options as the one-shot call (convolve, correlate) does:
// Planning::Auto is Planning::Estimate there, and the plan's setup is priced. For the
// decision a Plan made once and executed many times takes (a Plan's Planning::Auto is
// FFTW_MEASURE), pass Planning::Measure. Bad arguments throw autoconv::error, as the
// call would; a malformed profile file (profile_path) throws it too.

/// Decision for a signal-style problem given by shapes alone (the kernel's values are
/// unknown, so Separable is not considered; the input is assumed finite).
/// Convolve and correlate cost the same.
template <class T>
Decision explain(const Shape& input, const Shape& kernel, Mode mode, const Options& options = {});
/// Decision for a signal-style problem with a border, by shapes alone.
template <class T>
Decision explain(const Shape& input, const Shape& kernel, Mode mode, const Border& border, const Options& options = {});
/// Decision for an image-style problem (output shape = input shape), by shapes alone.
template <class T>
Decision explain(const Shape& input, const Shape& kernel, const Border& border, const Options& options = {});

/// Decision for the same arguments as the one-shot signal-style convolve: the kernel's
/// values decide whether it is separable, and non-finite input samples are counted
/// (they make the FFT methods recompute the outputs they reach directly).
template <class T>
Decision explain(View<const T> input, View<const T> kernel, Mode mode, const Options& options = {});
/// Decision for the arguments of a signal-style convolve with a border.
template <class T>
Decision explain(View<const T> input, View<const T> kernel, Mode mode, const Border& border,
                 const Options& options = {});
/// Decision for the arguments of an image-style convolve.
template <class T>
Decision explain(View<const T> input, View<const T> kernel, const Border& border, const Options& options = {});

/// Path of the machine profile in use ("" when the built-in constants are used):
/// $AUTOCONV_PROFILE, else $XDG_CONFIG_HOME/autoconv/profile (or ~/.config/autoconv/profile)
/// when that file exists. Read once, at the first decision; throws autoconv::error when
/// the file cannot be read or parsed.
std::string profile_path();

}  // namespace autoconv
