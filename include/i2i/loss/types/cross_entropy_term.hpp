#pragma once
// cross_entropy_term: weight * softmax cross-entropy of N x C x H x W logits against a label map, as a
// term (a segmentation network's loss; an auxiliary segmentation loss on a generator), on the backend
// named at the call (B::cross_entropy_loss). The labels are constants (class ids, no gradient).
//
//   loss::cross_entropy_term ce{.options = {.ignore_index = 0}};
//   auto r = ce.apply<B>(logits, labels);   // r.value (weighted), r.grad = d value / d logits
#include <string>

#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

struct cross_entropy_term {
  double weight = 1;
  std::string name = "cross_entropy";
  cross_entropy_options options{};

  template <class B>
  loss_value<typename B::scalar> apply(const tensor<typename B::scalar>& logits,
                                       const tensor<typename B::scalar>& labels) const {
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, weight);
      return term_detail::weighted<B>(B::cross_entropy_loss(logits, labels, options), weight);
    });
  }
};

}  // namespace i2i::loss
