#pragma once
// pix2pixHD's building blocks (research/pix2pixhd.md §0, §1.1): the residual block, the stride-2
// downsampling and the transposed-conv upsampling groups, and the generator trunk shared by
// GlobalGenerator and LocalEnhancer's embedded G1.
#include "i2i/i2i.hpp"
#include "i2i/models/names.hpp"

namespace i2i::pix2pixhd {

/// ResnetBlock(C): x + [ReflPad 1, Conv 3x3, IN, ReLU, ReflPad 1, Conv 3x3, IN]; no activation after the
/// sum. The body is the attribute "conv_block", so its convs are "<block>.conv_block.1" and ".5".
template <int C>
using res_block = residual<seq<reflect_pad<1>, conv<C, 3>, instance_norm<>, relu, reflect_pad<1>, conv<C, 3>,
                               instance_norm<>>,
                           "conv_block">;

/// Conv 3x3 stride 2 zero-pad 1, IN, ReLU: three modules laid inline into the parent Sequential.
template <int C>
using down = inlined<conv<C, 3, 2, 1>, instance_norm<>, relu>;

/// ConvTranspose 3x3 stride 2 pad 1 output_pad 1 (H, W double exactly), IN, ReLU.
template <int C>
using up = inlined<conv_transpose<C, 3, 2, 1, 1>, instance_norm<>, relu>;

namespace detail {
template <int Ngf>
struct down_at {
  template <int I>
  using at = down<(Ngf << (I + 1))>;
};
template <int Ngf, int NDown>
struct up_at {
  template <int I>
  using at = up<(Ngf << (NDown - 1 - I))>;
};
}  // namespace detail

/// NDown downsampling groups Ngf -> 2 Ngf -> ... -> Ngf 2^NDown (3 NDown indices).
template <int Ngf, int NDown>
using downsampling = models::splice_n<detail::down_at<Ngf>, NDown>;

/// NDown upsampling groups Ngf 2^NDown -> ... -> Ngf.
template <int Ngf, int NDown>
using upsampling = models::splice_n<detail::up_at<Ngf, NDown>, NDown>;

/// GlobalGenerator without its last three modules (ReflPad 3, Conv 7x7 to RGB, Tanh): seq indices
/// 0 .. 3 + 6 NDown + NBlocks. This is LocalEnhancer's G1 ("model.0..36" at the defaults); it ends in
/// IN+ReLU with Ngf channels at the resolution of its input.
template <int Ngf, int NDown, int NBlocks>
using global_trunk = inlined<reflect_pad<3>, conv<Ngf, 7>, instance_norm<>, relu, downsampling<Ngf, NDown>,
                            repeat<NBlocks, res_block<(Ngf << NDown)>>, upsampling<Ngf, NDown>>;

}  // namespace i2i::pix2pixhd
