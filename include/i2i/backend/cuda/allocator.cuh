#pragma once
// Caching device allocator (DESIGN §2): no cudaMalloc per op.
//
// Every request is rounded up to a size class and served from that class's free list for the
// (device, stream) pair; only a miss calls cudaMalloc. Freed blocks go back to their list, never to
// the driver, until release_cached() or an out-of-memory retry.
//
//   size classes  <= 1 MiB: multiples of 512 B; above: 8 classes per power of two (2^p * (1 + k/8)),
//                 so a block wastes at most 12.5 % of a large request. Blocks are never split or
//                 merged: one pix2pixHD step reuses the same few hundred sizes on every iteration,
//                 so exact classes hit after the first step and need no coalescing.
//   streams       a block is reused only on the stream it was allocated on. Work on one stream runs in
//                 order, so a block freed (host side) while a kernel that uses it is still queued is
//                 safe to hand to the next op on that stream: that op runs after the kernel. Using a
//                 tensor on another stream than its allocation stream needs the caller's synchronisation
//                 (the library uses one stream per thread; see stream.cuh).
//   out of memory cudaMalloc fails -> synchronise, free every cached block of that device, retry once;
//                 then throw device_error with the requested size and the allocator's statistics.
//   debugging     I2I_CUDA_ALLOCATOR=direct in the environment turns caching off: every request is an
//                 exact-size cudaMalloc and every release a cudaFree, so compute-sanitizer memcheck sees
//                 each tensor's true bounds (a cached block is larger than the request and reused).
//   lifetime      the allocator is never destroyed (a leaked singleton): tensors held in static storage
//                 may be destroyed after any other static, and the driver reclaims memory at exit.
//   graph pools   while a CUDA graph is being captured (graph.cuh), the capturing thread allocates from
//                 that graph's private pool (`pool_scope`): its own free lists, keyed by the pool instead
//                 of the stream, so the addresses the graph replays are never handed to other work while
//                 the graph lives (PyTorch's graph-private memory pools). A pool starts with the idle free
//                 blocks of the stream the capture follows (`adopt_free_blocks`), so capture after a
//                 warm-up adds little memory; a miss during capture calls cudaMalloc in the relaxed
//                 capture mode (cudaMalloc is not a stream operation and would otherwise invalidate the
//                 capture). When the graph is destroyed its pool retires: its free blocks go back to the
//                 stream's lists, and blocks still held by tensors follow them when freed.
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "i2i/backend/cuda/runtime.cuh"
#include "i2i/backend/cuda/stream.cuh"

namespace i2i::cuda {

namespace detail {
/// The graph pool this thread allocates from (nullptr: the stream's own lists). Set by pool_scope.
inline const void*& this_thread_pool() {
  thread_local const void* pool = nullptr;
  return pool;
}
}  // namespace detail

/// Byte counts of one device's allocator (all streams).
struct allocator_stats {
  std::size_t in_use = 0;          // bytes of blocks handed out (size-class bytes, >= requested)
  std::size_t requested = 0;       // bytes callers asked for, of blocks currently handed out
  std::size_t cached = 0;          // bytes of free blocks kept for reuse
  std::size_t peak_in_use = 0;     // high-water mark of in_use since the last reset_peak()
  std::size_t peak_reserved = 0;   // high-water mark of in_use + cached (what the driver lent us)
  std::size_t allocations = 0;     // allocate() calls that returned memory
  std::size_t cache_hits = 0;      // ... of which served from a free list
  std::size_t device_mallocs = 0;  // cudaMalloc calls
  std::size_t device_frees = 0;    // cudaFree calls (release_cached, OOM retries)
  std::size_t oom_retries = 0;     // times the cache was emptied to satisfy a request

  std::size_t reserved() const { return in_use + cached; }
  std::string str() const {
    auto mib = [](std::size_t b) { return double(b) / (1024.0 * 1024.0); };
    std::ostringstream os;
    os.setf(std::ios::fixed);
    os.precision(1);
    os << "in use " << mib(in_use) << " MiB (requested " << mib(requested) << " MiB), cached " << mib(cached)
       << " MiB, peak in use " << mib(peak_in_use) << " MiB, peak reserved " << mib(peak_reserved) << " MiB, "
       << allocations << " allocations (" << cache_hits << " cache hits), " << device_mallocs << " cudaMalloc, "
       << device_frees << " cudaFree";
    return os.str();
  }
};

class device_allocator {
 public:
  /// The process-wide allocator.
  static device_allocator& instance() {
    static device_allocator* a = new device_allocator();  // never destroyed: see "lifetime" above
    return *a;
  }

  /// False when I2I_CUDA_ALLOCATOR=direct (exact cudaMalloc/cudaFree per tensor, for memcheck).
  bool caching() const { return caching_; }

  /// Size class that a request of `bytes` is served from (exposed for tests).
  static std::size_t size_class(std::size_t bytes) {
    constexpr std::size_t small = 1u << 20, quantum = 512;
    if (bytes == 0) return 0;
    if (bytes <= small) return (bytes + quantum - 1) / quantum * quantum;
    int p = 63;
    while (!(bytes >> p)) --p;                       // 2^p <= bytes < 2^(p+1)
    const std::size_t step = (std::size_t(1) << p) / 8;  // 8 classes per power of two
    return (bytes + step - 1) / step * step;
  }

  /// `bytes` of memory on device `dev`, ordered on `stream`. nullptr for 0 bytes.
  void* allocate(std::size_t bytes, int dev, cudaStream_t stream) {
    if (bytes == 0) return nullptr;
    require<device_error>(dev >= 0 && dev < max_devices, "cuda allocator: device index ", dev, " out of range");
    const std::size_t cls = caching_ ? size_class(bytes) : bytes;
    const void* owner = detail::this_thread_pool() ? detail::this_thread_pool() : static_cast<const void*>(stream);
    std::lock_guard<std::mutex> lock(mutex_);
    device_state& d = devices_[std::size_t(dev)];
    void* p = nullptr;
    auto it = caching_ ? d.free.find(key{owner, cls}) : d.free.end();
    if (it != d.free.end() && !it->second.empty()) {
      p = it->second.back();
      it->second.pop_back();
      d.stats.cached -= cls;
      ++d.stats.cache_hits;
    } else {
      p = device_malloc(d, dev, cls, bytes);
    }
    d.live.emplace(p, block{cls, bytes, owner});
    d.stats.in_use += cls;
    d.stats.requested += bytes;
    ++d.stats.allocations;
    d.stats.peak_in_use = std::max(d.stats.peak_in_use, d.stats.in_use);
    d.stats.peak_reserved = std::max(d.stats.peak_reserved, d.stats.reserved());
    return p;
  }

  /// Gives a block back to its free list. Never throws and makes no CUDA call (runs in destructors,
  /// possibly after the CUDA context is gone at exit).
  void deallocate(void* p, int dev) noexcept {
    if (!p || dev < 0 || dev >= max_devices) return;
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      device_state& d = devices_[std::size_t(dev)];
      auto it = d.live.find(p);
      if (it == d.live.end()) return;  // not ours: nothing sensible to do in a destructor
      const block b = it->second;
      d.live.erase(it);
      d.stats.in_use -= b.cls;
      d.stats.requested -= b.requested;
      if (!caching_) {  // debugging mode: straight back to the driver (cudaFree synchronises)
        int previous = 0;
        (void)cudaGetDevice(&previous);
        (void)cudaSetDevice(dev);
        (void)cudaFree(p);
        (void)cudaSetDevice(previous);
        (void)cudaGetLastError();
        ++d.stats.device_frees;
        return;
      }
      const auto retired = d.retired.find(b.owner);
      d.free[key{retired == d.retired.end() ? b.owner : retired->second, b.cls}].push_back(p);
      d.stats.cached += b.cls;
    } catch (...) {
      // vector growth failed (host OOM): the block leaks, which is the only safe outcome here
    }
  }

  /// Frees every cached (unused) block of device `dev` (-1: every device) back to the driver.
  void release_cached(int dev = -1) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (int i = 0; i < max_devices; ++i)
      if ((dev < 0 || dev == i) && devices_[std::size_t(i)].stats.cached > 0) release_locked(i);
  }

  allocator_stats stats(int dev) const {
    std::lock_guard<std::mutex> lock(mutex_);
    require<device_error>(dev >= 0 && dev < max_devices, "cuda allocator: device index ", dev, " out of range");
    return devices_[std::size_t(dev)].stats;
  }
  /// Opens graph pool `pool` on device `dev` and moves the free blocks of `stream` into it (the caller
  /// has synchronised the stream, so they are idle). release_cached leaves an open pool's blocks alone:
  /// its graph replays on them.
  void begin_pool(int dev, const void* pool, cudaStream_t stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    device_state& d = devices_[std::size_t(dev)];
    d.pools.insert(pool);
    d.retired.erase(pool);  // a new graph at a retired one's address: its late blocks may join the new pool
    for (auto it = d.free.begin(); it != d.free.end(); ++it) {
      if (it->first.owner != static_cast<const void*>(stream) || it->second.empty()) continue;
      auto& to = d.free[key{pool, it->first.cls}];
      to.insert(to.end(), it->second.begin(), it->second.end());
      it->second.clear();
    }
  }
  /// Retires graph pool `pool` once its graph is gone and its work has finished: its free blocks join
  /// `stream`'s lists, and so do its live blocks when they are freed.
  void retire_pool(int dev, const void* pool, cudaStream_t stream) noexcept {
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      device_state& d = devices_[std::size_t(dev)];
      d.pools.erase(pool);
      const void* home = static_cast<const void*>(stream);
      for (auto it = d.free.begin(); it != d.free.end(); ++it) {
        if (it->first.owner != pool || it->second.empty()) continue;
        auto& to = d.free[key{home, it->first.cls}];
        to.insert(to.end(), it->second.begin(), it->second.end());
        it->second.clear();
      }
      for (const auto& [p, b] : d.live)
        if (b.owner == pool) {
          d.retired[pool] = home;
          break;
        }
    } catch (...) {
      // host out of memory while moving lists: the pool's blocks stay cached under its key (a leak, not a fault)
    }
  }
  /// Bytes of blocks (free or handed out) that belong to graph pool `pool`.
  std::size_t pool_bytes(int dev, const void* pool) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const device_state& d = devices_[std::size_t(dev)];
    std::size_t n = 0;
    for (const auto& [k, blocks] : d.free)
      if (k.owner == pool) n += k.cls * blocks.size();
    for (const auto& [p, b] : d.live)
      if (b.owner == pool) n += b.cls;
    return n;
  }

  /// Restarts the peak counters at the current usage (for per-phase measurements).
  void reset_peak(int dev) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& s = devices_[std::size_t(dev)].stats;
    s.peak_in_use = s.in_use;
    s.peak_reserved = s.reserved();
  }

 private:
  // A block's owner is the stream it was allocated on, or the graph pool it was allocated in.
  struct key {
    const void* owner;
    std::size_t cls;
    friend bool operator<(const key& a, const key& b) {
      return a.cls != b.cls ? a.cls < b.cls : std::less<const void*>()(a.owner, b.owner);
    }
  };
  struct block {
    std::size_t cls, requested;
    const void* owner;
  };
  struct device_state {
    std::map<key, std::vector<void*>> free;
    std::unordered_map<void*, block> live;
    std::unordered_set<const void*> pools;                 // open graph pools
    std::unordered_map<const void*, const void*> retired;  // retired graph pool -> the stream its blocks join
    allocator_stats stats;
  };

  device_allocator() {
    const char* mode = std::getenv("I2I_CUDA_ALLOCATOR");
    caching_ = !(mode && std::strcmp(mode, "direct") == 0);
  }

  // Called with the mutex held.
  void* device_malloc(device_state& d, int dev, std::size_t cls, std::size_t bytes) {
    int previous = 0;
    I2I_CUDA_CHECK(cudaGetDevice(&previous));
    if (previous != dev) I2I_CUDA_CHECK(cudaSetDevice(dev));
    struct restore {
      int prev, dev;
      ~restore() {
        if (prev != dev) (void)cudaSetDevice(prev);
      }
    } restore_device{previous, dev};

    void* p = nullptr;
    // During a graph capture (a pool is set) cudaMalloc must not count as part of the capture: relaxed
    // mode for this call, restored after it.
    cudaStreamCaptureMode mode = cudaStreamCaptureModeRelaxed;
    const bool capturing = detail::this_thread_pool() != nullptr;
    if (capturing) I2I_CUDA_CHECK(cudaThreadExchangeStreamCaptureMode(&mode));
    struct restore_mode {
      bool on;
      cudaStreamCaptureMode* m;
      ~restore_mode() {
        if (on) (void)cudaThreadExchangeStreamCaptureMode(m);
      }
    } restore_capture_mode{capturing, &mode};
    cudaError_t st = cudaMalloc(&p, cls);
    // No retry while capturing: emptying the cache synchronises the device, which a capture forbids.
    if (st == cudaErrorMemoryAllocation && d.stats.cached > 0 && !capturing) {
      (void)cudaGetLastError();
      ++d.stats.oom_retries;
      release_locked(dev);
      st = cudaMalloc(&p, cls);
    }
    if (st != cudaSuccess) {
      (void)cudaGetLastError();
      std::size_t free_b = 0, total_b = 0;
      const bool info = cudaMemGetInfo(&free_b, &total_b) == cudaSuccess;
      (void)cudaGetLastError();
      throw device_error(i2i::detail::concat(
          "CUDA out of memory on device ", dev, ": cudaMalloc of ", cls, " bytes (size class of a request for ",
          bytes, " bytes) failed after emptying the cache: ", cudaGetErrorString(st), ". Allocator: ", d.stats.str(),
          info ? i2i::detail::concat(". Device: ", free_b >> 20, " MiB free of ", total_b >> 20, " MiB")
               : std::string()));
    }
    ++d.stats.device_mallocs;
    return p;
  }

  // Frees all cached blocks of one device, except those of open graph pools (their graphs replay on
  // them); called with the mutex held. cudaFree synchronises the device, so blocks cached for any stream
  // are idle when they are returned.
  void release_locked(int dev) {
    device_state& d = devices_[std::size_t(dev)];
    int previous = 0;
    I2I_CUDA_CHECK(cudaGetDevice(&previous));
    I2I_CUDA_CHECK(cudaSetDevice(dev));
    I2I_CUDA_CHECK(cudaDeviceSynchronize());
    for (auto it = d.free.begin(); it != d.free.end();) {
      if (d.pools.count(it->first.owner)) {
        ++it;
        continue;
      }
      for (void* p : it->second) {
        (void)cudaFree(p);
        ++d.stats.device_frees;
      }
      d.stats.cached -= it->first.cls * it->second.size();
      it = d.free.erase(it);
    }
    (void)cudaGetLastError();
    I2I_CUDA_CHECK(cudaSetDevice(previous));
  }

  bool caching_ = true;
  mutable std::mutex mutex_;
  std::array<device_state, max_devices> devices_{};
};

/// Statistics of the current device (or `dev`).
inline allocator_stats memory_stats(int dev = -1) {
  return device_allocator::instance().stats(dev < 0 ? current_device() : dev);
}
/// Returns every cached block to the driver (all devices by default).
inline void release_cached(int dev = -1) { device_allocator::instance().release_cached(dev); }
inline void reset_peak_memory(int dev = -1) { device_allocator::instance().reset_peak(dev < 0 ? current_device() : dev); }

/// Makes this thread allocate from graph pool `pool` for its lifetime (graph.cuh, during a capture).
class pool_scope {
 public:
  explicit pool_scope(const void* pool) : previous_(std::exchange(detail::this_thread_pool(), pool)) {}
  ~pool_scope() { detail::this_thread_pool() = previous_; }
  pool_scope(const pool_scope&) = delete;
  pool_scope& operator=(const pool_scope&) = delete;

 private:
  const void* previous_;
};

/// RAII scratch memory (cuDNN workspaces, cast buffers) from the caching allocator on the current
/// device and stream.
class scratch {
 public:
  scratch() = default;
  explicit scratch(std::size_t bytes) : dev_(current_device()), bytes_(bytes) {
    p_ = device_allocator::instance().allocate(bytes, dev_, current_stream());
  }
  ~scratch() { device_allocator::instance().deallocate(p_, dev_); }
  scratch(scratch&& o) noexcept : p_(std::exchange(o.p_, nullptr)), dev_(o.dev_), bytes_(std::exchange(o.bytes_, 0)) {}
  scratch& operator=(scratch&& o) noexcept {
    if (this != &o) {
      device_allocator::instance().deallocate(p_, dev_);
      p_ = std::exchange(o.p_, nullptr);
      dev_ = o.dev_;
      bytes_ = std::exchange(o.bytes_, 0);
    }
    return *this;
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;

  void* get() const noexcept { return p_; }
  template <class U>
  U* as() const noexcept {
    return static_cast<U*>(p_);
  }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  void* p_ = nullptr;
  int dev_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace i2i::cuda
