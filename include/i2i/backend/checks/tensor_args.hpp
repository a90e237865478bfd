#pragma once
// Shape checks that many ops share (independent of where the tensors live; see placement.hpp).
// Messages name the op, the argument and both shapes.
#include <cstdint>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/shape.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::checks {

/// `t` must have the same shape as `ref`; the message names both arguments and both shapes.
template <class T, class U>
void require_same_shape(const char* op, const char* arg, const tensor<T>& t, const char* ref_arg,
                        const tensor<U>& ref) {
  require<shape_error>(t.shape() == ref.shape(), op, ": ", arg, " has shape ", t.shape(), ", expected ",
                       ref.shape(), " (the shape of ", ref_arg, ")");
}

/// A tensor with a channel axis: rank 2 (N x C) or rank 4 (N x C x H x W). Returns H*W (1 for rank 2).
template <class T>
std::int64_t require_channels_layout(const char* op, const char* arg, const tensor<T>& t) {
  require<shape_error>(t.rank() == 2 || t.rank() == 4, op, ": ", arg, " has shape ", t.shape(),
                       ", expected rank 2 (N x C) or rank 4 (N x C x H x W)");
  return t.rank() == 4 ? t.dim(2) * t.dim(3) : 1;
}

/// A per-(sample, channel) statistic: shape N x C.
template <class T>
void require_nc(const char* op, const char* arg, const tensor<T>& stat, std::int64_t n, std::int64_t c,
                const char* of_arg, const shape& of_shape) {
  require<shape_error>(stat.shape() == shape{n, c}, op, ": ", arg, " has shape ", stat.shape(), ", expected ",
                       shape{n, c}, " (one per sample and channel of ", of_arg, " ", of_shape, ")");
}

/// An optional per-channel parameter (or its gradient): undefined, or exactly C elements of rank 1.
template <placement P, class T>
void check_channel_param(const char* op, const char* arg, const tensor<T>& p, const shape& x) {
  if (!p.defined()) return;
  require<shape_error>(p.numel() == x[1] && p.rank() == 1, op, ": ", arg, " has shape ", p.shape(), ", expected ",
                       x[1], " (one per channel of input ", x, ")");
  require_tensor<P>(op, arg, p);
}

}  // namespace i2i::checks
