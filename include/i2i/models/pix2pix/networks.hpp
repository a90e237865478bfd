#pragma once
// The pix2pix baseline as one configuration (label maps -> images), trained with train::gan_step:
//
//   using cfg = pix2pix::config<12>;                              // 12 classes, one-hot, no instance map
//   model<cfg::generator, B> G;  model<cfg::discriminator, B> D;   // D sees one-hot labels | image
//   auto step = pix2pix::make_step(G, D, loss::gan_loss<loss::vanilla>{}, 100.0);
//   auto rec = step.step(one_hot_labels, real);                  // rec["G_GAN"], rec["G_l1"], rec["D_real"], ...
//
// The objective is Isola et al.'s: GAN + lambda_L1 * L1 (100), Adam 2e-4 (0.5, 0.999), D's loss halved.
// gan_step runs pix2pixHD's order (both D passes before either update, G then D); pix2pix's code updates
// D first and then G's loss with the updated D. No history pool (pix2pix's pool_size is 0), no feature
// matching. Backend-neutral: G and D may be models on any backend (the caller includes its backend).
#include "i2i/loss/types/gan_loss.hpp"
#include "i2i/loss/types/l1_term.hpp"
#include "i2i/models/pix2pix/patch_discriminator.hpp"
#include "i2i/models/pix2pix/unet_generator.hpp"
#include "i2i/train/gan_step.hpp"

namespace i2i::pix2pix {

/// LabelNC one-hot channels in, RGB out; sized for the CPU at 128 x 256 by default (unet_128 at ngf 32,
/// a 70x70 PatchGAN at ndf 32; the paper uses 64 and 64).
template <int LabelNC, int NumDowns = 7, int Ngf = 32, int Ndf = 32, int NLayers = 3>
struct config {
  static constexpr int label_nc = LabelNC, num_downs = NumDowns, ngf = Ngf, ndf = Ndf, n_layers = NLayers;
  using generator = unet_generator<LabelNC, 3, NumDowns, Ngf>;
  using discriminator = patch_discriminator<LabelNC + 3, Ndf, NLayers>;
};

/// gan_step with pix2pix's objective: Gan (vanilla or lsgan) + lambda_l1 * L1, no pool, no feature matching.
template <class G, class D, class Mode>
auto make_step(G& g, D& d, loss::gan_loss<Mode> gan, double lambda_l1 = 100, optim::adam_options adam = {}) {
  train::gan_step_options o;
  o.g_adam = o.d_adam = adam;
  o.pool_size = 0;
  o.feature_matching = false;
  return train::gan_step<G, D, loss::gan_loss<Mode>, loss::l1_term>(g, d, std::move(gan), o,
                                                                    loss::l1_term{.weight = lambda_l1, .name = "l1"});
}

}  // namespace i2i::pix2pix
