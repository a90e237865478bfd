#pragma once
// pix2pixHD's network input (models/pix2pixHD_model.py encode_input; research/pix2pixhd.md §2.1):
// [one-hot label map (label_nc channels) | instance boundary map (1 channel)] on the channel axis.
// With label_nc = 0 the label tensor is already the RGB input and is passed through unchanged.
//
//   auto x = data::encode_input(batch.label, batch.inst, 12);   // N x 13 x H x W
#include <cstdint>
#include <cstring>

#include "i2i/backend/cpu/label_maps.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::data {

namespace detail {

/// [a | b] on the channel axis of two N x C x H x W tensors with equal N, H, W.
inline tensor<float> concat_channels(const tensor<float>& a, const tensor<float>& b, const char* what) {
  require<shape_error>(a.rank() == 4 && b.rank() == 4 && a.n() == b.n() && a.h() == b.h() && a.w() == b.w(), what,
                       ": label ", a.shape(), " and instance map ", b.shape(), " differ in batch or spatial size");
  auto y = tensor<float>::empty(shape::nchw(a.n(), a.c() + b.c(), a.h(), a.w()));
  const std::size_t pa = std::size_t(a.c() * a.h() * a.w()), pb = std::size_t(b.c() * b.h() * b.w());
  for (std::int64_t n = 0; n < a.n(); ++n) {
    std::memcpy(y.data() + n * (pa + pb), a.data() + n * pa, pa * sizeof(float));
    std::memcpy(y.data() + n * (pa + pb) + pa, b.data() + n * pb, pb * sizeof(float));
  }
  return y;
}

inline tensor<float> encode_label(const tensor<float>& label, std::int64_t label_nc) {
  require<value_error>(label_nc >= 0, "encode_input: label_nc must be >= 0, got ", label_nc);
  require<shape_error>(label.defined() && label.rank() == 4, "encode_input: label has shape ", label.shape(),
                       ", expected N x 1 x H x W (or N x C x H x W with label_nc 0)");
  if (label_nc == 0) return label;
  require<shape_error>(label.c() == 1, "encode_input: label has shape ", label.shape(), ", expected N x 1 x H x W ids",
                       " for label_nc ", label_nc);
  return cpu::one_hot(label, label_nc);  // value_error naming value and position when out of range
}

}  // namespace detail

/// one_hot(label, label_nc) (or the RGB input for label_nc 0) followed by boundary_map(inst):
/// N x (label_nc + 1) x H x W.
inline tensor<float> encode_input(const tensor<float>& label, const tensor<float>& inst, std::int64_t label_nc) {
  require<shape_error>(inst.defined(), "encode_input: no instance map given; use encode_input(label, label_nc) ",
                       "for no_instance");
  require<shape_error>(label.rank() == 4 && inst.rank() == 4 && inst.c() == 1 && label.n() == inst.n() &&
                           label.h() == inst.h() && label.w() == inst.w(),
                       "encode_input: label ", label.shape(), " and instance map ", inst.shape(),
                       " differ in batch or spatial size (the instance map must be N x 1 x H x W like the label)");
  return detail::concat_channels(detail::encode_label(label, label_nc), cpu::boundary_map(inst), "encode_input");
}

/// Without instance maps (--no_instance): one_hot(label, label_nc), or the RGB input for label_nc 0.
inline tensor<float> encode_input(const tensor<float>& label, std::int64_t label_nc) {
  return detail::encode_label(label, label_nc);
}

}  // namespace i2i::data
