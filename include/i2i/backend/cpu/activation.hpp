#pragma once
// Pointwise activations: ReLU (generators), LeakyReLU 0.2 (discriminators, EGSC-IT's convs), Tanh
// (generator outputs), Sigmoid (EGSC-IT's feature mask), ReLU6 (MobileNetV2).
//
//   relu(x) / relu_inplace(x) / relu_backward(dy, y)
//   leaky_relu(x, slope) / leaky_relu_inplace(x, slope) / leaky_relu_backward(dy, y, slope)
//   tanh(x) / tanh_inplace(x) / tanh_backward(dy, y)
//   sigmoid(x) / sigmoid_inplace(x) / sigmoid_backward(dy, y)
//   activate(x, act) / activate_inplace(x, act) / activation_backward(dy, y, act)   (runtime choice)
//
// Every backward takes the OUTPUT y (the input x gives the same result for relu and leaky_relu, since
// they preserve sign), so an in-place forward that overwrote x loses nothing. That is why leaky_relu
// requires slope >= 0: with a negative slope the sign of y no longer tells which side of 0 x was.
// Backward at exactly 0 follows PyTorch: relu passes 0, leaky_relu passes `slope`; relu6 passes the
// gradient only where 0 < y < 6 (PyTorch's hardtanh and TensorFlow's Relu6Grad: 0 at both kinks).
// NaN inputs propagate to the output (so a diverging loss stays visible).
//
// Note: `tanh` and `sigmoid` here take tensors; code inside namespace i2i::cpu that means the scalar
// function must write std::tanh.
#include <algorithm>
#include <cstdint>
#include <ostream>

#include "i2i/backend/checks/activation.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/backend/op_args.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu {

using i2i::activation;
using i2i::activation_kind;

namespace detail {

// GCC 12 reports false "may be used uninitialized" warnings from its own AVX-512 intrinsics inside
// Eigen's vectorised tanh/exp; they are not about this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
/// y[0..n) = act(x[0..n)); y may equal x.
template <class T>
void activate_range(const T* x, T* y, std::int64_t n, const activation& a) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<const A> in(x, n);
  Eigen::Map<A> out(y, n);
  switch (a.kind) {
    case activation_kind::identity:
      if (x != y) out = in;
      break;
    // Written as "x <= 0 ? 0 : x" so that NaN (which compares false) passes through.
    case activation_kind::relu: out = (in <= T(0)).select(T(0), in); break;
    case activation_kind::leaky_relu: out = (in > T(0)).select(in, T(a.slope) * in); break;
    case activation_kind::tanh: out = in.tanh(); break;
    // exp(-x) overflows to inf for very negative x, and 1/(1+inf) = 0 is the right limit; this keeps
    // full relative accuracy for small outputs, unlike 0.5*tanh(x/2)+0.5.
    case activation_kind::sigmoid: out = (T(1) + (-in).exp()).inverse(); break;
    case activation_kind::relu6: out = (in <= T(0)).select(T(0), (in >= T(6)).select(T(6), in)); break;
  }
}

/// y[0..n) = act((x - shift) * scale + bias): a norm's normalise-and-activate in one pass over memory.
template <class T>
void affine_activate_range(const T* x, T* y, std::int64_t n, T shift, T scale, T bias, const activation& a) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<const A> in(x, n);
  Eigen::Map<A> out(y, n);
  const auto z = (in - shift) * scale + bias;  // an expression, evaluated once per element below
  switch (a.kind) {
    case activation_kind::relu: out = (z <= T(0)).select(T(0), z); break;
    case activation_kind::leaky_relu: out = (z > T(0)).select(z, T(a.slope) * z); break;
    default:
      out = z;
      activate_range(y, y, n, a);
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// dx[0..n) = dL/dx given dy and the activation's output y; dx may equal dy.
template <class T>
void activation_backward_range(const T* dy, const T* y, T* dx, std::int64_t n, const activation& a) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<const A> g(dy, n), out(y, n);
  Eigen::Map<A> d(dx, n);
  switch (a.kind) {
    case activation_kind::identity:
      if (dx != dy) d = g;
      break;
    case activation_kind::relu: d = (out > T(0)).select(g, T(0)); break;
    case activation_kind::leaky_relu: d = (out > T(0)).select(g, T(a.slope) * g); break;
    case activation_kind::tanh: d = g * (T(1) - out.square()); break;
    case activation_kind::sigmoid: d = g * out * (T(1) - out); break;
    case activation_kind::relu6: d = (out > T(0) && out < T(6)).select(g, T(0)); break;
  }
}

/// Chunks of at least 16K elements keep the pool's per-task overhead negligible.
template <class F>
void for_each_chunk(std::int64_t n, F&& f) {
  constexpr std::int64_t grain = 16384;
  parallel_for(n, grain, [&](std::int64_t b, std::int64_t e) { f(b, e - b); });
}

}  // namespace detail

/// act(x) as a new tensor.
template <cpu_scalar T>
tensor<T> activate(const tensor<T>& x, const activation& a) {
  checks::activate<checks::on_host>("activate", x, a);
  auto y = tensor<T>::empty(x.shape());
  detail::for_each_chunk(x.numel(), [&](std::int64_t b, std::int64_t n) {
    detail::activate_range(x.data() + b, y.data() + b, n, a);
  });
  return y;
}

/// Overwrites x with act(x) (x shares storage with every copy of it, as tensors do).
template <cpu_scalar T>
void activate_inplace(const tensor<T>& x, const activation& a) {
  checks::activate<checks::on_host>("activate_inplace", x, a);
  detail::for_each_chunk(x.numel(), [&](std::int64_t b, std::int64_t n) {
    detail::activate_range(x.data() + b, x.data() + b, n, a);
  });
}

/// dL/dx from dy = dL/dy and the forward output y.
template <cpu_scalar T>
tensor<T> activation_backward(const tensor<T>& dy, const tensor<T>& y, const activation& a) {
  checks::activation_backward<checks::on_host>(dy, y, a);
  auto dx = tensor<T>::empty(y.shape());
  detail::for_each_chunk(y.numel(), [&](std::int64_t b, std::int64_t n) {
    detail::activation_backward_range(dy.data() + b, y.data() + b, dx.data() + b, n, a);
  });
  return dx;
}

template <cpu_scalar T>
tensor<T> relu(const tensor<T>& x) { return activate(x, activation::relu()); }
template <cpu_scalar T>
void relu_inplace(const tensor<T>& x) { activate_inplace(x, activation::relu()); }
/// `y` may be the input or the output of relu.
template <cpu_scalar T>
tensor<T> relu_backward(const tensor<T>& dy, const tensor<T>& y) {
  return activation_backward(dy, y, activation::relu());
}

template <cpu_scalar T>
tensor<T> leaky_relu(const tensor<T>& x, double slope) { return activate(x, activation::leaky_relu(slope)); }
template <cpu_scalar T>
void leaky_relu_inplace(const tensor<T>& x, double slope) { activate_inplace(x, activation::leaky_relu(slope)); }
/// `y` may be the input or the output of leaky_relu.
template <cpu_scalar T>
tensor<T> leaky_relu_backward(const tensor<T>& dy, const tensor<T>& y, double slope) {
  return activation_backward(dy, y, activation::leaky_relu(slope));
}

template <cpu_scalar T>
tensor<T> tanh(const tensor<T>& x) { return activate(x, activation::tanh()); }
template <cpu_scalar T>
void tanh_inplace(const tensor<T>& x) { activate_inplace(x, activation::tanh()); }
/// `y` must be the OUTPUT of tanh: dx = dy * (1 - y^2).
template <cpu_scalar T>
tensor<T> tanh_backward(const tensor<T>& dy, const tensor<T>& y) {
  return activation_backward(dy, y, activation::tanh());
}

template <cpu_scalar T>
tensor<T> sigmoid(const tensor<T>& x) { return activate(x, activation::sigmoid()); }
template <cpu_scalar T>
void sigmoid_inplace(const tensor<T>& x) { activate_inplace(x, activation::sigmoid()); }
/// `y` must be the OUTPUT of sigmoid: dx = dy * y * (1 - y).
template <cpu_scalar T>
tensor<T> sigmoid_backward(const tensor<T>& dy, const tensor<T>& y) {
  return activation_backward(dy, y, activation::sigmoid());
}

}  // namespace i2i::cpu
