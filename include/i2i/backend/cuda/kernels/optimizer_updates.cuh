#pragma once
// The optimizer updates on device tensors (cuda_backend::adam_update / sgd_update): the formulas of
// cpu/optimizer_updates.hpp element by element, in fp32 like the CPU, with the scalars of
// backend/optimizer_args.hpp rounded to float once per call. Parameters are fp32 master weights on every
// precision policy, so there is one instantiation (float).
#include <cstdint>

#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/checks/optimizer.hpp"
#include "i2i/backend/cuda/placement.cuh"

namespace i2i::cuda {

namespace optimizer_detail {

template <class T>
__global__ void adam_kernel(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m, T* __restrict__ v,
                            std::int64_t n, T b1, T b2, T step_size, T inv_sqrt_bc2, T eps, T wd) {
  I2I_GRID_STRIDE(i, n) {
    const T gi = wd != T(0) ? g[i] + wd * p[i] : g[i];
    const T mi = b1 * m[i] + (T(1) - b1) * gi;
    const T vi = b2 * v[i] + (T(1) - b2) * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

/// momentum == 0 never reaches here (see sgd_plain_kernel), so b is a real buffer.
template <class T>
__global__ void sgd_momentum_kernel(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ b, std::int64_t n,
                                    T lr, T mu, T damp, T wd, bool first_step, bool nesterov) {
  I2I_GRID_STRIDE(i, n) {
    const T d = g[i] + wd * p[i];
    const T bi = first_step ? d : mu * b[i] + (T(1) - damp) * d;
    b[i] = bi;
    p[i] -= lr * (nesterov ? d + mu * bi : bi);
  }
}

template <class T>
__global__ void sgd_plain_kernel(T* __restrict__ p, const T* __restrict__ g, std::int64_t n, T lr, T wd) {
  I2I_GRID_STRIDE(i, n) p[i] -= lr * (g[i] + wd * p[i]);
}

}  // namespace optimizer_detail

template <class T>
void adam_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& exp_avg, const tensor<T>& exp_avg_sq,
                 const adam_update_args& a) {
  i2i::checks::check_adam_update<on_current_device>("adam_update", param, grad, exp_avg, exp_avg_sq);
  const std::int64_t n = param.numel();
  if (n == 0) return;
  optimizer_detail::adam_kernel<T><<<launch::elementwise_blocks(n), launch::threads, 0, current_stream()>>>(
      param.data(), grad.data(), exp_avg.data(), exp_avg_sq.data(), n, T(a.beta1), T(a.beta2), T(a.step_size),
      T(a.inv_sqrt_bc2), T(a.eps), T(a.weight_decay));
  I2I_CUDA_CHECK_LAUNCH("adam_update");
}

template <class T>
void sgd_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& momentum_buffer,
                const sgd_update_args& a) {
  i2i::checks::check_sgd_update<on_current_device>("sgd_update", param, grad, momentum_buffer, a);
  const std::int64_t n = param.numel();
  if (n == 0) return;
  if (a.momentum == 0) {
    optimizer_detail::sgd_plain_kernel<T><<<launch::elementwise_blocks(n), launch::threads, 0, current_stream()>>>(
        param.data(), grad.data(), n, T(a.lr), T(a.weight_decay));
  } else {
    optimizer_detail::sgd_momentum_kernel<T><<<launch::elementwise_blocks(n), launch::threads, 0, current_stream()>>>(
        param.data(), grad.data(), momentum_buffer.data(), n, T(a.lr), T(a.momentum), T(a.dampening),
        T(a.weight_decay), a.first_step, a.nesterov);
  }
  I2I_CUDA_CHECK_LAUNCH("sgd_update");
}

}  // namespace i2i::cuda
