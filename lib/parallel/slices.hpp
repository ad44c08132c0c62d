// lib/parallel/slices.hpp: the one slice driver. Engines cut their work into
// independent slices (slabs of output along an outer axis) and hand a functor to
// for_each_slice; only this file opens OpenMP parallel regions.
#pragma once

#include <atomic>
#include <cstddef>
#include <exception>

#include <autoconv/types.hpp>

#include "core/pool.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace autoconv::detail {

/// Below this many multiply-adds a call stays on the calling thread: forking an
/// OpenMP team costs ~5-20 us here, and threading measured a loss below ~0.5 ms of
/// work; 2e6 multiply-adds is ~0.1-0.3 ms on one core.
inline constexpr double min_work_per_thread = 2.0e6;

/// Threads a call asking for `requested` (0 = OpenMP's default) may use at most: 1
/// inside an enclosing parallel region or without OpenMP, never above max_workers.
inline int max_threads(int requested) {
#ifdef _OPENMP
  if (requested <= 0) requested = omp_get_max_threads();
  if (omp_in_parallel()) requested = 1;
#else
  requested = 1;
#endif
  if (requested > max_workers) requested = max_workers;
  return requested < 1 ? 1 : requested;
}

/// Threads a call may use: `requested` (0 = OpenMP default), 1 inside an enclosing
/// parallel region (no oversubscription), never more than `slices`, and only as
/// many as `work` multiply-adds justify.
inline int resolve_threads(int requested, index_t slices, double work) {
  int t = max_threads(requested);
  if (static_cast<index_t>(t) > slices) t = static_cast<int>(slices);
  const double by_work = work / min_work_per_thread;
  if (by_work < t) t = by_work < 1 ? 1 : static_cast<int>(by_work);
  return t < 1 ? 1 : t;
}

/// Calls fn(slice, worker) for every slice in [0, n), on `threads` workers
/// (worker in [0, threads)). Slices are handed out dynamically; the result of a
/// slice must not depend on which worker runs it. An exception from fn (in practice
/// std::bad_alloc where a slice's scratch grows) does not escape a worker (that would
/// end the program): the first is kept, the slices not yet started are skipped, and it
/// is rethrown on the calling thread once every worker has stopped.
template <class Fn>
void for_each_slice(index_t n, int threads, Fn&& fn) {
#ifdef _OPENMP
  if (threads > 1 && n > 1) {
    std::exception_ptr first;
    std::atomic<bool> failed{false};
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (index_t s = 0; s < n; ++s) {
      if (failed.load(std::memory_order_relaxed)) continue;
      try {
        fn(s, omp_get_thread_num());
      } catch (...) {
        if (!failed.exchange(true)) first = std::current_exception();
      }
    }
    if (first) std::rethrow_exception(first);
    return;
  }
#endif
  for (index_t s = 0; s < n; ++s) fn(s, 0);
}

}  // namespace autoconv::detail
