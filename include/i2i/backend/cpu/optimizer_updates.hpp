#pragma once
// The optimizer updates on host tensors (cpu_backend<T>::adam_update / sgd_update): one bulk Eigen
// expression per tensor. The scalars are rounded to T once and the expressions keep the order optim::adam
// and optim::sgd always used, so CPU training stays bit-identical to what it was before the update became
// a backend op. The CUDA twins are kernels/optimizer_updates.cuh (same formulas, element by element).
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/backend/checks/optimizer.hpp"

namespace i2i::cpu {

template <class T>
void adam_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& exp_avg, const tensor<T>& exp_avg_sq,
                 const adam_update_args& a) {
  i2i::checks::check_adam_update<i2i::checks::on_host>("adam_update", param, grad, exp_avg, exp_avg_sq);
  if (a.skip_if && *a.skip_if != 0) return;
  const T step_size = T(a.live_scalars ? double(a.live_scalars[0]) : a.step_size);
  const T inv_sqrt_bc2 = T(a.live_scalars ? double(a.live_scalars[1]) : a.inv_sqrt_bc2);
  const T b1 = T(a.beta1), b2 = T(a.beta2), eps = T(a.eps), wd = T(a.weight_decay);
  auto p = flat(param);
  auto g = flat(grad);
  auto m = flat(exp_avg);
  auto v = flat(exp_avg_sq);
  if (a.weight_decay != 0) {
    m = b1 * m + (1 - b1) * (g + wd * p);
    v = b2 * v + (1 - b2) * (g + wd * p).square();
  } else {
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g.square();
  }
  p -= step_size * m / (v.sqrt() * inv_sqrt_bc2 + eps);
}

template <class T>
void sgd_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& momentum_buffer,
                const sgd_update_args& a) {
  i2i::checks::check_sgd_update<i2i::checks::on_host>("sgd_update", param, grad, momentum_buffer, a);
  const T lr = T(a.lr), mu = T(a.momentum), damp = T(a.dampening), wd = T(a.weight_decay);
  auto p = flat(param);
  auto g = flat(grad);
  if (a.momentum == 0) {
    p -= lr * (g + wd * p);
    return;
  }
  auto b = flat(momentum_buffer);
  if (a.first_step) b = g + wd * p;
  else b = mu * b + (1 - damp) * (g + wd * p);
  if (a.nesterov) p -= lr * ((g + wd * p) + mu * b);
  else p -= lr * b;
}

}  // namespace i2i::cpu
