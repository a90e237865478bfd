#pragma once
// Grouped 2-D convolution (conv2d_args::groups > 1; groups = Cin is depthwise): forward, input gradient
// and weight gradient as direct loops. cpu/conv2d.hpp calls these after its argument checks when
// groups > 1; groups == 1 never comes here, so the ungrouped GEMM path is unchanged.
//
// Why direct loops and not the GEMM: a depthwise conv (MobileNetV2's 3x3 layers) is a GEMM with one
// row and K*K columns per channel, where packing costs more than the arithmetic. Each task owns whole
// output planes, whose inner loop runs along a row of the map (contiguous for stride 1, so it
// vectorises); each output sums its taps in one fixed order (input channel, kernel row, kernel column),
// so results do not depend on the thread count.
//
// Layouts as conv2d: x N x Cin x H x W, w Cout x Cin/g x KH x KW, y N x Cout x OH x OW; output channel
// o belongs to group o / (Cout/g) and reads input channels [group * Cin/g, (group + 1) * Cin/g).
#include <algorithm>
#include <cstdint>

#include "i2i/backend/op_args.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu::grouped_conv_detail {

/// The sizes of one grouped convolution.
struct geometry {
  std::int64_t n, cin, h, w, cout, cin_g, cout_g, kh, kw, oh, ow, sh, sw, pt, pl;

  geometry(const shape& xs, const shape& ws, const shape& ys, const conv2d_args& a)
      : n(xs[0]), cin(xs[1]), h(xs[2]), w(xs[3]), cout(ws[0]), cin_g(ws[1]), cout_g(ws[0] / a.groups), kh(ws[2]),
        kw(ws[3]), oh(ys[2]), ow(ys[3]), sh(a.stride_h), sw(a.stride_w), pt(a.pad.top), pl(a.pad.left) {}

  /// Output columns [first, last) whose input column ow * sw - pl + j lies inside [0, w).
  void columns(std::int64_t j, std::int64_t& first, std::int64_t& last) const {
    const std::int64_t lo = pl - j;  // ow * sw >= lo
    first = lo <= 0 ? 0 : (lo + sw - 1) / sw;
    const std::int64_t hi = w - 1 + pl - j;  // ow * sw <= hi
    last = hi < 0 ? 0 : std::min(ow, hi / sw + 1);
    if (last < first) last = first;
  }

  /// f(r, in0) for every output row r whose input row r * sh - pt + i lies inside [0, h); in0 is the
  /// input index (in the plane) that output column 0 of that row reads for kernel tap (i, j), and may
  /// be negative: only columns [first, last) of columns(j) are read.
  template <class F>
  void for_each_row(std::int64_t i, std::int64_t j, F&& f) const {
    for (std::int64_t r = 0; r < oh; ++r) {
      const std::int64_t ih = r * sh - pt + i;
      if (ih >= 0 && ih < h) f(r, ih * w - pl + j);
    }
  }

  /// f(wv, r, in0, first, last) for every kernel tap (i, j) of the kernel wp (kh x kw), in row-major tap
  /// order, and every output row r that tap reaches (as for_each_row; columns [first, last) as columns).
  /// The forward and the input gradient walk the same taps in the same order.
  template <class T, class F>
  void for_each_tap(const T* wp, F&& f) const {
    for (std::int64_t i = 0; i < kh; ++i)
      for (std::int64_t j = 0; j < kw; ++j) {
        const T wv = wp[i * kw + j];
        std::int64_t first, last;
        columns(j, first, last);
        for_each_row(i, j, [&](std::int64_t r, std::int64_t in0) { f(wv, r, in0, first, last); });
      }
  }
};

/// Planes per task: enough work per task to hide the pool's overhead.
inline std::int64_t plane_grain(std::int64_t work_per_plane) {
  return std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, work_per_plane));
}

/// y = conv2d(x, w) + bias with groups; y is N x Cout x OH x OW and is overwritten.
template <class T>
void forward(const tensor<T>& x, const tensor<T>& w, const T* bias, const conv2d_args& a, tensor<T>& y) {
  const geometry g(x.shape(), w.shape(), y.shape(), a);
  const std::int64_t plane = g.oh * g.ow;
  parallel_for(g.n * g.cout, plane_grain(plane * g.cin_g * g.kh * g.kw), [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t p = p0; p < p1; ++p) {
      const std::int64_t b = p / g.cout, o = p % g.cout, first_in = (o / g.cout_g) * g.cin_g;
      T* yp = y.data() + p * plane;
      std::fill(yp, yp + plane, bias ? bias[o] : T(0));
      for (std::int64_t ci = 0; ci < g.cin_g; ++ci) {
        const T* xp = x.data() + (b * g.cin + first_in + ci) * g.h * g.w;
        const T* wp = w.data() + (o * g.cin_g + ci) * g.kh * g.kw;
        g.for_each_tap(wp, [&](T wv, std::int64_t r, std::int64_t in0, std::int64_t c0, std::int64_t c1) {
          T* yr = yp + r * g.ow;
          for (std::int64_t c = c0; c < c1; ++c) yr[c] += wv * xp[in0 + c * g.sw];
        });
      }
    }
  });
}

/// dx = dL/dx (N x Cin x H x W, overwritten) for y = conv2d(x, w) with groups, given dy.
template <class T>
void backward_input(const tensor<T>& dy, const tensor<T>& w, const conv2d_args& a, tensor<T>& dx) {
  const geometry g(dx.shape(), w.shape(), dy.shape(), a);
  const std::int64_t plane = g.h * g.w, out_plane = g.oh * g.ow;
  parallel_for(g.n * g.cin, plane_grain(out_plane * g.cout_g * g.kh * g.kw), [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t p = p0; p < p1; ++p) {
      const std::int64_t b = p / g.cin, c_in = p % g.cin, grp = c_in / g.cin_g, ci = c_in % g.cin_g;
      T* dxp = dx.data() + p * plane;
      std::fill(dxp, dxp + plane, T(0));
      for (std::int64_t oc = 0; oc < g.cout_g; ++oc) {
        const std::int64_t o = grp * g.cout_g + oc;
        const T* dyp = dy.data() + (b * g.cout + o) * out_plane;
        const T* wp = w.data() + (o * g.cin_g + ci) * g.kh * g.kw;
        g.for_each_tap(wp, [&](T wv, std::int64_t r, std::int64_t in0, std::int64_t c0, std::int64_t c1) {
          const T* dyr = dyp + r * g.ow;
          for (std::int64_t c = c0; c < c1; ++c) dxp[in0 + c * g.sw] += wv * dyr[c];
        });
      }
    }
  });
}

/// dw += dL/dw (Cout x Cin/g x KH x KW) for y = conv2d(x, w) with groups, given x and dy.
template <class T>
void backward_weight(const tensor<T>& x, const tensor<T>& dy, const conv2d_args& a, tensor<T>& dw) {
  const geometry g(x.shape(), dw.shape(), dy.shape(), a);
  const std::int64_t plane = g.h * g.w, out_plane = g.oh * g.ow;
  parallel_for(g.cout * g.cin_g, plane_grain(g.n * out_plane * g.kh * g.kw), [&](std::int64_t p0, std::int64_t p1) {
    for (std::int64_t p = p0; p < p1; ++p) {
      const std::int64_t o = p / g.cin_g, ci = p % g.cin_g, c_in = (o / g.cout_g) * g.cin_g + ci;
      T* dwp = dw.data() + p * g.kh * g.kw;
      for (std::int64_t i = 0; i < g.kh; ++i)
        for (std::int64_t j = 0; j < g.kw; ++j) {
          std::int64_t c0, c1;
          g.columns(j, c0, c1);
          T acc = 0;
          for (std::int64_t b = 0; b < g.n; ++b) {
            const T* xp = x.data() + (b * g.cin + c_in) * plane;
            const T* dyp = dy.data() + (b * g.cout + o) * out_plane;
            g.for_each_row(i, j, [&](std::int64_t r, std::int64_t in0) {
              const T* dyr = dyp + r * g.ow;
              for (std::int64_t c = c0; c < c1; ++c) acc += dyr[c] * xp[in0 + c * g.sw];
            });
          }
          dwp[i * g.kw + j] += acc;
        }
    }
  });
}

}  // namespace i2i::cpu::grouped_conv_detail
