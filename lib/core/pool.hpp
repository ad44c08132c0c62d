// lib/core/pool.hpp: per-worker scratch objects kept by an engine between calls, so
// that execute() allocates nothing once every worker has had one.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <vector>

namespace autoconv::detail {

/// Most workers one call can take scratch for (resolve_threads never asks for more).
inline constexpr int max_workers = 256;

/// A pool of W. A Lease takes n objects for one call (engines take them before their
/// parallel region; a stream's blocks may lease inside one, where for_each_slice
/// carries an exception out) and returns them to the pool when it ends.
///
/// Exception safety: where making an object or prepare throws (std::bad_alloc while a
/// buffer grows), the objects already taken go back to the pool before the exception
/// leaves the constructor. Returning objects never allocates (and so never throws):
/// the free list's capacity is kept at least the number of objects the pool owns.
template <class W>
class Pool {
 public:
  class Lease {
   public:
    /// n objects (n <= max_workers), each passed to prepare(W&) (e.g. to size it).
    template <class Prepare>
    Lease(const Pool& pool, int n, Prepare&& prepare) : pool_(&pool) {
      if (n <= 0) return;  // nothing leased: the pool's lock is not taken
      try {
        {
          std::lock_guard<std::mutex> lock(pool.mu_);
          while (n_ < n && !pool.free_.empty()) {
            items_[static_cast<std::size_t>(n_++)] = pool.free_.back().release();
            pool.free_.pop_back();
          }
        }
        while (n_ < n) {
          auto w = std::make_unique<W>();
          std::lock_guard<std::mutex> lock(pool.mu_);
          pool.free_.reserve(pool.owned_ + 1);  // room to return it (and every other) later
          ++pool.owned_;
          items_[static_cast<std::size_t>(n_++)] = w.release();
        }
        for (int i = 0; i < n_; ++i) prepare(*items_[static_cast<std::size_t>(i)]);
      } catch (...) {
        give_back();
        throw;
      }
    }
    ~Lease() { give_back(); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    W& operator[](int i) const { return *items_[static_cast<std::size_t>(i)]; }

   private:
    const Pool* pool_;
    std::array<W*, max_workers> items_{};
    int n_ = 0;

    void give_back() noexcept {  // within the capacity reserved above: no allocation
      if (n_ == 0) return;
      std::lock_guard<std::mutex> lock(pool_->mu_);
      for (int i = 0; i < n_; ++i) pool_->free_.emplace_back(items_[static_cast<std::size_t>(i)]);
      n_ = 0;
    }
  };

 private:
  mutable std::mutex mu_;
  mutable std::vector<std::unique_ptr<W>> free_;
  mutable std::size_t owned_ = 0;  // objects made by this pool: in free_ or leased
};

}  // namespace autoconv::detail
