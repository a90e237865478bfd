#pragma once
// Current device and current stream, per host thread (DESIGN §2).
//
// Every device op launches on `cuda::current_stream()` and allocates on `cuda::current_device()`.
// Both are thread-local so that two host threads driving two GPUs (or two streams) do not race on a
// global. The default current stream is the legacy default stream (0): it synchronises with every
// blocking stream and with the plain cudaMemcpy calls in memory.cuh, so ordering is simply program order
// unless a caller opts into another stream with `stream_guard`. The caching allocator (allocator.cuh)
// keys its free lists by stream, so a block freed on one stream is reused only on that stream (stream-
// ordered reuse without events); a tensor must therefore be used on the stream it was allocated on, or
// the caller synchronises (documented limitation; the library itself uses one stream per thread).
#include <cuda_runtime.h>

#include <array>

#include "i2i/backend/cuda/runtime.cuh"

namespace i2i::cuda {

/// Largest device index the per-thread tables hold (more than any node ships with).
inline constexpr int max_devices = 64;

namespace detail {
struct thread_streams {
  int device = 0;
  std::array<cudaStream_t, max_devices> stream{};  // nullptr = legacy default stream of that device
};
inline thread_streams& this_thread_streams() {
  thread_local thread_streams s;
  return s;
}
}  // namespace detail

/// The calling thread's current device index (0 until set_device is called). Never throws.
inline int current_device() noexcept { return detail::this_thread_streams().device; }

/// The calling thread's current stream on its current device. Never throws; 0 is the legacy default
/// stream. Kernels: `kernel<<<grid, block, smem, cuda::current_stream()>>>(...)`.
inline cudaStream_t current_stream() noexcept {
  const auto& s = detail::this_thread_streams();
  return s.stream[std::size_t(s.device)];
}

/// Makes device `index` current for this thread (and for the CUDA runtime on this thread), or throws
/// device_error when it does not exist. A runtime request for CUDA never falls back to the CPU.
inline void set_device(int index) {
  require<device_error>(index >= 0 && index < max_devices, "cuda::set_device: device index ", index,
                        " out of range [0, ", max_devices, ")");
  require_device(index);  // throws "no CUDA device visible ..." or "... only N device(s) visible"
  detail::this_thread_streams().device = index;
}

/// Sets the current stream of this thread's current device (0 restores the default stream).
inline void set_current_stream(cudaStream_t s) noexcept {
  auto& t = detail::this_thread_streams();
  t.stream[std::size_t(t.device)] = s;
}

/// Blocks the host until all work on this thread's current stream has finished.
inline void synchronize_stream() {
  I2I_CUDA_CHECK(cudaSetDevice(current_device()));
  I2I_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
}

/// Scoped current device: selects `index` (checked) and restores the previous device on exit.
class device_guard {
 public:
  explicit device_guard(int index) : previous_(current_device()) { set_device(index); }
  ~device_guard() {
    detail::this_thread_streams().device = previous_;
    (void)cudaSetDevice(previous_);  // destructor: cannot throw; the previous device was valid
  }
  device_guard(const device_guard&) = delete;
  device_guard& operator=(const device_guard&) = delete;

 private:
  int previous_;
};

/// Scoped current stream on the current device; restores the previous stream on exit. The stream is
/// not owned (see `owned_stream`).
class stream_guard {
 public:
  explicit stream_guard(cudaStream_t s) : device_(current_device()), previous_(current_stream()) {
    set_current_stream(s);
  }
  ~stream_guard() { detail::this_thread_streams().stream[std::size_t(device_)] = previous_; }
  stream_guard(const stream_guard&) = delete;
  stream_guard& operator=(const stream_guard&) = delete;

 private:
  int device_;
  cudaStream_t previous_;
};

/// An owned stream on the current device (blocking w.r.t. the legacy default stream, so plain
/// cudaMemcpy calls stay ordered with it). Destroyed after its work completes (cudaStreamDestroy
/// returns immediately and the runtime releases it once idle).
class owned_stream {
 public:
  owned_stream() { I2I_CUDA_CHECK(cudaStreamCreateWithFlags(&s_, cudaStreamDefault)); }
  ~owned_stream() {
    if (s_) (void)cudaStreamDestroy(s_);
  }
  owned_stream(const owned_stream&) = delete;
  owned_stream& operator=(const owned_stream&) = delete;
  cudaStream_t get() const noexcept { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

/// Launch configuration helpers shared by device code: a 1-D grid covering n elements with `block`
/// threads, capped so that grid-stride loops cover the rest (never exceeds the 2^31-1 grid limit).
inline unsigned grid_for(long long n, unsigned block = 256, unsigned max_blocks = 65535u * 32u) {
  if (n <= 0) return 1;
  const long long blocks = (n + block - 1) / block;
  return unsigned(blocks < (long long)max_blocks ? blocks : (long long)max_blocks);
}

/// Throws device_error if the last kernel launch failed (bad configuration, missing image for this
/// architecture). Call right after every <<<...>>> launch.
inline void check_launch(const char* kernel, const char* file, int line) {
  check(cudaGetLastError(), kernel, file, line);
}

}  // namespace i2i::cuda

/// After a kernel launch: I2I_CUDA_CHECK_LAUNCH("my_kernel");
#define I2I_CUDA_CHECK_LAUNCH(name) ::i2i::cuda::check_launch(name, __FILE__, __LINE__)
