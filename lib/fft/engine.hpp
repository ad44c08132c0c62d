// lib/fft/engine.hpp: the FFT engines. Method::FFT is one transform per batch slice
// covering the whole output; Method::OverlapAdd cuts the output into blocks, each
// convolved through a small transform with the cached kernel spectrum (overlap-save:
// a block of F samples of the extended input yields F - M + 1 exact outputs). Both
// are the same code with different block shapes.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <autoconv/view.hpp>

#include "core/pool.hpp"
#include "core/problem.hpp"
#include "direct/direct.hpp"
#include "fft/fftw.hpp"

namespace autoconv::detail {

/// Block geometry on one transform axis.
struct FftAxis {
  int axis = 0;        // problem axis
  index_t F = 1;       // transform length
  index_t B = 1;       // outputs per block
  index_t nblocks = 1;
  bool zero_tail = false;  // FFT of the input region itself with a zero tail (Ext::Zero only)
  index_t p_lo0 = 0;       // zero_tail: x position of buffer sample 0
  index_t fill = 0;        // zero_tail: samples taken from the input (then zeros)
};

/// What a method would need: the geometry and its working memory.
struct FftLayout {
  std::vector<FftAxis> axes;  // transform axes, in problem order
  std::size_t spectrum_bytes = 0;
  std::size_t block_bytes = 0;  // one worker's transform buffer
  std::size_t gather_bytes = 0;  // one worker's scratch for gathered columns (fft_gather_cols)
  double predicted_cost = 0;    // transform cost units for the whole output
  index_t units = 1;            // batch slices x blocks
};

/// Spectrum and buffer bytes of a transform of lengths F (`value_bytes`: bytes of one real).
void transform_bytes(const std::vector<index_t>& F, std::size_t value_bytes, bool complex_data, std::size_t* spectrum,
                     std::size_t* block);
/// Predicted cost of one overlap-save block of transform lengths F (fft::transform_cost
/// units): the transform pair plus the fill, multiply and extract passes; transforms
/// that leave a 1 MiB cache budget run ~2x slower per point.
double block_cost(const std::vector<index_t>& F, std::size_t block_bytes);

/// Chooses the geometry of `method` (FFT or OverlapAdd) for `pb` under
/// `memory_limit` bytes with `threads` workers; throws autoconv::error naming the
/// bytes needed when no geometry fits (FFT), before anything is allocated.
FftLayout fft_layout(const Problem& pb, Method method, std::size_t value_bytes, bool complex_data,
                     std::size_t memory_limit, int threads);
/// Working memory of a layout run on `threads` workers: the kernel's spectrum and a
/// transform buffer per block run at once (as many as run() runs, what fft_layout
/// checks against the limit and the cost model counts), and where one transform is
/// shared between the workers a scratch each for gathered columns (gather_bytes).
double fft_layout_bytes(const FftLayout& l, int threads);

/// The complex extents of a transform of lengths `F`: F itself for complex data; for
/// real data the last axis halved (F / 2 + 1), as its spectrum holds them.
std::vector<index_t> spectrum_extents(const std::vector<index_t>& F, bool complex_data);
/// Whether an FftEngine runs layout `l`'s transform as shared steps (make_shared_steps:
/// batches of 1-D transforms along each axis, every step split between the workers,
/// the kernel's spectrum too). That takes one real transform (l.units == 1) of rank >= 2,
/// and in single precision c2c steps that can keep FFTW's 16-byte alignment: a step
/// that splits each outer block's columns between the workers (not gathered, see
/// engine.cpp) needs an even C[i] x stride when there are several blocks. Otherwise one
/// FFTW plan runs the transform on one thread. The cost model prices the threads by it.
bool fft_shared_steps(const FftLayout& l, bool complex_data, bool single, fft::Effort effort);

template <class T>
class FftEngine {
 public:
  using R = real_t<T>;
  /// `kc`: the kernel in correlation order (problem.hpp), C order. `fallback` computes
  /// whole outputs directly when non-finite input would spoil too many of them.
  FftEngine(const Problem& pb, const std::vector<T>& kc, FftLayout layout, fft::Effort effort, int workers,
            std::shared_ptr<const DirectEngine<T>> fallback);
  ~FftEngine();

  void run(View<const T> in, View<T> out, int threads) const;
  /// For plans whose method the cost model chose: when the input holds non-finite
  /// samples, `prefer_direct(count)` decides whether the whole call runs directly
  /// instead of the FFT redo and local recomputation. Set before the engine is shared.
  void set_nonfinite_policy(std::function<bool(double)> prefer_direct) { prefer_direct_ = std::move(prefer_direct); }
  /// Write every output with non-temporal stores, not only outputs of 4 MiB or more: a
  /// Stream's blocks, whose outputs the next block's transforms would evict from the
  /// cache anyway. Set before the engine is shared.
  void set_streamed_output(bool on) { streamed_output_ = on; }

 private:
  struct Work;
  /// Where one unit (batch slice x block) reads and writes.
  struct Geom {
    index_t in_base = 0, out_base = 0;
    bool batch_outside = false;
    std::array<index_t, max_rank> o{}, plo{}, lim{}, circ0{};  // per transform axis
  };
  Geom geometry(index_t unit, const View<const T>& in, const View<T>& out) const;
  /// Buffer rows [row_lo, row_hi) (along the last transform axis). clean: copy samples as
  /// they are and return true if one was not finite; else zero the non-finite ones.
  bool fill(const Geom& g, const View<const T>& in, R* buf, index_t row_lo, index_t row_hi, bool clean) const;
  void multiply(R* buf, std::size_t k_lo, std::size_t k_hi) const;
  /// Output rows [row_lo, row_hi) of the unit's block.
  void extract(const Geom& g, const View<T>& out, const R* buf, index_t row_lo, index_t row_hi, bool stream) const;
  index_t fill_rows() const;
  index_t out_rows(const Geom& g) const;
  /// One unit on one worker; returns true (having stopped early) on a non-finite sample
  /// when `clean`.
  bool run_unit(index_t unit, const View<const T>& in, const View<T>& out, Work& w, bool clean) const;
  /// A call's scratch buffers, one per worker (gather_pool_).
  using Scratch = typename Pool<fft::Buffer<R>>::Lease;
  /// One unit shared by `nt` workers: every step split between them, the transform as
  /// batches of 1-D transforms along each axis (see Shared).
  bool run_unit_shared(index_t unit, const View<const T>& in, const View<T>& out, Work& w, bool clean, int nt,
                       const Scratch& scratch) const;

  /// One step of a transform split between workers: chunk j runs `reps` times its plan
  /// at buf + j * chunk_offset + rep * rep_offset (reals for row steps, complex else).
  /// With `gather` (a c2c step along an axis of large stride, FFTW_ESTIMATE plans): the
  /// step runs as `reps` blocks (rep_offset apart) of `stride` columns, `gather` columns
  /// at a time copied into the worker's scratch leased for the call (len rows of
  /// `gather` contiguous values), transformed there by `plan` (`last_plan` for a last
  /// group of stride % gather columns) and copied back.
  struct Step {
    std::shared_ptr<const fft::Batch> plan, last_plan;
    index_t chunks = 1, chunk_offset = 0, reps = 1, last_reps = 1, rep_offset = 0;
    bool reals = false;
    index_t gather = 0, len = 0, stride = 0;
    std::size_t axis = 0;  // the transform axis it runs along
    bool blocks = false;   // c2c: each chunk runs whole outer blocks (reps of them), one plan
  };
  struct Shared {
    int workers = 1;
    std::vector<Step> forward, backward;
    std::size_t gather_reals = 0;  // a worker's scratch for gathered columns (0: no step gathers)
  };
  /// gather_scratch(nt): one buffer of Shared::gather_reals per worker, leased by the
  /// call (none when no step gathers).
  Scratch gather_scratch(int nt) const;
  /// Runs `steps` on buf with nt workers; `scratch` from gather_scratch. With `nonzero`
  /// (an extent per transform axis): the data is zero outside [0, nonzero[i]) on every
  /// axis not yet transformed, and the c2c steps skip the outer blocks that lie there
  /// (they stay zero), the workers sharing the blocks left (those lie together at the
  /// front: split as the chunks are, they fell to one worker). Allocates only with `nonzero`.
  void run_steps(const std::vector<Step>& steps, R* buf, int nt, const Scratch& scratch,
                 const std::vector<index_t>& nonzero = {}) const;
  /// The kernel's spectrum in buf (the kernel at [0, M) of each transform axis, zeros
  /// elsewhere) by the shared steps, skipping rows and blocks of zeros.
  void kernel_forward(R* buf, int nt) const;
  std::unique_ptr<Shared> make_shared_steps(int nt, fft::Effort effort) const;

  void recompute_nonfinite(const View<const T>& in, const View<T>& out) const;

  Problem pb_;
  std::vector<T> kc_;
  FftLayout lay_;
  std::shared_ptr<const fft::Transform> tr_;
  fft::Buffer<R> spectrum_;  // kernel spectrum / prod(F), interleaved complex
  std::shared_ptr<const DirectEngine<T>> fallback_;
  std::vector<int> batch_;   // problem axes not transformed
  double out_bytes_ = 0;
  std::unique_ptr<Shared> shared_;  // real data, rank >= 2, fewer units than workers
  Pool<Work> pool_;  // transform buffers
  Pool<fft::Buffer<R>> gather_pool_;  // the shared steps' gathered columns, a buffer per worker of a call
  std::function<bool(double)> prefer_direct_;
  bool streamed_output_ = false;
};

/// The FFTW planner effort of a Planning value (Auto: Measure, for reused plans);
/// throws autoconv::error naming `api` on a value out of range.
fft::Effort effort_of(Planning p, const char* api);

extern template class FftEngine<float>;
extern template class FftEngine<double>;
extern template class FftEngine<std::complex<float>>;
extern template class FftEngine<std::complex<double>>;

}  // namespace autoconv::detail
