#pragma once
// l1_term: weight * mean |pred - target| as a term (pix2pix's lambda_L1 * L1, EGSC-IT's reconstruction
// and cycle terms at weight 100), on the backend named at the call. The target is a constant (no
// gradient), as in every use of it.
//
//   loss::l1_term l1{.weight = 100};
//   auto r = l1.apply<B>(fake, real);   // r.value (weighted), r.grad = d value / d fake (B::l1_loss)
#include <string>

#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

struct l1_term {
  double weight = 1;
  std::string name = "l1";

  template <class B>
  loss_value<typename B::scalar> apply(const tensor<typename B::scalar>& pred,
                                       const tensor<typename B::scalar>& target) const {
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, weight);
      return term_detail::weighted<B>(B::l1_loss(pred, target), weight);
    });
  }
};

}  // namespace i2i::loss
