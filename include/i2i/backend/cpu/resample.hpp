#pragma once
// Spatial resampling of NCHW tensors to a given output size, with PyTorch F.interpolate semantics.
//
//   upsample_nearest2d(x, out_h, out_w)                        -> y   (mode='nearest'; also shrinks)
//   upsample_nearest2d_backward(dy, x_shape)                   -> dx
//   resize_bilinear2d(x, out_h, out_w, align_corners)          -> y   (mode='bilinear')
//   resize_bilinear2d_backward(dy, x_shape, align_corners)     -> dx
//
// Nearest: src = floor(dst * in / out), computed as PyTorch does: exactly for out == in and out == 2 in,
// otherwise as floorf(dst * (float(in) / out)) clamped to in - 1. The float product differs from the
// exact integer floor for a few (in, out) pairs (e.g. in 2, out 82, dst 41 gives 0, not 1); we follow
// PyTorch there so that converted models and golden tests agree.
// Bilinear: align_corners = true maps corners to corners (src = dst * (in-1)/(out-1); TF's
// resize_bilinear(align_corners=True), which EGSC-IT uses, is the same); false uses half-pixel centres
// (src = (dst + 0.5) * in/out - 0.5, clamped below at 0). Source coordinates are computed in T, as
// PyTorch computes them in float for float tensors.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "i2i/backend/checks/resample.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu {
namespace detail {

inline std::int64_t nearest_source_index(std::int64_t dst, std::int64_t in, std::int64_t out) {
  if (out == in) return dst;
  if (out == 2 * in) return dst >> 1;
  const float scale = float(in) / float(out);
  return std::min<std::int64_t>(std::int64_t(std::floor(float(dst) * scale)), in - 1);
}

inline std::vector<std::int64_t> nearest_table(std::int64_t in, std::int64_t out) {
  std::vector<std::int64_t> t(static_cast<std::size_t>(out));
  for (std::int64_t d = 0; d < out; ++d) t[std::size_t(d)] = nearest_source_index(d, in, out);
  return t;
}

/// Per output index along one axis: the two source indices and their weights.
template <class T>
struct linear_taps {
  std::vector<std::int64_t> i0, i1;
  std::vector<T> l0, l1;
};

template <class T>
linear_taps<T> linear_table(std::int64_t in, std::int64_t out, bool align_corners) {
  linear_taps<T> t;
  t.i0.resize(std::size_t(out));
  t.i1.resize(std::size_t(out));
  t.l0.resize(std::size_t(out));
  t.l1.resize(std::size_t(out));
  const T scale = align_corners ? (out > 1 ? T(in - 1) / T(out - 1) : T(0)) : T(in) / T(out);
  for (std::int64_t d = 0; d < out; ++d) {
    const T src = align_corners ? scale * T(d) : std::max(scale * (T(d) + T(0.5)) - T(0.5), T(0));
    const std::int64_t i0 = std::min<std::int64_t>(std::int64_t(src), in - 1);
    const T l1 = std::clamp(src - T(i0), T(0), T(1));
    const auto k = std::size_t(d);
    t.i0[k] = i0;
    t.i1[k] = i0 + (i0 < in - 1 ? 1 : 0);
    t.l1[k] = l1;
    t.l0[k] = T(1) - l1;
  }
  return t;
}

inline std::int64_t resample_grain(std::int64_t plane_elems) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, plane_elems));
}

}  // namespace detail

template <cpu_scalar T>
tensor<T> upsample_nearest2d(const tensor<T>& x, std::int64_t out_h, std::int64_t out_w) {
  checks::resample_forward<checks::on_host>("upsample_nearest2d", x, out_h, out_w);
  auto y = tensor<T>::empty(shape::nchw(x.n(), x.c(), out_h, out_w));
  const std::int64_t H = x.h(), W = x.w();
  const auto th = detail::nearest_table(H, out_h), tw = detail::nearest_table(W, out_w);
  parallel_for(x.n() * x.c(), detail::resample_grain(out_h * out_w), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x.data() + p * H * W;
      T* yp = y.data() + p * out_h * out_w;
      for (std::int64_t oh = 0; oh < out_h; ++oh) {
        T* yrow = yp + oh * out_w;
        // Consecutive output rows that read the same source row are copies of the first one.
        if (oh > 0 && th[std::size_t(oh)] == th[std::size_t(oh - 1)]) {
          std::copy_n(yrow - out_w, out_w, yrow);
          continue;
        }
        const T* xrow = xp + th[std::size_t(oh)] * W;
        for (std::int64_t ow = 0; ow < out_w; ++ow) yrow[ow] = xrow[tw[std::size_t(ow)]];
      }
    }
  });
  return y;
}

/// Gradient of upsample_nearest2d: each output position adds its gradient into its source pixel.
template <cpu_scalar T>
tensor<T> upsample_nearest2d_backward(const tensor<T>& dy, const shape& x_shape) {
  checks::resample_backward<checks::on_host>("upsample_nearest2d_backward", dy, x_shape);
  auto dx = tensor<T>::zeros(x_shape);
  const std::int64_t H = x_shape[2], W = x_shape[3], OH = dy.h(), OW = dy.w();
  const auto th = detail::nearest_table(H, OH), tw = detail::nearest_table(W, OW);
  parallel_for(x_shape[0] * x_shape[1], detail::resample_grain(OH * OW), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* gp = dy.data() + p * OH * OW;
      T* dp = dx.data() + p * H * W;
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        T* drow = dp + th[std::size_t(oh)] * W;
        const T* grow = gp + oh * OW;
        for (std::int64_t ow = 0; ow < OW; ++ow) drow[tw[std::size_t(ow)]] += grow[ow];
      }
    }
  });
  return dx;
}

template <cpu_scalar T>
tensor<T> resize_bilinear2d(const tensor<T>& x, std::int64_t out_h, std::int64_t out_w, bool align_corners) {
  checks::resample_forward<checks::on_host>("resize_bilinear2d", x, out_h, out_w);
  auto y = tensor<T>::empty(shape::nchw(x.n(), x.c(), out_h, out_w));
  const std::int64_t H = x.h(), W = x.w();
  const auto th = detail::linear_table<T>(H, out_h, align_corners);
  const auto tw = detail::linear_table<T>(W, out_w, align_corners);
  parallel_for(x.n() * x.c(), detail::resample_grain(out_h * out_w), [&](std::int64_t b, std::int64_t e) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    A r0(out_w), r1(out_w);
    auto horizontal = [&](const T* xrow, A& out) {
      for (std::int64_t ow = 0; ow < out_w; ++ow) {
        const auto k = std::size_t(ow);
        out[ow] = tw.l0[k] * xrow[tw.i0[k]] + tw.l1[k] * xrow[tw.i1[k]];
      }
    };
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x.data() + p * H * W;
      T* yp = y.data() + p * out_h * out_w;
      // Source rows whose horizontal interpolation r0 / r1 currently hold: when upsampling, consecutive
      // output rows share source rows, so each is interpolated about once.
      std::int64_t held0 = -1, held1 = -1;
      for (std::int64_t oh = 0; oh < out_h; ++oh) {
        const auto k = std::size_t(oh);
        if (th.i0[k] != held0) {
          if (th.i0[k] == held1) {
            r0.swap(r1);
            std::swap(held0, held1);
          } else {
            horizontal(xp + th.i0[k] * W, r0);
            held0 = th.i0[k];
          }
        }
        if (th.i1[k] != held1) {
          horizontal(xp + th.i1[k] * W, r1);
          held1 = th.i1[k];
        }
        // Blend the two interpolated rows vertically (vectorised).
        Eigen::Map<A>(yp + oh * out_w, out_w) = th.l0[k] * r0 + th.l1[k] * r1;
      }
    }
  });
  return y;
}

/// Gradient of resize_bilinear2d: each output gradient is split over its four source pixels.
template <cpu_scalar T>
tensor<T> resize_bilinear2d_backward(const tensor<T>& dy, const shape& x_shape, bool align_corners) {
  checks::resample_backward<checks::on_host>("resize_bilinear2d_backward", dy, x_shape);
  auto dx = tensor<T>::zeros(x_shape);
  const std::int64_t H = x_shape[2], W = x_shape[3], OH = dy.h(), OW = dy.w();
  const auto th = detail::linear_table<T>(H, OH, align_corners);
  const auto tw = detail::linear_table<T>(W, OW, align_corners);
  parallel_for(x_shape[0] * x_shape[1], detail::resample_grain(OH * OW), [&](std::int64_t b, std::int64_t e) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    for (std::int64_t p = b; p < e; ++p) {
      const T* gp = dy.data() + p * OH * OW;
      T* dp = dx.data() + p * H * W;
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        const auto k = std::size_t(oh);
        Eigen::Map<const A> g(gp + oh * OW, OW);
        T* d0 = dp + th.i0[k] * W;
        T* d1 = dp + th.i1[k] * W;
        const T a0 = th.l0[k], a1 = th.l1[k];
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const auto j = std::size_t(ow);
          const T v0 = a0 * g[ow], v1 = a1 * g[ow];
          d0[tw.i0[j]] += tw.l0[j] * v0;
          d0[tw.i1[j]] += tw.l1[j] * v0;
          d1[tw.i0[j]] += tw.l0[j] * v1;
          d1[tw.i1[j]] += tw.l1[j] * v1;
        }
      }
    }
  });
  return dx;
}

}  // namespace i2i::cpu
