#pragma once
// pix2pixHD's NLayerDiscriminator with getIntermFeat (on by default) and MultiscaleDiscriminator
// (research/pix2pixhd.md §1.5, §1.6).
//
// One D is NLayers + 2 stages, each its own Sequential named Prefix{j} and tapped under the same name:
//   stage 0            Conv 4x4 s2 pad 2 (in -> Ndf), LeakyReLU 0.2 (no norm)
//   stage 1..NLayers-1 Conv 4x4 s2 pad 2 (nf = min(2 nf, 512)), IN, LeakyReLU
//   stage NLayers      Conv 4x4 s1 pad 2 (nf = min(2 nf, 512)), IN, LeakyReLU
//   stage NLayers+1    Conv 4x4 s1 pad 2 (nf -> 1)
// A single D names its stages "model0".."model{n+1}" (keys model0.0.weight, model1.0.weight, ...); inside
// multiscale_discriminator they are "layer{j}" joined with "_" to the scale: scale0_layer0.0.weight. The
// taps (every stage output; feature matching uses all but the last) are "model{j}", or "scale{k}.layer{j}"
// in the multi-scale D, plus multiscale's own "scale{k}.out" for each scale's final map.
//
// --no_lsgan's Sigmoid is not provided: the reference puts it in its own stage, which the multi-scale D
// then drops when it copies n_layers + 2 stages, so LSGAN (the default) is the only consistent choice.
#include <algorithm>
#include <type_traits>
#include <utility>

#include "i2i/models/pix2pixhd/blocks.hpp"

namespace i2i::pix2pixhd {

namespace detail {

template <int Ndf, int NLayers>
struct nlayer_config {
  template <int J>
  static constexpr int width = J == 0 ? Ndf : std::min(Ndf << J, 512);

  template <int J>
  using body = std::conditional_t<
      J == 0, seq<conv<Ndf, 4, 2, 2>, leaky_relu<std::ratio<1, 5>>>,
      std::conditional_t<
          J < NLayers, seq<conv<width<J>, 4, 2, 2>, instance_norm<>, leaky_relu<std::ratio<1, 5>>>,
          std::conditional_t<J == NLayers, seq<conv<width<J>, 4, 1, 2>, instance_norm<>, leaky_relu<std::ratio<1, 5>>>,
                             seq<conv<1, 4, 1, 2>>>>>;
};

// The stage prefix travels as a type (name_tag) into the partial specialisation: nvcc 13 rejects a
// partial specialisation over a class-type (fixed_string) template parameter as an incomplete type.
template <fixed_string Name>
struct name_tag {
  static constexpr auto value = Name;
};

template <int InputNC, int Ndf, int NLayers, class Prefix, class Seq>
struct nlayer_stages;
template <int InputNC, int Ndf, int NLayers, class Prefix, int... J>
struct nlayer_stages<InputNC, Ndf, NLayers, Prefix, std::integer_sequence<int, J...>> {
  using type = chain<channels<InputNC>,
                     tap<Prefix::value, named<Prefix::value, typename nlayer_config<Ndf, NLayers>::template body<J>, J>, J>...>;
};

}  // namespace detail

/// One PatchGAN D with a tap on every stage. 39 input channels, defaults: 2,801,601 parameters.
template <int InputNC, int Ndf = 64, int NLayers = 3, fixed_string Prefix = "model">
struct nlayer_discriminator
    : detail::nlayer_stages<InputNC, Ndf, NLayers, detail::name_tag<Prefix>,
                            std::make_integer_sequence<int, NLayers + 2>>::type {
  static_assert(NLayers >= 1, "pix2pixhd::nlayer_discriminator: NLayers must be at least 1");
  static constexpr int stages = NLayers + 2;
};

/// NumD independent Ds on an average-pooled pyramid; "scale{NumD-1}" sees full resolution (the reversed
/// naming of the reference). forward() returns the full-resolution map; every scale's map is the tap
/// "scale{k}.out". 39 input channels, 3 scales: 8,404,803 parameters.
template <int InputNC, int NumD = 2, int Ndf = 64, int NLayers = 3>
struct multiscale_discriminator : multiscale<NumD, nlayer_discriminator<InputNC, Ndf, NLayers, "layer">, "_"> {};

}  // namespace i2i::pix2pixhd
