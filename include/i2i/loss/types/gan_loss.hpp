#pragma once
// gan_loss<Mode>: the adversarial term over one discriminator output or over every scale of a
// multiscale D (research/pix2pixhd.md §2.3), on the backend D runs on.
//
//   loss::gan_loss<loss::lsgan> gan;                      // weight 1; pix2pixHD's default
//   auto r = gan(d_ctx, loss::gan_target::real);          // r.value, r.grad (an injection for D.backward)
//   auto dx = loss::backward(D, d_ctx, r.grad);
//   auto l = gan.apply<B>(prediction, loss::gan_target::fake);   // one map: a loss_value on backend B
//
// Over a context, the term finds every multiscale output tap "scale<k>.out" and SUMS the per-scale
// losses (pix2pixHD sums over num_D, it does not average); a context without such taps (one plain D) uses
// the output. Intermediate taps are never used here (that is feature_matching's job).
//
// Modes (the one GAN-mode tag; a runtime choice picks one of the two types): lsgan = mean (D(x) - t)^2
// (B::lsgan_loss); vanilla = binary cross-entropy on LOGITS (B::bce_with_logits_loss), i.e. pix2pixHD's
// --no_lsgan (Sigmoid + BCELoss) with the Sigmoid folded into the loss for stability: a D used with
// vanilla must not end with a sigmoid. Targets: 1 for real, 0 for fake.
#include <string>

#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

/// Least squares GAN (Mao et al.): mean (D(x) - t)^2.
struct lsgan {
  static constexpr const char* name = "lsgan";
  template <class B>
  static loss_value<typename B::scalar> apply(const tensor<typename B::scalar>& pred, gan_target t) {
    return B::lsgan_loss(pred, t);
  }
};

/// The original GAN's cross-entropy, on logits (D without a final sigmoid).
struct vanilla {
  static constexpr const char* name = "vanilla";
  template <class B>
  static loss_value<typename B::scalar> apply(const tensor<typename B::scalar>& logits, gan_target t) {
    return B::bce_with_logits_loss(logits, t);
  }
};

template <class Mode = lsgan>
struct gan_loss {
  double weight = 1;
  std::string name = std::string("gan_loss<") + Mode::name + ">";

  /// One prediction map on backend B: the weighted loss and its gradient.
  template <class B>
  loss_value<typename B::scalar> apply(const tensor<typename B::scalar>& pred, gan_target target) const {
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, weight);
      return term_detail::weighted<B>(Mode::template apply<B>(pred, target), weight);
    });
  }

  /// Every scale output of a (multiscale) D's forward context, summed; the gradients go to those taps,
  /// or to the output when D is not multiscale.
  template <forward_context Ctx>
  term_result<backend_of<Ctx>> operator()(const Ctx& ctx, gan_target target) const {
    using B = backend_of<Ctx>;
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, weight);
      term_result<B> r;
      for (const auto& [key, pred] : ctx.taps.items()) {
        if (!term_detail::is_scale_output(key)) continue;
        auto l = term_detail::weighted<B>(Mode::template apply<B>(pred, target), weight);
        term_detail::add_value<B>(r, l);
        r.parts.emplace_back(key, l.value);
        r.grad.add_tap(key, l.grad);
      }
      if (r.parts.empty()) {
        require<value_error>(ctx.output.defined(), "the forward context has no output");
        auto l = term_detail::weighted<B>(Mode::template apply<B>(ctx.output, target), weight);
        term_detail::add_value<B>(r, l);
        r.parts.emplace_back("out", l.value);
        r.grad.add_output(l.grad);
      }
      require_finite(r.value, name.c_str());
      return r;
    });
  }
};

/// The GAN mode as a runtime flag (pix2pixHD's --no_lsgan): gan_loss<lsgan> or gan_loss<vanilla>, the
/// same two types, picked per call.
struct gan_loss_of_mode {
  bool vanilla_mode = false;  ///< false: lsgan
  double weight = 1;

  template <forward_context Ctx>
  term_result<backend_of<Ctx>> operator()(const Ctx& ctx, gan_target target) const {
    return vanilla_mode ? gan_loss<vanilla>{weight}(ctx, target) : gan_loss<lsgan>{weight}(ctx, target);
  }
};

}  // namespace i2i::loss
