#pragma once
// Helpers of the GPU half of the parity tests: host <-> device moves that pass undefined tensors on.
#include "i2i/backend/cuda/kernels/activation.cuh"
#include "i2i/backend/cuda/memory.cuh"
#include "parity_api.hpp"

namespace i2i::parity::detail {

template <class T>
tensor<T> up(const tensor<T>& host) {
  return host.defined() ? cuda::to_device(host) : tensor<T>();
}

template <class T>
tensor<T> down(const tensor<T>& dev) {
  return dev.defined() ? cuda::to_host(dev) : tensor<T>();
}

inline cuda::activation act(act_arg a) { return {cuda::activation_kind(a.kind), a.slope}; }

}  // namespace i2i::parity::detail
