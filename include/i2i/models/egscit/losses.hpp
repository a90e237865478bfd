#pragma once
// EGSC-IT's loss terms (research/egscit.md §5) over any backend B (called as kl_term<B>(z) ...), as
// functions returning loss::loss_value (value and the gradient of the UNWEIGHTED term with respect to
// the prediction, in B's memory; callers scale by the weight).
//
//   kl_term(z)                   mean(z^2) on the NOISY latent (faithful; B::kl_loss)
//   l1 (B::l1_loss)              reconstruction / cycle: mean |a - b|
//   generator_adv(D(fake))       LSGAN G_adv = mean((D(fake) - 1)^2), real target 1 (smoothing off)
//   discriminator_adv(...)       LSGAN D_adv = 0.5 [mean((D(real) - 1)^2) + mean(D(fake)^2)]
//   normalisation                B::spatial_l2_normalise: f / sqrt(max(sum_hw f^2, 1e-12)) per sample and
//                                channel (a backend op: l2_normalise.hpp of each backend)
//   perceptual_content           sum_l w_l L1(phi_l(pred), phi_l(target)) on normalised features,
//                                w_l = l / L (VGG: 0.2, 0.4, 0.6, 0.8, 1.0)
//   perceptual_style             sum_l w_l L1(Gram(phi_l(pred)), Gram(phi_l(target))) on normalised
//                                features, Gram = F^T F / (h w), w_l = 1
// Target features are constants (the reference's gradients reach G only through x_AB and x_BA).
#include <cstdint>
#include <vector>

#include "i2i/backend/l2_normalise_types.hpp"
#include "i2i/loss/gram_style_loss.hpp"
#include "i2i/loss/loss_types.hpp"

namespace i2i::egscit {

template <class T>
using loss_value = loss::loss_value<T>;

/// UNIT's simplified KL: mean(z^2).
template <class B>
loss_value<typename B::scalar> kl_term(const tensor<typename B::scalar>& z) {
  return B::kl_loss(z);
}

/// Generator side of LSGAN: mean((D(fake) - 1)^2).
template <class B>
loss_value<typename B::scalar> generator_adv(const tensor<typename B::scalar>& d_fake) {
  return B::lsgan_loss(d_fake, loss::gan_target::real);
}

template <class T>
struct discriminator_adv_value {
  double value = 0;
  tensor<T> grad_real, grad_fake;  ///< d value / d D(real), d value / d D(fake)
};

/// 0.5 [mean((D(real) - 1)^2) + mean(D(fake)^2)].
template <class B>
discriminator_adv_value<typename B::scalar> discriminator_adv(const tensor<typename B::scalar>& d_real,
                                                              const tensor<typename B::scalar>& d_fake) {
  using T = typename B::scalar;
  auto r = B::lsgan_loss(d_real, loss::gan_target::real);
  auto f = B::lsgan_loss(d_fake, loss::gan_target::fake);
  return {0.5 * (r.value + f.value), B::scale(r.grad, T(0.5)), B::scale(f.grad, T(0.5))};
}

// ---------------------------------------------------------------------------------------------------
// Perceptual content and style losses over a list of feature layers.

/// Linear content weights l / L for L layers (VGG's 5: 0.2 ... 1.0).
inline std::vector<double> content_layer_weights(std::size_t layers) {
  std::vector<double> w(layers);
  for (std::size_t l = 0; l < layers; ++l) w[l] = double(l + 1) / double(layers);
  return w;
}

template <class T>
struct perceptual_value {
  double value = 0;
  std::vector<tensor<T>> grads;  ///< d value / d raw pred features, one per layer
};

namespace loss_detail {
template <class T>
void check_layers(const char* op, const std::vector<tensor<T>>& pred, const std::vector<tensor<T>>& target,
                  const std::vector<double>& weights) {
  require<shape_error>(!pred.empty() && pred.size() == target.size() && pred.size() == weights.size(), op, ": ",
                       pred.size(), " prediction layers, ", target.size(), " target layers, ", weights.size(),
                       " weights; expected equal, non-zero counts");
  for (std::size_t l = 0; l < pred.size(); ++l)
    require<shape_error>(pred[l].shape() == target[l].shape(), op, ": layer ", l, ": prediction features ",
                         pred[l].shape(), " and target features ", target[l].shape(), " differ");
}
}  // namespace loss_detail

/// sum_l w_l mean|n(pred_l) - n(target_l)| with n the spatial L2 normalisation.
template <class B>
perceptual_value<typename B::scalar> perceptual_content(const std::vector<tensor<typename B::scalar>>& pred,
                                                        const std::vector<tensor<typename B::scalar>>& target,
                                                        const std::vector<double>& weights) {
  using T = typename B::scalar;
  loss_detail::check_layers("egscit::perceptual_content", pred, target, weights);
  perceptual_value<T> r;
  for (std::size_t l = 0; l < pred.size(); ++l) {
    const auto np = B::spatial_l2_normalise(pred[l]);
    const auto nt = B::spatial_l2_normalise(target[l]);
    auto v = B::l1_loss(np.y, nt.y);
    r.value += weights[l] * v.value;
    r.grads.push_back(B::spatial_l2_normalise_backward(np, B::scale(v.grad, T(weights[l]))));
  }
  return r;
}

/// sum_l w_l mean|Gram(n(pred_l)) - Gram(n(target_l))|, Gram over h w.
template <class B>
perceptual_value<typename B::scalar> perceptual_style(const std::vector<tensor<typename B::scalar>>& pred,
                                                      const std::vector<tensor<typename B::scalar>>& target,
                                                      const std::vector<double>& weights) {
  using T = typename B::scalar;
  loss_detail::check_layers("egscit::perceptual_style", pred, target, weights);
  perceptual_value<T> r;
  for (std::size_t l = 0; l < pred.size(); ++l) {
    const auto np = B::spatial_l2_normalise(pred[l]);
    const auto nt = B::spatial_l2_normalise(target[l]);
    auto v = loss::gram_style_loss<B>(np.y, nt.y, loss::style_distance::l1, loss::gram_norm::hw);
    r.value += weights[l] * v.value;
    r.grads.push_back(B::spatial_l2_normalise_backward(np, B::scale(v.grad, T(weights[l]))));
  }
  return r;
}

}  // namespace i2i::egscit
