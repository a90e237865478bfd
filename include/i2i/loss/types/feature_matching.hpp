#pragma once
// feature_matching: pix2pixHD's discriminator feature-matching loss (research/pix2pixhd.md §2.4),
// over the taps of one D or of a multiscale D:
//
//   L_FM = sum over scales i, intermediate taps j of
//          (1/num_D) * (4/(n_layers_D+1)) * lambda_feat * mean |D_i^j(fake) - D_i^j(real)|
//
// with the real features DETACHED (no gradient goes to the real pass). The term compares the taps of
// two forward contexts of the same D, one on (input | fake) and one on (input | real), on D's backend
// (B::l1_loss per tap):
//
//   loss::feature_matching fm;                    // lambda_feat 10, num_D and n_layers from the taps
//   auto r = fm(d_fake_ctx, d_real_ctx);          // r.grad: tap gradients for D.backward(d_fake_ctx, ...)
//
// Which taps: every tap of the fake context except the final outputs, i.e. except the "scale<k>.out"
// taps and any tap that holds the same tensor as an output (a tap around D's last conv). pix2pixHD
// matches the n_layers_D + 1 post-activation maps of each scale; tap exactly those. Taps are grouped by
// scale ("scale<k>." prefix). Defaults derive num_D (the number of scale outputs, 1 for a plain D) and
// n_layers_D + 1 (the number of matched taps of that scale); set them to reproduce other weightings.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

struct feature_matching {
  double lambda_feat = 10;  ///< pix2pixHD's --lambda_feat
  int num_d = 0;            ///< 0: the number of scale outputs in the context (1 when there are none)
  int n_layers = -1;        ///< -1: (number of matched taps of the scale) - 1, as pix2pixHD's n_layers_D
  std::string name = "feature_matching";

  /// The weight of one matched tap: lambda_feat / num_D * 4 / (n_layers + 1).
  double tap_weight(int num_scales, int taps_of_scale) const {
    const int nd = num_d > 0 ? num_d : std::max(num_scales, 1);
    const int nl1 = n_layers >= 0 ? n_layers + 1 : taps_of_scale;
    return lambda_feat / double(nd) * 4.0 / double(nl1);
  }

  template <forward_context Fake, forward_context Real>
  term_result<backend_of<Fake>> operator()(const Fake& fake, const Real& real) const {
    using B = backend_of<Fake>;
    using T = typename B::scalar;
    return term_detail::named(name, [&] {
      term_detail::require_weight(name, lambda_feat);
      std::set<const void*> outputs;
      if (fake.output.defined()) outputs.insert(fake.output.data());
      int num_scales = 0;
      for (const auto& [key, t] : fake.taps.items())
        if (term_detail::is_scale_output(key)) {
          outputs.insert(t.data());
          ++num_scales;
        }
      std::map<std::string, int> per_scale;
      std::vector<const std::pair<std::string, tensor<T>>*> matched;
      for (const auto& item : fake.taps.items()) {
        if (term_detail::is_scale_output(item.first) || outputs.count(item.second.data())) continue;
        matched.push_back(&item);
        ++per_scale[term_detail::scale_scope(item.first)];
      }
      require<value_error>(!matched.empty(),
                           "the discriminator's forward context has no intermediate taps to match; tap its "
                           "layers (tap<\"layer0\", ...>) or turn feature matching off");
      term_result<B> r;
      for (const auto* item : matched) {
        const auto& [key, f] = *item;
        const tensor<T>* g = real.taps.find(key);
        require<value_error>(g != nullptr, "the real pass recorded no tap '", key,
                             "'; both contexts must come from the same discriminator");
        require<shape_error>(g->shape() == f.shape(), "tap '", key, "' has shape ", f.shape(), " on the fake pass and ",
                             g->shape(), " on the real pass; the two inputs must have the same shape");
        const double w = tap_weight(num_scales, per_scale[term_detail::scale_scope(key)]);
        auto l = term_detail::weighted<B>(B::l1_loss(f, *g), w);
        term_detail::add_value<B>(r, l);
        r.parts.emplace_back(key, l.value);
        r.grad.add_tap(key, l.grad);
      }
      require_finite(r.value, name.c_str());
      return r;
    });
  }
};

}  // namespace i2i::loss
