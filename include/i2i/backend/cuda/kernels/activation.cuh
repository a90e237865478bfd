#pragma once
// Pointwise activations on the device, mirroring cpu/activation.hpp (read its header comment):
//
//   relu(x) / relu_inplace(x) / relu_backward(dy, y)
//   leaky_relu(x, slope) / leaky_relu_inplace(x, slope) / leaky_relu_backward(dy, y, slope)
//   tanh(x) / tanh_inplace(x) / tanh_backward(dy, y)
//   sigmoid(x) / sigmoid_inplace(x) / sigmoid_backward(dy, y)
//   activate(x, act) / activate_inplace(x, act) / activation_backward(dy, y, act)   (runtime choice)
//
// Backward takes the OUTPUT y; leaky_relu needs slope >= 0 for that. Backward at exactly 0 follows
// PyTorch (relu passes 0, leaky_relu passes slope, relu6 passes only where 0 < y < 6); NaN propagates.
// For every storage type (device_scalar): 16-bit values are computed in float.
//
// `cuda::activation` has the same members, factories and printing as cpu::activation (which cannot be
// included here: its header brings Eigen); a backend converts between the two by kind and slope.
// The device functions act_forward / act_backward are what the norm kernels fuse after themselves.
#include <cstdint>
#include <ostream>

#include "i2i/backend/checks/activation.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"
#include "i2i/backend/op_args.hpp"

namespace i2i::cuda {

using i2i::activation;
using i2i::activation_kind;

namespace act_detail {

/// act(z). Comparisons are written so that NaN (which compares false) passes through.
template <class C>
__device__ __forceinline__ C act_forward(C z, activation_kind kind, C slope) {
  switch (kind) {
    case activation_kind::relu: return z <= C(0) ? C(0) : z;
    case activation_kind::leaky_relu: return z > C(0) ? z : slope * z;
    case activation_kind::tanh: return dmath::tanh(z);
    // exp(-z) overflows to inf for very negative z and 1/(1+inf) = 0 is the right limit.
    case activation_kind::sigmoid: return C(1) / (C(1) + dmath::exp(-z));
    case activation_kind::relu6: return z <= C(0) ? C(0) : (z >= C(6) ? C(6) : z);
    default: return z;
  }
}

/// dL/dz from g = dL/dy and the output y.
template <class C>
__device__ __forceinline__ C act_backward(C g, C y, activation_kind kind, C slope) {
  switch (kind) {
    case activation_kind::relu: return y > C(0) ? g : C(0);
    case activation_kind::leaky_relu: return y > C(0) ? g : slope * g;
    // y*y rounded on its own as on the CPU: an fma would round 1 - y^2 differently near saturation.
    case activation_kind::tanh: return g * (C(1) - dmath::mul_rn(y, y));
    case activation_kind::sigmoid: return dmath::mul_rn(g, y) * (C(1) - y);
    case activation_kind::relu6: return (y > C(0) && y < C(6)) ? g : C(0);
    default: return g;
  }
}

template <class T>
__global__ void activate_kernel(const T* x, T* y, std::int64_t n, activation_kind kind, compute_t<T> slope) {
  I2I_GRID_STRIDE(i, n) y[i] = from_compute<T>(act_forward(to_compute(x[i]), kind, slope));
}

template <class T>
__global__ void activation_backward_kernel(const T* dy, const T* y, T* dx, std::int64_t n, activation_kind kind,
                                           compute_t<T> slope) {
  I2I_GRID_STRIDE(i, n) dx[i] = from_compute<T>(act_backward(to_compute(dy[i]), to_compute(y[i]), kind, slope));
}

template <class T>
void run_activate(const T* x, T* y, std::int64_t n, const activation& a) {
  if (n == 0 || (a.kind == activation_kind::identity && x == y)) return;
  activate_kernel<T><<<launch::elementwise_blocks(n), launch::threads, 0, current_stream()>>>(
      x, y, n, a.kind, compute_t<T>(a.slope));
  I2I_CUDA_CHECK_LAUNCH("activate_kernel");
}

}  // namespace act_detail

/// act(x) as a new tensor.
template <device_scalar T>
tensor<T> activate(const tensor<T>& x, const activation& a) {
  checks::activate<on_current_device>("activate", x, a);
  auto y = launch::empty<T>(x.shape());
  act_detail::run_activate(x.data(), y.data(), x.numel(), a);
  return y;
}

/// Overwrites x with act(x) (x shares storage with every copy of it, as tensors do).
template <device_scalar T>
void activate_inplace(const tensor<T>& x, const activation& a) {
  checks::activate<on_current_device>("activate_inplace", x, a);
  act_detail::run_activate(x.data(), x.data(), x.numel(), a);
}

/// dL/dx from dy = dL/dy and the forward output y.
template <device_scalar T>
tensor<T> activation_backward(const tensor<T>& dy, const tensor<T>& y, const activation& a) {
  checks::activation_backward<on_current_device>(dy, y, a);
  auto dx = launch::empty<T>(y.shape());
  if (y.numel() > 0) {
    act_detail::activation_backward_kernel<T><<<launch::elementwise_blocks(y.numel()), launch::threads, 0,
                                                current_stream()>>>(dy.data(), y.data(), dx.data(), y.numel(),
                                                                    a.kind, compute_t<T>(a.slope));
    I2I_CUDA_CHECK_LAUNCH("activation_backward_kernel");
  }
  return dx;
}

template <device_scalar T>
tensor<T> relu(const tensor<T>& x) { return activate(x, activation::relu()); }
template <device_scalar T>
void relu_inplace(const tensor<T>& x) { activate_inplace(x, activation::relu()); }
template <device_scalar T>
tensor<T> relu_backward(const tensor<T>& dy, const tensor<T>& y) {
  return activation_backward(dy, y, activation::relu());
}

template <device_scalar T>
tensor<T> leaky_relu(const tensor<T>& x, double slope) { return activate(x, activation::leaky_relu(slope)); }
template <device_scalar T>
void leaky_relu_inplace(const tensor<T>& x, double slope) { activate_inplace(x, activation::leaky_relu(slope)); }
template <device_scalar T>
tensor<T> leaky_relu_backward(const tensor<T>& dy, const tensor<T>& y, double slope) {
  return activation_backward(dy, y, activation::leaky_relu(slope));
}

template <device_scalar T>
tensor<T> tanh(const tensor<T>& x) { return activate(x, activation::tanh()); }
template <device_scalar T>
void tanh_inplace(const tensor<T>& x) { activate_inplace(x, activation::tanh()); }
/// `y` must be the OUTPUT of tanh: dx = dy * (1 - y^2).
template <device_scalar T>
tensor<T> tanh_backward(const tensor<T>& dy, const tensor<T>& y) {
  return activation_backward(dy, y, activation::tanh());
}

template <device_scalar T>
tensor<T> sigmoid(const tensor<T>& x) { return activate(x, activation::sigmoid()); }
template <device_scalar T>
void sigmoid_inplace(const tensor<T>& x) { activate_inplace(x, activation::sigmoid()); }
/// `y` must be the OUTPUT of sigmoid: dx = dy * y * (1 - y).
template <device_scalar T>
tensor<T> sigmoid_backward(const tensor<T>& dy, const tensor<T>& y) {
  return activation_backward(dy, y, activation::sigmoid());
}

}  // namespace i2i::cuda
