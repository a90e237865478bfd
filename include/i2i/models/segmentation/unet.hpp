#pragma once
// A small U-Net (Ronneberger et al. 2015) for semantic segmentation: the oracle of pix2pixHD's
// evaluation (research/pix2pixhd.md §6), which segments real and synthesised images so that pixel
// accuracy and mean IoU against the input label maps measure how faithfully a generator draws each class.
//
//   level<F, 0>  = [Conv 3x3, BN, ReLU] x 2 at F channels (the bottleneck)
//   level<F, d>  = [Conv 3x3, BN, ReLU] x 2 at F ;  concat(skip, up(level<2F, d-1>(maxpool 2x2)))
//                  ; [Conv 3x3, BN, ReLU] x 2 at F
//   up           = ConvTranspose 2x2 stride 2 (sizes double exactly), BN, ReLU
//   net          = level<F, Depth>, Conv 1x1 to Classes logits (no softmax: B::cross_entropy_loss)
//
// Batch norm rather than instance norm: instance norm would remove each image's mean colour per
// channel, and absolute colour (blue sky, green vegetation) is exactly what a segmenter should use.
// Train in model::train() mode, evaluate in eval() mode (running statistics).
//
// Skips are parallel<concat, channels<F>, named<"down", ...>>: the identity path holds no parameters, so
// parameter names are the seq indices: "0.0.weight" (first conv), "0.6.down.1.0.weight" (first conv of
// the level below), "1.weight" (the classifier). H and W must be divisible by 2^Depth.
#include "i2i/i2i.hpp"

namespace i2i::segmentation {

/// [Conv 3x3 pad 1, BN, ReLU] x 2: six indices laid into the parent seq.
template <int C>
using double_conv = inlined<conv<C, 3, 1, 1>, batch_norm<>, relu, conv<C, 3, 1, 1>, batch_norm<>, relu>;

namespace detail {
template <int F, int Depth>
struct unet_level {
  using type = seq<double_conv<F>,
                   parallel<concat, channels<F>,
                            named<"down", seq<max_pool<2, 2>, typename unet_level<2 * F, Depth - 1>::type,
                                              conv_transpose<F, 2, 2>, batch_norm<>, relu>>>,
                   double_conv<F>>;
};
template <int F>
struct unet_level<F, 0> {
  using type = seq<double_conv<F>>;
};
}  // namespace detail

/// InputNC channels in (3 for RGB), Classes logits out; F channels at full resolution, Depth
/// downsamplings (widths F, 2F, ..., 2^Depth F at the bottleneck).
template <int InputNC, int Classes, int F = 16, int Depth = 3>
struct unet : seq<channels<InputNC>, typename detail::unet_level<F, Depth>::type, conv<Classes, 1>> {
  static_assert(Depth >= 1 && F >= 1 && Classes >= 2, "segmentation::unet: Depth >= 1, F >= 1 and Classes >= 2");
  static constexpr int input_nc = InputNC, classes = Classes, width = F, depth = Depth;
  /// Input height and width must be multiples of this.
  static constexpr int size_multiple = 1 << Depth;
};

}  // namespace i2i::segmentation
