#pragma once
// parity_api.hpp's seam for the ops EGSC-IT's trainers added to both backends (add_scaled_into,
// feature_mask, spatial_l2_normalise): host tensors in and out; defined in gpu_egscit_ops.cu for float
// and double.
#include "i2i/backend/l2_normalise_types.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::parity::gpu {

template <class T> tensor<T> add_scaled_into(const tensor<T>& dst, const tensor<T>& src, double s);  ///< dst + src s
template <class T> tensor<T> feature_mask(const tensor<T>& f);
template <class T> tensor<T> feature_mask_backward(const tensor<T>& dm, const tensor<T>& m);
template <class T> l2_normalise_result<T> spatial_l2_normalise(const tensor<T>& f);
template <class T> tensor<T> spatial_l2_normalise_backward(const l2_normalise_result<T>& saved, const tensor<T>& dy);

}  // namespace i2i::parity::gpu
