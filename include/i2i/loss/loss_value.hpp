#pragma once
// What every loss function returns, and the checks they share.
//
// A loss function takes the prediction (and a target) and returns the scalar value with the gradient of
// that value with respect to the prediction; a caller that weights the loss scales the gradient by the
// same weight. Reductions are means over all elements, as PyTorch's default reduction='mean'.
// The value is accumulated in double whatever T is, so a float loss over a large map stays accurate.
#include <cmath>
#include <string>

#include "i2i/backend/cpu/argcheck.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/loss/loss_types.hpp"

namespace i2i::loss {

namespace loss_detail {
// A defined, non-empty host tensor.
template <class T>
void require_input(const char* op, const char* arg, const tensor<T>& t) {
  cpu::argcheck::require_host(op, arg, t);
  require<shape_error>(t.numel() > 0, op, ": ", arg, " has shape ", t.shape(),
                       "; the mean over zero elements is undefined");
}
template <class T>
void require_pair(const char* op, const tensor<T>& pred, const tensor<T>& target) {
  require_input(op, "prediction", pred);
  require_input(op, "target", target);
  cpu::argcheck::require_same_shape(op, "target", target, "prediction", pred);
}
}  // namespace loss_detail

}  // namespace i2i::loss
