// lib/separable/engine.hpp: Method::Separable: the input is border-padded once, then
// each term of a factored kernel runs as successive 1-D 'valid' passes (one per axis
// of extent > 1), each pass an ordinary Direct or FFT engine whose kernel has extent 1
// on every other axis; the terms' results are summed into the output.
#pragma once

#include <limits>
#include <memory>
#include <vector>

#include <autoconv/view.hpp>

#include "core/pool.hpp"
#include "core/problem.hpp"
#include "direct/direct.hpp"
#include "fft/engine.hpp"
#include "separable/factor.hpp"

namespace autoconv::detail {

/// One 1-D pass of a separable chain: along `axis`, a 'valid' correlation of the
/// `input` shape with a kernel of `kernel` taps, giving `output` (input with
/// input[axis] - kernel + 1 on that axis).
struct SeparablePass {
  int axis = 0;
  Shape input;
  index_t kernel = 1;
  Shape output;
};

/// The passes of one term, in the order they run: the axes of extent > 1 (axis 0 when
/// there is none), ordered to minimise the direct cost sum_p volume_p * M_p: axis a
/// before b when M_a / (1 - rho_a) < M_b / (1 - rho_b), rho = output / padded extent
/// (the exchange argument makes this order optimal). The first pass reads the padded
/// input, whose extent per axis is L + M - 1. A kernel of r terms runs this chain r times.
std::vector<SeparablePass> separable_passes(const Problem& pb);

/// Bytes of the engine's own buffers for a kernel of `terms` terms on the whole-array
/// path (complex data or FFT/OverlapAdd passes: padded input, intermediate results,
/// and for terms > 1 one output-sized accumulator); the passes' engines add their own
/// scratch (separable_pass_bytes). Real data with Direct passes (the default) runs tiled
/// instead, in separable_tile_bytes (SeparableEngine::workspace_bytes).
/// Both paths also hold the padded positions' input indices (a table per axis).
std::size_t separable_workspace_bytes(const Problem& pb, std::size_t value_bytes, int terms = 1);
/// The scratch of one term's pass engines on the whole-array path, the passes running
/// `methods` (in separable_passes' order): complex Direct passes a slab buffer per
/// worker, FFT and OverlapAdd passes fft_layout_bytes; real Direct passes none.
std::size_t separable_pass_bytes(const Problem& pb, const std::vector<Method>& methods, std::size_t real_bytes,
                                 bool complex_data, std::size_t memory_limit, int workers);

/// The tiled paths' geometry (real data, every pass Direct): run_tiled's tiles, or
/// run_stream's tiles over the axes after 0 with their ring of result planes, and which
/// of run_stream's forms and run_vfirst apply. Sizes are in values.
struct SeparableTiling {
  bool stream = false;  // axis 0 has a pass (D >= 2): run_stream (and run_vfirst when vfirst)
  bool fused = false, vfirst = false, planes = false;
  index_t group = 1, ring = 1, sub = 1, skew = 0;
  std::size_t p0 = 0;  // index of the axis-0 pass
  Shape tile;          // output extents of a full tile
  std::size_t x_size = 0, mid_size = 0;
};
SeparableTiling separable_tiling(const Problem& pb, const std::vector<SeparablePass>& passes, std::size_t value_bytes,
                                 int terms);

/// What one worker's lease of a tiled path grows its buffers to: values (x, a, b, acc)
/// and pointers (planes, group; rows: pointer and length).
struct TileLease {
  std::size_t x = 0, a = 0, b = 0, acc = 0, planes = 0, group = 0, rows = 0;
};
/// The leases of the paths an engine of this tiling can run: run_vfirst (when
/// tiling.vfirst), run_stream (tiling.stream) or run_tiled (otherwise); and the values of
/// the engine's one input row of cval that all workers read (`fill`: Zero and Constant
/// borders on run_vfirst and run_stream's plane groups, else 0).
struct TileLeases {
  TileLease vfirst, stream, tiled;
  std::size_t fill = 0;
};
TileLeases separable_leases(const Problem& pb, const std::vector<SeparablePass>& passes, const SeparableTiling& tiling,
                            std::size_t value_bytes, int terms);
/// Bytes of the tiled paths' buffers. `worker`: what one worker's buffers can reach; they
/// serve every path the engine runs (contiguous views run_vfirst, others run_stream), so
/// each buffer at its largest over those paths. `contiguous`: the same over the path of
/// contiguous input and output rows alone (what a one-shot call on such views touches).
/// `shared`: the engine's row of cval and its index tables, once for all workers.
struct TileBytes {
  std::size_t worker = 0, contiguous = 0, shared = 0;
};
TileBytes separable_tile_bytes(const Problem& pb, const std::vector<SeparablePass>& passes, std::size_t value_bytes,
                               int terms);

/// Whether a problem whose passes are all Direct on real data runs the 2-D path that
/// takes the axis-0 pass first, straight from the input rows (run_vfirst): 2-D, one
/// term, both kernel extents >= 2, output rows of 64 bytes or more. (At execute it also
/// needs input and output rows contiguous; other layouts run the ring path.)
bool separable_vfirst(const Problem& pb, int terms, std::size_t value_bytes);

/// run_vfirst's work split: groups of 16 output rows, `per` groups to a slice, and the
/// work in multiply-add units, as resolve_threads weighs them.
struct VfirstSplit {
  index_t groups = 1, per = 8, slices = 1;
  double work = 0;
};
VfirstSplit vfirst_split(const Problem& pb);

/// How a SeparableEngine runs its passes.
struct SeparableOptions {
  /// Per pass: Auto (the cost model's choice; Direct until it lands), Direct, FFT or
  /// OverlapAdd (forced, for tests and benchmarks).
  Method pass_method = Method::Auto;
  fft::Effort effort = fft::Effort::Estimate;
  std::size_t memory_limit = std::numeric_limits<std::size_t>::max();
  int workers = 1;
};

/// The method a pass runs when SeparableOptions::pass_method is Auto: the cost
/// model prices the pass on its own shape (Direct, FFT or OverlapAdd), one-shot as the
/// call is (FFTW_ESTIMATE plans: the model's one-shot requests), as the model prices
/// the Separable candidate's passes.
Method separable_pass_method(const Problem& pass, std::size_t value_bytes, bool complex_data, int workers,
                             std::size_t memory_limit, bool one_shot);

/// Whether this build folds symmetric last-axis taps (AVX-512 targets; engine.cpp, fold_taps).
bool separable_folding();

template <class T>
class SeparableEngine {
 public:
  /// `factors`: the kernel in correlation order (problem.hpp), factored (factor_kernel).
  SeparableEngine(const Problem& pb, const Factors<T>& factors, const SeparableOptions& options = {});
  ~SeparableEngine();
  /// Bytes the engine's buffers can take when run on `workers` threads: on the
  /// whole-array path separable_workspace_bytes plus each term's pass engines'
  /// (separable_pass_bytes); on the tiled paths (real data, every pass Direct)
  /// separable_tile_bytes' worker bytes per worker plus its shared bytes. The
  /// constructor refuses (autoconv::error) before allocating when this exceeds the
  /// options' memory_limit.
  std::size_t workspace_bytes(int workers) const;

  /// Computes the whole output. Shapes were checked by the caller.
  void run(View<const T> in, View<T> out, int threads) const;

  int terms() const { return terms_; }
  const std::vector<SeparablePass>& passes() const { return passes_; }
  /// The method pass p (of every term) runs: Direct, FFT or OverlapAdd.
  Method pass_method(int p) const { return methods_[static_cast<std::size_t>(p)]; }
  /// Whether pass p of term j sums its taps folded, k[m] (x[m] + x[M-1-m]): real data,
  /// a Direct pass along the last axis, taps symmetric exactly, M >= 8, and a build
  /// where folding pays (separable_folding()).
  bool folded(int j, int p) const {
    return stages_[static_cast<std::size_t>(j) * passes_.size() + static_cast<std::size_t>(p)].fold;
  }

 private:
  struct Stage {
    std::vector<T> taps;  // real data, Direct: the pass's own vectorised 1-D kernel
    bool fold = false;    // taps symmetric: summed folded (engine.cpp, fold_taps)
    std::shared_ptr<const DirectEngine<T>> direct;  // complex data, Direct (and the FFT fallback)
    std::unique_ptr<const FftEngine<T>> fft;        // FFT or OverlapAdd
  };
  struct Work;
  /// A box of padded positions: per axis [origin, origin + shape).
  struct Box {
    std::array<index_t, max_rank> origin{};
    Shape shape;
  };
  /// Positions [lo, hi) of the box's rows (along the last axis) that read the input in order.
  std::array<index_t, 2> inner_span(const Box& box) const;
  /// Sets `off` to the offset in `in` (negative with negative strides) of the input row
  /// that the box's row idx (axes but the last) reads; false when that row is all cval.
  bool row_offset(const View<const T>& in, const Box& box, const std::array<index_t, max_rank>& idx,
                  index_t& off) const;
  void pad(const View<const T>& in, T* x, const Box& box, int threads) const;
  /// run_stream when the only pass before axis 0's is the last axis' (tiling_.fused): that
  /// pass over the box's rows straight from the input, the pad folded in. 16 rows at a
  /// time are transposed (W x W blocks) into `buf` so that the row direction becomes
  /// the vector lanes, the taps run as vtile over aligned vectors, and the results are
  /// transposed back into row r at dst + r * pitch. `tick` after every block. `fold`:
  /// the taps are summed folded (symmetric taps, engine.cpp's fold_taps).
  template <class Tick>
  void hpass_fused(const View<const T>& in, const Box& box, const T* k, bool fold, T* dst, index_t pitch, T* buf,
                   const Tick& tick) const;
  /// Values of buf that hpass_fused needs (rows_fused x the padded columns of a chunk).
  std::size_t fused_buf_size() const;
  /// Values of plane_group's buffer (run_vfirst, run_stream's planes).
  std::size_t plane_buf_size() const;
  /// The input rows pad(in, ., box) reads in order (start, bytes), for software
  /// prefetch; returns their count (at most the box's rows).
  std::size_t input_rows(const View<const T>& in, const Box& box, std::pair<const char*, std::size_t>* rows) const;
  /// Real data, every pass Direct: the chain runs tile by tile (each tile padded, passed
  /// and written while it is in cache), tiles in parallel.
  void run_tiled(const View<const T>& in, const View<T>& out, int threads) const;
  /// As run_tiled when axis 0 has a pass: tiles over the other axes, each streamed
  /// along axis 0 a group of planes at a time (pad the group's planes, run the other axes'
  /// passes on it into a ring of result planes, then the axis-0 pass on the output
  /// planes whose inputs are all in the ring), so every input sample is padded once per
  /// tile, no halo is recomputed on axis 0 and no plane is copied. 3-D with a pass on
  /// every axis (tiling_.planes), a contiguous last axis and tiles a vector wide: no pad; each
  /// plane's axis-1 and last-axis passes run as run_vfirst's (plane_group), 16 rows at
  /// a time straight from the input rows into the ring.
  void run_stream(const View<const T>& in, const View<T>& out, int threads) const;
  /// 2-D, one term, 2 taps or more on both axes, contiguous input and output rows
  /// (tiling_.vfirst, separable_vfirst): 16 output rows at a time, the axis-0 pass straight
  /// from the input rows into `buf` (vtile or vtile_short, then transposed: the 16 rows
  /// become the vector lanes of each column), then the last-axis pass from `buf` into
  /// the output rows as hpass_fused does. No ring and no intermediate rows: each group
  /// of 16 output rows reads its 15 + M0 input rows (30 of them, for 31 taps, just read
  /// by the previous group, in L2), and the column chunks slide along buf keeping their
  /// M1 - 1 columns of halo.
  void run_vfirst(const View<const T>& in, const View<T>& out, int threads) const;
  void add(const T* acc, const View<T>& out, int threads) const;

  Problem pb_;
  int terms_ = 1;
  std::vector<SeparablePass> passes_;
  std::vector<Method> methods_;
  std::vector<Stage> stages_;  // term-major: stages_[term * passes + p]
  Shape padded_;
  std::vector<std::vector<index_t>> src_;  // per axis and padded position: input index, -1 = cval
  std::array<index_t, max_rank> inner_lo_{}, inner_hi_{};  // per axis: positions reading the input in order
  std::size_t x_size_ = 0, mid_size_ = 0, out_size_ = 0;
  Pool<Work> pool_;
  bool tiled_ = false, stream_out_ = false;
  SeparableTiling tiling_;  // where tiled_: the tiles, run_stream's ring and forms
  TileLeases leases_;       // what each tiled path's lease grows a worker's buffers to
  std::vector<T> cval_row_; // leases_.fill values of the border's cval, read by all workers
  std::size_t pass_limit_ = 0;  // the memory limit the FFT passes' layouts were chosen under
  void grow(Work& w, const TileLease& l) const;
  Pool<Work> tile_pool_;
};

/// Forced Method::Separable: factors `kc` (correlation order, C order) with max_terms =
/// separable_rank_bound, then builds the engine. Throws autoconv::error when the kernel
/// is not a sum of that many outer products, or when the engine's buffers
/// (workspace_bytes on options.workers) exceed options.memory_limit; they are not
/// allocated then (the engine allocates them at its first run).
template <class T>
std::unique_ptr<const SeparableEngine<T>> make_separable_engine(const Problem& pb, const std::vector<T>& kc,
                                                                const SeparableOptions& options);
/// The engine for known factors (convolve_separable); throws as above on the memory limit.
template <class T>
std::unique_ptr<const SeparableEngine<T>> make_separable_engine(const Problem& pb, const Factors<T>& factors,
                                                                const SeparableOptions& options);

extern template class SeparableEngine<float>;
extern template class SeparableEngine<double>;
extern template class SeparableEngine<std::complex<float>>;
extern template class SeparableEngine<std::complex<double>>;

}  // namespace autoconv::detail
