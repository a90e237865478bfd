#pragma once
// What spatial_l2_normalise returns on every backend (cpu/l2_normalise.hpp, cuda/kernels/l2_normalise.cuh):
// the normalised map and what its backward needs. Eigen-free and CUDA-free, like adain_types.hpp.
#include "i2i/core/tensor.hpp"

namespace i2i {

/// Squared norms at or below this are replaced by it (a constant norm, so the backward skips the
/// projection term): the reference's tf.nn.l2_normalize epsilon.
inline constexpr double l2_normalise_floor = 1e-12;

template <class T>
struct l2_normalise_result {
  tensor<T> y;         ///< N x C x H x W
  tensor<T> inv_norm;  ///< N x C: 1 / sqrt(max(sum_hw f^2, floor))
  tensor<T> clamped;   ///< N x C: 1 where the floor was taken
};

}  // namespace i2i
