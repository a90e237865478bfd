#pragma once
// The shape check of pix2pixHD's instance-wise pooling: the instance map must be N x 1 x H x W of the
// encoder's output. Free of backend headers, so that the pooling (instance_pooling.hpp) and the
// backend-generic trainer (trainer.hpp, compiled by nvcc too) refuse a wrong map with the same words.
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::pix2pixhd {

template <class T>
void require_instance_map_matches(const tensor<T>& instances, const tensor<T>& features) {
  const auto& f = features;
  require<shape_error>(instances.rank() == 4 && instances.dim(1) == 1 && instances.dim(0) == f.dim(0) &&
                           instances.dim(2) == f.dim(2) && instances.dim(3) == f.dim(3),
                       "encode_instance_features: instance map has shape ", instances.shape(), ", expected ",
                       shape{f.dim(0), 1, f.dim(2), f.dim(3)}, " (N x 1 x H x W of the encoder output ", f.shape(),
                       ")");
}

}  // namespace i2i::pix2pixhd
