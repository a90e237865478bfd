#pragma once
// EGSC-IT's networks as types (research/egscit.md §2, §3): domain encoders whose last residual block is
// shared between the domains, generators whose first block is shared, the frozen feature-mask network F
// and the PatchGAN discriminator. The translator is several models built over one shared_registry (see
// translator.hpp); the transfer block between the shared generator block and the domain decoder (mask,
// then EGSC-IT's AdaIN) is an op applied between models, not a layer.
//
// Configuration: config<N1, Ngf, NRes, InputNC, OutputNC>. N1 = 1 is MNIST-Single (latent 64 channels at
// full resolution), N1 = 3 every other dataset (two stride-2 convs, latent 256 channels at 1/4); Ngf 64,
// 3 residual blocks per encoder and generator, one shared block each side (n_enc_share = n_gen_share = 1).
//
// Blocks (TF, all with bias, no normalisation in E, G, F; §2):
//   conv(k, s)   reflect-pad, VALID conv, LeakyReLU(0.2)     -> reflect_pad<p>, conv<C, k, s>, leaky_relu
//   resblock(C)  x + [reflect 1, conv 3x3, ReLU, reflect 1, conv 3x3]
//   deconv(3, 2) TF conv2d_transpose SAME (H -> 2H), LReLU  -> conv_transpose<C, 3, 2, tf_same>
//   output       1x1 transposed conv to OutputNC, tanh
//
// Names (TF has no state_dict; ours, readable, stable): the domain part of an encoder or F is "enc.<i>",
// of a generator "dec.<i>", of the discriminator "dis.<i>"; the shared blocks are "enc_shared.<i>" and
// "gen_shared.<i>" without the model's prefix (so E_A and E_B list the same names). Residual block convs
// sit at "<block>.1" and "<block>.4". With models named "E_A", "G_B", ...: "E_A.enc.1.weight",
// "G_B.dec.0.1.weight", "enc_shared.1.weight".
#include <utility>

#include "i2i/i2i.hpp"

namespace i2i::egscit {

using lrelu = leaky_relu<std::ratio<1, 5>>;

/// resblock(C): no norm, ReLU inside, no activation after the sum.
template <int C>
using res_block = residual<seq<reflect_pad<1>, conv<C, 3>, relu, reflect_pad<1>, conv<C, 3>>>;

/// Encoder stride-2 conv: reflect 1, VALID 3x3 stride 2 (H -> floor((H-1)/2)+1), LReLU.
template <int C>
using down = inlined<reflect_pad<1>, conv<C, 3, 2>, lrelu>;

/// Generator deconv: TF conv2d_transpose 3x3 stride 2 SAME (H -> 2H), LReLU.
template <int C>
using up = inlined<conv_transpose<C, 3, 2, tf_same>, lrelu>;

template <int N1, int Ngf = 64, int NRes = 3, int InputNC = 3, int OutputNC = 3>
struct config {
  static_assert(N1 >= 1 && NRes >= 1, "egscit::config: N1 and NRes must be at least 1");
  static constexpr int n1 = N1, ngf = Ngf, n_res = NRes, input_nc = InputNC, output_nc = OutputNC;
  /// Channels of the latent (content code): Ngf 2^(N1-1).
  static constexpr int latent = Ngf << (N1 - 1);
  /// The latent is this many times smaller than the image per side.
  static constexpr int downscale = 1 << (N1 - 1);

  template <class Seq>
  struct enc_of;
  template <int... I>
  struct enc_of<std::integer_sequence<int, I...>> {
    using type = seq<reflect_pad<3>, conv<Ngf, 7>, lrelu, down<(Ngf << (I + 1))>..., repeat<NRes, res_block<latent>>>;
  };
  template <class Seq>
  struct dec_of;
  template <int... I>
  struct dec_of<std::integer_sequence<int, I...>> {
    using type = seq<repeat<NRes, res_block<latent>>, up<(latent >> (I + 1))>..., conv_transpose<OutputNC, 1, 1>,
                     tanh_>;
  };
  /// conv_0, N1-1 stride-2 convs, NRes residual blocks (E's and F's domain-specific part).
  using encoder_body = typename enc_of<std::make_integer_sequence<int, N1 - 1>>::type;
  /// NRes residual blocks, N1-1 deconvs, the 1x1 output layer (G's domain-specific part).
  using decoder_body = typename dec_of<std::make_integer_sequence<int, N1 - 1>>::type;
  using shared_block = res_block<latent>;
};

using mnist = config<1>;   ///< MNIST-Single, 28x28, latent 28x28x64
using street = config<3>;  ///< GTA / Cityscapes / BDD / CelebA / MNIST-Multiple, latent H/4 x W/4 x 256

/// E_X: the domain part, then the block shared by E_A and E_B (tag "enc_shared"). Output: the mean of
/// the latent, before EGSC-IT adds N(0, I) noise.
template <class Cfg>
struct encoder : chain<channels<Cfg::input_nc>, named<"enc", typename Cfg::encoder_body>,
                       shared<"enc_shared", typename Cfg::shared_block>> {};

/// The generators' shared first block (tag "gen_shared"), on the noisy latent; its output is the
/// content code that the transfer block then masks and re-normalises.
template <class Cfg>
struct generator_shared : chain<channels<Cfg::latent>, shared<"gen_shared", typename Cfg::shared_block>> {};

/// G_X's domain-specific part, on the transferred content code: NRes blocks, deconvs, 1x1 + tanh.
template <class Cfg>
struct decoder : chain<channels<Cfg::latent>, named<"dec", typename Cfg::decoder_body>> {};

/// G_X whole (shared first block, then the decoder) for paths without the transfer block (ablation "w/o
/// feature mask and AdaIN"); its names equal generator_shared's plus decoder's, so weights move freely
/// between the two forms.
template <class Cfg>
struct generator : chain<channels<Cfg::latent>, shared<"gen_shared", typename Cfg::shared_block>,
                         named<"dec", typename Cfg::decoder_body>> {};

/// F_X, the feature-mask network: the architecture of E_X's domain part (stage-1 VAE-GAN "part1"),
/// frozen in stage 2; its last block's output gives the source's mask and the exemplar's AdaIN
/// statistics. Same names as the encoder's domain part ("enc.<i>"), so a stage-1 encoder loads as F.
template <class Cfg>
struct feature_mask_net : chain<channels<Cfg::input_nc>, named<"enc", typename Cfg::encoder_body>> {};

namespace detail {
template <int Ndf, class Seq>
struct dis_of;
template <int Ndf, int... I>
struct dis_of<Ndf, std::integer_sequence<int, I...>> {
  // conv_i (i >= 1): conv 4x4 s2 SAME, LReLU, instance norm (affine), LReLU: the reference normalises
  // after an activation and activates again.
  template <int C>
  using stage = inlined<conv<C, 4, 2, tf_same>, lrelu, instance_norm<true>, lrelu>;
  using type = seq<conv<Ndf, 4, 2, tf_same>, lrelu, lrelu, stage<(Ndf << (I + 1))>..., conv<1, 1>, lrelu>;
};
}  // namespace detail

/// D_X (UNIT.discriminator, §3.6), with the reference's quirks: LReLU twice after conv_0, instance norm
/// (affine, eps 1e-5) between two LReLUs in conv_1..conv_{NDis-1}, a 1x1 logit followed by LReLU(0.2).
/// Zero-padded TF SAME 4x4 stride-2 convs: 28 -> 14 -> 7 -> 4 -> 2. Defaults: 2,758,849 parameters.
/// Initialise with init_policy::glorot() (slim defaults); E, G and F with init_policy::egscit().
template <int InputNC = 3, int Ndf = 64, int NDis = 4>
struct discriminator
    : chain<channels<InputNC>, named<"dis", typename detail::dis_of<Ndf, std::make_integer_sequence<int, NDis - 1>>::type>> {
  static_assert(NDis >= 1, "egscit::discriminator: NDis must be at least 1");
};

}  // namespace i2i::egscit
