#pragma once
// pix2pix's UnetGenerator (Isola et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix networks.py), the
// baseline of pix2pixHD's evaluation. With --norm instance (so convs keep their biases, and the norm
// has no parameters), NumDowns stride-2 levels, each a UnetSkipConnectionBlock:
//
//   outermost  Conv 4x4 s2 p1 (in -> Ngf), [sub], ReLU, ConvT 4x4 s2 p1 (2 Ngf -> out), Tanh
//   middle     x | [LeakyReLU 0.2, Conv 4x4 s2 p1 (outer -> inner), IN, [sub], ReLU,
//                   ConvT 4x4 s2 p1 (2 inner -> outer), IN]                      (concat: the skip)
//   innermost  x | [LeakyReLU 0.2, Conv 4x4 s2 p1, ReLU, ConvT 4x4 s2 p1 (inner -> outer), IN]
//
// Inner widths Ngf, 2 Ngf, 4 Ngf, 8 Ngf, 8 Ngf, ...: level i has Ngf * min(2^i, 8). unet_128 is
// NumDowns 7, unet_256 NumDowns 8; H and W must be divisible by 2^NumDowns (the bottleneck is 1 pixel
// high at 128 rows with 7 levels). Parameter names equal the reference's state_dict keys:
// model.model.0.weight (first conv), model.model.1.model.1.weight (the next level's conv),
// model.model.3.weight (last transposed conv).
//
// Not provided: the reference's Dropout(0.5) in the up path of the 8 Ngf middle levels (pix2pix's only
// noise source); this library has no dropout spec, so G is deterministic. Dropout comes last in each
// block's Sequential, so the parameter names are unaffected. The reference's in-place LeakyReLU
// modifies the skip tensor before the concat; the next op on the concat is a ReLU, and
// relu(leaky_relu(x)) = relu(x), so that quirk changes nothing and plain x is concatenated here.
#include <algorithm>

#include "i2i/i2i.hpp"

namespace i2i::pix2pix {

namespace detail {

/// Width of level `level`'s inner (downsampled) side.
template <int Ngf>
constexpr int inner_width(int level) {
  return Ngf * std::min(1 << std::min(level, 3), 8);
}

template <int Ngf, int NumDowns, int Level, bool Innermost = (Level == NumDowns - 1)>
struct unet_level;

// The innermost block: no norm on the way down, no submodule.
template <int Ngf, int NumDowns, int Level>
struct unet_level<Ngf, NumDowns, Level, true> {
  static constexpr int outer = inner_width<Ngf>(Level - 1), inner = inner_width<Ngf>(Level);
  using type = parallel<concat, channels<outer>,
                        named<"model", seq<leaky_relu<std::ratio<1, 5>>, conv<inner, 4, 2, 1>, relu,
                                           conv_transpose<outer, 4, 2, 1>, instance_norm<>>>>;
};

template <int Ngf, int NumDowns, int Level>
struct unet_level<Ngf, NumDowns, Level, false> {
  static constexpr int outer = inner_width<Ngf>(Level - 1), inner = inner_width<Ngf>(Level);
  using type = parallel<concat, channels<outer>,
                        named<"model", seq<leaky_relu<std::ratio<1, 5>>, conv<inner, 4, 2, 1>, instance_norm<>,
                                           typename unet_level<Ngf, NumDowns, Level + 1>::type, relu,
                                           conv_transpose<outer, 4, 2, 1>, instance_norm<>>>>;
};

}  // namespace detail

/// pix2pix's G: InputNC channels (one-hot labels) -> OutputNC in [-1, 1].
template <int InputNC, int OutputNC = 3, int NumDowns = 7, int Ngf = 64>
struct unet_generator
    : named<"model", named<"model", seq<channels<InputNC>, conv<Ngf, 4, 2, 1>,
                                        typename detail::unet_level<Ngf, NumDowns, 1>::type, relu,
                                        conv_transpose<OutputNC, 4, 2, 1>, tanh_>>> {
  static_assert(NumDowns >= 2, "pix2pix::unet_generator: NumDowns must be at least 2");
  /// Input height and width must be multiples of this.
  static constexpr int size_multiple = 1 << NumDowns;
};

}  // namespace i2i::pix2pix
