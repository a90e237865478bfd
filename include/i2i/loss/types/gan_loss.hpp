#pragma once
// gan_loss<Mode>: the adversarial term over one discriminator output or over every scale of a
// multiscale D (research/pix2pixhd.md §2.3).
//
//   loss::gan_loss<loss::lsgan> gan;                      // weight 1; pix2pixHD's default
//   auto r = gan(d_ctx, loss::gan_target::real);          // r.value, r.grad (an injection for D.backward)
//   auto dx = loss::backward(D, d_ctx, r.grad);
//
// Over a context, the term finds every multiscale output tap "scale<k>.out" and SUMS the per-scale
// losses (pix2pixHD sums over num_D, it does not average); a context without such taps (one plain D) uses
// the output. Intermediate taps are never used here (that is feature_matching's job).
//
// Modes: lsgan = mean (D(x) - t)^2; vanilla = binary cross-entropy on LOGITS, i.e. pix2pixHD's
// --no_lsgan (Sigmoid + BCELoss) with the Sigmoid folded into the loss for stability: a D used with
// vanilla must not end with a sigmoid. Targets: 1 for real, 0 for fake.
#include <string>

#include "i2i/loss/bce.hpp"
#include "i2i/loss/lsgan.hpp"
#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

/// Least squares GAN (Mao et al.): mean (D(x) - t)^2.
struct lsgan {
  static constexpr const char* name = "lsgan";
  template <cpu_scalar T>
  static loss_value<T> apply(const tensor<T>& pred, gan_target t) {
    return lsgan_loss(pred, t);
  }
};

/// The original GAN's cross-entropy, on logits (D without a final sigmoid).
struct vanilla {
  static constexpr const char* name = "vanilla";
  template <cpu_scalar T>
  static loss_value<T> apply(const tensor<T>& logits, gan_target t) {
    return bce_with_logits_loss(logits, t);
  }
};

template <class Mode = lsgan>
struct gan_loss {
  double weight = 1;
  std::string name = std::string("gan_loss<") + Mode::name + ">";

  /// One prediction map: the weighted loss and its gradient.
  template <cpu_scalar T>
  loss_value<T> operator()(const tensor<T>& pred, gan_target target) const {
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, weight);
      return term_detail::weighted(Mode::apply(pred, target), weight);
    });
  }

  /// Every scale output of a (multiscale) D's forward context, summed; the gradients go to those taps,
  /// or to the output when D is not multiscale (on_backend::gan_with on the CPU backend).
  template <forward_context Ctx>
  auto operator()(const Ctx& ctx, gan_target target) const {
    using T = typename std::remove_cvref_t<decltype(ctx.output)>::value_type;
    const auto per_map = [](const tensor<T>& pred, gan_target t) { return Mode::apply(pred, t); };
    return on_backend::gan_with<cpu_backend<T>>(ctx, target, per_map, weight, name);
  }
};

}  // namespace i2i::loss
