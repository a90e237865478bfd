#pragma once
// EGSC-IT training and inference options (research/egscit.md §4-§6), with the official code's values as
// defaults and a switch wherever the spec recommends a documented deviation.
//
//   transfer_options   the transfer block: mask on/off, AdaIN on/off, eps (a network option, so it lives
//                      with the network: models/egscit/transfer_options.hpp)
//   loss_weights       GAN 10, L1 recon 100, L1 cycle 100, KL 0.1 (counted in both domain terms, so 0.2
//                      effective on the joint latent), KL cycle 0.1, content/style per dataset (§6.4)
//   perceptual_options where the perceptual features come from (VGG19 from a weights file, else the
//                      documented substitute: the stage-1 feature-mask networks), and how VGG input is
//                      normalised for the file's weights
//   train_options      batch, lr0, T (iterations of the poly schedule), the D:G ratio, noise switches,
//                      augmentation, seed; presets for the datasets of §6.4
//   model_kind         EGSC-IT or one of the baselines the authors ran in the same backbone (§6.5): UNIT
//                      (stage 2 without mask, AdaIN and perceptual loss; model 1000), CycleGAN (model
//                      1500, cyclegan.hpp), MUNIT (munit.hpp)
#include <algorithm>
#include <cstdint>
#include <ostream>
#include <string>

#include "i2i/core/error.hpp"
#include "i2i/models/egscit/transfer_options.hpp"

namespace i2i::egscit {

/// Loss weights (§5). The main KL term is added once per domain term, as the reference does.
struct loss_weights {
  double gan = 10;         ///< GAN_weight, generator and discriminator
  double l1 = 100;         ///< L1_weight (self reconstruction), scripts' value
  double l1_cycle = 100;   ///< L1_cycle_weight
  double kl = 0.1;         ///< KL_weight, on the joint latent, counted in the A and in the B term
  double kl_cycle = 0.1;   ///< KL_cycle_weight
  double content = 10;     ///< content_weight lambda_c (MNIST-Single: 1e1)
  double style = 1e3;      ///< style_weight lambda_s (MNIST-Single: 1e3)
};

/// Where the perceptual losses take their features from.
enum class perceptual_source {
  vgg19,               ///< VGG19 relu{1..5}_1 (faithful); needs perceptual_options::vgg_weights
  feature_mask_nets,   ///< substitute: the frozen stage-1 F of the output's domain (its last block)
  mobilenet_v2,        ///< the installable 8-bit ImageNet MobileNetV2 (docs/mobilenet_v2.md; NOT VGG19):
                       ///< its four taps; needs perceptual_options::mobilenet_v2_weights
};

inline const char* to_string(perceptual_source s) {
  switch (s) {
    case perceptual_source::vgg19: return "vgg19";
    case perceptual_source::feature_mask_nets: return "feature_mask_nets";
    case perceptual_source::mobilenet_v2: return "mobilenet_v2";
  }
  return "?";
}

inline std::ostream& operator<<(std::ostream& os, perceptual_source s) { return os << to_string(s); }

/// How images in [-1, 1] are mapped for the VGG weights in the file.
enum class vgg_normalisation {
  caffe_bgr,  ///< weights converted from the authors' vgg19.npy: BGR, [0, 255] minus the BGR means
  imagenet,   ///< weights converted from torchvision's vgg19: RGB [0, 1], ImageNet mean/std
};

struct perceptual_options {
  /// Safetensors (or .npz) file with torchvision keys features.{idx}.{weight,bias} (models/vgg19.hpp;
  /// docs/checkpoints.md converts the authors' vgg19.npy to such an .npz). Empty, or
  /// a missing file: the trainer says so on its log and uses the substitute (never drops the loss).
  std::string vgg_weights;
  vgg_normalisation normalisation = vgg_normalisation::caffe_bgr;
  /// When false and there is no VGG file, the trainer refuses to start instead of substituting.
  bool allow_substitute = true;
  /// --perceptual vgg19|mobilenet_v2: vgg19 (the paper's, with the substitute above when there is no
  /// file) or mobilenet_v2, which needs mobilenet_v2_weights and is never substituted.
  perceptual_source network = perceptual_source::vgg19;
  std::string mobilenet_v2_weights;  ///< cmake/fetch_mobilenet_v2.sh's mobilenet_v2.safetensors
};

/// Which model a run trains: EGSC-IT or a baseline of §6.5, all in the same backbone.
enum class model_kind {
  egscit,    ///< stage 2 of EGSC-IT (needs the stage-1 feature-mask networks)
  unit,      ///< model 1000: stage 2 without mask, AdaIN and perceptual loss; needs no F
  cyclegan,  ///< model 1500: per direction encoder -> generator, nothing shared, no noise, no KL
  munit,     ///< MUNIT in the backbone (munit.hpp)
};

inline const char* to_string(model_kind k) {
  switch (k) {
    case model_kind::egscit: return "egscit";
    case model_kind::unit: return "unit";
    case model_kind::cyclegan: return "cyclegan";
    case model_kind::munit: return "munit";
  }
  return "?";
}
inline std::ostream& operator<<(std::ostream& os, model_kind k) { return os << to_string(k); }
inline model_kind model_kind_from_string(const std::string& s) {
  for (auto k : {model_kind::egscit, model_kind::unit, model_kind::cyclegan, model_kind::munit})
    if (s == to_string(k)) return k;
  throw value_error(i2i::detail::concat("egscit: unknown model kind '", s, "' (egscit, unit, cyclegan, munit)"));
}

/// Everything a training run needs besides the data. Defaults: MNIST-Single (§6.4).
struct train_options {
  model_kind kind = model_kind::egscit;  ///< set with with_model() so that the switches below agree
  /// The name the programs know the network configuration by ("mnist", "small", ...); written to the
  /// checkpoint metadata (egscit.config) so that a saved model can be rebuilt without flags.
  std::string config_name;
  int batch = 8;
  double lr = 1e-5;                ///< lr0 of the poly schedule, G and D alike
  std::int64_t iterations = 60000; ///< T = epoch * sample_num; one iteration = 1 D step + g_updates G steps
  double lr_power = 0.9;
  int g_updates = 5;               ///< G steps per D step: 5 in stage 2, 1 in stage 1
  double beta1 = 0.5, beta2 = 0.999, adam_eps = 1e-8;
  bool noise_train = true;         ///< z = mu + N(0, I) in training (faithful)
  bool noise_test = true;          ///< ... and at test time (faithful: the reference has no switch)
  bool augment = true;             ///< horizontal flip p = 0.5 and zoom-crop p = 0.5 per sample (§6.2)
  std::uint64_t seed = 1;
  transfer_options transfer;
  loss_weights weights;
  bool perceptual = true;          ///< false: ablation "w/o perceptual loss" (style = content = 0)
  perceptual_options vgg;
  std::int64_t log_every = 0;      ///< log to the trainer's sink every n iterations (0: never)

  void validate() const {
    require<value_error>(batch >= 1 && iterations >= 1 && g_updates >= 1 && lr >= 0 && lr_power >= 0,
                         "egscit::train_options: batch ", batch, ", iterations ", iterations, ", g_updates ", g_updates,
                         ", lr ", lr, ", lr_power ", lr_power, " (need batch, iterations, g_updates >= 1, lr >= 0)");
    require<value_error>(transfer.eps >= 0, "egscit::train_options: transfer eps ", transfer.eps, " must be >= 0");
  }
};

/// The ablations of the paper's table as switches on a set of options.
enum class ablation { none, no_feature_mask, no_adain, no_perceptual };

inline train_options with_ablation(train_options o, ablation a) {
  if (a == ablation::no_feature_mask) o.transfer.use_mask = false;
  if (a == ablation::no_adain) o.transfer.use_adain = false;
  if (a == ablation::no_perceptual) o.perceptual = false;
  return o;
}

/// The options of a baseline (or of EGSC-IT): UNIT is stage 2 with the mask, AdaIN and the perceptual
/// terms off; CycleGAN has no noise (its trainer reads only the GAN and cycle weights).
inline train_options with_model(train_options o, model_kind k) {
  o.kind = k;
  if (k == model_kind::unit) {
    o.transfer.use_mask = o.transfer.use_adain = false;
    o.perceptual = false;
  }
  if (k == model_kind::cyclegan) {
    o.noise_train = o.noise_test = false;
    o.perceptual = false;
  }
  return o;
}

/// The EGSC-IT ablations a set of options has, "+"-joined ("no_mask+no_adain"), "none" without any;
/// always "none" for the baselines (their switches are part of the model, not an ablation).
inline std::string ablation_name(const train_options& o) {
  if (o.kind != model_kind::egscit) return "none";
  std::string r;
  auto add = [&](const char* s) { r += (r.empty() ? "" : "+") + std::string(s); };
  if (!o.transfer.use_mask) add("no_mask");
  if (!o.transfer.use_adain) add("no_adain");
  if (!o.perceptual) add("no_perceptual");
  return r.empty() ? "none" : r;
}
/// Applies ablation_name()'s form (or one of none, no_mask, no_adain, no_perceptual) to `o`.
inline train_options with_ablation_name(train_options o, const std::string& name) {
  std::size_t at = 0;
  while (at <= name.size()) {
    const auto end = std::min(name.find('+', at), name.size());
    const std::string part = name.substr(at, end - at);
    if (part == "no_mask" || part == "no_feature_mask") o = with_ablation(o, ablation::no_feature_mask);
    else if (part == "no_adain") o = with_ablation(o, ablation::no_adain);
    else if (part == "no_perceptual") o = with_ablation(o, ablation::no_perceptual);
    else require<value_error>(part == "none", "egscit: unknown ablation '", part, "' in '", name,
                              "' (none, no_mask, no_adain, no_perceptual, '+'-joined)");
    at = end + 1;
  }
  return o;
}

/// Stage-2 presets of §6.4 (stage 1 uses the same batch, lr and sizes with g_updates = 1).
inline train_options preset_mnist_single() { return {}; }
inline train_options preset_mnist_multiple() {
  train_options o;
  o.weights.style = 1e4;
  o.weights.content = 1e2;
  return o;
}
inline train_options preset_gta_cityscapes(std::int64_t sample_num) {
  train_options o;
  o.batch = 3;
  o.lr = 1e-4;
  o.iterations = sample_num;
  o.weights.style = 1e3;
  o.weights.content = 5e2;
  return o;
}
inline train_options preset_gta_bdd(std::int64_t sample_num) {
  auto o = preset_gta_cityscapes(sample_num);
  o.weights.style = 1e4;
  o.weights.content = 1e2;
  return o;
}
inline train_options preset_celeba(std::int64_t sample_num) {
  train_options o;
  o.lr = 1e-4;
  o.iterations = sample_num;
  o.weights.style = 5e3;
  o.weights.content = 1e1;
  return o;
}
/// Stage 1 from a stage-2 preset: one G step per D step, no perceptual terms (they are not used).
inline train_options stage1_from(train_options o) {
  o.g_updates = 1;
  return o;
}

}  // namespace i2i::egscit
