#pragma once
// EGSC-IT's loss terms (research/egscit.md §5), as functions returning loss::loss_value (value and the
// gradient of the UNWEIGHTED term with respect to the prediction; callers scale by the weight).
//
//   kl_term(z)                   mean(z^2) on the NOISY latent (faithful; B::kl_loss)
//   l1 (B::l1_loss)              reconstruction / cycle: mean |a - b|
//   generator_adv(D(fake))       LSGAN G_adv = mean((D(fake) - 1)^2), real target 1 (smoothing off)
//   discriminator_adv(...)       LSGAN D_adv = 0.5 [mean((D(real) - 1)^2) + mean(D(fake)^2)]
//   spatial_l2_normalise         f / sqrt(max(sum_hw f^2, 1e-12)) per sample and channel, with backward
//   perceptual_content           sum_l w_l L1(phi_l(pred), phi_l(target)) on normalised features,
//                                w_l = l / L (VGG: 0.2, 0.4, 0.6, 0.8, 1.0)
//   perceptual_style             sum_l w_l L1(Gram(phi_l(pred)), Gram(phi_l(target))) on normalised
//                                features, Gram = F^T F / (h w), w_l = 1
// Target features are constants (the reference's gradients reach G only through x_AB and x_BA).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/loss/gram_style_loss.hpp"

namespace i2i::egscit {

template <class T>
using loss_value = loss::loss_value<T>;

/// UNIT's simplified KL: mean(z^2).
template <cpu_scalar T>
loss_value<T> kl_term(const tensor<T>& z) {
  return cpu_backend<T>::kl_loss(z);
}

/// Generator side of LSGAN: mean((D(fake) - 1)^2).
template <cpu_scalar T>
loss_value<T> generator_adv(const tensor<T>& d_fake) {
  return cpu_backend<T>::lsgan_loss(d_fake, loss::gan_target::real);
}

template <class T>
struct discriminator_adv_value {
  double value = 0;
  tensor<T> grad_real, grad_fake;  ///< d value / d D(real), d value / d D(fake)
};

/// 0.5 [mean((D(real) - 1)^2) + mean(D(fake)^2)].
template <cpu_scalar T>
discriminator_adv_value<T> discriminator_adv(const tensor<T>& d_real, const tensor<T>& d_fake) {
  auto r = cpu_backend<T>::lsgan_loss(d_real, loss::gan_target::real);
  auto f = cpu_backend<T>::lsgan_loss(d_fake, loss::gan_target::fake);
  cpu::flat(r.grad) *= T(0.5);
  cpu::flat(f.grad) *= T(0.5);
  return {0.5 * (r.value + f.value), r.grad, f.grad};
}

// ---------------------------------------------------------------------------------------------------
// Spatial L2 normalisation of feature maps.

template <class T>
struct l2_normalised {
  tensor<T> y;        ///< N x C x H x W
  tensor<T> inv_norm; ///< N x C: 1 / sqrt(max(sum f^2, floor))
  tensor<T> clamped;  ///< N x C: 1 where the floor was taken (the norm is then a constant)
};

inline constexpr double l2_floor = 1e-12;

/// y[n,c] = f[n,c] / sqrt(max(sum_hw f[n,c]^2, 1e-12)).
template <cpu_scalar T>
l2_normalised<T> spatial_l2_normalise(const tensor<T>& f) {
  const char* op = "egscit::spatial_l2_normalise";
  require_nchw(op, "features", f);
  require<shape_error>(f.numel() > 0, op, ": features have shape ", f.shape(), "; need at least one element");
  const std::int64_t planes = f.n() * f.c(), m = f.h() * f.w();
  l2_normalised<T> r{tensor<T>::empty(f.shape()), tensor<T>::empty({f.n(), f.c()}), tensor<T>::empty({f.n(), f.c()})};
  cpu::const_matrix_map<T> F(f.data(), planes, m);
  cpu::matrix_map<T> Y(r.y.data(), planes, m);
  parallel_for(planes, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(m, 1)), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t p = lo; p < hi; ++p) {
      const double s = F.row(p).template cast<double>().squaredNorm();
      const bool clamp = !(s > l2_floor);
      const T inv = T(1.0 / std::sqrt(clamp ? l2_floor : s));
      r.inv_norm[p] = inv;
      r.clamped[p] = clamp ? T(1) : T(0);
      Y.row(p) = F.row(p) * inv;
    }
  });
  return r;
}

/// df from dy: (dy - y <dy, y>) / norm where the norm is sum f^2, dy / norm where the floor was taken.
template <cpu_scalar T>
tensor<T> spatial_l2_normalise_backward(const l2_normalised<T>& saved, const tensor<T>& dy) {
  const char* op = "egscit::spatial_l2_normalise_backward";
  require<shape_error>(dy.shape() == saved.y.shape(), op, ": gradient has shape ", dy.shape(), ", expected ",
                       saved.y.shape());
  const std::int64_t planes = dy.n() * dy.c(), m = dy.h() * dy.w();
  auto df = tensor<T>::empty(dy.shape());
  cpu::const_matrix_map<T> Y(saved.y.data(), planes, m), dY(dy.data(), planes, m);
  cpu::matrix_map<T> dF(df.data(), planes, m);
  parallel_for(planes, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(m, 1)), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t p = lo; p < hi; ++p) {
      const T inv = saved.inv_norm[p];
      if (saved.clamped[p] != T(0)) {
        dF.row(p) = dY.row(p) * inv;
      } else {
        const T k = T(dY.row(p).template cast<double>().dot(Y.row(p).template cast<double>()));
        dF.row(p) = (dY.row(p) - Y.row(p) * k) * inv;
      }
    }
  });
  return df;
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
template <cpu_scalar T>
perceptual_value<T> perceptual_content(const std::vector<tensor<T>>& pred, const std::vector<tensor<T>>& target,
                                       const std::vector<double>& weights) {
  loss_detail::check_layers("egscit::perceptual_content", pred, target, weights);
  perceptual_value<T> r;
  for (std::size_t l = 0; l < pred.size(); ++l) {
    const auto np = spatial_l2_normalise(pred[l]);
    const auto nt = spatial_l2_normalise(target[l]);
    auto v = cpu_backend<T>::l1_loss(np.y, nt.y);
    r.value += weights[l] * v.value;
    cpu::flat(v.grad) *= T(weights[l]);
    r.grads.push_back(spatial_l2_normalise_backward(np, v.grad));
  }
  return r;
}

/// sum_l w_l mean|Gram(n(pred_l)) - Gram(n(target_l))|, Gram over h w.
template <cpu_scalar T>
perceptual_value<T> perceptual_style(const std::vector<tensor<T>>& pred, const std::vector<tensor<T>>& target,
                                     const std::vector<double>& weights) {
  loss_detail::check_layers("egscit::perceptual_style", pred, target, weights);
  perceptual_value<T> r;
  for (std::size_t l = 0; l < pred.size(); ++l) {
    const auto np = spatial_l2_normalise(pred[l]);
    const auto nt = spatial_l2_normalise(target[l]);
    auto v = loss::gram_style_loss<cpu_backend<T>>(np.y, nt.y, loss::style_distance::l1, loss::gram_norm::hw);
    r.value += weights[l] * v.value;
    cpu::flat(v.grad) *= T(weights[l]);
    r.grads.push_back(spatial_l2_normalise_backward(np, v.grad));
  }
  return r;
}

}  // namespace i2i::egscit
