#pragma once
// The KL term of UNIT and EGSC-IT: mean(z^2) over every element of the latent batch (research/egscit.md
// §5; UNIT's _compute_kl(mu) = torch.mean(mu ** 2)). With unit-variance Gaussian posteriors N(mu, I) the
// KL divergence to N(0, I) is 0.5 sum(mu^2); both codes keep only the mu^2 part and take the MEAN over
// batch, channels and pixels (not the sum, no 0.5), which is why their KL weights (0.1) are what they are.
// Gradient: 2 z / numel.
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/loss/loss_value.hpp"

namespace i2i::loss {

template <cpu_scalar T>
loss_value<T> kl_loss(const tensor<T>& z) {
  loss_detail::require_input("kl_loss", "z", z);
  const auto x = cpu::cflat(z);
  const double inv_n = 1.0 / double(z.numel());
  loss_value<T> r{x.template cast<double>().square().sum() * inv_n, tensor<T>::empty(z.shape())};
  require_finite(r.value, "kl_loss");
  cpu::flat(r.grad) = x * T(2 * inv_n);
  return r;
}

}  // namespace i2i::loss
