#pragma once
// l1_term: weight * mean |pred - target| as a term (pix2pix's lambda_L1 * L1, EGSC-IT's reconstruction
// and cycle terms at weight 100). The target is a constant (no gradient), as in every use of it.
//
//   loss::l1_term l1{.weight = 100};
//   auto r = l1(fake, real);          // r.value (weighted), r.grad = d value / d fake
#include <string>

#include "i2i/loss/l1.hpp"
#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

struct l1_term {
  double weight = 1;
  std::string name = "l1";

  template <cpu_scalar T>
  loss_value<T> operator()(const tensor<T>& pred, const tensor<T>& target) const {
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, weight);
      return term_detail::weighted(l1_loss(pred, target), weight);
    });
  }
};

}  // namespace i2i::loss
