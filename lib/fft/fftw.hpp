// lib/fft/fftw.hpp: autoconv's only door to FFTW. Plans come from a process-wide
// cache; every FFTW call other than the new-array execute functions runs under one
// lock (replaceable by the program, see autoconv/fft.hpp); wisdom is imported once
// from $AUTOCONV_WISDOM. The FFTW headers are included by fftw.cpp alone.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

#include <autoconv/types.hpp>

namespace autoconv::detail::fft {

/// How hard FFTW plans (Options::planning resolved).
enum class Effort { Estimate, Measure, Patient };

/// A pair of cached plans for one transform shape: forward (r2c or c2c) and backward
/// (c2r or c2c), both in place on buffers laid out as `layout` describes, executed
/// with FFTW's new-array functions on any buffer of the same layout and 64-byte
/// alignment. Immutable once made; shared by every engine that needs the shape.
struct Transform {
  int rank = 0;              // transform axes
  std::vector<int> n;        // logical sizes
  bool complex_data = false; // c2c (else r2c/c2r)
  bool single = false;       // float (fftwf) or double
  void* fwd = nullptr;       // fftw_plan or fftwf_plan
  void* bwd = nullptr;
  ~Transform();

  /// Real elements one buffer holds (complex data: 2 per complex value): for r2c the
  /// last axis is padded to 2 (n/2 + 1).
  std::size_t buffer_reals() const;
  /// Complex values of the spectrum (r2c: last axis n/2 + 1).
  std::size_t spectrum_size() const;

  /// In-place forward / backward transforms of `buf` (64-byte aligned, buffer_reals() long).
  void forward(void* buf) const;
  void backward(void* buf) const;
};

/// A batch of 1-D transforms of length n over part of an in-place buffer (FFTW's
/// advanced interface), used to split one multi-dimensional transform between
/// threads. Kinds: R2C / C2R along contiguous rows (`dist` = complex values per row;
/// a row holds 2 dist reals), C2C forward / backward with any stride and dist (in
/// complex values). Executed with the new-array functions at any 16-byte-aligned
/// offset of a buffer laid out as planned.
struct Batch {
  enum Kind { R2C, C2R, C2C_FWD, C2C_BWD };
  Kind kind = R2C;
  bool single = false;
  void* plan = nullptr;
  ~Batch();
  /// Runs the batch on the buffer starting at `p` (reals for R2C/C2R rows, complex values else).
  void execute(void* p) const;
};

/// The cached batch plan (see Batch).
std::shared_ptr<const Batch> batch(Batch::Kind kind, int n, int howmany, int stride, int dist, bool single,
                                   Effort effort);

/// The cached plan pair for `n` (row-major transform sizes); plans are made with
/// `effort` and `threads` FFTW threads under the FFTW lock. Throws autoconv::error if
/// FFTW cannot plan it.
std::shared_ptr<const Transform> transform(const std::vector<int>& n, bool complex_data, bool single, Effort effort,
                                           int threads);

/// The longest transform planned along one axis: FFTW's interface here takes int
/// lengths, and 2^30 points (8 GiB of doubles) is far beyond any cache-sized block.
inline constexpr index_t max_length = index_t(1) << 30;

/// The fastest length in [n, min(2n, max_length)] that FFTW transforms well (a
/// 2^a 3^b 5^c 7^d, chosen by a per-point cost measured on this machine, not merely the
/// next such number). n must be at most max_length (callers check: an error otherwise).
index_t good_size(index_t n);

/// Predicted seconds-free cost units of one r2c + c2r pair at the given lengths
/// (used to choose block shapes).
double transform_cost(const std::vector<index_t>& n);

/// 64-byte-aligned allocation of `bytes`, backed by transparent huge pages when large
/// (madvise: FFTW runs up to ~2-4x faster on 2 MiB pages for big transforms here).
/// Made with the aligned operator new: throws std::bad_alloc.
void* allocate(std::size_t bytes);
/// Frees what allocate(bytes) returned (the same `bytes`).
void release(void* p, std::size_t bytes) noexcept;

/// Owning buffer of T made with allocate().
template <class T>
struct Buffer {
  struct Free {
    std::size_t bytes = 0;
    void operator()(T* p) const noexcept { release(p, bytes); }
  };
  std::unique_ptr<T[], Free> data;
  std::size_t size = 0;
  /// Room for n values (contents not kept). The old buffer goes first: not both held
  /// at once, and empty (size 0) if the new one cannot be had.
  void reserve(std::size_t n) {
    if (n <= size) return;
    data.reset();
    size = 0;
    data = std::unique_ptr<T[], Free>(static_cast<T*>(allocate(n * sizeof(T))), Free{n * sizeof(T)});
    size = n;
  }
};

}  // namespace autoconv::detail::fft
