// lib/cost/profile.cpp: reading, writing and locating machine profiles.
#include "cost/profile.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>

#include <autoconv/explain.hpp>
#include <autoconv/types.hpp>

namespace autoconv::detail::cost {

namespace {

// One key of the file: its name, the constant it sets, and the unit the file uses
// (constants are stored in seconds; the file speaks ns or us so it stays readable).
struct Key {
  const char* name;
  double& (*get)(Profile&);
  double unit;  // seconds per file unit
  const char* help;
};

#define AUTOCONV_KEY(name, field, unit, help) \
  Key { name, [](Profile& p) -> double& { return p.field; }, unit, help }
const Key keys[] = {
    AUTOCONV_KEY("direct_tap_ns.float", direct_tap[0], 1e-9, "direct, 1 thread: ns per multiply-add"),
    AUTOCONV_KEY("direct_tap_ns.double", direct_tap[1], 1e-9, "direct, 1 thread: ns per multiply-add"),
    AUTOCONV_KEY("direct_output_ns.float", direct_output[0], 1e-9, "direct, 1 thread: ns per output sample"),
    AUTOCONV_KEY("direct_output_ns.double", direct_output[1], 1e-9, "direct, 1 thread: ns per output sample"),
    AUTOCONV_KEY("fft_unit_ns.float", fft_unit[0], 1e-9, "FFT, 1 thread: ns per transform cost unit"),
    AUTOCONV_KEY("fft_unit_ns.double", fft_unit[1], 1e-9, "FFT, 1 thread: ns per transform cost unit"),
    AUTOCONV_KEY("direct_scale.1d", direct_scale[0], 1.0, "direct, kernel on 1 axis: per-output part, measured / counted"),
    AUTOCONV_KEY("direct_scale.2d", direct_scale[1], 1.0, "direct, kernel on 2 axes: per-output part, measured / counted"),
    AUTOCONV_KEY("direct_scale.3d", direct_scale[2], 1.0, "direct, kernel on 3+ axes: per-output part, measured / counted"),
    AUTOCONV_KEY("fft_scale.1d", fft_scale[0], 1.0, "one FFT, 1 axis: measured / counted"),
    AUTOCONV_KEY("fft_scale.2d", fft_scale[1], 1.0, "one FFT, 2 axes: measured / counted"),
    AUTOCONV_KEY("fft_scale.3d", fft_scale[2], 1.0, "one FFT, 3+ axes: measured / counted"),
    AUTOCONV_KEY("blocks_scale.1d", blocks_scale[0], 1.0, "FFT blocks, 1 axis: measured / counted"),
    AUTOCONV_KEY("blocks_scale.2d", blocks_scale[1], 1.0, "FFT blocks, 2 axes: measured / counted"),
    AUTOCONV_KEY("blocks_scale.3d", blocks_scale[2], 1.0, "FFT blocks, 3+ axes: measured / counted"),
    AUTOCONV_KEY("fft_call_us", fft_call, 1e-6, "one-shot FFT call: fixed us (plans, engine)"),
    AUTOCONV_KEY("touch_ns_per_byte", touch_byte, 1e-9, "one-shot calls: ns per byte of fresh memory"),
    AUTOCONV_KEY("thread_efficiency", thread_efficiency, 1.0, "speed-up per added thread (1 = linear)"),
    AUTOCONV_KEY("parallel_overhead_us", parallel_overhead, 1e-6, "us to open a parallel region"),
};
#undef AUTOCONV_KEY

double& member(Profile& p, const Key& k) { return k.get(p); }

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

BuiltinMachine running_machine() {
  // __builtin_cpu_is knows "amdfam19h" from GCC 11 and clang 12 on (older compilers:
  // the reference constants everywhere).
#if (defined(__x86_64__) || defined(__i386__)) && \
    ((defined(__clang__) && __clang_major__ >= 12) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
  __builtin_cpu_init();
  if (__builtin_cpu_is("amdfam19h") && __builtin_cpu_supports("avx512f")) return BuiltinMachine::Zen4;
#endif
  return BuiltinMachine::Reference;
}

// The built-in constants, in the order and units of keys[].
// Measured by autoconv-calibrate on the reference machine (Xeon AVX-512, 2 cores,
// GCC 12.2, FFTW 3.3.10), median of several runs; see docs/cost-model.md.
constexpr double reference_values[] = {0.01061, 0.02287, 0.3034, 0.5798, 0.1918, 0.2457, 1.146,
                                       1.524,   6.711,   0.7342, 0.8822, 1.047,  1.156,  1.565,
                                       2.808,   10.35,   0.1296, 0.8473, 10};
// AMD EPYC family 19h model 11h (Zen 4, 2 cores of a VM), GCC 12.2, FFTW 3.3.10: the
// median of four autoconv-calibrate runs (BENCHMARKS.md, thirteenth session). Its direct
// engine's double multiply-adds run at half the reference's rate (one 512-bit FMA a
// cycle, double-pumped, where the Xeon has two): with the reference's constants Auto ran
// 3-D 9^3 kernels directly at up to 2.4x OverlapAdd's time.
constexpr double zen4_values[] = {0.02282, 0.0444, 0.07483, 0.2627, 0.1908, 0.255,   0.4061,
                                  1.539,   8.0,    0.6183,  1.126,  1.302,  1.087,   1.585,
                                  2.828,   15.02,  0.09829, 0.9171, 10};
static_assert(std::size(reference_values) == std::size(keys) && std::size(zen4_values) == std::size(keys));

Profile builtin_profile(BuiltinMachine m) {
  const bool zen4 = m == BuiltinMachine::Zen4;
  Profile p;
  for (std::size_t i = 0; i < std::size(keys); ++i)
    member(p, keys[i]) = (zen4 ? zen4_values[i] : reference_values[i]) * keys[i].unit;
  p.source = zen4 ? "built-in (AMD Zen 4)" : "built-in";
  return p;
}

Profile builtin_profile() { return builtin_profile(running_machine()); }

Profile parse_profile(const std::string& text, const std::string& source) {
  Profile p = builtin_profile();
  p.source = source;
  std::istringstream in(text);
  std::string line;
  for (int no = 1; std::getline(in, line); ++no) {
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    line = trim(line);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    const std::string where = "autoconv profile " + source + " line " + std::to_string(no);
    if (eq == std::string::npos) throw error(where + ": expected 'key = value', got '" + line + "'");
    const std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
    const Key* k = nullptr;
    for (const Key& c : keys)
      if (key == c.name) k = &c;
    if (!k) continue;  // informational keys (machine, date, ...) and keys of later versions
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(v) || v <= 0 ||
        (std::string(k->name) == "thread_efficiency" && v > 1))
      throw error(where + ": " + key + " = '" + value + "' is not a positive number" +
                  (std::string(k->name) == "thread_efficiency" ? " in (0, 1]" : ""));
    member(p, *k) = v * k->unit;
  }
  return p;
}

std::string format_profile(const Profile& p) {
  std::string s =
      "# autoconv machine profile (written by autoconv-calibrate; key = value, '#' comments).\n"
      "# The cost model multiplies operation counts by these; see docs/cost-model.md.\n";
  Profile q = p;
  for (const Key& k : keys) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-24s = %.6g   # %s\n", k.name, member(q, k) / k.unit, k.help);
    s += buf;
  }
  return s;
}

std::string default_profile_path() {
  if (const char* e = std::getenv("AUTOCONV_PROFILE"); e && *e) return e;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/autoconv/profile";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/autoconv/profile";
  return "";
}

namespace {

Profile load_machine_profile() {
  const char* env = std::getenv("AUTOCONV_PROFILE");
  const std::string path = default_profile_path();
  if (!path.empty()) {
    std::ifstream f(path);
    if (f) {
      std::stringstream ss;
      ss << f.rdbuf();
      return parse_profile(ss.str(), path);
    }
    if (env && *env)  // asked for by name: a missing file is an error, not a silent default
      throw error("autoconv: $AUTOCONV_PROFILE = '" + path + "' cannot be read; run autoconv-calibrate to write it");
  }
  return builtin_profile();
}

}  // namespace

const Profile& machine_profile() {
  // Loaded at the first decision; a bad file throws there (and again at every later
  // decision, since the static is not initialised until loading succeeds).
  static const Profile p = load_machine_profile();
  return p;
}

}  // namespace autoconv::detail::cost

namespace autoconv {

std::string profile_path() {
  const auto& p = detail::cost::machine_profile();
  for (auto m : detail::cost::builtin_machines)
    if (p.source == detail::cost::builtin_profile(m).source) return std::string();
  return p.source;
}

}  // namespace autoconv
