#pragma once
// The elementwise loss kernels on the CPU (Eigen), cpu_backend's loss ops; their device twins are in
// cuda/kernels/losses.cuh. Each returns loss::loss_value<T>: the mean-reduced value (accumulated in
// double whatever T is, so a float loss over a large map stays accurate) and d value / d prediction, the
// gradient of the UNWEIGHTED loss (a caller that weights the loss scales the gradient by the same
// weight). Reductions are means over all elements, as PyTorch's default reduction='mean'.
//
//   lsgan_loss(pred, gan_target)    mean (pred - t)^2 against t = 1 (real) or 0 (fake). Callers combine
//                                   the terms as the papers do: G uses lsgan_loss(D(fake), real);
//                                   pix2pixHD's D loss is 0.5 (real term + fake term), summed over scales.
//   bce_with_logits_loss(x, gan_target | target tensor)
//                                   mean(max(x, 0) - x t + log(1 + exp(-|x|))), grad (sigmoid(x) - t) / numel:
//                                   BCE(sigmoid(x), t) without overflow for large |x| (pix2pixHD's --no_lsgan,
//                                   CycleGAN's vanilla GAN). pix2pixHD's Sigmoid + BCELoss clamps log at
//                                   -100; on logits no clamp is needed, so the two differ only where that
//                                   clamp would have acted (|x| > 100). Targets are not range-checked.
//   l1_loss(pred, target)           mean |pred - target|, grad sign(pred - target) / numel, sign(0) = 0
//   mse_loss(pred, target)          mean (pred - target)^2, grad 2 (pred - target) / numel
//   kl_loss(z)                      mean z^2, grad 2 z / numel: UNIT's and EGSC-IT's KL term (research/egscit.md
//                                   §5; UNIT's _compute_kl(mu) = torch.mean(mu ** 2)). With N(mu, I) posteriors
//                                   the KL to N(0, I) is 0.5 sum mu^2; both codes keep only mu^2 and take the
//                                   MEAN (no 0.5), which is why their KL weights (0.1) are what they are.
// For l1 and mse the gradient with respect to the target is the negative of the returned one.
#include "i2i/backend/checks/losses.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/loss/loss_types.hpp"

namespace i2i::cpu {

template <cpu_scalar T>
loss::loss_value<T> lsgan_loss(const tensor<T>& pred, loss::gan_target target) {
  i2i::checks::losses::require_input<i2i::checks::on_host>("lsgan_loss", "prediction", pred);
  const auto d = (cflat(pred) - T(loss::target_value(target))).eval();
  const double inv_n = 1.0 / double(pred.numel());
  loss::loss_value<T> r{d.template cast<double>().square().sum() * inv_n, tensor<T>::empty(pred.shape())};
  loss::require_finite(r.value, "lsgan_loss");
  flat(r.grad) = d * T(2 * inv_n);
  return r;
}

namespace bce_detail {
template <class T, class Target>
loss::loss_value<T> compute(const tensor<T>& logits, const Target& t) {
  const auto x = cflat(logits);
  const double inv_n = 1.0 / double(logits.numel());
  const auto per = (x.max(T(0)) - x * t + (-x.abs()).exp().log1p()).eval();
  loss::loss_value<T> r{per.template cast<double>().sum() * inv_n, tensor<T>::empty(logits.shape())};
  loss::require_finite(r.value, "bce_with_logits_loss");
  flat(r.grad) = ((T(1) / (T(1) + (-x).exp())) - t) * T(inv_n);
  return r;
}
}  // namespace bce_detail

template <cpu_scalar T>
loss::loss_value<T> bce_with_logits_loss(const tensor<T>& logits, loss::gan_target target) {
  i2i::checks::losses::require_input<i2i::checks::on_host>("bce_with_logits_loss", "prediction", logits);
  return bce_detail::compute(logits, T(loss::target_value(target)));
}

template <cpu_scalar T>
loss::loss_value<T> bce_with_logits_loss(const tensor<T>& logits, const tensor<T>& target) {
  i2i::checks::losses::require_pair<i2i::checks::on_host>("bce_with_logits_loss", logits, target);
  return bce_detail::compute(logits, cflat(target));
}

template <cpu_scalar T>
loss::loss_value<T> l1_loss(const tensor<T>& pred, const tensor<T>& target) {
  i2i::checks::losses::require_pair<i2i::checks::on_host>("l1_loss", pred, target);
  const auto d = (cflat(pred) - cflat(target)).eval();
  const double inv_n = 1.0 / double(pred.numel());
  loss::loss_value<T> r{d.abs().template cast<double>().sum() * inv_n, tensor<T>::empty(pred.shape())};
  loss::require_finite(r.value, "l1_loss");
  flat(r.grad) = d.sign() * T(inv_n);
  return r;
}

template <cpu_scalar T>
loss::loss_value<T> mse_loss(const tensor<T>& pred, const tensor<T>& target) {
  i2i::checks::losses::require_pair<i2i::checks::on_host>("mse_loss", pred, target);
  const auto d = (cflat(pred) - cflat(target)).eval();
  const double inv_n = 1.0 / double(pred.numel());
  loss::loss_value<T> r{d.template cast<double>().square().sum() * inv_n, tensor<T>::empty(pred.shape())};
  loss::require_finite(r.value, "mse_loss");
  flat(r.grad) = d * T(2 * inv_n);
  return r;
}

template <cpu_scalar T>
loss::loss_value<T> kl_loss(const tensor<T>& z) {
  i2i::checks::losses::require_input<i2i::checks::on_host>("kl_loss", "z", z);
  const auto x = cflat(z);
  const double inv_n = 1.0 / double(z.numel());
  loss::loss_value<T> r{x.template cast<double>().square().sum() * inv_n, tensor<T>::empty(z.shape())};
  loss::require_finite(r.value, "kl_loss");
  flat(r.grad) = x * T(2 * inv_n);
  return r;
}

}  // namespace i2i::cpu
