#pragma once
// kl_term: weight * mean(z^2), UNIT's and EGSC-IT's KL term on a latent with unit-variance posteriors
// (loss/kl.hpp says why it is a mean and has no 0.5). EGSC-IT uses weight 0.1.
//
//   loss::kl_term kl{.weight = 0.1};
//   auto r = kl(z);                   // r.value (weighted), r.grad = d value / d z
#include <string>

#include "i2i/loss/kl.hpp"
#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

struct kl_term {
  double weight = 1;
  std::string name = "kl";

  template <cpu_scalar T>
  loss_value<T> operator()(const tensor<T>& z) const {
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, weight);
      return term_detail::weighted(kl_loss(z), weight);
    });
  }
};

}  // namespace i2i::loss
