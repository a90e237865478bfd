#pragma once
// EGSC-IT's feature mask on the device, mirroring cpu/feature_mask.hpp:
//
//   feature_mask(f)              m = 0.5 + 0.5 sigmoid(f)
//   feature_mask_backward(dm, m) df = dm 0.5 s (1 - s) with s = 2 m - 1
#include <cstdint>

#include "i2i/backend/checks/pointwise.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

namespace feature_mask_detail {
__device__ __forceinline__ float exp_of(float x) { return expf(x); }
__device__ __forceinline__ double exp_of(double x) { return exp(x); }

template <class T>
__global__ void forward_kernel(const T* f, T* m, std::int64_t n) {
  I2I_GRID_STRIDE(i, n) m[i] = T(0.5) + T(0.5) / (T(1) + exp_of(-f[i]));
}
template <class T>
__global__ void backward_kernel(const T* dm, const T* m, T* df, std::int64_t n) {
  I2I_GRID_STRIDE(i, n) {
    const T s = T(2) * m[i] - T(1);
    df[i] = dm[i] * T(0.5) * s * (T(1) - s);
  }
}
}  // namespace feature_mask_detail

template <device_real T>
tensor<T> feature_mask(const tensor<T>& f) {
  checks::require_tensor<on_current_device>("feature_mask", "features", f);
  auto m = launch::empty<T>(f.shape());
  if (f.numel() > 0) {
    feature_mask_detail::forward_kernel<<<launch::elementwise_blocks(f.numel()), launch::threads, 0,
                                          current_stream()>>>(f.data(), m.data(), f.numel());
    I2I_CUDA_CHECK_LAUNCH("feature_mask_kernel");
  }
  return m;
}

template <device_real T>
tensor<T> feature_mask_backward(const tensor<T>& dm, const tensor<T>& m) {
  checks::binary<on_current_device>("feature_mask_backward", dm, m);
  auto df = launch::empty<T>(m.shape());
  if (m.numel() > 0) {
    feature_mask_detail::backward_kernel<<<launch::elementwise_blocks(m.numel()), launch::threads, 0,
                                           current_stream()>>>(dm.data(), m.data(), df.data(), m.numel());
    I2I_CUDA_CHECK_LAUNCH("feature_mask_backward_kernel");
  }
  return df;
}

}  // namespace i2i::cuda
