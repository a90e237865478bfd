#pragma once
// gram_style_loss<B>(pred, target, distance = mse, norm = hw): the Gram style loss between the features
// of a prediction and of a target of the same shape, with the gradient for pred (target features are
// constants, as the papers detach the exemplar / real branch). A composition of B's Gram ops, written
// once for every backend:
//
//   B::gram_distance(B::gram_matrix(pred), B::gram_matrix(target), distance) -> value, dG
//   B::gram_matrix_backward(pred, dG)                                        -> d value / d pred
//
// style_distance::mse is the default (Gatys, Johnson); EGSC-IT uses style_distance::l1. gram_norm::hw
// divides the Gram matrices by H*W (EGSC-IT), gram_norm::chw by C*H*W (Johnson et al.). The reduction is
// the mean over N*C*C elements. loss::gram_style (loss/types/) is the term over a feature network's taps.
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/loss/loss_types.hpp"
#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

template <class B>
loss_value<typename B::scalar> gram_style_loss(const tensor<typename B::scalar>& pred,
                                               const tensor<typename B::scalar>& target,
                                               style_distance distance = style_distance::mse,
                                               gram_norm norm = gram_norm::hw) {
  return term_detail::named("gram_style_loss", [&] {
    // Gram matrices of maps of different sizes would compare; the style loss compares like with like.
    require<shape_error>(pred.shape() == target.shape(), "target has shape ", target.shape(), ", expected ",
                         pred.shape(), " (the shape of prediction)");
    auto r = B::gram_distance(B::gram_matrix(pred, norm), B::gram_matrix(target, norm), distance, 1.0);
    r.grad = B::gram_matrix_backward(pred, r.grad, norm);
    return r;
  });
}

}  // namespace i2i::loss
