#pragma once
// Device tensors: storage from the caching device allocator (allocator.cuh) adopted by i2i::tensor,
// and host <-> device copies. Copies use plain cudaMemcpy (legacy default stream, synchronous with the
// host), which orders them after everything queued on the default or any blocking stream.
#include <cstddef>

#include "i2i/backend/cuda/allocator.cuh"
#include "i2i/backend/cuda/runtime.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/tensor.hpp"

namespace i2i::cuda {

namespace detail {
/// Visible device count, probed once per process (the set of devices cannot change while it runs).
inline const device_probe& cached_probe() {
  static const device_probe p = probe_devices();
  return p;
}
}  // namespace detail

/// Throws device_error unless device `index` is visible. Unlike require_device it does not change the
/// runtime's current device (the per-thread current device of stream.cuh stays authoritative).
inline void check_device_index(int index) {
  const device_probe& p = detail::cached_probe();
  require<device_error>(p.count > 0, "no CUDA device visible (", p.what(), ")");
  require<device_error>(index >= 0 && index < p.count, "CUDA device ", index, " requested but only ", p.count,
                        " device(s) visible (CUDA_VISIBLE_DEVICES may hide some)");
}

/// Uninitialised tensor in the memory of device `index` (which must be visible), from the caching
/// allocator (allocator.cuh), ordered on the current stream when `index` is the current device.
template <class T>
tensor<T> device_empty(const shape& s, int index = 0) {
  check_device_index(index);
  const std::size_t bytes = std::size_t(s.numel()) * sizeof(T);
  cudaStream_t stream = index == current_device() ? current_stream() : cudaStream_t(nullptr);
  void* p = device_allocator::instance().allocate(bytes, index, stream);
  // The deleter runs in a destructor: deallocate never throws and makes no CUDA call.
  auto st = storage::adopt(p, bytes, device::cuda(index), [index](void* q, std::size_t) {
    device_allocator::instance().deallocate(q, index);
  });
  return tensor<T>(s, std::move(st));
}

/// Zero-filled device tensor (cudaMemsetAsync on the current stream).
template <class T>
tensor<T> device_zeros(const shape& s, int index = 0) {
  tensor<T> t = device_empty<T>(s, index);
  const std::size_t bytes = std::size_t(s.numel()) * sizeof(T);
  if (bytes) I2I_CUDA_CHECK(cudaMemsetAsync(t.data(), 0, bytes, index == current_device() ? current_stream() : nullptr));
  return t;
}

/// Copies between tensors of the same shape on any combination of host and device.
template <class T>
void copy(const tensor<T>& src, const tensor<T>& dst) {
  require_shape("cuda::copy", "destination", dst, src.shape());
  const std::size_t bytes = std::size_t(src.numel()) * sizeof(T);
  if (bytes) I2I_CUDA_CHECK(cudaMemcpy(dst.data(), src.data(), bytes, cudaMemcpyDefault));
}

/// dst <- src (same shape, host or device either side) on the current stream: ordered with the stream's
/// work instead of synchronising (a pageable host source is staged before the call returns).
template <class T>
void copy_async(const tensor<T>& src, const tensor<T>& dst) {
  require_shape("cuda::copy_async", "destination", dst, src.shape());
  const std::size_t bytes = std::size_t(src.numel()) * sizeof(T);
  if (bytes) I2I_CUDA_CHECK(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDefault, current_stream()));
}

/// A device copy of a host tensor.
template <class T>
tensor<T> to_device(const tensor<T>& host, int index = 0) {
  require<device_error>(host.where().is_cpu(), "cuda::to_device: tensor of shape ", host.shape(), " is already on ",
                        host.where());
  tensor<T> d = device_empty<T>(host.shape(), index);
  copy(host, d);
  return d;
}

/// A host copy of a device tensor.
template <class T>
tensor<T> to_host(const tensor<T>& dev) {
  require<device_error>(dev.where().is_cuda(), "cuda::to_host: tensor of shape ", dev.shape(), " is already on ",
                        dev.where());
  tensor<T> h = tensor<T>::empty(dev.shape());
  // The copy synchronises with the legacy default stream of the tensor's device; afterwards the
  // runtime goes back to this thread's current device (stream.cuh).
  I2I_CUDA_CHECK(cudaSetDevice(dev.where().index));
  copy(dev, h);
  I2I_CUDA_CHECK(cudaSetDevice(current_device()));
  return h;
}

}  // namespace i2i::cuda
