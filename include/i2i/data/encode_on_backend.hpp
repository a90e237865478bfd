#pragma once
// pix2pixHD's network input on any backend (models/pix2pixHD_model.py encode_input; research/pix2pixhd.md
// §2.1): [one-hot label map (label_nc channels) | instance boundary map (1 channel)] on the channel axis,
// with B::one_hot, B::boundary_map and B::concat_channels. With label_nc = 0 the label tensor is already
// the RGB input and passes through. Backend-free (no backend header), so the trainer instantiated for cuda_backend encodes on
// the device; data/encode.hpp is this function on the CPU (the data loader's host encoding), so the
// argument checks below are the only ones.
//
//   auto x = data::encode_input_on<B>(label, inst, 12, /*no_instance=*/false);   // N x 13 x H x W
#include <cstdint>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::data {

/// The label map's checks: label_nc >= 0, rank 4, one id channel when label_nc > 0.
template <class Tensor>
void check_encode_label(const Tensor& label, std::int64_t label_nc) {
  require<value_error>(label_nc >= 0, "encode_input: label_nc must be >= 0, got ", label_nc);
  require<shape_error>(label.defined() && label.rank() == 4, "encode_input: label has shape ", label.shape(),
                       ", expected N x 1 x H x W (or N x C x H x W with label_nc 0)");
  if (label_nc != 0)
    require<shape_error>(label.c() == 1, "encode_input: label has shape ", label.shape(),
                         ", expected N x 1 x H x W ids for label_nc ", label_nc);
}

/// The instance map's checks: given, N x 1 x H x W like the label.
template <class Tensor>
void check_encode_instances(const Tensor& label, const Tensor& inst) {
  require<shape_error>(inst.defined(), "encode_input: no instance map given; use encode_input(label, label_nc) ",
                       "for no_instance");
  require<shape_error>(label.rank() == 4 && inst.rank() == 4 && inst.c() == 1 && label.n() == inst.n() &&
                           label.h() == inst.h() && label.w() == inst.w(),
                       "encode_input: label ", label.shape(), " and instance map ", inst.shape(),
                       " differ in batch or spatial size (the instance map must be N x 1 x H x W like the label)");
}

/// one_hot(label, label_nc) (or the RGB input for label_nc 0), followed by boundary_map(inst) unless
/// no_instance: N x (label_nc [+ 1]) x H x W in B's memory. label and inst must be in B's memory.
template <class B>
tensor<typename B::scalar> encode_input_on(const tensor<typename B::scalar>& label,
                                           const tensor<typename B::scalar>& inst, std::int64_t label_nc,
                                           bool no_instance) {
  if (!no_instance) check_encode_instances(label, inst);
  check_encode_label(label, label_nc);
  // value_error naming value and position when an id is out of range
  const auto lab = label_nc == 0 ? label : B::one_hot(label, label_nc);
  if (no_instance) return lab;
  return B::concat_channels(std::vector<tensor<typename B::scalar>>{lab, B::boundary_map(inst)});
}

}  // namespace i2i::data
