#pragma once
// 2-D average and max pooling over square windows with per-side padding.
//
//   avg_pool2d(x, kernel, stride, pad, count_include_pad = true)              -> y
//   avg_pool2d_backward(dy, x_shape, kernel, stride, pad, count_include_pad)  -> dx
//   max_pool2d(x, kernel, stride, pad)                                        -> max_pool_result {y, argmax}
//   max_pool2d_backward(dy, x_shape, argmax)                                  -> dx
//   global_avg_pool2d(x) / global_avg_pool2d_backward(dy, x_shape)            -> N x C x 1 x 1 / dx
//   same_pool_padding(x_shape, kernel, stride)                                -> padding2d (TF "SAME")
//   pool_output_size(in, kernel, stride, before, after)                      -> floor((in+before+after-k)/s)+1
//
// pix2pixHD's image pyramid and multiscale D use avg_pool2d(x, 3, 2, padding2d::uniform(1), false):
// border windows average only real pixels. EGSC-IT's VGG uses TF-SAME 2x2/2 max pooling, where odd
// sizes round up: max_pool2d(x, 2, 2, same_pool_padding(x.shape(), 2, 2)) pads one row/column at the
// bottom/right, and padding never wins the max (it is simply not a candidate).
//
// Like PyTorch, each padding side must be at most kernel/2; that guarantees every window holds at least
// one real pixel. With count_include_pad = true the divisor is always kernel^2 (there is no ceil mode).
// Max pooling takes the first maximum in row-major order and propagates NaN, as PyTorch does.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/backend/checks/pool.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

// GCC 12 reports false "may be used uninitialized" warnings from its own AVX-512 intrinsics inside
// Eigen's vectorised reductions (sum); they are not about this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace i2i::cpu {

// max_pool_result, pool_output_size and same_pool_padding are shared with the other backend
// (backend/pool_geometry.hpp).
using i2i::max_pool_result;
using i2i::pool_output_size;
using i2i::same_pool_padding;

namespace detail {

/// One output position's clipped window [lo, hi) along one axis.
struct pool_span {
  std::int64_t lo, hi;
};

inline std::vector<pool_span> pool_spans(std::int64_t out, std::int64_t in, std::int64_t kernel, std::int64_t stride,
                                         std::int64_t before) {
  std::vector<pool_span> s(static_cast<std::size_t>(out));
  for (std::int64_t o = 0; o < out; ++o) {
    const std::int64_t start = o * stride - before;
    s[std::size_t(o)] = {std::max<std::int64_t>(start, 0), std::min(start + kernel, in)};
  }
  return s;
}


inline std::int64_t pool_grain(std::int64_t plane_elems) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, plane_elems));
}

}  // namespace detail

template <cpu_scalar T>
tensor<T> avg_pool2d(const tensor<T>& x, std::int64_t kernel, std::int64_t stride, const padding2d& pad,
                     bool count_include_pad = true) {
  const shape ys = checks::avg_pool2d<checks::on_host>(x, kernel, stride, pad);
  auto y = tensor<T>::empty(ys);
  const std::int64_t H = x.h(), W = x.w(), OH = ys[2], OW = ys[3];
  const auto hs = detail::pool_spans(OH, H, kernel, stride, pad.top);
  const auto ws = detail::pool_spans(OW, W, kernel, stride, pad.left);
  parallel_for(x.n() * x.c(), detail::pool_grain(H * W), [&](std::int64_t b, std::int64_t e) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    A rows(W);
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x.data() + p * H * W;
      T* yp = y.data() + p * OH * OW;
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        const auto [h0, h1] = hs[std::size_t(oh)];
        // Vertical sum of the window's rows first (vectorised), then short horizontal sums.
        rows = Eigen::Map<const A>(xp + h0 * W, W);
        for (std::int64_t h = h0 + 1; h < h1; ++h) rows += Eigen::Map<const A>(xp + h * W, W);
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const auto [w0, w1] = ws[std::size_t(ow)];
          const std::int64_t count = count_include_pad ? kernel * kernel : (h1 - h0) * (w1 - w0);
          yp[oh * OW + ow] = rows.segment(w0, w1 - w0).sum() / T(count);
        }
      }
    }
  });
  return y;
}

template <cpu_scalar T>
tensor<T> avg_pool2d_backward(const tensor<T>& dy, const shape& x_shape, std::int64_t kernel, std::int64_t stride,
                              const padding2d& pad, bool count_include_pad = true) {
  const shape ys = checks::avg_pool2d_backward<checks::on_host>(dy, x_shape, kernel, stride, pad);
  auto dx = tensor<T>::zeros(x_shape);
  const std::int64_t H = x_shape[2], W = x_shape[3], OH = ys[2], OW = ys[3];
  const auto hs = detail::pool_spans(OH, H, kernel, stride, pad.top);
  const auto ws = detail::pool_spans(OW, W, kernel, stride, pad.left);
  parallel_for(x_shape[0] * x_shape[1], detail::pool_grain(H * W), [&](std::int64_t b, std::int64_t e) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    A row(W);
    for (std::int64_t p = b; p < e; ++p) {
      const T* gp = dy.data() + p * OH * OW;
      T* dp = dx.data() + p * H * W;
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        const auto [h0, h1] = hs[std::size_t(oh)];
        // Spread one output row horizontally, then add it to every input row of the window.
        row.setZero();
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const auto [w0, w1] = ws[std::size_t(ow)];
          const std::int64_t count = count_include_pad ? kernel * kernel : (h1 - h0) * (w1 - w0);
          row.segment(w0, w1 - w0) += gp[oh * OW + ow] / T(count);
        }
        for (std::int64_t h = h0; h < h1; ++h) Eigen::Map<A>(dp + h * W, W) += row;
      }
    }
  });
  return dx;
}

template <cpu_scalar T>
max_pool_result<T> max_pool2d(const tensor<T>& x, std::int64_t kernel, std::int64_t stride, const padding2d& pad) {
  const shape ys = checks::max_pool2d<checks::on_host>(x, kernel, stride, pad);
  const std::int64_t H = x.h(), W = x.w(), OH = ys[2], OW = ys[3];
  max_pool_result<T> r{tensor<T>::empty(ys), tensor<std::int32_t>::empty(ys)};
  const auto hs = detail::pool_spans(OH, H, kernel, stride, pad.top);
  const auto ws = detail::pool_spans(OW, W, kernel, stride, pad.left);
  parallel_for(x.n() * x.c(), detail::pool_grain(H * W), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x.data() + p * H * W;
      T* yp = r.y.data() + p * OH * OW;
      std::int32_t* ip = r.argmax.data() + p * OH * OW;
      for (std::int64_t oh = 0; oh < OH; ++oh) {
        const auto [h0, h1] = hs[std::size_t(oh)];
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const auto [w0, w1] = ws[std::size_t(ow)];
          std::int64_t best = h0 * W + w0;
          T best_v = xp[best];
          for (std::int64_t h = h0; h < h1; ++h)
            for (std::int64_t w = w0; w < w1; ++w) {
              const T v = xp[h * W + w];
              if (v > best_v || std::isnan(v)) {
                best_v = v;
                best = h * W + w;
              }
            }
          yp[oh * OW + ow] = best_v;
          ip[oh * OW + ow] = std::int32_t(best);
        }
      }
    }
  });
  return r;
}

template <cpu_scalar T>
tensor<T> max_pool2d_backward(const tensor<T>& dy, const shape& x_shape, const tensor<std::int32_t>& argmax) {
  constexpr const char* op = "max_pool2d_backward";
  checks::max_pool2d_backward<checks::on_host>(dy, x_shape, argmax);
  auto dx = tensor<T>::zeros(x_shape);
  const std::int64_t HW = x_shape[2] * x_shape[3], O = dy.h() * dy.w();
  parallel_for(x_shape[0] * x_shape[1], detail::pool_grain(HW), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* gp = dy.data() + p * O;
      const std::int32_t* ip = argmax.data() + p * O;
      T* dp = dx.data() + p * HW;
      for (std::int64_t o = 0; o < O; ++o) {
        require<value_error>(ip[o] >= 0 && ip[o] < HW, op, ": argmax ", ip[o], " lies outside the input plane of ",
                             x_shape);
        dp[ip[o]] += gp[o];
      }
    }
  });
  return dx;
}

/// The spatial mean of every (n, c) plane: N x C x H x W -> N x C x 1 x 1 (PyTorch AdaptiveAvgPool2d(1);
/// MUNIT's style encoder). Summed in double in pixel order, as the EGSC-IT baseline's host loop did.
template <cpu_scalar T>
tensor<T> global_avg_pool2d(const tensor<T>& x) {
  auto y = tensor<T>::empty(checks::global_avg_pool2d<checks::on_host>(x));
  const std::int64_t m = x.h() * x.w();
  parallel_for(x.n() * x.c(), detail::pool_grain(m), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x.data() + p * m;
      double s = 0;
      for (std::int64_t i = 0; i < m; ++i) s += double(xp[i]);
      y[p] = T(s / double(m));
    }
  });
  return y;
}

/// dx: every pixel of plane p gets dy[p] / (H*W).
template <cpu_scalar T>
tensor<T> global_avg_pool2d_backward(const tensor<T>& dy, const shape& x_shape) {
  checks::global_avg_pool2d_backward<checks::on_host>(dy, x_shape);
  auto dx = tensor<T>::empty(x_shape);
  const std::int64_t m = x_shape[2] * x_shape[3];
  parallel_for(x_shape[0] * x_shape[1], detail::pool_grain(m), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) std::fill_n(dx.data() + p * m, m, T(double(dy[p]) / double(m)));
  });
  return dx;
}

}  // namespace i2i::cpu

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
