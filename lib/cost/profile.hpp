// lib/cost/profile.hpp: the machine constants the cost model multiplies its operation
// counts by, and where they come from: a profile file written by autoconv-calibrate
// ($AUTOCONV_PROFILE, else the per-user default), else built-in constants.
#pragma once

#include <string>

namespace autoconv::detail::cost {

/// Per-precision constants (index 0 = float, 1 = double; complex data uses the same
/// real precision with 4 real multiply-adds per complex one).
struct Profile {
  /// Direct engine, one thread: seconds per real multiply-add (output x tap).
  double direct_tap[2] = {0, 0};
  /// Direct engine, one thread: seconds per output sample (reading, padding, storing).
  double direct_output[2] = {0, 0};
  /// FFT engines, one thread: seconds per cost unit of the FFT layout
  /// (fft::transform_cost of each block plus its fill, multiply and extract).
  double fft_unit[2] = {0, 0};
  /// Fixed seconds of a one-shot FFT or OverlapAdd call: the cached plans' lookup, the
  /// engine and its buffers, whatever the problem's size.
  double fft_call = 0;
  /// Per number of axes the kernel spans (1, 2, 3 or more): what the per-rank probes
  /// measured over what the constants above predict — strided gathers, bigger halos and
  /// FFTW's multi-dimensional passes cost more per point than the 1-D counts say.
  /// Direct; one FFT of the whole problem; overlap-save blocks (several units).
  double direct_scale[3] = {1, 1, 1};
  double fft_scale[3] = {1, 1, 1};
  double blocks_scale[3] = {1, 1, 1};
  /// Seconds per byte of fresh working memory a one-shot call touches (page faults).
  double touch_byte = 0;
  /// Speed-up of each added thread as a fraction of a whole core (1 = linear).
  double thread_efficiency = 0.9;
  /// Seconds a parallel region costs to open (OpenMP team fork and join).
  double parallel_overhead = 0;
  /// Where the constants came from: a file path, or "built-in" / "built-in (AMD Zen 4)"
  /// (builtin_profile).
  std::string source = "built-in";
};

/// The machines the built-in constants were measured on.
enum class BuiltinMachine {
  Reference,  ///< the reference x86-64 machine (Xeon, AVX-512 with two FMA units)
  Zen4,       ///< AMD family 19h with AVX-512 (Zen 4: one 512-bit FMA per cycle)
};
inline constexpr BuiltinMachine builtin_machines[] = {BuiltinMachine::Reference, BuiltinMachine::Zen4};

/// The built-in constants for the CPU running this process: Zen4 on AMD family 19h
/// with AVX-512, else Reference (docs/cost-model.md, "Machine profiles"). By the CPU,
/// not by the instructions the library was built for (a -Dnative=false build on a
/// Zen 4 gets the Zen 4 constants, measured with AVX-512 kernels).
BuiltinMachine running_machine();

/// Constants measured on machine m (2 cores, GCC 12, FFTW 3.3.10, medians of
/// autoconv-calibrate runs); source "built-in" or "built-in (AMD Zen 4)".
Profile builtin_profile(BuiltinMachine m);

/// builtin_profile(running_machine()).
Profile builtin_profile();

/// Parses profile text ("key = value" lines, '#' comments). Keys not given keep the
/// built-in value; unknown keys (informational ones, or a later version's) are ignored.
/// Throws autoconv::error naming the source and line for a line that is not
/// "key = value" or a value that is not a positive number (thread_efficiency in (0, 1]).
Profile parse_profile(const std::string& text, const std::string& source);

/// The profile as text parse_profile() reads back (every key, with comments).
std::string format_profile(const Profile& p);

/// The default profile path: $AUTOCONV_PROFILE if set, else
/// $XDG_CONFIG_HOME/autoconv/profile or $HOME/.config/autoconv/profile.
std::string default_profile_path();

/// The profile decisions use, loaded once per process: the file at
/// default_profile_path() if it exists (a bad file throws autoconv::error at the
/// first decision, naming the file and line), else builtin_profile().
const Profile& machine_profile();

}  // namespace autoconv::detail::cost
