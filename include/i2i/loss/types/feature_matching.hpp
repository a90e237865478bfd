#pragma once
// feature_matching: pix2pixHD's discriminator feature-matching loss (research/pix2pixhd.md §2.4),
// over the taps of one D or of a multiscale D:
//
//   L_FM = sum over scales i, intermediate taps j of
//          (1/num_D) * (4/(n_layers_D+1)) * lambda_feat * mean |D_i^j(fake) - D_i^j(real)|
//
// with the real features DETACHED (no gradient goes to the real pass). The term compares the taps of
// two forward contexts of the same D, one on (input | fake) and one on (input | real):
//
//   loss::feature_matching fm;                    // lambda_feat 10, num_D and n_layers from the taps
//   auto r = fm(d_fake_ctx, d_real_ctx);          // r.grad: tap gradients for D.backward(d_fake_ctx, ...)
//
// Which taps: every tap of the fake context except the final outputs, i.e. except the "scale<k>.out"
// taps and any tap that holds the same tensor as an output (a tap around D's last conv). pix2pixHD
// matches the n_layers_D + 1 post-activation maps of each scale; tap exactly those. Taps are grouped by
// scale ("scale<k>." prefix). Defaults derive num_D (the number of scale outputs, 1 for a plain D) and
// n_layers_D + 1 (the number of matched taps of that scale); set them to reproduce other weightings.
#include <string>
#include <type_traits>

#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

struct feature_matching {
  double lambda_feat = 10;  ///< pix2pixHD's --lambda_feat
  int num_d = 0;            ///< 0: the number of scale outputs in the context (1 when there are none)
  int n_layers = -1;        ///< -1: (number of matched taps of the scale) - 1, as pix2pixHD's n_layers_D
  std::string name = "feature_matching";

  /// The term itself is on_backend::feature_matching (loss/backend_terms.hpp) on the CPU backend.
  template <forward_context Fake, forward_context Real>
  auto operator()(const Fake& fake, const Real& real) const {
    using T = typename std::remove_cvref_t<decltype(fake.output)>::value_type;
    return on_backend::feature_matching<cpu_backend<T>>{lambda_feat, num_d, n_layers, name}(fake, real);
  }
};

}  // namespace i2i::loss
