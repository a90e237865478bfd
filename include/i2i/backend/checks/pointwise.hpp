#pragma once
// Argument checks of the elementwise ops (cpu/pointwise.hpp, cuda/kernels/pointwise.cuh), once for both
// backends; P is where the tensors must live (placement.hpp).
#include <cstdint>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/checks/tensor_args.hpp"

namespace i2i::checks {

/// Two operands of one shape (add, sub, mul).
template <placement P, class T>
void binary(const char* op, const tensor<T>& a, const tensor<T>& b) {
  require_tensor<P>(op, "a", a);
  require_tensor<P>(op, "b", b);
  require_same_shape(op, "b", b, "a", a);
}

template <placement P, class T>
void mul_backward(const tensor<T>& a, const tensor<T>& b, const tensor<T>& dy) {
  binary<P>("mul_backward", a, b);
  require_tensor<P>("mul_backward", "dy", dy);
  require_same_shape("mul_backward", "dy", dy, "a", a);
}

/// dst += src: the same shape.
template <placement P, class T>
void add_into(const tensor<T>& dst, const tensor<T>& src) {
  require_tensor<P>("add_into", "dst", dst);
  require_tensor<P>("add_into", "src", src);
  require_same_shape("add_into", "src", src, "dst", dst);
}

/// x (N x C or N x C x H x W) and one bias value per channel; returns H*W (1 for rank 2).
template <placement P, class T, class S>
std::int64_t channel_bias(const char* op, const tensor<T>& x, const tensor<S>& bias, const char* bias_arg) {
  require_tensor<P>(op, "x", x);
  require_tensor<P>(op, bias_arg, bias);
  const std::int64_t inner = require_channels_layout(op, "x", x);
  require<shape_error>(bias.shape() == shape{x.dim(1)}, op, ": ", bias_arg, " has shape ", bias.shape(),
                       ", expected ", x.dim(1), " (one per channel of x ", x.shape(), ")");
  return inner;
}

}  // namespace i2i::checks
