#pragma once
// Argument checks of dense layers (cpu/linear.hpp, cuda/linear.cuh), once for both backends; P is where
// the tensors must live (placement.hpp).
#include <cstdint>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/checks/tensor_args.hpp"

namespace i2i::checks {

/// x (N x ...), weight (Out x In) and an optional bias (Out, named bias_arg); returns In.
template <placement P, class T>
std::int64_t linear_operands(const char* op, const tensor<T>& x, const tensor<T>& w, const tensor<T>* bias,
                             const char* bias_arg) {
  require_tensor<P>(op, "x", x);
  require_tensor<P>(op, "weight", w);
  require<shape_error>(w.rank() == 2, op, ": weight has shape ", w.shape(), ", expected rank 2 (Out x In)");
  require<shape_error>(x.rank() >= 2, op, ": x has shape ", x.shape(), ", expected N x ", w.dim(1));
  const std::int64_t in = x.dim(0) ? x.numel() / x.dim(0) : 0;
  require<shape_error>(in == w.dim(1), op, ": x has shape ", x.shape(), " (", in,
                       " features per sample) but weight has shape ", w.shape(), " (expects ", w.dim(1), ")");
  if (bias) {
    require_tensor<P>(op, bias_arg, *bias);
    require<shape_error>(bias->shape() == shape{w.dim(0)}, op, ": ", bias_arg, " has shape ", bias->shape(),
                         ", expected ", w.dim(0), " (one per output of weight ", w.shape(), ")");
  }
  return in;
}

template <placement P, class T>
std::int64_t linear(const tensor<T>& x, const tensor<T>& w, const tensor<T>* bias) {
  return linear_operands<P>("linear", x, w, bias, "bias");
}

/// Also dy (N x Out) and dweight (the weight's shape); returns In.
template <placement P, class T>
std::int64_t linear_backward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& dy, const tensor<T>& dweight,
                             const tensor<T>* dbias) {
  constexpr const char* op = "linear_backward";
  const std::int64_t in = linear_operands<P>(op, x, w, dbias, "dbias");
  const std::int64_t n = x.dim(0), out = w.dim(0);
  require_tensor<P>(op, "dy", dy);
  require<shape_error>(dy.shape() == shape{n, out}, op, ": dy has shape ", dy.shape(), ", expected ", shape{n, out},
                       " (the output of x ", x.shape(), " and weight ", w.shape(), ")");
  require_tensor<P>(op, "dweight", dweight);
  require_same_shape(op, "dweight", dweight, "weight", w);
  return in;
}

}  // namespace i2i::checks
