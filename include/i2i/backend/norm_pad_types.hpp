#pragma once
// What the fused instance norm + activation + reflection pad op of every backend returns and its backward
// needs (cpu/instance_norm_pad.hpp, cuda/kernels/instance_norm_pad.cuh). Eigen-free and CUDA-free, so
// both backends and backend-generic code (spec/fused_norm.hpp) name the same type.
#include "i2i/backend/op_args.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i {

/// T: the activations' storage type; S: the statistics' type (compute_t<T> on CUDA, T on the CPU).
template <class T, class S = T>
struct instance_norm_pad_result {
  tensor<T> y;        ///< N x C x (H + top + bottom) x (W + left + right): the padded, activated output
  tensor<S> mean;     ///< N x C per-plane means
  tensor<S> inv_std;  ///< N x C per-plane 1 / sqrt(biased variance + eps)
  activation act;     ///< the fused activation; backward reads its derivative from y (no pre-activation copy)
  padding2d pad;      ///< the reflection padding applied after the activation
};

}  // namespace i2i
