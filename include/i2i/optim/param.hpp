#pragma once
// A parameter as optimizers see it: a named value tensor and the gradient tensor that backward passes
// accumulate into. Both alias the model's storage (tensors share storage on copy).
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::optim {

template <class T>
struct param_ref {
  std::string name;
  tensor<T> value;
  tensor<T> grad;
};

template <class T>
void check_params(const char* who, const std::vector<param_ref<T>>& params) {
  for (const auto& p : params) {
    require<value_error>(p.value.defined() && p.grad.defined(), who, ": parameter '", p.name,
                         "' has no value or no gradient tensor");
    require<shape_error>(p.value.shape() == p.grad.shape(), who, ": parameter '", p.name, "' has shape ",
                         p.value.shape(), " but its gradient has shape ", p.grad.shape());
  }
}

}  // namespace i2i::optim
