#pragma once
// Mean squared error: mean (pred - target)^2, gradient 2 (pred - target) / numel. The gradient with
// respect to the target is the negative of the returned one.
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/loss/loss_value.hpp"

namespace i2i::loss {

template <cpu_scalar T>
loss_value<T> mse_loss(const tensor<T>& pred, const tensor<T>& target) {
  loss_detail::require_pair("mse_loss", pred, target);
  const auto d = (cpu::cflat(pred) - cpu::cflat(target)).eval();
  const double inv_n = 1.0 / double(pred.numel());
  loss_value<T> r{d.template cast<double>().square().sum() * inv_n, tensor<T>::empty(pred.shape())};
  require_finite(r.value, "mse_loss");
  cpu::flat(r.grad) = d * T(2 * inv_n);
  return r;
}

}  // namespace i2i::loss
