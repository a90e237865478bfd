#pragma once
// The elementwise loss kernels on the device, cuda_backend's loss ops; the CPU twins (the reference for
// formulas and semantics) are in backend/cpu/losses.hpp, and both take their argument checks from
// backend/checks/losses.hpp:
//
//   l1_loss(pred, target)                         mean |pred - target|,   grad sign(d) / numel (sign(0) = 0)
//   mse_loss(pred, target)                        mean (pred - target)^2, grad 2 d / numel
//   lsgan_loss(pred, gan_target)                  mean (pred - t)^2 with t = 1 (real) or 0 (fake)
//   bce_with_logits_loss(logits, gan_target | target tensor)
//                                                 mean(max(x,0) - x t + log(1 + exp(-|x|))), grad (sigmoid(x) - t) / numel
//   kl_loss(z)                                    mean z^2, grad 2 z / numel
//
// Each returns loss::loss_value<T>{value, grad}: the value accumulated in double and read back to the
// host (one synchronisation), the gradient left on the device. One pass computes both: the reduction's
// functor writes grad[i] while it adds element i. A non-finite value throws the CPU loss's value_error.
// T = float or double. Softmax cross-entropy is in losses_cross_entropy.cuh, the Gram ops in gram.cuh.
#include <cstdint>

#include "i2i/backend/checks/losses.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/loss_value.cuh"
#include "i2i/backend/cuda/kernels/reduce.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

namespace loss_detail {

/// Where the inputs must live: the current device.

template <class T>
void require_input(const char* op, const char* arg, const tensor<T>& t) {
  i2i::checks::losses::require_input<on_current_device>(op, arg, t);
}

template <class T>
void require_pair(const char* op, const tensor<T>& pred, const tensor<T>& target) {
  i2i::checks::losses::require_pair<on_current_device>(op, pred, target);
}

template <class T>
struct l1_op {
  const T *p, *t;
  T* grad;
  T inv_n;
  __device__ double operator()(std::int64_t i) const {
    const T d = p[i] - t[i];
    grad[i] = dmath::sign(d) * inv_n;
    return double(dmath::abs(d));
  }
};

/// (p - t)^2 with t from a tensor or a constant (t == nullptr).
template <class T>
struct squared_op {
  const T *p, *t;
  T constant;
  T* grad;
  T two_inv_n;
  __device__ double operator()(std::int64_t i) const {
    const T d = p[i] - (t ? t[i] : constant);
    grad[i] = d * two_inv_n;
    return double(d) * double(d);
  }
};

template <class T>
struct bce_op {
  const T *x, *t;
  T constant;
  T* grad;
  T inv_n;
  __device__ double operator()(std::int64_t i) const {
    const T v = x[i], target = t ? t[i] : constant;
    const T per = (v > T(0) ? v : T(0)) - v * target + dmath::log1p(dmath::exp(-dmath::abs(v)));
    grad[i] = (T(1) / (T(1) + dmath::exp(-v)) - target) * inv_n;
    return double(per);
  }
};

template <class T, class F>
loss::loss_value<T> run(const char* op, const tensor<T>& pred, F f, tensor<T> grad) {
  const double inv_n = 1.0 / double(pred.numel());
  if (const tensor<T>* flag = loss::defer_loss_values<T>::flag()) {  // a captured step: no host read
    loss::loss_value<T> r{0, std::move(grad)};
    r.pending = reduce_detail::sum_deferred(pred.numel(), f, inv_n, *flag);
    return r;
  }
  loss::loss_value<T> r{reduce_detail::sum_to_host(pred.numel(), f) * inv_n, std::move(grad)};
  loss::require_finite(r.value, op);
  return r;
}

}  // namespace loss_detail

template <device_real T>
loss::loss_value<T> l1_loss(const tensor<T>& pred, const tensor<T>& target) {
  loss_detail::require_pair("l1_loss", pred, target);
  auto grad = launch::empty<T>(pred.shape());
  const T inv_n = T(1.0 / double(pred.numel()));
  return loss_detail::run("l1_loss", pred, loss_detail::l1_op<T>{pred.data(), target.data(), grad.data(), inv_n},
                          grad);
}

template <device_real T>
loss::loss_value<T> mse_loss(const tensor<T>& pred, const tensor<T>& target) {
  loss_detail::require_pair("mse_loss", pred, target);
  auto grad = launch::empty<T>(pred.shape());
  const T two_inv_n = T(2 * (1.0 / double(pred.numel())));
  return loss_detail::run("mse_loss", pred,
                          loss_detail::squared_op<T>{pred.data(), target.data(), T(0), grad.data(), two_inv_n}, grad);
}

template <device_real T>
loss::loss_value<T> lsgan_loss(const tensor<T>& pred, loss::gan_target target) {
  loss_detail::require_input("lsgan_loss", "prediction", pred);
  auto grad = launch::empty<T>(pred.shape());
  const T two_inv_n = T(2 * (1.0 / double(pred.numel())));
  return loss_detail::run(
      "lsgan_loss", pred,
      loss_detail::squared_op<T>{pred.data(), nullptr, T(loss::target_value(target)), grad.data(), two_inv_n}, grad);
}

template <device_real T>
loss::loss_value<T> bce_with_logits_loss(const tensor<T>& logits, loss::gan_target target) {
  loss_detail::require_input("bce_with_logits_loss", "prediction", logits);
  auto grad = launch::empty<T>(logits.shape());
  const T inv_n = T(1.0 / double(logits.numel()));
  return loss_detail::run(
      "bce_with_logits_loss", logits,
      loss_detail::bce_op<T>{logits.data(), nullptr, T(loss::target_value(target)), grad.data(), inv_n}, grad);
}

template <device_real T>
loss::loss_value<T> bce_with_logits_loss(const tensor<T>& logits, const tensor<T>& target) {
  loss_detail::require_pair("bce_with_logits_loss", logits, target);
  auto grad = launch::empty<T>(logits.shape());
  const T inv_n = T(1.0 / double(logits.numel()));
  return loss_detail::run("bce_with_logits_loss", logits,
                          loss_detail::bce_op<T>{logits.data(), target.data(), T(0), grad.data(), inv_n}, grad);
}

template <device_real T>
loss::loss_value<T> kl_loss(const tensor<T>& z) {
  loss_detail::require_input("kl_loss", "z", z);
  auto grad = launch::empty<T>(z.shape());
  const T two_inv_n = T(2 * (1.0 / double(z.numel())));
  return loss_detail::run("kl_loss", z, loss_detail::squared_op<T>{z.data(), nullptr, T(0), grad.data(), two_inv_n},
                          grad);
}

}  // namespace i2i::cuda
