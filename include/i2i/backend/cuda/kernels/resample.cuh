#pragma once
// Spatial resampling of NCHW tensors on the device, mirroring cpu/resample.hpp (PyTorch F.interpolate):
//
//   upsample_nearest2d(x, out_h, out_w)                        -> y   (mode='nearest'; also shrinks)
//   upsample_nearest2d_backward(dy, x_shape)                   -> dx
//   resize_bilinear2d(x, out_h, out_w, align_corners)          -> y   (mode='bilinear')
//   resize_bilinear2d_backward(dy, x_shape, align_corners)     -> dx
//
// Nearest uses PyTorch's float formula exactly as the CPU op: src = dst for out == in, dst / 2 for
// out == 2 in, else min(floor(float(dst) * (float(in) / out)), in - 1), with the product rounded on its
// own (__fmul_rn: no fma) so the few (in, out) pairs where the float formula differs from the exact
// floor give the same index as on the CPU. Its backward is a gather: the outputs that read input index
// i form a contiguous range (the map is monotone), found by binary search, and are summed in the CPU
// op's row-major order (bit-identical float results).
// Bilinear source coordinates are computed in T from the same formulas as the CPU op; its backward
// scatters each output gradient to its four sources with atomicAdd.
#include <cstdint>

#include "i2i/backend/checks/resample.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {
namespace resample_detail {

/// One axis of the nearest map; `scale` is float(in) / float(out), computed on the host.
struct nearest_axis {
  std::int64_t in, out;
  float scale;

  __device__ std::int64_t source(std::int64_t dst) const {
    if (out == in) return dst;
    if (out == 2 * in) return dst >> 1;
    const std::int64_t s = std::int64_t(dmath::floor(dmath::mul_rn(float(dst), scale)));
    return s < in - 1 ? s : in - 1;
  }
  /// The first output index whose source is >= i (out when there is none).
  __device__ std::int64_t first_reaching(std::int64_t i) const {
    std::int64_t lo = 0, hi = out;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (source(mid) < i)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo;
  }
};

inline nearest_axis make_nearest_axis(std::int64_t in, std::int64_t out) {
  return {in, out, float(in) / float(out)};
}

template <class T>
__global__ void nearest_forward_kernel(const T* x, T* y, nearest_axis ah, nearest_axis aw, std::int64_t total) {
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t ow = i % aw.out, oh = (i / aw.out) % ah.out, q = i / (aw.out * ah.out);
    y[i] = x[(q * ah.in + ah.source(oh)) * aw.in + aw.source(ow)];
  }
}

template <class T>
__global__ void nearest_backward_kernel(const T* dy, T* dx, nearest_axis ah, nearest_axis aw, std::int64_t total) {
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t w = i % aw.in, h = (i / aw.in) % ah.in, q = i / (aw.in * ah.in);
    const std::int64_t oh0 = ah.first_reaching(h), oh1 = ah.first_reaching(h + 1);
    const std::int64_t ow0 = aw.first_reaching(w), ow1 = aw.first_reaching(w + 1);
    const T* g = dy + q * ah.out * aw.out;
    compute_t<T> acc = 0;
    for (std::int64_t oh = oh0; oh < oh1; ++oh)
      for (std::int64_t ow = ow0; ow < ow1; ++ow) acc += to_compute(g[oh * aw.out + ow]);
    dx[i] = from_compute<T>(acc);
  }
}

/// One axis of the bilinear map; `scale` computed on the host in the compute type, as the CPU op does.
template <class S>
struct linear_axis {
  std::int64_t in, out;
  bool align_corners;
  S scale;

  /// The two source indices and their weights for output index d.
  __device__ void taps(std::int64_t d, std::int64_t& i0, std::int64_t& i1, S& l0, S& l1) const {
    S src;
    if (align_corners) {
      src = dmath::mul_rn(scale, S(d));
    } else {
      src = dmath::mul_rn(scale, S(d) + S(0.5)) - S(0.5);
      if (!(src > S(0))) src = S(0);
    }
    i0 = std::int64_t(src);
    if (i0 > in - 1) i0 = in - 1;
    S w = src - S(i0);
    w = w < S(0) ? S(0) : (w > S(1) ? S(1) : w);
    l1 = w;
    l0 = S(1) - w;
    i1 = i0 + (i0 < in - 1 ? 1 : 0);
  }
};

template <class S>
linear_axis<S> make_linear_axis(std::int64_t in, std::int64_t out, bool align_corners) {
  const S scale = align_corners ? (out > 1 ? S(in - 1) / S(out - 1) : S(0)) : S(in) / S(out);
  return {in, out, align_corners, scale};
}

template <class T>
__global__ void bilinear_forward_kernel(const T* x, T* y, linear_axis<compute_t<T>> ah, linear_axis<compute_t<T>> aw,
                                        std::int64_t total) {
  using S = compute_t<T>;
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t ow = i % aw.out, oh = (i / aw.out) % ah.out, q = i / (aw.out * ah.out);
    std::int64_t h0, h1, w0, w1;
    S a0, a1, b0, b1;
    ah.taps(oh, h0, h1, a0, a1);
    aw.taps(ow, w0, w1, b0, b1);
    const T* xp = x + q * ah.in * aw.in;
    // Horizontal interpolation of the two source rows, then the vertical blend (the CPU op's order).
    const S r0 = b0 * to_compute(xp[h0 * aw.in + w0]) + b1 * to_compute(xp[h0 * aw.in + w1]);
    const S r1 = b0 * to_compute(xp[h1 * aw.in + w0]) + b1 * to_compute(xp[h1 * aw.in + w1]);
    y[i] = from_compute<T>(a0 * r0 + a1 * r1);
  }
}

template <class T>
__global__ void bilinear_backward_kernel(const T* dy, T* dx, linear_axis<compute_t<T>> ah,
                                         linear_axis<compute_t<T>> aw, std::int64_t total) {
  using S = compute_t<T>;
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t ow = i % aw.out, oh = (i / aw.out) % ah.out, q = i / (aw.out * ah.out);
    std::int64_t h0, h1, w0, w1;
    S a0, a1, b0, b1;
    ah.taps(oh, h0, h1, a0, a1);
    aw.taps(ow, w0, w1, b0, b1);
    T* d = dx + q * ah.in * aw.in;
    const S g = to_compute(dy[i]);
    const S v0 = a0 * g, v1 = a1 * g;
    atomic_add(d + h0 * aw.in + w0, b0 * v0);
    atomic_add(d + h0 * aw.in + w1, b1 * v0);
    atomic_add(d + h1 * aw.in + w0, b0 * v1);
    atomic_add(d + h1 * aw.in + w1, b1 * v1);
  }
}

}  // namespace resample_detail

template <device_scalar T>
tensor<T> upsample_nearest2d(const tensor<T>& x, std::int64_t out_h, std::int64_t out_w) {
  checks::resample_forward<on_current_device>("upsample_nearest2d", x, out_h, out_w);
  auto y = launch::empty<T>(shape::nchw(x.n(), x.c(), out_h, out_w));
  if (y.numel() > 0) {
    resample_detail::nearest_forward_kernel<<<launch::elementwise_blocks(y.numel()), launch::threads, 0,
                                              current_stream()>>>(
        x.data(), y.data(), resample_detail::make_nearest_axis(x.h(), out_h),
        resample_detail::make_nearest_axis(x.w(), out_w), y.numel());
    I2I_CUDA_CHECK_LAUNCH("nearest_forward_kernel");
  }
  return y;
}

/// Gradient of upsample_nearest2d: each input pixel sums the output positions that read it.
template <device_scalar T>
tensor<T> upsample_nearest2d_backward(const tensor<T>& dy, const shape& x_shape) {
  checks::resample_backward<on_current_device>("upsample_nearest2d_backward", dy, x_shape);
  auto dx = launch::empty<T>(x_shape);
  if (dx.numel() > 0) {
    resample_detail::nearest_backward_kernel<<<launch::elementwise_blocks(dx.numel()), launch::threads, 0,
                                               current_stream()>>>(
        dy.data(), dx.data(), resample_detail::make_nearest_axis(x_shape[2], dy.h()),
        resample_detail::make_nearest_axis(x_shape[3], dy.w()), dx.numel());
    I2I_CUDA_CHECK_LAUNCH("nearest_backward_kernel");
  }
  return dx;
}

template <device_scalar T>
tensor<T> resize_bilinear2d(const tensor<T>& x, std::int64_t out_h, std::int64_t out_w, bool align_corners) {
  using S = compute_t<T>;
  checks::resample_forward<on_current_device>("resize_bilinear2d", x, out_h, out_w);
  auto y = launch::empty<T>(shape::nchw(x.n(), x.c(), out_h, out_w));
  if (y.numel() > 0) {
    resample_detail::bilinear_forward_kernel<<<launch::elementwise_blocks(y.numel()), launch::threads, 0,
                                               current_stream()>>>(
        x.data(), y.data(), resample_detail::make_linear_axis<S>(x.h(), out_h, align_corners),
        resample_detail::make_linear_axis<S>(x.w(), out_w, align_corners), y.numel());
    I2I_CUDA_CHECK_LAUNCH("bilinear_forward_kernel");
  }
  return y;
}

/// Gradient of resize_bilinear2d: each output gradient is split over its four source pixels.
template <device_scalar T>
tensor<T> resize_bilinear2d_backward(const tensor<T>& dy, const shape& x_shape, bool align_corners) {
  using S = compute_t<T>;
  checks::resample_backward<on_current_device>("resize_bilinear2d_backward", dy, x_shape);
  auto dx = launch::zeros<T>(x_shape);
  if (dy.numel() > 0) {
    resample_detail::bilinear_backward_kernel<<<launch::elementwise_blocks(dy.numel()), launch::threads, 0,
                                                current_stream()>>>(
        dy.data(), dx.data(), resample_detail::make_linear_axis<S>(x_shape[2], dy.h(), align_corners),
        resample_detail::make_linear_axis<S>(x_shape[3], dy.w(), align_corners), dy.numel());
    I2I_CUDA_CHECK_LAUNCH("bilinear_backward_kernel");
  }
  return dx;
}

}  // namespace i2i::cuda
