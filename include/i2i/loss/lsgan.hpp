#pragma once
// Least-squares GAN loss (pix2pixHD's default, EGSC-IT's): mean (D(x) - t)^2 against a constant target
// t = 1 (real) or 0 (fake) of the prediction's shape. Callers combine the terms as the papers do:
// the generator uses lsgan_loss(D(fake), real); pix2pixHD's D loss is 0.5 (real term + fake term) and
// its multiscale loss is the SUM over scales; EGSC-IT's D_adv is 0.5 [real term + fake term].
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/loss/loss_value.hpp"

namespace i2i::loss {

template <cpu_scalar T>
loss_value<T> lsgan_loss(const tensor<T>& pred, gan_target target) {
  loss_detail::require_input("lsgan_loss", "prediction", pred);
  const auto d = (cpu::cflat(pred) - T(target_value(target))).eval();
  const double inv_n = 1.0 / double(pred.numel());
  loss_value<T> r{d.template cast<double>().square().sum() * inv_n, tensor<T>::empty(pred.shape())};
  require_finite(r.value, "lsgan_loss");
  cpu::flat(r.grad) = d * T(2 * inv_n);
  return r;
}

}  // namespace i2i::loss
