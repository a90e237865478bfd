#pragma once
// The gradients of a binary elementwise op (mul_backward) on every backend: Eigen-free and CUDA-free, so
// cpu:: and cuda:: return the same type (both re-export it).
#include "i2i/core/tensor.hpp"

namespace i2i {

template <class T>
struct binary_grads {
  tensor<T> da;
  tensor<T> db;
};

}  // namespace i2i
