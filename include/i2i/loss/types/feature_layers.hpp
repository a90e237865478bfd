#pragma once
// Shared by the perceptual terms (vgg_perceptual, gram_style): a feature network's named taps with
// per-layer weights (VGG19's and MobileNetV2's lists), and the checks both terms make on them.
#include <set>
#include <string>
#include <vector>

#include "i2i/loss/types/term.hpp"

namespace i2i::loss {

/// One tapped layer of a feature network and its weight in a perceptual loss.
struct feature_layer {
  std::string tap;
  double weight = 1;
};

/// relu1_1..relu5_1 of VGG19 with weights w (in that order).
inline std::vector<feature_layer> vgg19_relu_x_1(double w1, double w2, double w3, double w4, double w5) {
  return {{"relu1_1", w1}, {"relu2_1", w2}, {"relu3_1", w3}, {"relu4_1", w4}, {"relu5_1", w5}};
}

/// The four taps of models::mobilenet_v2 (block_1_expand_relu, block_3_expand_relu, block_6_expand_relu,
/// block_10_project) with weights w (in that order).
inline std::vector<feature_layer> mobilenet_v2_taps(double w1, double w2, double w3, double w4) {
  return {{"block_1_expand_relu", w1}, {"block_3_expand_relu", w2}, {"block_6_expand_relu", w3}, {"block_10_project", w4}};
}

namespace term_detail {

inline void require_layers(const std::string& term, const std::vector<feature_layer>& layers) {
  require<value_error>(!layers.empty(), term, ": no feature layers");
  std::set<std::string> seen;
  for (const auto& l : layers) {
    require<value_error>(seen.insert(l.tap).second, term, ": feature layer '", l.tap, "' is listed twice");
    require<value_error>(std::isfinite(l.weight), term, ": feature layer '", l.tap, "' has weight ", l.weight);
  }
}

/// The model's taps must include every layer; says which are missing and what the model records.
template <class Ctx>
void require_taps(const Ctx& c, const std::vector<feature_layer>& layers) {
  for (const auto& l : layers) (void)c.tap(l.tap);  // tap_list::at names the missing key and lists the known ones
}

/// Freezes every parameter of a fixed feature network (pix2pixHD's requires_grad = False on VGG19), so
/// backward through it computes input gradients only.
template <class Net>
void freeze_all(Net& net) {
  for (const auto& p : net.all_parameters()) p->frozen = true;
}

}  // namespace term_detail
}  // namespace i2i::loss
