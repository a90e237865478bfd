#pragma once
// Argument checks of the activations (cpu/activation.hpp, cuda/kernels/activation.cuh), once for both
// backends; P is where the tensors must live (placement.hpp).
#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/op_args.hpp"

namespace i2i::checks {

/// activate / activate_inplace (op names which).
template <placement P, class T>
void activate(const char* op, const tensor<T>& x, const activation& a) {
  check_activation(op, a);
  require_tensor<P>(op, "x", x);
}

template <placement P, class T>
void activation_backward(const tensor<T>& dy, const tensor<T>& y, const activation& a) {
  constexpr const char* op = "activation_backward";
  check_activation(op, a);
  require_tensor<P>(op, "dy", dy);
  require_tensor<P>(op, "y", y);
  require<shape_error>(dy.shape() == y.shape(), op, ": output gradient has shape ", dy.shape(),
                       ", expected the output's shape ", y.shape());
}

}  // namespace i2i::checks
