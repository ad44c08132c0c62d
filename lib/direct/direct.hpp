// lib/direct/direct.hpp: the direct-summation engine (one templated source,
// explicitly instantiated for the four value types in direct.cpp).
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include <autoconv/view.hpp>

#include "core/pool.hpp"
#include "core/value.hpp"
#include "core/problem.hpp"

namespace autoconv::detail {

/// Direct summation: out[i] = sum_m kc[m] x_ext[i + start - (M-1) + m].
///
/// How it is fast: axes are reordered so the output's most contiguous axis is
/// innermost; the output is cut into slabs along the outermost axis; for each slab
/// the border-extended input it reads is copied once into a contiguous buffer (so
/// the inner loop has no branches and no border cases); then each output row is
/// computed in register blocks of up to 8 SIMD vectors, looping over a flat list
/// of (buffer offset, weight) taps. Complex data is split into real and imaginary
/// planes in the buffer, so the same real micro-kernel serves all four types:
/// a complex tap is two real taps per output plane.
/// What one output costs the direct engine beyond its taps, in multiply-adds (reading
/// its window, storing it): with the taps, the work that decides how many threads a
/// call uses (parallel/slices.hpp); the cost model counts it the same way.
inline constexpr double direct_output_work = 16.0;
/// The thinnest 1-D slab (outputs) the engine cuts when there are more threads than
/// whole slabs; N-D slabs go down to one row of axis 0. The cost model counts the
/// slices a call can share between threads the same way.
inline constexpr index_t direct_slab_1d_min = 2048;
/// Bytes of the slab buffer one thread of the engine takes for `pb` with C-order
/// output (`real_bytes`: 4 or 8): ~1 MiB of doubles for most problems, up to 16 MiB of
/// doubles where the kernel spans many planes, more where its M0 planes alone do.
std::size_t direct_buffer_bytes(const Problem& pb, std::size_t real_bytes, bool complex_data);

template <class T>
class DirectEngine {
 public:
  using R = real_t<T>;
  /// `kc`: the kernel in correlation order (see problem.hpp), C order over the problem's axes.
  DirectEngine(const Problem& pb, std::vector<T> kc);
  ~DirectEngine();

  /// Computes the whole output. Shapes were checked by the caller.
  void run(View<const T> in, View<T> out, int threads) const;

  struct Layout;

  /// A 64-byte-aligned scratch buffer (slab copies are read with full-vector loads).
  struct Buffer {
    struct Free {
      void operator()(R* p) const { ::operator delete[](p, std::align_val_t(64)); }
    };
    std::unique_ptr<R[], Free> data;
    std::size_t size = 0;
    std::vector<unsigned char> full_rows;  // per buffer row: copied whole (1) or edges only (0)
    void reserve(std::size_t n) {
      if (n <= size) return;
      data.reset(static_cast<R*>(::operator new[](n * sizeof(R), std::align_val_t(64))));
      size = n;
    }
  };

 private:
  struct DirectCols {
    bool blocked = false;     // register-blocked row groups (real data, unit-stride output rows)
    index_t jl = 0, jr = 0;   // columns [jl, jr) of interior groups read straight from the input
  };
  const Layout& layout_for(const View<T>& out) const;
  void slab_2d_up(const Layout& l, index_t a, index_t b, const T* in, const std::array<index_t, max_rank>& is, T* out,
                  const std::array<index_t, max_rank>& os, Buffer& buf, const DirectCols& dc, const index_t* ko_in,
                  R cval, bool stream) const;

  Problem pb_;
  std::vector<T> kc_;
  bool real_weights_ = true;  // complex T whose kernel has no imaginary part: half the taps
  mutable std::mutex mu_;
  mutable std::vector<std::unique_ptr<Layout>> layouts_;       // one per axis order seen
  Pool<Buffer> pool_;  // slab buffers
};

extern template class DirectEngine<float>;
extern template class DirectEngine<double>;
extern template class DirectEngine<std::complex<float>>;
extern template class DirectEngine<std::complex<double>>;

}  // namespace autoconv::detail
