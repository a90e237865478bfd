#pragma once
// Launch configuration and the small host <-> device exchanges the kernels need.
//
// Every kernel runs on cuda::current_stream() of the current device and loops grid-stride, so any size
// fits a capped grid; kernels are never launched for empty tensors (a zero grid is a launch error).
// Every launch is followed by I2I_CUDA_CHECK_LAUNCH. Host reads of device values (loss values, error
// flags) are ordered on the current stream and synchronise it: they are the only synchronisations here.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "i2i/backend/cuda/memory.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/tensor.hpp"

/// for (std::int64_t i = global thread index; i < n; i += total threads)
#define I2I_GRID_STRIDE(i, n)                                                                           \
  for (std::int64_t i = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x, i##_end = (n); i < i##_end; \
       i += std::int64_t(blockDim.x) * gridDim.x)

/// for (std::int64_t p = blockIdx.x; p < n; p += gridDim.x): one block per plane, channel or segment.
#define I2I_BLOCK_STRIDE(p, n) \
  for (std::int64_t p = blockIdx.x, p##_end = (n); p < p##_end; p += gridDim.x)

namespace i2i::cuda::launch {

/// Threads per block of the elementwise kernels.
inline constexpr unsigned threads = 256;
/// Threads per block of the kernels that reduce one plane or channel per block (a multiple of 32).
inline constexpr unsigned plane_threads = 512;
/// Grid cap of the block-per-plane kernels; the grid-stride loop over planes covers the rest.
inline constexpr std::int64_t max_plane_blocks = 65535;

inline unsigned elementwise_blocks(std::int64_t n) { return grid_for(n, threads); }
inline unsigned plane_blocks(std::int64_t planes) {
  return unsigned(std::clamp<std::int64_t>(planes, 1, max_plane_blocks));
}

/// The device index of the outputs: every input is on the current device (checks::require_tensor<on_current_device>).
inline int device() { return current_device(); }

template <class T>
tensor<T> empty(const shape& s) {
  return device_empty<T>(s, device());
}

/// Ordered on the current stream; from pageable host memory the call returns once the source was
/// staged, so `src` may be a temporary.
inline void copy_bytes(void* dst, const void* src, std::size_t bytes) {
  if (bytes) I2I_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, current_stream()));
}

inline void zero_bytes(void* dst, std::size_t bytes) {
  if (bytes) I2I_CUDA_CHECK(cudaMemsetAsync(dst, 0, bytes, current_stream()));
}

template <class T>
tensor<T> zeros(const shape& s) {
  tensor<T> t = empty<T>(s);
  zero_bytes(t.data(), std::size_t(t.numel()) * sizeof(T));
  return t;
}

/// An independent device copy of a device tensor.
template <class T>
tensor<T> clone(const tensor<T>& x) {
  tensor<T> y = empty<T>(x.shape());
  copy_bytes(y.data(), x.data(), std::size_t(x.numel()) * sizeof(T));
  return y;
}

/// A device tensor of shape {values.size()} holding `values`.
template <class T>
tensor<T> upload(const std::vector<T>& values) {
  tensor<T> t = empty<T>(shape{std::int64_t(values.size())});
  copy_bytes(t.data(), values.data(), values.size() * sizeof(T));
  return t;
}

/// Host copy of `count` device values (synchronises the current stream).
template <class T>
std::vector<T> download(const T* p, std::size_t count) {
  std::vector<T> v(count);
  if (count) {
    I2I_CUDA_CHECK(cudaMemcpyAsync(v.data(), p, count * sizeof(T), cudaMemcpyDefault, current_stream()));
    I2I_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
  }
  return v;
}

template <class T>
T download_one(const T* p) {
  return download(p, 1)[0];
}

template <class T>
__global__ void fill_kernel(T* p, std::int64_t n, T v) {
  I2I_GRID_STRIDE(i, n) p[i] = v;
}

template <class T>
void fill(T* p, std::int64_t n, T v) {
  if (n <= 0) return;
  fill_kernel<<<elementwise_blocks(n), threads, 0, current_stream()>>>(p, n, v);
  I2I_CUDA_CHECK_LAUNCH("fill_kernel");
}

/// A device slot that kernels use to report the first (smallest) element index at which they found a
/// bad value: kernels cannot throw, so the host reads the slot after the kernel and throws itself.
class first_bad_index {
 public:
  static constexpr long long none = std::numeric_limits<long long>::max();

  first_bad_index() : slot_(empty<long long>(shape{1})) { fill(slot_.data(), 1, none); }
  long long* get() const { return slot_.data(); }
  /// The flagged index, or -1 when nothing was flagged (synchronises the current stream).
  std::int64_t read() const {
    const long long v = download_one(slot_.data());
    return v == none ? -1 : std::int64_t(v);
  }

 private:
  tensor<long long> slot_;
};

__device__ __forceinline__ void flag(long long* slot, std::int64_t index) { atomicMin(slot, (long long)index); }

}  // namespace i2i::cuda::launch
