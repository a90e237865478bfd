#pragma once
// Argument checks of spatial_l2_normalise and its backward, for both backends (placement as a parameter).
#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/checks/tensor_args.hpp"
#include "i2i/backend/l2_normalise_types.hpp"

namespace i2i::checks {

template <placement P, class T>
void spatial_l2_normalise(const tensor<T>& f) {
  const char* op = "spatial_l2_normalise";
  require_tensor<P>(op, "features", f);
  require_nchw(op, "features", f);
  require<shape_error>(f.numel() > 0, op, ": features have shape ", f.shape(), "; need at least one element");
}

template <placement P, class T>
void spatial_l2_normalise_backward(const l2_normalise_result<T>& saved, const tensor<T>& dy) {
  const char* op = "spatial_l2_normalise_backward";
  require_tensor<P>(op, "dy", dy);
  require_tensor<P>(op, "saved.y", saved.y);
  require<shape_error>(dy.shape() == saved.y.shape(), op, ": gradient has shape ", dy.shape(), ", expected ",
                       saved.y.shape());
  require_nc(op, "saved.inv_norm", saved.inv_norm, dy.n(), dy.c(), "dy", dy.shape());
  require_nc(op, "saved.clamped", saved.clamped, dy.n(), dy.c(), "dy", dy.shape());
}

}  // namespace i2i::checks
