#pragma once
// Whole-tensor reductions and element type conversion on the host, the CPU twins of
// cuda/kernels/reduce.cuh and cuda/kernels/cast.cuh (same names, checks and results):
//
//   sum(x), mean(x), abs_sum(x)  -> double, accumulated in double in element order
//   cast<To>(x)                  -> a new tensor of x's shape (float <-> double)
#include <cmath>
#include <cstdint>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::cpu {

template <cpu_scalar T>
double sum(const tensor<T>& x) {
  checks::require_tensor<checks::on_host>("sum", "x", x);
  double s = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) s += double(x.data()[i]);
  return s;
}

/// Mean of all elements (x must not be empty).
template <cpu_scalar T>
double mean(const tensor<T>& x) {
  checks::require_tensor<checks::on_host>("mean", "x", x);
  require<shape_error>(x.numel() > 0, "mean: x has shape ", x.shape(), "; the mean over zero elements is undefined");
  return sum(x) / double(x.numel());
}

template <cpu_scalar T>
double abs_sum(const tensor<T>& x) {
  checks::require_tensor<checks::on_host>("abs_sum", "x", x);
  double s = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) s += std::abs(double(x.data()[i]));
  return s;
}

template <cpu_scalar To, cpu_scalar From>
tensor<To> cast(const tensor<From>& x) {
  checks::require_tensor<checks::on_host>("cast", "x", x);
  auto y = tensor<To>::empty(x.shape());
  for (std::int64_t i = 0; i < x.numel(); ++i) y.data()[i] = To(x.data()[i]);
  return y;
}

}  // namespace i2i::cpu
