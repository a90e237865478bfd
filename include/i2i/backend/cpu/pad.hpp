#pragma once
// Spatial padding of NCHW tensors: reflection (pix2pixHD's 7x7 and ResnetBlock convs, EGSC-IT's every
// conv) and zero padding (or cropping, with negative values: TF-SAME transposed convs drop a last row).
//
//   reflection_pad2d(x, p)                      -> y    (PyTorch ReflectionPad2d; each pad < that dim)
//   reflection_pad2d_backward(dy, x_shape, p)   -> dx   (reflected positions add into their source)
//   zero_pad2d(x, p)                            -> y    (negative sides crop)
//   zero_pad2d_backward(dy, x_shape, p)         -> dx
//
// Backward takes the input's shape rather than deriving it from dy, so that a dy of the wrong size is
// caught instead of silently producing a wrongly sized dx.
#include <algorithm>
#include <cstdint>

#include "i2i/backend/checks/pad.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu {
namespace detail {

/// Planes per parallel chunk so that each chunk moves at least ~16K elements.
inline std::int64_t pad_grain(std::int64_t plane_elems) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, plane_elems));
}

/// PyTorch ReflectionPad index: -1 -> 1, n -> n-2 (the edge is not repeated). Valid for |overshoot| < n.
inline std::int64_t reflect_index(std::int64_t i, std::int64_t n) {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}


/// dst[r][c] = src[r - dr][c - dc] where that lies inside src, else 0; for every plane.
/// Zero padding is dr,dc = top,left; its backward (a crop) is dr,dc = -top,-left.
template <class T>
void shifted_copy(const T* src, std::int64_t sh, std::int64_t sw, T* dst, std::int64_t dh, std::int64_t dw,
                  std::int64_t n_planes, std::int64_t dr, std::int64_t dc) {
  // Columns of dst that receive src columns: [c_lo, c_hi).
  const std::int64_t c_lo = std::clamp<std::int64_t>(dc, 0, dw);
  const std::int64_t c_hi = std::clamp<std::int64_t>(sw + dc, c_lo, dw);
  parallel_for(n_planes, pad_grain(dh * dw), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* s = src + p * sh * sw;
      T* d = dst + p * dh * dw;
      for (std::int64_t r = 0; r < dh; ++r) {
        T* drow = d + r * dw;
        const std::int64_t sr = r - dr;
        if (sr < 0 || sr >= sh || c_lo == c_hi) {
          std::fill_n(drow, dw, T(0));
          continue;
        }
        std::fill(drow, drow + c_lo, T(0));
        std::copy_n(s + sr * sw + (c_lo - dc), c_hi - c_lo, drow + c_lo);
        std::fill(drow + c_hi, drow + dw, T(0));
      }
    }
  });
}


/// Adds one plane of a reflection-padded gradient (OH x OW, rows of OW) into the H x W plane it was padded
/// from: every padded position adds into the pixel it copied, row by row top to bottom, within a row the
/// direct columns, then the left reflection, then the right one. cuda's reflection_pad_backward_kernel
/// gathers in this order, and instance_norm_pad_backward shares this function, so all three agree.
template <class T>
void reflection_pad_plane_backward(const T* dy, std::int64_t OH, std::int64_t OW, T* dx, std::int64_t H,
                                   std::int64_t W, const padding2d& p) {
  using row = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
  using crow = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;
  for (std::int64_t r = 0; r < OH; ++r) {
    const T* srow = dy + r * OW;
    T* drow = dx + reflect_index(r - p.top, H) * W;
    row(drow, W) += crow(srow + p.left, W);
    for (std::int64_t c = 0; c < p.left; ++c) drow[p.left - c] += srow[c];
    for (std::int64_t c = 0; c < p.right; ++c) drow[W - 2 - c] += srow[p.left + W + c];
  }
}

}  // namespace detail

/// Zero padding; negative sides crop. Output is N x C x (H+top+bottom) x (W+left+right).
template <cpu_scalar T>
tensor<T> zero_pad2d(const tensor<T>& x, const padding2d& p) {
  const shape ys = checks::zero_pad2d<checks::on_host>(x, p);
  auto y = tensor<T>::empty(ys);
  detail::shifted_copy(x.data(), x.h(), x.w(), y.data(), y.h(), y.w(), x.n() * x.c(), p.top, p.left);
  return y;
}

/// Gradient of zero_pad2d: the crop of dy that the input occupied (zeros where the forward cropped).
template <cpu_scalar T>
tensor<T> zero_pad2d_backward(const tensor<T>& dy, const shape& x_shape, const padding2d& p) {
  checks::zero_pad2d_backward<checks::on_host>(dy, x_shape, p);
  auto dx = tensor<T>::empty(x_shape);
  detail::shifted_copy(dy.data(), dy.h(), dy.w(), dx.data(), dx.h(), dx.w(), dx.n() * dx.c(), -p.top, -p.left);
  return dx;
}

/// PyTorch ReflectionPad2d: the border pixel is the mirror axis and is not repeated.
template <cpu_scalar T>
tensor<T> reflection_pad2d(const tensor<T>& x, const padding2d& p) {
  const shape ys = checks::reflection_pad2d<checks::on_host>(x, p);
  auto y = tensor<T>::empty(ys);
  const std::int64_t H = x.h(), W = x.w(), OH = y.h(), OW = y.w();
  parallel_for(x.n() * x.c(), detail::pad_grain(OH * OW), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t q = b; q < e; ++q) {
      const T* s = x.data() + q * H * W;
      T* d = y.data() + q * OH * OW;
      for (std::int64_t r = 0; r < OH; ++r) {
        const T* srow = s + detail::reflect_index(r - p.top, H) * W;
        T* drow = d + r * OW;
        for (std::int64_t c = 0; c < p.left; ++c) drow[c] = srow[p.left - c];
        std::copy_n(srow, W, drow + p.left);
        for (std::int64_t c = 0; c < p.right; ++c) drow[p.left + W + c] = srow[W - 2 - c];
      }
    }
  });
  return y;
}

/// Gradient of reflection_pad2d: every output position adds its gradient into the pixel it copied.
template <cpu_scalar T>
tensor<T> reflection_pad2d_backward(const tensor<T>& dy, const shape& x_shape, const padding2d& p) {
  checks::reflection_pad2d_backward<checks::on_host>(dy, x_shape, p);
  auto dx = tensor<T>::zeros(x_shape);
  const std::int64_t H = x_shape.h(), W = x_shape.w(), OH = dy.h(), OW = dy.w();
  parallel_for(x_shape.n() * x_shape.c(), detail::pad_grain(OH * OW), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t q = b; q < e; ++q)
      detail::reflection_pad_plane_backward(dy.data() + q * OH * OW, OH, OW, dx.data() + q * H * W, H, W, p);
  });
  return dx;
}

}  // namespace i2i::cpu
