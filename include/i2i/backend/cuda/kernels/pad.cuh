#pragma once
// Spatial padding of NCHW tensors on the device, mirroring cpu/pad.hpp (same checks and texts):
//
//   reflection_pad2d(x, p)                      -> y    (PyTorch ReflectionPad2d; each pad < that dim)
//   reflection_pad2d_backward(dy, x_shape, p)   -> dx
//   zero_pad2d(x, p)                            -> y    (negative sides crop; asymmetric padding2d)
//   zero_pad2d_backward(dy, x_shape, p)         -> dx
//
// Reflection backward is a gather, not a scatter: each input pixel sums the (at most 3 x 3) output
// positions that copied it, so no atomics are needed and the result is deterministic. It visits them in
// the CPU op's order (rows top to bottom; within a row the direct column, then the left, then the right
// reflection), so float results equal the CPU's bit for bit.
#include <cstdint>

#include "i2i/backend/checks/pad.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"
#include "i2i/core/padding.hpp"

namespace i2i::cuda {
namespace pad_detail {

/// PyTorch ReflectionPad index: -1 -> 1, n -> n-2 (the edge is not repeated). Valid for |overshoot| < n.
__host__ __device__ inline std::int64_t reflect_index(std::int64_t i, std::int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}



/// dst[q][r][c] = src[q][r - dr][c - dc] where that lies inside src, else 0.
template <class T>
__global__ void shifted_copy_kernel(const T* src, std::int64_t sh, std::int64_t sw, T* dst, std::int64_t dh,
                                    std::int64_t dw, std::int64_t total, std::int64_t dr, std::int64_t dc) {
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t c = i % dw, r = (i / dw) % dh, q = i / (dw * dh);
    const std::int64_t sr = r - dr, sc = c - dc;
    dst[i] = (sr >= 0 && sr < sh && sc >= 0 && sc < sw) ? src[(q * sh + sr) * sw + sc] : from_compute<T>(0);
  }
}

template <class T>
__global__ void reflection_pad_kernel(const T* x, std::int64_t H, std::int64_t W, T* y, std::int64_t OH,
                                      std::int64_t OW, std::int64_t top, std::int64_t left, std::int64_t total) {
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t c = i % OW, r = (i / OW) % OH, q = i / (OW * OH);
    y[i] = x[(q * H + reflect_index(r - top, H)) * W + reflect_index(c - left, W)];
  }
}

/// The gradient of input pixel (h, w) of an H x W plane from its reflection-padded gradient plane `g`
/// (rows of OW): the sum of the (at most 3 x 3) padded positions that copied it, visited in the CPU op's
/// order (cpu::detail::reflection_pad_plane_backward), in the compute type. reflection_pad2d_backward and
/// instance_norm_pad_backward both gather through this.
template <class T>
__device__ __forceinline__ compute_t<T> reflection_gather(const T* g, std::int64_t OW, std::int64_t h, std::int64_t w,
                                                          std::int64_t H, std::int64_t W, const padding2d& p) {
  // Output rows that read input row h, top to bottom: the top reflection, the row itself, the bottom one.
  std::int64_t rows[3];
  int nr = 0;
  if (h >= 1 && h <= p.top) rows[nr++] = p.top - h;
  rows[nr++] = h + p.top;
  if (h <= H - 2 && h >= H - 1 - p.bottom) rows[nr++] = p.top + 2 * (H - 1) - h;
  const bool from_left = w >= 1 && w <= p.left;
  const bool from_right = w <= W - 2 && w >= W - 1 - p.right;
  const std::int64_t c_direct = w + p.left, c_left = p.left - w, c_right = p.left + W + (W - 2 - w);
  compute_t<T> acc = 0;
  for (int k = 0; k < nr; ++k) {
    const T* row = g + rows[k] * OW;
    acc += to_compute(row[c_direct]);
    if (from_left) acc += to_compute(row[c_left]);
    if (from_right) acc += to_compute(row[c_right]);
  }
  return acc;
}

template <class T>
__global__ void reflection_pad_backward_kernel(const T* dy, std::int64_t OH, std::int64_t OW, T* dx, std::int64_t H,
                                               std::int64_t W, padding2d p, std::int64_t total) {
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t w = i % W, h = (i / W) % H, q = i / (W * H);
    dx[i] = from_compute<T>(reflection_gather(dy + q * OH * OW, OW, h, w, H, W, p));
  }
}

template <class T>
void shifted_copy(const T* src, const shape& s, T* dst, const shape& d, std::int64_t dr, std::int64_t dc) {
  const std::int64_t total = d.numel();
  if (total == 0) return;
  shifted_copy_kernel<<<launch::elementwise_blocks(total), launch::threads, 0, current_stream()>>>(
      src, s[2], s[3], dst, d[2], d[3], total, dr, dc);
  I2I_CUDA_CHECK_LAUNCH("shifted_copy_kernel");
}

}  // namespace pad_detail

/// Zero padding; negative sides crop. Output is N x C x (H+top+bottom) x (W+left+right).
template <device_scalar T>
tensor<T> zero_pad2d(const tensor<T>& x, const padding2d& p) {
  const shape ys = checks::zero_pad2d<on_current_device>(x, p);
  auto y = launch::empty<T>(ys);
  pad_detail::shifted_copy(x.data(), x.shape(), y.data(), y.shape(), p.top, p.left);
  return y;
}

/// Gradient of zero_pad2d: the crop of dy that the input occupied (zeros where the forward cropped).
template <device_scalar T>
tensor<T> zero_pad2d_backward(const tensor<T>& dy, const shape& x_shape, const padding2d& p) {
  checks::zero_pad2d_backward<on_current_device>(dy, x_shape, p);
  auto dx = launch::empty<T>(x_shape);
  pad_detail::shifted_copy(dy.data(), dy.shape(), dx.data(), dx.shape(), -p.top, -p.left);
  return dx;
}

/// PyTorch ReflectionPad2d: the border pixel is the mirror axis and is not repeated.
template <device_scalar T>
tensor<T> reflection_pad2d(const tensor<T>& x, const padding2d& p) {
  const shape ys = checks::reflection_pad2d<on_current_device>(x, p);
  auto y = launch::empty<T>(ys);
  const std::int64_t total = y.numel();
  if (total > 0) {
    pad_detail::reflection_pad_kernel<<<launch::elementwise_blocks(total), launch::threads, 0, current_stream()>>>(
        x.data(), x.h(), x.w(), y.data(), y.h(), y.w(), p.top, p.left, total);
    I2I_CUDA_CHECK_LAUNCH("reflection_pad_kernel");
  }
  return y;
}

/// Gradient of reflection_pad2d: every input pixel sums the output positions that copied it.
template <device_scalar T>
tensor<T> reflection_pad2d_backward(const tensor<T>& dy, const shape& x_shape, const padding2d& p) {
  checks::reflection_pad2d_backward<on_current_device>(dy, x_shape, p);
  auto dx = launch::empty<T>(x_shape);
  const std::int64_t total = dx.numel();
  if (total > 0) {
    pad_detail::reflection_pad_backward_kernel<<<launch::elementwise_blocks(total), launch::threads, 0,
                                                 current_stream()>>>(dy.data(), dy.h(), dy.w(), dx.data(),
                                                                     x_shape[2], x_shape[3], p, total);
    I2I_CUDA_CHECK_LAUNCH("reflection_pad_backward_kernel");
  }
  return dx;
}

}  // namespace i2i::cuda
