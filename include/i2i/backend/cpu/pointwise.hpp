#pragma once
// Element-wise arithmetic between tensors of one shape, scaling, and the per-channel bias broadcast.
//
// Backward rules that need no function of their own: add -> (dy, dy); sub -> (dy, -dy) = (dy, scale(dy, -1));
// scale(x, s) -> scale(dy, s). mul needs both inputs (mul_backward). Gradients that meet at a branch are
// summed with add_into.
#include <algorithm>
#include <cstdint>

#include "i2i/backend/binary_grads.hpp"
#include "i2i/backend/checks/pointwise.hpp"
#include "i2i/backend/cpu/argcheck.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::cpu {

namespace pointwise_detail {
// Applies f(out_chunk, a_chunk, b_chunk) over aligned sub-ranges, in parallel for large tensors.
template <class T, class F>
void binary(const tensor<T>& out, const tensor<T>& a, const tensor<T>& b, F&& f) {
  argcheck::chunks(out.numel(), argcheck::element_grain, [&](std::int64_t lo, std::int64_t hi) {
    argcheck::span_array<T> o(out.data() + lo, hi - lo);
    argcheck::const_span_array<T> x(a.data() + lo, hi - lo), y(b.data() + lo, hi - lo);
    f(o, x, y);
  });
}
}  // namespace pointwise_detail

/// a + b, same shapes.
template <cpu_scalar T>
tensor<T> add(const tensor<T>& a, const tensor<T>& b) {
  checks::binary<checks::on_host>("add", a, b);
  auto y = tensor<T>::empty(a.shape());
  pointwise_detail::binary(y, a, b, [](auto& o, const auto& x, const auto& z) { o = x + z; });
  return y;
}

/// a - b, same shapes.
template <cpu_scalar T>
tensor<T> sub(const tensor<T>& a, const tensor<T>& b) {
  checks::binary<checks::on_host>("sub", a, b);
  auto y = tensor<T>::empty(a.shape());
  pointwise_detail::binary(y, a, b, [](auto& o, const auto& x, const auto& z) { o = x - z; });
  return y;
}

/// a * b element-wise, same shapes.
template <cpu_scalar T>
tensor<T> mul(const tensor<T>& a, const tensor<T>& b) {
  checks::binary<checks::on_host>("mul", a, b);
  auto y = tensor<T>::empty(a.shape());
  pointwise_detail::binary(y, a, b, [](auto& o, const auto& x, const auto& z) { o = x * z; });
  return y;
}

using i2i::binary_grads;  // backend/binary_grads.hpp

/// Gradients of y = a * b: da = dy * b, db = dy * a.
template <cpu_scalar T>
binary_grads<T> mul_backward(const tensor<T>& a, const tensor<T>& b, const tensor<T>& dy) {
  checks::mul_backward<checks::on_host>(a, b, dy);
  binary_grads<T> g{tensor<T>::empty(a.shape()), tensor<T>::empty(a.shape())};
  pointwise_detail::binary(g.da, dy, b, [](auto& o, const auto& x, const auto& z) { o = x * z; });
  pointwise_detail::binary(g.db, dy, a, [](auto& o, const auto& x, const auto& z) { o = x * z; });
  return g;
}

/// s * x.
template <cpu_scalar T>
tensor<T> scale(const tensor<T>& x, T s) {
  argcheck::require_host("scale", "x", x);
  auto y = tensor<T>::empty(x.shape());
  argcheck::chunks(x.numel(), argcheck::element_grain, [&](std::int64_t lo, std::int64_t hi) {
    argcheck::span_array<T>(y.data() + lo, hi - lo) = s * argcheck::const_span_array<T>(x.data() + lo, hi - lo);
  });
  return y;
}

/// dst += src in place (gradient accumulation where two paths meet). dst's storage is shared, so the
/// caller's tensor changes.
template <cpu_scalar T>
void add_into(const tensor<T>& dst, const tensor<T>& src) {
  checks::add_into<checks::on_host>(dst, src);
  argcheck::chunks(dst.numel(), argcheck::element_grain, [&](std::int64_t lo, std::int64_t hi) {
    argcheck::span_array<T>(dst.data() + lo, hi - lo) += argcheck::const_span_array<T>(src.data() + lo, hi - lo);
  });
}

/// dst += src * s in place (a weighted loss gradient added to an accumulated one), in one pass over the
/// whole tensor.
template <cpu_scalar T>
void add_scaled_into(const tensor<T>& dst, const tensor<T>& src, T s) {
  checks::add_into<checks::on_host>(dst, src);
  flat(dst) += cflat(src) * s;
}

/// y[n, c, ...] = x[n, c, ...] + bias[c]; x is N x C or N x C x H x W, bias has shape C.
template <cpu_scalar T>
tensor<T> add_channel_bias(const tensor<T>& x, const tensor<T>& bias) {
  const std::int64_t inner = checks::channel_bias<checks::on_host>("add_channel_bias", x, bias, "bias");
  const std::int64_t channels = x.dim(1), rows = x.dim(0) * channels;
  auto y = tensor<T>::empty(x.shape());
  const_matrix_map<T> X(x.data(), rows, inner);
  matrix_map<T> Y(y.data(), rows, inner);
  const T* b = bias.data();
  argcheck::chunks(rows, std::max<std::int64_t>(1, argcheck::element_grain / std::max<std::int64_t>(inner, 1)),
                   [&](std::int64_t lo, std::int64_t hi) {
                     for (std::int64_t r = lo; r < hi; ++r) Y.row(r).array() = X.row(r).array() + b[r % channels];
                   });
  return y;
}

/// Backward of add_channel_bias: dbias[c] += sum of dy over N, H, W. The input gradient is dy itself.
template <cpu_scalar T>
void add_channel_bias_backward(const tensor<T>& dy, const tensor<T>& dbias) {
  const std::int64_t inner = checks::channel_bias<checks::on_host>("add_channel_bias_backward", dy, dbias, "dbias");
  const std::int64_t channels = dy.dim(1), n = dy.dim(0);
  // Row sums of the (N*C) x inner view, then a column sum over samples of the N x C result.
  const Eigen::Matrix<T, Eigen::Dynamic, 1> plane_sums = const_matrix_map<T>(dy.data(), n * channels, inner).rowwise().sum();
  const_matrix_map<T> per_sample(plane_sums.data(), n, channels);
  array_map<T>(dbias.data(), channels) += per_sample.colwise().sum().transpose().array();
}

}  // namespace i2i::cpu
