#pragma once
// The options of EGSC-IT's transfer block (research/egscit.md §4): a property of the network, not of a
// training run, so it lives with the networks; the training options (recipes/egscit/options.hpp) hold
// one, and the ONNX exporter and the transfer block read it without the training layer.
namespace i2i::egscit {

/// The transfer block between the shared generator block and the domain decoder (§4).
struct transfer_options {
  bool use_mask = true;   ///< false: ablation "w/o feature mask" (research model 1097)
  bool use_adain = true;  ///< false: ablation "w/o AdaIN" (research model 1502)
  double eps = 0;         ///< added to var_x in AdaIN; 0 is faithful (constant channels give NaN)
};

}  // namespace i2i::egscit
