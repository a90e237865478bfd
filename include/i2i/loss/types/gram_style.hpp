#pragma once
// gram_style<Net>: a Gram-matrix style loss over named taps of a fixed feature network,
//
//   L_style = lambda * sum_k w_k * distance(Gram(Net_k(fake)), Gram(Net_k(style)))
//
// with the style image's features detached, on the network's backend (Net::backend's gram_matrix,
// gram_distance, gram_matrix_backward; the CPU backend's losses_gram.hpp describes them): style_distance::mse
// (Gatys, Johnson; default) or ::l1 (EGSC-IT), gram_norm::hw (default) or ::chw.
// Net is any bound model whose forward records the listed taps (VGG19's relu1_1..relu5_1 by default,
// equal weights). Like vgg_perceptual, the term points to the network and freezes it.
//
//   loss::gram_style style(vgg, /*lambda*/ 1e3);
//   auto r = style(fake, style_image);     // r.value, r.grad = d value / d fake
//
// EGSC-IT additionally L2-normalises each feature channel over space before the Gram matrix; that
// normalisation is not part of this term.
#include <concepts>
#include <string>
#include <utility>
#include <vector>

#include "i2i/loss/types/feature_layers.hpp"

namespace i2i::loss {

template <class Net>
class gram_style {
 public:
  using backend = typename Net::backend;
  using T = typename Net::T;

  static std::vector<feature_layer> default_layers() { return vgg19_relu_x_1(1, 1, 1, 1, 1); }

  explicit gram_style(Net& net, double lambda = 1, std::vector<feature_layer> layers = default_layers(),
                      style_distance dist = style_distance::mse, gram_norm gnorm = gram_norm::hw,
                      std::string term_name = "gram_style", bool freeze = true)
      : weight(lambda), name(std::move(term_name)), distance(dist), norm(gnorm), net_(&net),
        layers_(std::move(layers)) {
    term_detail::require_weight(name, weight);
    term_detail::require_layers(name, layers_);
    if (freeze) term_detail::freeze_all(net);
  }

  double weight;
  std::string name;
  style_distance distance;
  gram_norm norm;

  const std::vector<feature_layer>& layers() const { return layers_; }

  /// The weighted loss and its gradient with respect to `fake`. The style image may have another batch
  /// size or spatial size only if every tapped map keeps the same C (Gram matrices are C x C) and the
  /// batch sizes agree.
  loss_value<T> operator()(const tensor<T>& fake, const tensor<T>& style) const {
    return term_detail::named(name, [&] {
      auto cf = net_->forward(fake);   // not const: see vgg_perceptual (nvcc and const tuples)
      auto cs = net_->forward(style);  // detached
      term_detail::require_taps(cf, layers_);
      tap_list<T> grads;
      loss_value<T> total;
      for (const auto& l : layers_) {
        const auto& ff = cf.tap(l.tap);
        const auto& fs = cs.tap(l.tap);
        require<shape_error>(ff.dim(0) == fs.dim(0) && ff.dim(1) == fs.dim(1), "tap '", l.tap, "' has shape ",
                             ff.shape(), " for the image and ", fs.shape(),
                             " for the style target; batch and channels must agree");
        // The layer's weight goes into the distance's gradient scale: one rounding, not two.
        auto r = backend::gram_distance(backend::gram_matrix(ff, norm), backend::gram_matrix(fs, norm), distance,
                                        weight * l.weight);
        term_detail::add_value<backend>(total, r);
        grads.put(l.tap, backend::gram_matrix_backward(ff, r.grad, norm));
      }
      require_finite(total.value, name.c_str());
      total.grad = net_->backward(cf, tensor<T>{}, grads, true);
      return total;
    });
  }

  /// The image_term form (term.apply<B>(fake, style)); B must be the network's backend.
  template <class B>
    requires std::same_as<B, backend>
  loss_value<T> apply(const tensor<T>& fake, const tensor<T>& style) const {
    return (*this)(fake, style);
  }

 private:
  Net* net_;
  std::vector<feature_layer> layers_;
};

}  // namespace i2i::loss
