#pragma once
// pix2pix's NLayerDiscriminator (the "70x70 PatchGAN" at NLayers 3), with --norm instance (biases on,
// no norm parameters). Unlike pix2pixHD's version (pix2pixhd/discriminator.hpp) it pads by 1, has no
// taps and is one Sequential:
//
//   Conv 4x4 s2 p1 (in -> Ndf), LeakyReLU 0.2
//   NLayers - 1 x [Conv 4x4 s2 p1 (-> Ndf min(2^n, 8)), IN, LeakyReLU 0.2]
//   Conv 4x4 s1 p1 (-> Ndf min(2^NLayers, 8)), IN, LeakyReLU 0.2
//   Conv 4x4 s1 p1 (-> 1)                     (logits: pair with gan_loss<vanilla> or <lsgan>)
//
// Keys as the reference's state_dict: model.0.weight, model.2.weight, model.5.weight, ..., the last conv
// model.{3 NLayers + 2}.weight. A 128 x 256 input gives a 14 x 30 map of patch decisions at NLayers 3.
#include <algorithm>

#include "i2i/i2i.hpp"
#include "i2i/models/names.hpp"

namespace i2i::pix2pix {

namespace detail {
template <int Ndf>
struct d_stage {
  template <int I>  // n = I + 1
  using at =
      i2i::inlined<conv<Ndf * std::min(1 << (I + 1), 8), 4, 2, 1>, instance_norm<>, leaky_relu<std::ratio<1, 5>>>;
};
}  // namespace detail

template <int InputNC, int Ndf = 64, int NLayers = 3>
struct patch_discriminator
    : named<"model", seq<channels<InputNC>, conv<Ndf, 4, 2, 1>, leaky_relu<std::ratio<1, 5>>,
                         models::splice_n<detail::d_stage<Ndf>, NLayers - 1>,
                         conv<Ndf * std::min(1 << NLayers, 8), 4, 1, 1>, instance_norm<>,
                         leaky_relu<std::ratio<1, 5>>, conv<1, 4, 1, 1>>> {
  static_assert(NLayers >= 2, "pix2pix::patch_discriminator: NLayers must be at least 2");
};

}  // namespace i2i::pix2pix
