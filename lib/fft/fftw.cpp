// lib/fft/fftw.cpp: the FFTW plan cache, the FFTW lock and its hooks, wisdom, fast
// transform lengths, and huge-page-friendly buffers.
#include "fft/fftw.hpp"

#include <fftw3.h>
#include <sys/mman.h>

#include <atomic>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

#include <autoconv/fft.hpp>

namespace autoconv {
namespace detail::fft {

namespace {

// ---- the lock ---------------------------------------------------------------------
// FINUFFT's lesson: fftw_make_planner_thread_safe does not protect programs that
// mix threads and OpenMP; one process-wide mutex around every non-execute FFTW call
// does. A program planning FFTW itself installs its own lock with set_fftw_lock.
std::mutex internal_mutex;
void internal_lock(void*) { internal_mutex.lock(); }
void internal_unlock(void*) { internal_mutex.unlock(); }
std::atomic<void (*)(void*)> lock_fn{internal_lock};
std::atomic<void (*)(void*)> unlock_fn{internal_unlock};
std::atomic<void*> lock_data{nullptr};

struct FftwLock {
  void (*unlock)(void*);
  void* data;
  FftwLock() : unlock(unlock_fn.load()), data(lock_data.load()) { lock_fn.load()(data); }
  ~FftwLock() { unlock(data); }
  FftwLock(const FftwLock&) = delete;
  FftwLock& operator=(const FftwLock&) = delete;
};

// Once, under the lock: FFTW's threads and the wisdom file named by AUTOCONV_WISDOM.
bool wisdom_from_string(const std::string& text);
void init_locked() {
  static bool threads = false, wisdom = false;
  if (!threads) {
    fftw_init_threads();
    fftwf_init_threads();
    threads = true;
  }
  if (wisdom) return;
  if (const char* path = std::getenv("AUTOCONV_WISDOM")) {
    std::ifstream f(path);
    if (f) {
      std::stringstream ss;
      ss << f.rdbuf();
      wisdom_from_string(ss.str());
    }
  }
  wisdom = true;  // after the read: a std::bad_alloc in it leaves it to the next call
}

// A wisdom file holds FFTW's double-precision wisdom and its single-precision
// wisdom one after the other; each starts with "(fftw-".
bool wisdom_from_string(const std::string& text) {
  bool any = false;
  std::size_t at = text.find("(fftw-");
  while (at != std::string::npos) {
    const std::size_t next = text.find("(fftw-", at + 1);
    const std::string part = text.substr(at, next == std::string::npos ? std::string::npos : next - at);
    const bool single = part.find("fftwf_wisdom") != std::string::npos;
    const int ok = single ? fftwf_import_wisdom_from_string(part.c_str())
                          : fftw_import_wisdom_from_string(part.c_str());
    any = any || ok != 0;
    at = next;
  }
  return any;
}

unsigned flags_of(Effort e) {
  switch (e) {
    case Effort::Estimate:
      return FFTW_ESTIMATE;
    case Effort::Measure:
      return FFTW_MEASURE;
    case Effort::Patient:
      return FFTW_PATIENT;
  }
  return FFTW_ESTIMATE;
}

// Measured here: uncapped FFTW_MEASURE took 37-74 s for one ~1e6-point pair;
// capped at 1 s the plans ran as fast.
double time_limit_of(Effort e) { return e == Effort::Patient ? 10.0 : 1.0; }

using Key = std::tuple<std::vector<int>, bool, bool, int, int>;

struct Cache {
  std::map<Key, std::shared_ptr<Transform>> plans;
};
Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: plans may outlive static destructors
  return *c;
}

// Measured plans (reused Plans, Streams) of 1-D transforms of this length and more
// are made without FFTW's buffered solvers (FFTW_NO_BUFFERING). Those allocate their
// buffers inside every execute: for 102400 points ~40 heap allocations of up to 750 KB
// each, ~165 thousand over one 1e7-sample overlap-add call. Measured here, reused
// plans, one thread: overlap-add 1e6 x 3001 (blocks of 30720) 7.3 -> 5.4 ms, 1e7 x
// 10001 (102400) 79 -> 67 ms, float 1e7 x 30001 63 -> 59 ms, the stream of
// bench_stream 82 -> 73 ms; but one transform of 131072 (1e5 x 30001, FFT) 0.79 ->
// 0.89 ms, and blocks of 3072 (1e6 x 301) 1.2x slower unbuffered, hence the threshold.
// Multi-dimensional plans keep buffering (15-25% slower without), and so do one-shot
// calls' FFTW_ESTIMATE plans (they allocate anyway; unbuffered, the one-shot 1e7 x
// 10001 call ran 78 -> 68 ms in one program and 78 -> 82 in another).
// FFTW_NO_BUFFERING does not rule out the buffered variants of FFTW's codelet solvers
// ("dft-directbuf", "dftw-genericbuf"), which allocate per execute: MEASURE picked one
// for 9-10 of the 198 lengths good_size gives in [8192, 2^21] (double; docs/
// architecture.md, "FFTW discipline"). It also cannot plan in-place r2c of odd lengths,
// which good_size did not return for any n from 8192 to 2^21 (checked; an odd length
// costs 2.2x per point in its choice, and even ones lie within a few percent above n).
constexpr int no_buffering_min = 8192;

// Keep at most this many distinct shapes cached; plans in use are never evicted.
constexpr std::size_t cache_limit = 128;

}  // namespace

Transform::~Transform() {
  FftwLock lock;
  if (single) {
    if (fwd) fftwf_destroy_plan(static_cast<fftwf_plan>(fwd));
    if (bwd) fftwf_destroy_plan(static_cast<fftwf_plan>(bwd));
  } else {
    if (fwd) fftw_destroy_plan(static_cast<fftw_plan>(fwd));
    if (bwd) fftw_destroy_plan(static_cast<fftw_plan>(bwd));
  }
}

std::size_t Transform::spectrum_size() const {
  std::size_t s = 1;
  for (int i = 0; i < rank; ++i) {
    const auto e = static_cast<std::size_t>(n[static_cast<std::size_t>(i)]);
    s *= (!complex_data && i == rank - 1) ? e / 2 + 1 : e;
  }
  return s;
}

std::size_t Transform::buffer_reals() const { return 2 * spectrum_size(); }

void Transform::forward(void* buf) const {
  if (complex_data) {
    if (single)
      fftwf_execute_dft(static_cast<fftwf_plan>(fwd), static_cast<fftwf_complex*>(buf), static_cast<fftwf_complex*>(buf));
    else
      fftw_execute_dft(static_cast<fftw_plan>(fwd), static_cast<fftw_complex*>(buf), static_cast<fftw_complex*>(buf));
  } else {
    if (single)
      fftwf_execute_dft_r2c(static_cast<fftwf_plan>(fwd), static_cast<float*>(buf), static_cast<fftwf_complex*>(buf));
    else
      fftw_execute_dft_r2c(static_cast<fftw_plan>(fwd), static_cast<double*>(buf), static_cast<fftw_complex*>(buf));
  }
}

void Transform::backward(void* buf) const {
  if (complex_data) {
    if (single)
      fftwf_execute_dft(static_cast<fftwf_plan>(bwd), static_cast<fftwf_complex*>(buf), static_cast<fftwf_complex*>(buf));
    else
      fftw_execute_dft(static_cast<fftw_plan>(bwd), static_cast<fftw_complex*>(buf), static_cast<fftw_complex*>(buf));
  } else {
    if (single)
      fftwf_execute_dft_c2r(static_cast<fftwf_plan>(bwd), static_cast<fftwf_complex*>(buf), static_cast<float*>(buf));
    else
      fftw_execute_dft_c2r(static_cast<fftw_plan>(bwd), static_cast<fftw_complex*>(buf), static_cast<double*>(buf));
  }
}

std::shared_ptr<const Transform> transform(const std::vector<int>& n, bool complex_data, bool single, Effort effort,
                                           int threads) {
  if (threads < 1) threads = 1;
  const Key key{n, complex_data, single, static_cast<int>(effort), threads};
  std::vector<std::shared_ptr<Transform>> evicted;  // destroyed after the lock is released
  std::shared_ptr<Transform> t;
  {
    FftwLock lock;
    init_locked();
    Cache& c = cache();
    auto it = c.plans.find(key);
    if (it != c.plans.end()) return it->second;
    if (c.plans.size() >= cache_limit) {
      for (auto e = c.plans.begin(); e != c.plans.end();) {
        if (e->second.use_count() == 1) {
          evicted.push_back(std::move(e->second));
          e = c.plans.erase(e);
        } else {
          ++e;
        }
      }
    }
    t = std::make_shared<Transform>();
    t->rank = static_cast<int>(n.size());
    t->n = n;
    t->complex_data = complex_data;
    t->single = single;
    // Plan on a scratch buffer of the same layout and alignment (MEASURE overwrites it).
    Buffer<char> scratch;
    scratch.reserve(t->buffer_reals() * (single ? sizeof(float) : sizeof(double)));
    void* buf = scratch.data.get();
    const bool unbuffered = effort != Effort::Estimate && n.size() == 1 && n[0] >= no_buffering_min;
    const unsigned flags = flags_of(effort) | (unbuffered ? FFTW_NO_BUFFERING : 0u);
    if (single) {
      fftwf_set_timelimit(time_limit_of(effort));
      fftwf_plan_with_nthreads(threads);
      if (complex_data) {
        auto* z = static_cast<fftwf_complex*>(buf);
        t->fwd = fftwf_plan_dft(t->rank, n.data(), z, z, FFTW_FORWARD, flags);
        t->bwd = fftwf_plan_dft(t->rank, n.data(), z, z, FFTW_BACKWARD, flags);
      } else {
        t->fwd = fftwf_plan_dft_r2c(t->rank, n.data(), static_cast<float*>(buf), static_cast<fftwf_complex*>(buf), flags);
        t->bwd = fftwf_plan_dft_c2r(t->rank, n.data(), static_cast<fftwf_complex*>(buf), static_cast<float*>(buf), flags);
      }
      fftwf_plan_with_nthreads(1);
    } else {
      fftw_set_timelimit(time_limit_of(effort));
      fftw_plan_with_nthreads(threads);
      if (complex_data) {
        auto* z = static_cast<fftw_complex*>(buf);
        t->fwd = fftw_plan_dft(t->rank, n.data(), z, z, FFTW_FORWARD, flags);
        t->bwd = fftw_plan_dft(t->rank, n.data(), z, z, FFTW_BACKWARD, flags);
      } else {
        t->fwd = fftw_plan_dft_r2c(t->rank, n.data(), static_cast<double*>(buf), static_cast<fftw_complex*>(buf), flags);
        t->bwd = fftw_plan_dft_c2r(t->rank, n.data(), static_cast<fftw_complex*>(buf), static_cast<double*>(buf), flags);
      }
      fftw_plan_with_nthreads(1);
    }
    if (!t->fwd || !t->bwd) {
      std::string dims;
      for (int v : n) dims += (dims.empty() ? "" : " x ") + std::to_string(v);
      throw error("autoconv: FFTW could not plan a transform of size " + dims);
    }
    c.plans.emplace(key, t);
  }
  return t;
}

Batch::~Batch() {
  FftwLock lock;
  if (plan) {
    if (single)
      fftwf_destroy_plan(static_cast<fftwf_plan>(plan));
    else
      fftw_destroy_plan(static_cast<fftw_plan>(plan));
  }
}

void Batch::execute(void* p) const {
  switch (kind) {
    case R2C:
      if (single)
        fftwf_execute_dft_r2c(static_cast<fftwf_plan>(plan), static_cast<float*>(p), static_cast<fftwf_complex*>(p));
      else
        fftw_execute_dft_r2c(static_cast<fftw_plan>(plan), static_cast<double*>(p), static_cast<fftw_complex*>(p));
      break;
    case C2R:
      if (single)
        fftwf_execute_dft_c2r(static_cast<fftwf_plan>(plan), static_cast<fftwf_complex*>(p), static_cast<float*>(p));
      else
        fftw_execute_dft_c2r(static_cast<fftw_plan>(plan), static_cast<fftw_complex*>(p), static_cast<double*>(p));
      break;
    default:
      if (single)
        fftwf_execute_dft(static_cast<fftwf_plan>(plan), static_cast<fftwf_complex*>(p), static_cast<fftwf_complex*>(p));
      else
        fftw_execute_dft(static_cast<fftw_plan>(plan), static_cast<fftw_complex*>(p), static_cast<fftw_complex*>(p));
  }
}

namespace {
using BatchKey = std::tuple<int, int, int, int, int, bool, int>;
std::map<BatchKey, std::shared_ptr<Batch>>& batch_cache() {
  static auto* c = new std::map<BatchKey, std::shared_ptr<Batch>>;  // never destroyed, as the plan cache
  return *c;
}
}  // namespace

std::shared_ptr<const Batch> batch(Batch::Kind kind, int n, int howmany, int stride, int dist, bool single,
                                   Effort effort) {
  const BatchKey key{static_cast<int>(kind), n, howmany, stride, dist, single, static_cast<int>(effort)};
  // Declared before the lock: a batch dropped by an exception (std::bad_alloc, a plan
  // FFTW refuses) is destroyed after the lock is released, as its destructor takes it.
  std::shared_ptr<Batch> b;
  FftwLock lock;
  init_locked();
  auto& c = batch_cache();
  auto it = c.find(key);
  if (it != c.end()) return it->second;
  b = std::make_shared<Batch>();
  b->kind = kind;
  b->single = single;
  // Scratch covering the batch's footprint (in complex values), as aligned as any buffer.
  const bool rows = kind == Batch::R2C || kind == Batch::C2R;
  const std::size_t extent = rows ? static_cast<std::size_t>(howmany) * static_cast<std::size_t>(dist)
                                  : static_cast<std::size_t>(howmany - 1) * static_cast<std::size_t>(dist) +
                                        static_cast<std::size_t>(n - 1) * static_cast<std::size_t>(stride) + 1;
  Buffer<char> scratch;
  scratch.reserve(extent * 2 * (single ? sizeof(float) : sizeof(double)));
  void* buf = scratch.data.get();
  const unsigned flags = flags_of(effort);
  const int len[1] = {n};
  if (single) {
    fftwf_set_timelimit(time_limit_of(effort));
    auto* z = static_cast<fftwf_complex*>(buf);
    auto* r = static_cast<float*>(buf);
    if (kind == Batch::R2C)
      b->plan = fftwf_plan_many_dft_r2c(1, len, howmany, r, nullptr, 1, 2 * dist, z, nullptr, 1, dist, flags);
    else if (kind == Batch::C2R)
      b->plan = fftwf_plan_many_dft_c2r(1, len, howmany, z, nullptr, 1, dist, r, nullptr, 1, 2 * dist, flags);
    else
      b->plan = fftwf_plan_many_dft(1, len, howmany, z, nullptr, stride, dist, z, nullptr, stride, dist,
                                    kind == Batch::C2C_FWD ? FFTW_FORWARD : FFTW_BACKWARD, flags);
  } else {
    fftw_set_timelimit(time_limit_of(effort));
    auto* z = static_cast<fftw_complex*>(buf);
    auto* r = static_cast<double*>(buf);
    if (kind == Batch::R2C)
      b->plan = fftw_plan_many_dft_r2c(1, len, howmany, r, nullptr, 1, 2 * dist, z, nullptr, 1, dist, flags);
    else if (kind == Batch::C2R)
      b->plan = fftw_plan_many_dft_c2r(1, len, howmany, z, nullptr, 1, dist, r, nullptr, 1, 2 * dist, flags);
    else
      b->plan = fftw_plan_many_dft(1, len, howmany, z, nullptr, stride, dist, z, nullptr, stride, dist,
                                   kind == Batch::C2C_FWD ? FFTW_FORWARD : FFTW_BACKWARD, flags);
  }
  if (!b->plan) throw error("autoconv: FFTW could not plan a batch of " + std::to_string(howmany) +
                            " transforms of length " + std::to_string(n));
  c.emplace(key, b);
  return b;
}

namespace {

// Relative cost per point of one FFTW r2c + c2r pair at length n, from timings on
// this machine (FFTW 3.3.10, MEASURE): per n log2 n, lengths with no factor 2 ran
// ~2.2x slower (2187 = 3^7: 0.61 ns vs 2240: 0.28 ns), one factor 2 ~1.2x, and each
// factor 7 or high power of 3 adds a little.
double cost_factor(index_t n) {
  int e2 = 0, e3 = 0, e7 = 0;
  while (n % 2 == 0) n /= 2, ++e2;
  while (n % 3 == 0) n /= 3, ++e3;
  while (n % 5 == 0) n /= 5;
  while (n % 7 == 0) n /= 7, ++e7;
  double f = 1.0;
  if (e2 == 0) f += 1.2;
  if (e2 == 1) f += 0.2;
  f += 0.1 * e7 + (e3 > 3 ? 0.1 * (e3 - 3) : 0.0);
  return f;
}

double length_cost(index_t n) {
  const double dn = static_cast<double>(n);
  return dn * std::max(1.0, std::log2(dn)) * cost_factor(n);
}

}  // namespace

index_t good_size(index_t n) {
  if (n <= 8) return std::max<index_t>(n, 1);
  // Every 2^a 3^b 5^c 7^d up to 2^40, sorted once (about 10^4 of them); the answer is
  // the cheapest in [n, 2n] (the next power of two is always among them). The scan
  // stops once even a cost factor of 1 could not beat the best so far.
  static const std::vector<index_t> smooth = [] {
    std::vector<index_t> v;
    const index_t top = index_t(1) << 40;
    for (index_t p2 = 1; p2 <= top; p2 *= 2)
      for (index_t p3 = p2; p3 <= top; p3 *= 3)
        for (index_t p5 = p3; p5 <= top; p5 *= 5)
          for (index_t p7 = p5; p7 <= top; p7 *= 7) v.push_back(p7);
    std::sort(v.begin(), v.end());
    return v;
  }();
  if (n > max_length)
    throw error("autoconv: transform length " + std::to_string(n) + " is above the longest planned, " +
                std::to_string(max_length));
  index_t best = 0;
  double best_cost = 0;
  const index_t last = std::min(2 * n, max_length);  // max_length = 2^30 is itself a candidate
  for (auto it = std::lower_bound(smooth.begin(), smooth.end(), n); it != smooth.end() && *it <= last; ++it) {
    const double dn = static_cast<double>(*it);
    if (best && dn * std::max(1.0, std::log2(dn)) >= best_cost) break;
    const double c = length_cost(*it);
    if (best == 0 || c < best_cost) best = *it, best_cost = c;
  }
  return best;
}

double transform_cost(const std::vector<index_t>& n) {
  double total = 1, per_point = 0;
  for (index_t v : n) {
    total *= static_cast<double>(v);
    per_point += std::max(1.0, std::log2(static_cast<double>(v))) * cost_factor(v);
  }
  return total * per_point;
}

namespace {
// Large buffers on 2 MiB boundaries with MADV_HUGEPAGE (this machine's THP mode is
// madvise-only): FFTW ran 1.6-3.7x faster on them for the largest transforms.
constexpr std::size_t huge_page = std::size_t(2) << 20;
std::size_t alignment_of(std::size_t bytes) { return bytes >= 4 * huge_page ? huge_page : 64; }
}  // namespace

void* allocate(std::size_t bytes) {
  // Through the aligned operator new: std::bad_alloc when memory runs out, and a
  // program's replacement of operator new sees these buffers too.
  const std::size_t align = alignment_of(bytes);
  void* p = ::operator new(bytes ? bytes : 1, std::align_val_t(align));
#ifdef MADV_HUGEPAGE
  if (align == huge_page) madvise(p, (bytes + huge_page - 1) / huge_page * huge_page, MADV_HUGEPAGE);
#endif
  return p;
}

void release(void* p, std::size_t bytes) noexcept { ::operator delete(p, std::align_val_t(alignment_of(bytes))); }

}  // namespace detail::fft

bool load_wisdom(const std::string& path) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  detail::fft::FftwLock lock;
  detail::fft::init_locked();
  return detail::fft::wisdom_from_string(ss.str());
}

bool save_wisdom(const std::string& path) {
  std::string text;
  {
    detail::fft::FftwLock lock;
    detail::fft::init_locked();
    // Held by unique_ptr: freed (as FFTW asks, with free) also if the append throws.
    using Owned = std::unique_ptr<char, decltype(&std::free)>;
    if (Owned d{fftw_export_wisdom_to_string(), &std::free}) text += d.get();
    if (Owned s{fftwf_export_wisdom_to_string(), &std::free}) text += s.get();
  }
  std::ofstream f(path, std::ios::trunc);
  if (!f) return false;
  f << text;
  return static_cast<bool>(f);
}

void set_fftw_lock(void (*lock)(void*), void (*unlock)(void*), void* data) {
  if ((lock == nullptr) != (unlock == nullptr))
    throw error("autoconv::set_fftw_lock: give both lock and unlock, or neither");
  detail::fft::lock_data.store(lock ? data : nullptr);
  detail::fft::lock_fn.store(lock ? lock : detail::fft::internal_lock);
  detail::fft::unlock_fn.store(unlock ? unlock : detail::fft::internal_unlock);
}

}  // namespace autoconv
