#pragma once
// A caching allocator for host tensor storage. Training allocates the same activation sizes every
// iteration; returning blocks to per-size free lists instead of to the OS avoids page faults and
// zeroing by the kernel on every step (large malloc/free pairs go through mmap/munmap in glibc).
// Blocks are 64-byte aligned (a cache line, and a full AVX-512 vector).
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace i2i {

struct host_allocator_stats {
  std::size_t bytes_in_use = 0;     ///< handed out and not yet returned
  std::size_t bytes_cached = 0;     ///< returned and kept for reuse
  std::size_t peak_bytes_in_use = 0;
  std::size_t cache_hits = 0;
  std::size_t cache_misses = 0;
};

class host_allocator {
 public:
  static constexpr std::size_t alignment = 64;

  /// The process-wide instance used by every CPU tensor.
  static host_allocator& instance() {
    static host_allocator a;
    return a;
  }

  /// Size actually reserved for a request: rounded up to 1/8 of its power of two (at most 12.5% waste)
  /// so that nearby sizes share a free list.
  static std::size_t rounded(std::size_t bytes) {
    if (bytes <= 512) return std::max<std::size_t>(alignment, (bytes + alignment - 1) / alignment * alignment);
    const std::size_t step = std::bit_floor(bytes) / 8;
    return (bytes + step - 1) / step * step;
  }

  void* allocate(std::size_t bytes) {
    const std::size_t size = rounded(bytes);
    {
      std::lock_guard lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        stats_.bytes_cached -= size;
        note_use(size);
        ++stats_.cache_hits;
        return p;
      }
      ++stats_.cache_misses;
    }
    void* p = std::aligned_alloc(alignment, size);
    if (!p) {
      release_cached();  // one retry after giving the cache back to the system
      p = std::aligned_alloc(alignment, size);
      if (!p) throw std::bad_alloc();
    }
    std::lock_guard lock(mutex_);
    note_use(size);
    return p;
  }

  void deallocate(void* p, std::size_t bytes) noexcept {
    if (!p) return;
    const std::size_t size = rounded(bytes);
    std::lock_guard lock(mutex_);
    stats_.bytes_in_use -= size;
    if (stats_.bytes_cached + size > cache_limit_) {
      std::free(p);
      return;
    }
    try {
      free_[size].push_back(p);
      stats_.bytes_cached += size;
    } catch (...) {
      std::free(p);  // bookkeeping could not grow: give the block back rather than leak it
    }
  }

  /// Frees every cached block.
  void release_cached() noexcept {
    std::lock_guard lock(mutex_);
    for (auto& [size, blocks] : free_)
      for (void* p : blocks) std::free(p);
    free_.clear();
    stats_.bytes_cached = 0;
  }

  /// Upper bound on cached bytes; blocks returned beyond it go back to the system. Default 8 GiB.
  void set_cache_limit(std::size_t bytes) {
    cache_limit_ = bytes;
    if (stats_.bytes_cached > bytes) release_cached();
  }

  host_allocator_stats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

  ~host_allocator() { release_cached(); }

 private:
  host_allocator() = default;
  void note_use(std::size_t size) {
    stats_.bytes_in_use += size;
    stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  host_allocator_stats stats_;
  std::size_t cache_limit_ = std::size_t(8) << 30;
};

}  // namespace i2i
