#pragma once
// L1 loss: mean |pred - target| (EGSC-IT's reconstruction and cycle terms, pix2pixHD's feature-matching and
// VGG terms). The gradient is sign(pred - target) / numel, with sign(0) = 0 as in PyTorch. The gradient
// with respect to the target is the negative of the returned one.
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/loss/loss_value.hpp"

namespace i2i::loss {

template <cpu_scalar T>
loss_value<T> l1_loss(const tensor<T>& pred, const tensor<T>& target) {
  loss_detail::require_pair("l1_loss", pred, target);
  const auto d = (cpu::cflat(pred) - cpu::cflat(target)).eval();
  const double inv_n = 1.0 / double(pred.numel());
  loss_value<T> r{d.abs().template cast<double>().sum() * inv_n, tensor<T>::empty(pred.shape())};
  require_finite(r.value, "l1_loss");
  cpu::flat(r.grad) = d.sign() * T(inv_n);
  return r;
}

}  // namespace i2i::loss
