#pragma once
// Spatial L2 normalisation on the device, mirroring cpu/l2_normalise.hpp: one block per (sample,
// channel) plane, its sums in double with the deterministic block_sum.
#include <cstdint>

#include "i2i/backend/checks/l2_normalise.hpp"
#include "i2i/backend/cuda/kernels/block_reduce.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/l2_normalise_types.hpp"

namespace i2i::cuda {

namespace l2_normalise_detail {
template <class T>
__global__ void forward_kernel(const T* f, T* y, T* inv_norm, T* clamped, std::int64_t planes, std::int64_t m,
                               double floor_value) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const T* fp = f + p * m;
    double s = 0;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) s += double(fp[i]) * double(fp[i]);
    s = reduce_detail::block_sum(s, scratch);
    const bool clamp = !(s > floor_value);
    const T inv = T(1.0 / sqrt(clamp ? floor_value : s));
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) y[p * m + i] = fp[i] * inv;
    if (threadIdx.x == 0) {
      inv_norm[p] = inv;
      clamped[p] = clamp ? T(1) : T(0);
    }
  }
}
template <class T>
__global__ void backward_kernel(const T* y, const T* dy, const T* inv_norm, const T* clamped, T* df,
                                std::int64_t planes, std::int64_t m) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const T inv = inv_norm[p];
    const T* yp = y + p * m;
    const T* gp = dy + p * m;
    if (clamped[p] != T(0)) {
      for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) df[p * m + i] = gp[i] * inv;
    } else {
      double d = 0;
      for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) d += double(gp[i]) * double(yp[i]);
      const T k = T(reduce_detail::block_sum(d, scratch));
      for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) df[p * m + i] = (gp[i] - yp[i] * k) * inv;
    }
  }
}
}  // namespace l2_normalise_detail

template <device_real T>
l2_normalise_result<T> spatial_l2_normalise(const tensor<T>& f) {
  checks::spatial_l2_normalise<on_current_device>(f);
  const std::int64_t planes = f.n() * f.c(), m = f.h() * f.w();
  l2_normalise_result<T> r{launch::empty<T>(f.shape()), launch::empty<T>(shape{f.n(), f.c()}),
                           launch::empty<T>(shape{f.n(), f.c()})};
  l2_normalise_detail::forward_kernel<<<launch::plane_blocks(planes), launch::plane_threads, 0, current_stream()>>>(
      f.data(), r.y.data(), r.inv_norm.data(), r.clamped.data(), planes, m, l2_normalise_floor);
  I2I_CUDA_CHECK_LAUNCH("spatial_l2_normalise_kernel");
  return r;
}

template <device_real T>
tensor<T> spatial_l2_normalise_backward(const l2_normalise_result<T>& saved, const tensor<T>& dy) {
  checks::spatial_l2_normalise_backward<on_current_device>(saved, dy);
  const std::int64_t planes = dy.n() * dy.c(), m = dy.h() * dy.w();
  auto df = launch::empty<T>(dy.shape());
  if (dy.numel() > 0) {
    l2_normalise_detail::backward_kernel<<<launch::plane_blocks(planes), launch::plane_threads, 0,
                                           current_stream()>>>(saved.y.data(), dy.data(), saved.inv_norm.data(),
                                                               saved.clamped.data(), df.data(), planes, m);
    I2I_CUDA_CHECK_LAUNCH("spatial_l2_normalise_backward_kernel");
  }
  return df;
}

}  // namespace i2i::cuda
