#pragma once
// pix2pixHD's GlobalGenerator "G1" (research/pix2pixhd.md §1.2): ReflPad 3, Conv 7x7, IN, ReLU; NDown
// stride-2 convs; NBlocks residual blocks at Ngf 2^NDown channels; NDown transposed convs; ReflPad 3,
// Conv 7x7 to OutputNC, Tanh. Input H and W must be divisible by 2^NDown.
//
// Parameter names equal the official state_dict keys: model.1.weight (first conv), model.4/7/10/13
// (downsampling), model.16..24.conv_block.{1,5} (blocks), model.25/28/31/34 (transposed convs),
// model.38 (last conv). At InputNC 36 and the defaults: 182,546,755 parameters, 978.65 GFLOP at
// 512x1024 (§7.2).
#include "i2i/models/pix2pixhd/blocks.hpp"

namespace i2i::pix2pixhd {

template <int InputNC, int OutputNC = 3, int Ngf = 64, int NDown = 4, int NBlocks = 9>
struct global_generator
    : named<"model", seq<channels<InputNC>, global_trunk<Ngf, NDown, NBlocks>, reflect_pad<3>, conv<OutputNC, 7>,
                         tanh_>> {
  static_assert(NDown >= 1 && NBlocks >= 1, "pix2pixhd::global_generator: NDown and NBlocks must be at least 1");
  /// Input height and width must be multiples of this.
  static constexpr int size_multiple = 1 << NDown;
};

}  // namespace i2i::pix2pixhd
