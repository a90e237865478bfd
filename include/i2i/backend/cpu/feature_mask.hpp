#pragma once
// EGSC-IT's feature mask (research/egscit.md §4): a gate in [0.5, 1] from feature maps, so that masking
// a content code can damp a channel but never remove it.
//
//   feature_mask(f)                     m = 0.5 + 0.5 sigmoid(f)
//   feature_mask_backward(dm, m)        df = dm 0.5 s (1 - s) with s = sigmoid(f) = 2 m - 1
//
// CUDA twin: cuda/kernels/feature_mask.cuh.
#include "i2i/backend/checks/pointwise.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::cpu {

template <cpu_scalar T>
tensor<T> feature_mask(const tensor<T>& f) {
  checks::require_tensor<checks::on_host>("feature_mask", "features", f);
  auto m = tensor<T>::empty(f.shape());
  flat(m) = T(0.5) + T(0.5) / (T(1) + (-cflat(f)).exp());
  return m;
}

/// dm: the gradient with respect to the mask; m: feature_mask's output.
template <cpu_scalar T>
tensor<T> feature_mask_backward(const tensor<T>& dm, const tensor<T>& m) {
  checks::binary<checks::on_host>("feature_mask_backward", dm, m);
  auto df = tensor<T>::empty(m.shape());
  const auto s = (T(2) * cflat(m) - T(1)).eval();
  flat(df) = cflat(dm) * T(0.5) * s * (T(1) - s);
  return df;
}

}  // namespace i2i::cpu
