#pragma once
// pix2pixHD's network input (models/pix2pixHD_model.py encode_input; research/pix2pixhd.md §2.1):
// [one-hot label map (label_nc channels) | instance boundary map (1 channel)] on the channel axis.
// With label_nc = 0 the label tensor is already the RGB input and is passed through unchanged.
//
//   auto x = data::encode_input(batch.label, batch.inst, 12);   // N x 13 x H x W
//
// The host encoding (the data loader's) is data::encode_input_on<cpu_backend<float>> (encode_on_backend.hpp):
// one implementation and one set of checks for every backend.
#include <cstdint>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/data/encode_on_backend.hpp"

namespace i2i::data {

/// one_hot(label, label_nc) (or the RGB input for label_nc 0) followed by boundary_map(inst):
/// N x (label_nc + 1) x H x W.
inline tensor<float> encode_input(const tensor<float>& label, const tensor<float>& inst, std::int64_t label_nc) {
  return encode_input_on<cpu_backend<float>>(label, inst, label_nc, false);
}

/// Without instance maps (--no_instance): one_hot(label, label_nc), or the RGB input for label_nc 0.
inline tensor<float> encode_input(const tensor<float>& label, std::int64_t label_nc) {
  return encode_input_on<cpu_backend<float>>(label, tensor<float>{}, label_nc, true);
}

}  // namespace i2i::data
