#pragma once
// pix2pixHD's feature Encoder E (research/pix2pixhd.md §1.4): a GlobalGenerator-like encoder-decoder
// without residual blocks. ReflPad 3, Conv 7x7 (in -> Nef), IN, ReLU; NDown stride-2 convs; NDown
// transposed convs; ReflPad 3, Conv 7x7 (Nef -> OutputNC), Tanh.
//
// Keys: model.{1,4,7,10,13,16,19,22,25,29}.{weight,bias} at the defaults; 788,803 parameters, 14.6 GFLOP
// at 512x1024. The instance-wise average pooling that follows E is not a layer (it needs the instance
// map as a second input): see pix2pixhd/instance_pooling.hpp.
#include "i2i/models/pix2pixhd/blocks.hpp"

namespace i2i::pix2pixhd {

template <int InputNC = 3, int OutputNC = 3, int Nef = 16, int NDown = 4>
struct encoder : named<"model", seq<channels<InputNC>, reflect_pad<3>, conv<Nef, 7>, instance_norm<>, relu,
                                    downsampling<Nef, NDown>, upsampling<Nef, NDown>, reflect_pad<3>,
                                    conv<OutputNC, 7>, tanh_>> {
  static constexpr int size_multiple = 1 << NDown;
};

}  // namespace i2i::pix2pixhd
