#pragma once
// Small networks the loss-term tests differentiate through.
#include "i2i/i2i.hpp"

namespace i2i::test_nets {

/// pix2pixHD's NLayerDiscriminator layout with n_layers_D = 1 and tiny widths: every group is its own
/// named, tapped sub-module ("layer0", "layer1", "layer2"); the last one is the final patch map, tapped
/// too, so feature matching must recognise it as an output and skip it.
using nlayer_d = chain<tap<"layer0", named<"layer0", seq<conv<4, 4, 2, 2>, leaky_relu<>>>>,
                       tap<"layer1", named<"layer1", seq<conv<6, 4, 1, 2>, instance_norm<>, leaky_relu<>>>>,
                       tap<"layer2", named<"layer2", seq<conv<1, 4, 1, 2>>>>>;
/// Two scales with pix2pixHD's keys: scale1_layer0.0.weight (full resolution), scale0_... (half).
using two_scale_d = multiscale<2, nlayer_d, "_">;
using patch_d = nlayer_d;

/// A two-conv generator, 2 -> 3 channels.
using small_g = seq<channels<2>, conv<4, 3, 1, 1>, leaky_relu<>, conv<3, 3, 1, 1>, tanh_>;

/// A stand-in for VGG19 with its tap names: relu1_1 .. relu5_1 at 1, 1/2, 1/4, 1/8, 1/16 resolution.
using tiny_vgg = seq<channels<3>, conv<4, 3, 1, 1>, tap<"relu1_1", relu>, conv<4, 3, 1, 1>, relu, max_pool<2, 2>,
                     conv<5, 3, 1, 1>, tap<"relu2_1", relu>, max_pool<2, 2>, conv<5, 3, 1, 1>, tap<"relu3_1", relu>,
                     max_pool<2, 2>, conv<6, 3, 1, 1>, tap<"relu4_1", relu>, max_pool<2, 2>, conv<6, 3, 1, 1>,
                     tap<"relu5_1", relu>>;

}  // namespace i2i::test_nets
