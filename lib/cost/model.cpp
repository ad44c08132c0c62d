// lib/cost/model.cpp: predicted seconds and bytes of every method from operation
// counts (taps x outputs for Direct; the FFT layout's own transform-length costs for
// FFT and OverlapAdd; 1-D passes for Separable) times the machine profile's constants.
#include "cost/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/format.hpp"
#include "direct/direct.hpp"
#include "fft/engine.hpp"
#include "parallel/slices.hpp"
#include "separable/engine.hpp"

namespace autoconv::detail::cost {

namespace {

double product(const Shape& s) {
  double n = 1;
  for (int d = 0; d < s.rank(); ++d) n *= static_cast<double>(s[d]);
  return n;
}

// Speed-up of `n` threads over one: each added thread is worth `efficiency` of a core
// (memory bandwidth and the uneven last slices cost the rest).
double speedup(int n, const Profile& p) { return 1.0 + (n - 1) * p.thread_efficiency; }

std::string count(double n) {
  char b[32];
  if (n >= 1e9)
    std::snprintf(b, sizeof b, "%.1fG", n / 1e9);
  else if (n >= 1e6)
    std::snprintf(b, sizeof b, "%.1fM", n / 1e6);
  else if (n >= 1e4)
    std::snprintf(b, sizeof b, "%.0fk", n / 1e3);
  else
    std::snprintf(b, sizeof b, "%.0f", n);
  return b;
}

int prec(const Request& r) { return r.real_bytes == 4 ? 0 : 1; }

// 0, 1 or 2 for a kernel spanning 1, 2, or 3 and more axes (the profile's *_scale).
std::size_t rank_index(const Problem& pb) {
  int n = 0;
  for (int d = 0; d < pb.rank(); ++d) n += pb.kernel[d] > 1 ? 1 : 0;
  return static_cast<std::size_t>(std::clamp(n, 1, 3) - 1);
}

// Direct: every output sums every tap (complex: 4 real multiply-adds per tap), plus a
// per-output cost for reading the padded slab and storing; slabs along the outer axis
// are shared between threads when the work pays for the fork.
struct DirectCost {
  double seconds = 0, macs = 0, one_thread = 0;
  int threads = 1;
};

DirectCost direct_cost(const Request& r, const Profile& p) {
  const Problem& pb = r.pb;
  const double outputs = product(pb.output), taps = product(pb.kernel);
  DirectCost c;
  c.macs = outputs * taps * (r.complex_data ? 4.0 : 1.0);
  // The per-output part (the slab's halo copy, strided reads, stores) grows with the
  // number of axes the kernel spans: direct_scale, measured per rank.
  c.one_thread = c.macs * p.direct_tap[prec(r)] +
                 outputs * (r.complex_data ? 2.0 : 1.0) * p.direct_output[prec(r)] * p.direct_scale[rank_index(r.pb)];
  // Slices threads can share: 1-D slabs down to direct_slab_1d_min outputs, N-D slabs
  // down to one row of axis 0 (direct.cpp cuts them that thin for the threads).
  const double slabs = pb.rank() == 1 ? std::ceil(outputs / static_cast<double>(direct_slab_1d_min))
                                      : static_cast<double>(pb.output[0]);
  c.threads = resolve_threads(r.workers, static_cast<index_t>(std::max(1.0, slabs)),
                              outputs * (taps * (r.complex_data ? 2.0 : 1.0) + direct_output_work));
  c.threads = std::min(c.threads, std::max(1, r.workers));
  c.seconds = c.one_thread / speedup(c.threads, p) + (c.threads > 1 ? p.parallel_overhead : 0.0);
  return c;
}

Candidate direct_candidate(const Request& r, const Profile& p) {
  const DirectCost c = direct_cost(r, p);
  Candidate k;
  k.method = Method::Direct;
  k.seconds = c.seconds;
  // A slab buffer per thread. Direct is the method every problem can run, so this
  // is never held against Options::memory_limit (docs/cost-model.md).
  k.bytes = static_cast<std::size_t>(c.threads) *
            direct_buffer_bytes(r.pb, static_cast<std::size_t>(r.real_bytes), r.complex_data);
  if (r.words)
    k.detail = count(product(r.pb.kernel)) + " taps x " + count(product(r.pb.output)) + " outputs, " +
             std::to_string(c.threads) + (c.threads == 1 ? " thread" : " threads");
  return k;
}

// A floor under both FFT methods that costs nothing to compute: the fixed cost of a
// call, and every output point once through the cheapest block (block_cost in
// fft/engine.cpp: at least 1 transform unit plus 6 for fill, multiply and extract per
// point). Below it the layout search itself (~10 us) is not worth running.
double fft_floor(const Request& r, const Profile& p) {
  const std::size_t ri = rank_index(r.pb);
  const double unit = p.fft_unit[prec(r)] * (r.complex_data ? 2.0 : 1.0) *
                      std::min({1.0, p.fft_scale[ri], p.blocks_scale[ri]});
  return (r.one_shot ? p.fft_call : 0.0) + product(r.pb.output) * 7.0 * unit / speedup(std::max(1, r.workers), p);
}

Candidate fft_candidate(const Request& r, Method m, const Profile& p, double beat = HUGE_VAL) {
  Candidate k;
  k.method = m;
  if (const double floor = fft_floor(r, p); floor >= beat) {
    k.seconds = floor;
    if (r.words) k.detail = "at least this (fixed cost and one pass over the output)";
    return k;
  }
  FftLayout l;
  try {
    l = fft_layout(r.pb, m, r.real_bytes, r.complex_data, r.memory_limit, std::max(1, r.workers));
  } catch (const error& e) {
    k.feasible = false;
    k.seconds = HUGE_VAL;
    const std::string what = e.what();
    const auto colon = what.find(": ");
    k.why_not = colon == std::string::npos ? what : what.substr(colon + 2);
    return k;
  }
  // Complex data runs c2c transforms: twice the r2c/c2r work per point.
  const std::size_t ai = std::min<std::size_t>(l.axes.size(), 3) - 1;
  const double unit = p.fft_unit[prec(r)] * (r.complex_data ? 2.0 : 1.0) *
                      (l.units > 1 ? p.blocks_scale[ai] : p.fft_scale[ai]);
  const double one_thread = l.predicted_cost * unit;
  // Threads share blocks (units); one big real transform of rank >= 2 is split by
  // axis instead (where the engine can: fft_shared_steps); a single 1-D or complex
  // transform, or one the steps cannot split, runs on one thread. One-shot calls plan
  // with FFTW_ESTIMATE (Planning::Estimate counts as one-shot), reused ones measure.
  const bool shared = fft_shared_steps(l, r.complex_data, r.real_bytes == 4,
                                       r.one_shot ? fft::Effort::Estimate : fft::Effort::Measure);
  int threads = 1;
  if (l.units > 1)
    threads = resolve_threads(r.workers, l.units, l.predicted_cost);
  else if (shared)
    threads = std::max(1, r.workers);
  threads = std::min(threads, std::max(1, r.workers));
  double seconds = one_thread / speedup(threads, p) + (threads > 1 ? p.parallel_overhead : 0.0);
  const double bytes = fft_layout_bytes(l, std::max(1, r.workers));
  if (r.one_shot) {
    // The kernel's spectrum: one forward transform of a block (half a pair); for one
    // shared transform of rank >= 2 (real data) by its steps, split between the threads
    // and skipping the rows and blocks of zeros (FftEngine::kernel_forward): the step
    // along axis i only where the axes before it lie within the kernel, the axes' steps
    // weighed alike. Else on one thread, whole. Every working byte is fresh memory; and
    // the fixed cost of a call.
    double spectrum = 0.5 * one_thread / static_cast<double>(l.units);
    if (shared) {
      double part = 0, within = 1;
      for (const auto& a : l.axes) {
        part += within;
        within *= std::min(1.0, static_cast<double>(r.pb.kernel[a.axis]) / static_cast<double>(a.F));
      }
      spectrum *= part / static_cast<double>(l.axes.size()) / speedup(threads, p);
    }
    seconds += spectrum + bytes * p.touch_byte + p.fft_call;
  }
  if (r.nonfinite > 0) {
    // The clean pass stops at a non-finite sample, everything is redone with those
    // zeroed, and the outputs whose window holds one are recomputed directly (at most
    // the whole direct cost: the engine falls back to it).
    const DirectCost d = direct_cost(r, p);
    const double taps = product(r.pb.kernel);
    const double reached = std::min(product(r.pb.output), r.nonfinite * taps);
    seconds += one_thread / speedup(threads, p) + std::min(d.seconds, d.one_thread * reached / product(r.pb.output));
  }
  k.seconds = seconds;
  k.bytes = static_cast<std::size_t>(bytes);
  if (!r.words) return k;
  std::string dims;
  for (const auto& a : l.axes) dims += (dims.empty() ? "" : "x") + std::to_string(a.F);
  k.detail = "transform " + dims + ", " + count(static_cast<double>(l.units)) +
             (l.units == 1 ? " block, " : " blocks, ") + std::to_string(threads) +
             (threads == 1 ? " thread" : " threads");
  return k;
}

// run_vfirst's cost relative to the direct engine's constants (see separable_candidate).
constexpr double vfirst_output = 1.8, vfirst_tap = 0.72;

// Separable: pad once (a copy of the extended region), then per term one 1-D 'valid'
// pass per convolved axis (the axis that shrinks the data most first), each priced as
// the cheapest of Direct, FFT and OverlapAdd on its own; terms > 1 add into the output.
Candidate separable_candidate(const Request& r, const Profile& p) {
  Candidate k;
  k.method = Method::Separable;
  const Problem& pb = r.pb;
  int long_axes = 0;
  for (int d = 0; d < pb.rank(); ++d) long_axes += pb.kernel[d] > 1 ? 1 : 0;
  if (r.separable_terms <= 0 || long_axes < 2) {
    k.feasible = false;
    k.seconds = HUGE_VAL;
    k.why_not = long_axes < 2 ? "kernel has fewer than two axes longer than 1"
                              : "kernel values unknown or not a sum of few outer products";
    return k;
  }
  // The passes in the order the engine runs them (separable_passes: the order of
  // least sum of volume x taps); the first reads the padded input.
  const std::vector<SeparablePass> passes = separable_passes(pb);
  const double padded = product(passes.front().input);
  const double elem = static_cast<double>(r.real_bytes) * (r.complex_data ? 2.0 : 1.0);
  double seconds = padded * p.direct_output[prec(r)] * (r.complex_data ? 2.0 : 1.0) /
                   speedup(std::max(1, r.workers), p);
  // The engine's own buffers (what make_separable_engine checks against the limit).
  double bytes = static_cast<double>(separable_workspace_bytes(pb, static_cast<std::size_t>(elem), r.separable_terms));
  double chain = 0;
  std::vector<Method> pass_methods;
  bool all_direct = true;
  std::string methods;
  for (std::size_t i = 0; i < passes.size(); ++i) {
    const SeparablePass& pass = passes[i];
    Shape ks = Shape(std::vector<index_t>(static_cast<std::size_t>(pb.rank()), 1));
    ks[pass.axis] = pass.kernel;
    Request pr = r;
    pr.pb = make_problem(Operation::Correlate, pass.input, ks, Mode::Valid);
    pr.separable_terms = 0;
    pr.nonfinite = 0;
    Candidate best = direct_candidate(pr, p);
    for (Method m : {Method::FFT, Method::OverlapAdd}) {
      Candidate c = fft_candidate(pr, m, p, best.seconds);
      if (c.feasible && c.seconds < best.seconds) best = c;
    }
    chain += best.seconds;
    all_direct = all_direct && best.method == Method::Direct;
    pass_methods.push_back(best.method);
    methods += (methods.empty() ? "" : "+") + std::string(to_string(best.method));
  }
  // Real data whose passes are all Direct runs tiled (lib/separable/engine.cpp), in
  // tile buffers per worker and no pass engines; what the engine counts against the
  // limit covers every path it may take, what a one-shot call touches only the path of
  // contiguous rows (run_vfirst's ~100 KiB where it applies).
  double touched = 0;
  if (!r.complex_data && all_direct) {
    const auto vb = static_cast<std::size_t>(r.real_bytes);
    const double workers = std::max(1, r.workers);
    const TileBytes tb = separable_tile_bytes(pb, passes, vb, r.separable_terms);
    bytes = static_cast<double>(tb.worker) * workers + static_cast<double>(tb.shared);
    touched = static_cast<double>(tb.contiguous) * workers + static_cast<double>(tb.shared);
  } else {
    // Each term's passes keep their own engines (complex Direct: slab buffers; FFT:
    // spectrum and blocks), as the engine counts them.
    bytes += static_cast<double>(r.separable_terms) *
             static_cast<double>(separable_pass_bytes(pb, pass_methods, static_cast<std::size_t>(r.real_bytes),
                                                      r.complex_data, r.memory_limit, std::max(1, r.workers)));
    touched = bytes;
  }
  seconds += r.separable_terms * chain;
  if (r.separable_terms > 1) seconds += product(pb.output) * p.direct_output[prec(r)];  // accumulate terms
  std::string path;
  if (!r.complex_data && all_direct && separable_vfirst(pb, r.separable_terms, r.real_bytes)) {
    // The 2-D path that runs the axis-0 pass first from the input rows: no pad and no
    // intermediate array; each sample read once and each output written once, plus the
    // taps of both passes. Fitted on this machine (1 thread, 512^2 to 4096^2, kernels
    // 2^2 to 31^2, within ~10%): per output 1.8 x the direct engine's per-output cost,
    // per tap 0.72 x its multiply-add cost (the blocks' taps sit in registers). Of the
    // fits within that spread, the per-output constant at its upper end: 3^2 kernels
    // then go to Direct, which lost at most 1.26x here where Separable would have won,
    // against up to 1.6x the other way on a 16-core Xeon (BENCHMARKS.md).
    const VfirstSplit split = vfirst_split(pb);
    const int threads = std::min(resolve_threads(r.workers, split.slices, split.work), std::max(1, r.workers));
    const double one = product(pb.output) *
                       (vfirst_output * p.direct_output[prec(r)] +
                        vfirst_tap * static_cast<double>(pb.kernel[0] + pb.kernel[1]) * p.direct_tap[prec(r)]);
    seconds = one / speedup(threads, p) + (threads > 1 ? p.parallel_overhead : 0.0);
    path = ", axis 0 first";
  }
  if (r.one_shot) seconds += touched * p.touch_byte;
  if (bytes > static_cast<double>(r.memory_limit)) {
    k.feasible = false;
    k.seconds = HUGE_VAL;
    k.why_not = "needs " + bytes_str(bytes) + " of working memory, above Options::memory_limit = " +
                bytes_str(static_cast<double>(r.memory_limit));
    return k;
  }
  k.seconds = seconds;
  k.bytes = static_cast<std::size_t>(bytes);
  k.detail = std::to_string(r.separable_terms) + (r.separable_terms == 1 ? " term" : " terms") + " x " +
             std::to_string(passes.size()) + " passes (" + methods + ")" + path;
  return k;
}

}  // namespace

Candidate predict(const Request& r, Method m, const Profile& p) {
  switch (m) {
    case Method::Direct:
      return direct_candidate(r, p);
    case Method::FFT:
    case Method::OverlapAdd:
      return fft_candidate(r, m, p);
    case Method::Separable:
      return separable_candidate(r, p);
    default:
      throw error(std::string(r.pb.api_name()) + ": the cost model has no prediction for method " + to_string(m));
  }
}

std::string describe(const Request& r) {
  std::string t = r.complex_data ? (r.real_bytes == 4 ? "complex64" : "complex128") : (r.real_bytes == 4 ? "float" : "double");
  std::string s = t + "  input " + r.pb.input.str() + "  kernel " + r.pb.kernel.str() + "  output " + r.pb.output.str();
  s += "  " + std::to_string(r.workers) + (r.workers == 1 ? " thread" : " threads");
  if (r.one_shot) s += "  one-shot";
  if (r.nonfinite > 0) s += "  " + count(r.nonfinite) + " non-finite input samples";
  return s;
}

Decision decide(const Request& r, const Profile& p, Method forced) {
  Decision d;
  d.profile = p.source;
  if (r.words) d.problem = describe(r);
  d.candidates.push_back(direct_candidate(r, p));
  // Forced FFT methods are laid out in full; otherwise a floor above Direct suffices.
  const double beat = forced == Method::FFT || forced == Method::OverlapAdd ? HUGE_VAL : d.candidates[0].seconds;
  d.candidates.push_back(fft_candidate(r, Method::FFT, p, beat));
  d.candidates.push_back(fft_candidate(r, Method::OverlapAdd, p, beat));
  d.candidates.push_back(separable_candidate(r, p));
  std::size_t best = 0;  // Direct is always feasible
  for (std::size_t i = 1; i < d.candidates.size(); ++i)
    if (d.candidates[i].feasible && d.candidates[i].seconds < d.candidates[best].seconds) best = i;
  if (forced != Method::Auto) {
    for (std::size_t i = 0; i < d.candidates.size(); ++i)
      if (d.candidates[i].method == forced) best = i;
  }
  d.method = d.candidates[best].method;
  for (std::size_t i = 0; i < d.candidates.size() && r.words; ++i) {
    Candidate& c = d.candidates[i];
    if (i == best) {
      if (forced != Method::Auto && c.feasible) c.why_not.clear();  // else: why the forced method cannot run
      continue;
    }
    if (!c.feasible) continue;
    char b[96];
    if (forced != Method::Auto && !d.candidates[best].feasible)
      std::snprintf(b, sizeof b, "Options::method forces %s", to_string(forced));
    else if (forced != Method::Auto && c.seconds < d.candidates[best].seconds)
      std::snprintf(b, sizeof b, "%.2fx faster, but Options::method forces %s", d.candidates[best].seconds / c.seconds,
                    to_string(forced));
    else
      std::snprintf(b, sizeof b, "%.2fx slower than %s", c.seconds / d.candidates[best].seconds, to_string(d.method));
    c.why_not = b;
  }
  return d;
}

}  // namespace autoconv::detail::cost
