#pragma once
// 2-D average and max pooling on the device, mirroring cpu/pool.hpp (same checks and texts):
//
//   avg_pool2d(x, kernel, stride, pad, count_include_pad = true)              -> y
//   avg_pool2d_backward(dy, x_shape, kernel, stride, pad, count_include_pad)  -> dx
//   max_pool2d(x, kernel, stride, pad)                                        -> max_pool_result {y, argmax}
//   max_pool2d_backward(dy, x_shape, argmax)                                  -> dx
//   global_avg_pool2d(x) / global_avg_pool2d_backward(dy, x_shape)            -> N x C x 1 x 1 / dx
//   same_pool_padding(x_shape, kernel, stride) / pool_output_size(in, kernel, stride, before, after)
//
// Each padding side is at most kernel/2, so every window holds a real pixel; padding never wins a max.
// argmax is the flat h * W + w inside the (n, c) plane (int32); max takes the FIRST maximum in row-major
// order and propagates NaN (the last NaN of a window wins, as in the CPU op).
// Average backward is a gather (each input pixel sums the windows that contain it, in the CPU op's
// order, so float results match it bit for bit); max backward scatters through argmax with atomicAdd
// (overlapping windows may pick one pixel twice). An argmax outside the plane is reported like the
// CPU op's value_error, through a device flag read after the kernel.
#include <algorithm>
#include <cstdint>
#include <limits>

#include "i2i/backend/checks/pool.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/block_reduce.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"
#include "i2i/core/padding.hpp"

namespace i2i::cuda {

// max_pool_result, pool_output_size and same_pool_padding are shared with the other backend
// (backend/pool_geometry.hpp).
using i2i::max_pool_result;
using i2i::pool_output_size;
using i2i::same_pool_padding;

namespace pool_detail {


/// Geometry shared by the kernels (passed by value).
struct geometry {
  std::int64_t H, W, OH, OW, kernel, stride, top, left;
};

/// The windows (outputs o) along one axis that contain input index i: o in [lo, hi].
__device__ __forceinline__ void covering(std::int64_t i, std::int64_t before, std::int64_t kernel,
                                         std::int64_t stride, std::int64_t out, std::int64_t& lo, std::int64_t& hi) {
  const std::int64_t a = i + before - kernel + 1;  // o * stride >= a
  lo = a > 0 ? (a + stride - 1) / stride : 0;
  hi = (i + before) / stride;
  if (hi > out - 1) hi = out - 1;
}

template <class T>
__global__ void avg_forward_kernel(const T* x, T* y, geometry g, bool include_pad, std::int64_t total) {
  using S = compute_t<T>;
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, q = i / (g.OW * g.OH);
    const std::int64_t hs = oh * g.stride - g.top, ws = ow * g.stride - g.left;
    const std::int64_t h0 = hs > 0 ? hs : 0, h1 = hs + g.kernel < g.H ? hs + g.kernel : g.H;
    const std::int64_t w0 = ws > 0 ? ws : 0, w1 = ws + g.kernel < g.W ? ws + g.kernel : g.W;
    const T* xp = x + q * g.H * g.W;
    // Column sums first, then across: the CPU op's order.
    S acc = 0;
    for (std::int64_t w = w0; w < w1; ++w) {
      S col = to_compute(xp[h0 * g.W + w]);
      for (std::int64_t h = h0 + 1; h < h1; ++h) col += to_compute(xp[h * g.W + w]);
      acc += col;
    }
    const std::int64_t count = include_pad ? g.kernel * g.kernel : (h1 - h0) * (w1 - w0);
    y[i] = from_compute<T>(acc / S(count));
  }
}

template <class T>
__global__ void avg_backward_kernel(const T* dy, T* dx, geometry g, bool include_pad, std::int64_t total) {
  using S = compute_t<T>;
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t w = i % g.W, h = (i / g.W) % g.H, q = i / (g.W * g.H);
    std::int64_t oh0, oh1, ow0, ow1;
    covering(h, g.top, g.kernel, g.stride, g.OH, oh0, oh1);
    covering(w, g.left, g.kernel, g.stride, g.OW, ow0, ow1);
    const T* gp = dy + q * g.OH * g.OW;
    S acc = 0;
    for (std::int64_t oh = oh0; oh <= oh1; ++oh) {
      const std::int64_t hs = oh * g.stride - g.top;
      const std::int64_t rows = (hs + g.kernel < g.H ? hs + g.kernel : g.H) - (hs > 0 ? hs : 0);
      S row = 0;
      for (std::int64_t ow = ow0; ow <= ow1; ++ow) {
        const std::int64_t ws = ow * g.stride - g.left;
        const std::int64_t cols = (ws + g.kernel < g.W ? ws + g.kernel : g.W) - (ws > 0 ? ws : 0);
        const std::int64_t count = include_pad ? g.kernel * g.kernel : rows * cols;
        row += to_compute(gp[oh * g.OW + ow]) / S(count);
      }
      acc += row;
    }
    dx[i] = from_compute<T>(acc);
  }
}

template <class T>
__global__ void max_forward_kernel(const T* x, T* y, std::int32_t* argmax, geometry g, std::int64_t total) {
  using S = compute_t<T>;
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t ow = i % g.OW, oh = (i / g.OW) % g.OH, q = i / (g.OW * g.OH);
    const std::int64_t hs = oh * g.stride - g.top, ws = ow * g.stride - g.left;
    const std::int64_t h0 = hs > 0 ? hs : 0, h1 = hs + g.kernel < g.H ? hs + g.kernel : g.H;
    const std::int64_t w0 = ws > 0 ? ws : 0, w1 = ws + g.kernel < g.W ? ws + g.kernel : g.W;
    const T* xp = x + q * g.H * g.W;
    std::int64_t best = h0 * g.W + w0;
    S best_v = to_compute(xp[best]);
    for (std::int64_t h = h0; h < h1; ++h)
      for (std::int64_t w = w0; w < w1; ++w) {
        const S v = to_compute(xp[h * g.W + w]);
        if (v > best_v || dmath::isnan(v)) {
          best_v = v;
          best = h * g.W + w;
        }
      }
    y[i] = xp[best];
    argmax[i] = std::int32_t(best);
  }
}

template <class T>
__global__ void max_backward_kernel(const T* dy, const std::int32_t* argmax, T* dx, std::int64_t plane_in,
                                    std::int64_t plane_out, std::int64_t total, long long* bad) {
  I2I_GRID_STRIDE(i, total) {
    const std::int32_t a = argmax[i];
    if (a < 0 || a >= plane_in) {
      launch::flag(bad, i);
      continue;
    }
    atomic_add(dx + (i / plane_out) * plane_in + a, to_compute(dy[i]));
  }
}

/// One block per (n, c) plane: the plane's mean, summed in double (deterministic block reduction).
template <class T>
__global__ void global_avg_kernel(const T* x, T* y, std::int64_t planes, std::int64_t m) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const T* xp = x + p * m;
    double s = 0;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) s += double(to_compute(xp[i]));
    s = reduce_detail::block_sum(s, scratch);
    if (threadIdx.x == 0) y[p] = from_compute<T>(compute_t<T>(s / double(m)));
  }
}

template <class T>
__global__ void global_avg_backward_kernel(const T* dy, T* dx, std::int64_t m, std::int64_t total) {
  I2I_GRID_STRIDE(i, total) dx[i] = from_compute<T>(compute_t<T>(double(to_compute(dy[i / m])) / double(m)));
}

}  // namespace pool_detail

template <device_scalar T>
tensor<T> avg_pool2d(const tensor<T>& x, std::int64_t kernel, std::int64_t stride, const padding2d& pad,
                     bool count_include_pad = true) {
  const shape ys = checks::avg_pool2d<on_current_device>(x, kernel, stride, pad);
  auto y = launch::empty<T>(ys);
  const pool_detail::geometry g{x.h(), x.w(), ys[2], ys[3], kernel, stride, pad.top, pad.left};
  if (y.numel() > 0) {
    pool_detail::avg_forward_kernel<<<launch::elementwise_blocks(y.numel()), launch::threads, 0, current_stream()>>>(
        x.data(), y.data(), g, count_include_pad, y.numel());
    I2I_CUDA_CHECK_LAUNCH("avg_pool2d avg_forward_kernel");
  }
  return y;
}

template <device_scalar T>
tensor<T> avg_pool2d_backward(const tensor<T>& dy, const shape& x_shape, std::int64_t kernel, std::int64_t stride,
                              const padding2d& pad, bool count_include_pad = true) {
  const shape ys = checks::avg_pool2d_backward<on_current_device>(dy, x_shape, kernel, stride, pad);
  auto dx = launch::empty<T>(x_shape);
  const pool_detail::geometry g{x_shape[2], x_shape[3], ys[2], ys[3], kernel, stride, pad.top, pad.left};
  if (dx.numel() > 0) {
    pool_detail::avg_backward_kernel<<<launch::elementwise_blocks(dx.numel()), launch::threads, 0, current_stream()>>>(
        dy.data(), dx.data(), g, count_include_pad, dx.numel());
    I2I_CUDA_CHECK_LAUNCH("avg_pool2d avg_backward_kernel");
  }
  return dx;
}

template <device_scalar T>
max_pool_result<T> max_pool2d(const tensor<T>& x, std::int64_t kernel, std::int64_t stride, const padding2d& pad) {
  const shape ys = checks::max_pool2d<on_current_device>(x, kernel, stride, pad);
  max_pool_result<T> r{launch::empty<T>(ys), launch::empty<std::int32_t>(ys)};
  const pool_detail::geometry g{x.h(), x.w(), ys[2], ys[3], kernel, stride, pad.top, pad.left};
  if (r.y.numel() > 0) {
    pool_detail::max_forward_kernel<<<launch::elementwise_blocks(r.y.numel()), launch::threads, 0, current_stream()>>>(
        x.data(), r.y.data(), r.argmax.data(), g, r.y.numel());
    I2I_CUDA_CHECK_LAUNCH("max_pool2d max_forward_kernel");
  }
  return r;
}

template <device_scalar T>
tensor<T> max_pool2d_backward(const tensor<T>& dy, const shape& x_shape, const tensor<std::int32_t>& argmax) {
  constexpr const char* op = "max_pool2d_backward";
  checks::max_pool2d_backward<on_current_device>(dy, x_shape, argmax);
  auto dx = launch::zeros<T>(x_shape);
  if (dy.numel() == 0) return dx;
  const launch::first_bad_index bad;
  const std::int64_t plane_in = x_shape[2] * x_shape[3], plane_out = dy.h() * dy.w();
  pool_detail::max_backward_kernel<<<launch::elementwise_blocks(dy.numel()), launch::threads, 0, current_stream()>>>(
      dy.data(), argmax.data(), dx.data(), plane_in, plane_out, dy.numel(), bad.get());
  I2I_CUDA_CHECK_LAUNCH("max_pool2d max_backward_kernel");
  const std::int64_t at = bad.read();
  if (at >= 0) {
    const std::int32_t v = launch::download_one(argmax.data() + at);
    throw value_error(i2i::detail::concat(op, ": argmax ", v, " lies outside the input plane of ", x_shape));
  }
  return dx;
}

/// The spatial mean of every (n, c) plane: N x C x H x W -> N x C x 1 x 1 (cpu/pool.hpp's op).
template <device_scalar T>
tensor<T> global_avg_pool2d(const tensor<T>& x) {
  auto y = launch::empty<T>(checks::global_avg_pool2d<on_current_device>(x));
  const std::int64_t planes = x.n() * x.c(), m = x.h() * x.w();
  if (planes > 0) {
    pool_detail::global_avg_kernel<<<launch::plane_blocks(planes), launch::plane_threads, 0, current_stream()>>>(
        x.data(), y.data(), planes, m);
    I2I_CUDA_CHECK_LAUNCH("global_avg_kernel");
  }
  return y;
}

/// dx: every pixel of plane p gets dy[p] / (H*W).
template <device_scalar T>
tensor<T> global_avg_pool2d_backward(const tensor<T>& dy, const shape& x_shape) {
  checks::global_avg_pool2d_backward<on_current_device>(dy, x_shape);
  auto dx = launch::empty<T>(x_shape);
  if (dx.numel() > 0) {
    pool_detail::global_avg_backward_kernel<<<launch::elementwise_blocks(dx.numel()), launch::threads, 0,
                                              current_stream()>>>(dy.data(), dx.data(), x_shape[2] * x_shape[3],
                                                                  dx.numel());
    I2I_CUDA_CHECK_LAUNCH("global_avg_backward_kernel");
  }
  return dx;
}

}  // namespace i2i::cuda
