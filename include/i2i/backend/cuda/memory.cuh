#pragma once
// Device tensors: plain cudaMalloc-backed storage adopted by i2i::tensor, and host <-> device copies.
// This is the minimal path the first GPU tests need; the caching device allocator of DESIGN §2 replaces
// the allocation here without changing these signatures.
#include <cstddef>

#include "i2i/backend/cuda/runtime.cuh"
#include "i2i/core/tensor.hpp"

namespace i2i::cuda {

/// Uninitialised tensor in the memory of device `index` (which must be visible).
template <class T>
tensor<T> device_empty(const shape& s, int index = 0) {
  require_device(index);
  const std::size_t bytes = std::size_t(s.numel()) * sizeof(T);
  void* p = nullptr;
  if (bytes) I2I_CUDA_CHECK(cudaMalloc(&p, bytes));
  // A deleter runs in a destructor: it must not throw, and a failing free at exit is not actionable.
  auto st = storage::adopt(p, bytes, device::cuda(index), [](void* q, std::size_t) {
    if (q) (void)cudaFree(q);
  });
  return tensor<T>(s, std::move(st));
}

/// Copies between tensors of the same shape on any combination of host and device.
template <class T>
void copy(const tensor<T>& src, const tensor<T>& dst) {
  require_shape("cuda::copy", "destination", dst, src.shape());
  const std::size_t bytes = std::size_t(src.numel()) * sizeof(T);
  if (bytes) I2I_CUDA_CHECK(cudaMemcpy(dst.data(), src.data(), bytes, cudaMemcpyDefault));
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
  I2I_CUDA_CHECK(cudaSetDevice(dev.where().index));
  copy(dev, h);
  return h;
}

}  // namespace i2i::cuda
