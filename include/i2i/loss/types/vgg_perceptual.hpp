#pragma once
// vgg_perceptual<Net>: pix2pixHD's VGG content loss (research/pix2pixhd.md §2.5)
//
//   L_VGG = lambda * sum_k w_k * mean |Net_k(fake) - Net_k(real)|
//
// over named taps of a fixed feature network, with the real features DETACHED, on the network's backend
// (Net::backend's l1_loss). Net is any bound model (model<Spec, B>) whose forward records the listed taps; pix2pixHD's defaults are VGG19's
// relu1_1..relu5_1 with w = 1/32, 1/16, 1/8, 1/4, 1 and lambda = lambda_feat = 10, images fed in their
// [-1, 1] range with no ImageNet normalisation (as pix2pixHD does, issue #136).
//
//   model<vgg19_features, cpu_backend<float>> vgg;  load its weights ...
//   loss::vgg_perceptual perceptual(vgg);            // freezes vgg: it is a fixed feature extractor
//   auto r = perceptual(fake, real);                 // r.value, r.grad = d value / d fake
//   (perceptual.apply<B>(fake, real) is the same call where B is spelt out, as train::gan_step does)
//
// The term keeps a pointer to the network: it must outlive the term. Construction freezes every
// parameter of the network (pass freeze = false to keep a trainable one, whose parameter gradients
// then accumulate with each call). EGSC-IT's content loss differs (caffe preprocessing, per-channel L2
// normalised features, weights l/5): not this term.
#include <concepts>
#include <string>
#include <utility>
#include <vector>

#include "i2i/loss/types/feature_layers.hpp"

namespace i2i::loss {

template <class Net>
class vgg_perceptual {
 public:
  using backend = typename Net::backend;
  using T = typename Net::T;

  /// pix2pixHD's layers and weights.
  static std::vector<feature_layer> pix2pixhd_layers() { return vgg19_relu_x_1(1. / 32, 1. / 16, 1. / 8, 1. / 4, 1.); }

  explicit vgg_perceptual(Net& net, double lambda = 10, std::vector<feature_layer> layers = pix2pixhd_layers(),
                          std::string term_name = "vgg_perceptual", bool freeze = true)
      : weight(lambda), name(std::move(term_name)), net_(&net), layers_(std::move(layers)) {
    term_detail::require_weight(name, weight);
    term_detail::require_layers(name, layers_);
    if (freeze) term_detail::freeze_all(net);
  }

  double weight;     ///< lambda (pix2pixHD's lambda_feat)
  std::string name;  ///< names the term in records and errors

  const std::vector<feature_layer>& layers() const { return layers_; }

  /// The weighted loss and its gradient with respect to `fake`.
  loss_value<T> operator()(const tensor<T>& fake, const tensor<T>& real) const {
    return term_detail::named(name, [&] {
      require<shape_error>(fake.shape() == real.shape(), "fake has shape ", fake.shape(), " but real has shape ",
                           real.shape());
      // Not `const auto`: nvcc 13's front end (cicc) takes time exponential in N for a const-qualified
      // local std::tuple of N non-trivially destructible elements, and VGG19's context is a 30-element
      // tuple (minutes to hours); non-const it compiles in seconds (docs/cuda.md, known gaps).
      auto cf = net_->forward(fake);
      auto cr = net_->forward(real);  // detached: never backpropagated
      term_detail::require_taps(cf, layers_);
      tap_list<T> grads;
      loss_value<T> total;
      for (const auto& l : layers_) {
        auto r = term_detail::weighted<backend>(backend::l1_loss(cf.tap(l.tap), cr.tap(l.tap)), weight * l.weight);
        term_detail::add_value<backend>(total, r);
        grads.put(l.tap, r.grad);
      }
      require_finite(total.value, name.c_str());
      total.grad = net_->backward(cf, tensor<T>{}, grads, true);
      return total;
    });
  }

  /// The image_term form (term.apply<B>(fake, real)); B must be the network's backend.
  template <class B>
    requires std::same_as<B, backend>
  loss_value<T> apply(const tensor<T>& fake, const tensor<T>& real) const {
    return (*this)(fake, real);
  }

 private:
  Net* net_;
  std::vector<feature_layer> layers_;
};

}  // namespace i2i::loss
