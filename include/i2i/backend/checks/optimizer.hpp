#pragma once
// The argument checks of the optimizer updates (B::adam_update, B::sgd_update), once for both backends;
// where the tensors must live is the placement P (backend/checks/placement.hpp).
#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/optimizer_args.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::checks {

/// `t` must be a defined tensor of the parameter's shape where P says, so a kernel never reads across
/// memories or past an end.
template <placement P, class T>
void require_update_operand(const char* op, const char* arg, const tensor<T>& t, const tensor<T>& param) {
  require_tensor<P>(op, arg, t);
  require<shape_error>(t.shape() == param.shape(), op, ": ", arg, " has shape ", t.shape(), ", expected ",
                       param.shape(), " (the shape of the parameter)");
}

/// Arguments of B::adam_update: parameter, gradient and both moments alike.
template <placement P, class T>
void check_adam_update(const char* op, const tensor<T>& param, const tensor<T>& grad, const tensor<T>& exp_avg,
                       const tensor<T>& exp_avg_sq) {
  require_update_operand<P>(op, "parameter", param, param);
  require_update_operand<P>(op, "gradient", grad, param);
  require_update_operand<P>(op, "exp_avg", exp_avg, param);
  require_update_operand<P>(op, "exp_avg_sq", exp_avg_sq, param);
}

/// Arguments of B::sgd_update; the momentum buffer only when the update uses one (momentum != 0).
template <placement P, class T>
void check_sgd_update(const char* op, const tensor<T>& param, const tensor<T>& grad, const tensor<T>& momentum_buffer,
                      const sgd_update_args& a) {
  require_update_operand<P>(op, "parameter", param, param);
  require_update_operand<P>(op, "gradient", grad, param);
  if (a.momentum != 0) require_update_operand<P>(op, "momentum_buffer", momentum_buffer, param);
}

}  // namespace i2i::checks
