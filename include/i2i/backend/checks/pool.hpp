#pragma once
// Argument checks of the 2-D pooling ops (cpu/pool.hpp, cuda/kernels/pool.cuh), once for both
// backends; P is where the tensors must live (placement.hpp). Each returns the output shape.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/pool_geometry.hpp"
#include "i2i/core/padding.hpp"

namespace i2i::checks {

/// The pooling geometry of input shape x; returns the output shape.
inline shape pool_geometry(const char* op, const shape& x, std::int64_t kernel, std::int64_t stride,
                           const padding2d& pad) {
  require<shape_error>(x.rank() == 4, op, ": input has shape ", x, ", expected rank 4 (NCHW)");
  require<value_error>(kernel >= 1 && stride >= 1, op, ": kernel ", kernel, " and stride ", stride,
                       " must be positive (input ", x, ")");
  require<value_error>(pad.top >= 0 && pad.bottom >= 0 && pad.left >= 0 && pad.right >= 0, op, ": padding ", pad,
                       " is negative (input ", x, ")");
  require<value_error>(2 * std::max({pad.top, pad.bottom, pad.left, pad.right}) <= kernel, op, ": padding ", pad,
                       " exceeds half the kernel ", kernel, " (input ", x, ")");
  require<shape_error>(x[2] + pad.top + pad.bottom >= kernel && x[3] + pad.left + pad.right >= kernel, op,
                       ": input ", x, " padded by ", pad, " is smaller than the kernel ", kernel);
  return shape::nchw(x[0], x[1], pool_output_size(x[2], kernel, stride, pad.top, pad.bottom),
                     pool_output_size(x[3], kernel, stride, pad.left, pad.right));
}

template <placement P, class T>
shape avg_pool2d(const tensor<T>& x, std::int64_t kernel, std::int64_t stride, const padding2d& pad) {
  const shape ys = pool_geometry("avg_pool2d", x.shape(), kernel, stride, pad);
  require_tensor<P>("avg_pool2d", "input", x);
  return ys;
}

template <placement P, class T>
shape avg_pool2d_backward(const tensor<T>& dy, const shape& x_shape, std::int64_t kernel, std::int64_t stride,
                          const padding2d& pad) {
  const shape ys = pool_geometry("avg_pool2d_backward", x_shape, kernel, stride, pad);
  require<shape_error>(dy.shape() == ys, "avg_pool2d_backward: output gradient has shape ", dy.shape(), ", expected ",
                       ys, " (input ", x_shape, ")");
  require_tensor<P>("avg_pool2d_backward", "output gradient", dy);
  return ys;
}

template <placement P, class T>
shape max_pool2d(const tensor<T>& x, std::int64_t kernel, std::int64_t stride, const padding2d& pad) {
  const shape ys = pool_geometry("max_pool2d", x.shape(), kernel, stride, pad);
  require<shape_error>(x.h() * x.w() <= std::numeric_limits<std::int32_t>::max(), "max_pool2d: input ", x.shape(),
                       " has planes too large for 32-bit argmax indices");
  require_tensor<P>("max_pool2d", "input", x);
  return ys;
}

/// The argmax values themselves are checked where they are read (a kernel cannot throw).
template <placement P, class T>
void max_pool2d_backward(const tensor<T>& dy, const shape& x_shape, const tensor<std::int32_t>& argmax) {
  constexpr const char* op = "max_pool2d_backward";
  require<shape_error>(x_shape.rank() == 4, op, ": input shape ", x_shape, " is not NCHW (rank 4)");
  require<shape_error>(dy.rank() == 4 && dy.n() == x_shape[0] && dy.c() == x_shape[1], op,
                       ": output gradient has shape ", dy.shape(), ", which does not match input ", x_shape);
  require<shape_error>(argmax.shape() == dy.shape(), op, ": argmax has shape ", argmax.shape(), ", expected ",
                       dy.shape(), " (the output gradient's)");
  require_tensor<P>(op, "output gradient", dy);
  require_tensor<P>(op, "argmax", argmax);
}

}  // namespace i2i::checks

namespace i2i::checks {

/// global_avg_pool2d: N x C x H x W with at least one pixel; returns N x C x 1 x 1.
template <placement P, class T>
shape global_avg_pool2d(const tensor<T>& x) {
  require_tensor<P>("global_avg_pool2d", "x", x);
  require_nchw("global_avg_pool2d", "x", x);
  require<shape_error>(x.h() * x.w() > 0, "global_avg_pool2d: input ", x.shape(), " has no pixels");
  return shape::nchw(x.n(), x.c(), 1, 1);
}

template <placement P, class T>
void global_avg_pool2d_backward(const tensor<T>& dy, const shape& x_shape) {
  require_tensor<P>("global_avg_pool2d_backward", "output gradient", dy);
  require<shape_error>(x_shape.rank() == 4 && x_shape[2] * x_shape[3] > 0, "global_avg_pool2d_backward: input shape ",
                       x_shape, " is not NCHW with at least one pixel");
  require<shape_error>(dy.shape() == shape::nchw(x_shape[0], x_shape[1], 1, 1),
                       "global_avg_pool2d_backward: output gradient has shape ", dy.shape(), ", expected ",
                       shape::nchw(x_shape[0], x_shape[1], 1, 1), " (input ", x_shape, ")");
}

}  // namespace i2i::checks
