// lib/cost/model.hpp: the cost model. A pure function from a problem and a machine
// profile to a decision: predicted seconds and working bytes for every candidate
// method, and the choice (docs/cost-model.md explains every term).
#pragma once

#include <cstddef>

#include <autoconv/explain.hpp>
#include <autoconv/view.hpp>

#include "core/problem.hpp"
#include "core/value.hpp"
#include "cost/profile.hpp"

namespace autoconv::detail::cost {

/// Everything the decision depends on besides the machine.
struct Request {
  Problem pb;
  std::size_t real_bytes = 8;  ///< 4 (float, complex<float>) or 8
  bool complex_data = false;
  int workers = 1;             ///< threads the call may use (already resolved)
  std::size_t memory_limit = 0;
  /// Count the costs of a plan used once: the kernel's spectrum and fresh working
  /// memory (Planning::Estimate, which one-shot calls use).
  bool one_shot = false;
  /// Non-finite input samples (0 when unknown): the FFT methods redo their work
  /// with them zeroed and recompute the outputs they reach directly.
  double nonfinite = 0;
  /// Separable terms of the kernel (0: not separable or unknown values).
  int separable_terms = 0;
  /// Write the candidates' details and the why-nots (explain); a Plan only needs the choice.
  bool words = true;
};

/// The request for a problem of value type T under `options` (threads resolved, memory
/// limit defaulted, Planning::Estimate counted as one-shot); throws for negative threads.
Request make_request(Problem pb, std::size_t real_bytes, bool complex_data, const Options& options);
template <class T>
Request make_request(Problem pb, const Options& options) {
  return make_request(std::move(pb), sizeof(real_t<T>), is_complex_v<T>, options);
}

/// Non-finite samples in `v` (one read of the input).
template <class T>
double count_nonfinite(const View<const T>& v);

/// Separable terms of the kernel (the fewest outer products that sum to it within
/// the detection tolerance), 0 when it is not worth passes or has one long axis.
template <class T>
int kernel_terms(const Problem& pb, const View<const T>& kernel);

/// Default Options::memory_limit (0): half of the physical memory.
std::size_t resolved_memory_limit(std::size_t requested);

/// Predicted cost of one candidate, in seconds and bytes, before the choice.
Candidate predict(const Request& r, Method m, const Profile& p);

/// Every candidate and the fastest feasible one (Direct on a tie: it is exact in
/// the summation order and needs no memory). `forced` other than Method::Auto is
/// reported as the choice, the others as alternatives.
Decision decide(const Request& r, const Profile& p, Method forced = Method::Auto);

/// The problem in words for Decision::problem ("double  input 256x256  kernel 9x9  same  2 threads").
std::string describe(const Request& r);

}  // namespace autoconv::detail::cost
