#pragma once
// kl_term: weight * mean(z^2), UNIT's and EGSC-IT's KL term on a latent with unit-variance posteriors
// (B::kl_loss; the CPU backend's losses.hpp says why it is a mean and has no 0.5). EGSC-IT uses weight 0.1.
//
//   loss::kl_term kl{.weight = 0.1};
//   auto r = kl.apply<B>(z);            // r.value (weighted), r.grad = d value / d z
#include <string>

#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

struct kl_term {
  double weight = 1;
  std::string name = "kl";

  template <class B>
  loss_value<typename B::scalar> apply(const tensor<typename B::scalar>& z) const {
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, weight);
      return term_detail::weighted<B>(B::kl_loss(z), weight);
    });
  }
};

}  // namespace i2i::loss
