#pragma once
// Binary cross-entropy on logits (pix2pixHD's --no_lsgan, CycleGAN's vanilla GAN):
//   mean( max(x, 0) - x t + log(1 + exp(-|x|)) ),  gradient (sigmoid(x) - t) / numel,
// which equals BCE(sigmoid(x), t) without overflow for large |x|. pix2pixHD appends a Sigmoid to D and
// uses BCELoss, which clamps log at -100; on logits no clamp is needed, so the two differ only where
// that clamp would have acted (|x| > 100). Targets are a gan_target (1 or 0 everywhere) or a tensor of
// the prediction's shape (soft labels); target values are not range-checked, as in PyTorch.
#include <cmath>

#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/loss/loss_value.hpp"

namespace i2i::loss {

namespace bce_detail {
template <class T, class Target>
loss_value<T> compute(const tensor<T>& logits, const Target& t) {
  const auto x = cpu::cflat(logits);
  const double inv_n = 1.0 / double(logits.numel());
  const auto per = (x.max(T(0)) - x * t + (-x.abs()).exp().log1p()).eval();
  loss_value<T> r{per.template cast<double>().sum() * inv_n, tensor<T>::empty(logits.shape())};
  require_finite(r.value, "bce_with_logits_loss");
  cpu::flat(r.grad) = ((T(1) / (T(1) + (-x).exp())) - t) * T(inv_n);
  return r;
}
}  // namespace bce_detail

template <cpu_scalar T>
loss_value<T> bce_with_logits_loss(const tensor<T>& logits, gan_target target) {
  loss_detail::require_input("bce_with_logits_loss", "prediction", logits);
  return bce_detail::compute(logits, T(target_value(target)));
}

template <cpu_scalar T>
loss_value<T> bce_with_logits_loss(const tensor<T>& logits, const tensor<T>& target) {
  loss_detail::require_pair("bce_with_logits_loss", logits, target);
  return bce_detail::compute(logits, cpu::cflat(target));
}

}  // namespace i2i::loss
