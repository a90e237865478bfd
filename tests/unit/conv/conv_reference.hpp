#pragma once
// Naive reference loops for the conv tests (double precision, straight from the definitions).
#include <cstdint>

#include "i2i/backend/cpu/conv2d.hpp"
#include "i2i/backend/cpu/conv_transpose2d.hpp"

namespace i2i::test::conv_ref {

/// y[b][co][oy][ox] = bias[co] + sum x[b][ci][oy*s - pt + kh][ox*s - pl + kw] * w[co][ci][kh][kw]
template <class T>
tensor<double> conv2d(const tensor<T>& x, const tensor<T>& w, const tensor<T>* bias, const cpu::conv2d_args& a) {
  const std::int64_t N = x.n(), Ci = x.c(), H = x.h(), W = x.w(), Co = w.dim(0), KH = w.dim(2), KW = w.dim(3);
  const std::int64_t OH = (H + a.pad.top + a.pad.bottom - KH) / a.stride_h + 1;
  const std::int64_t OW = (W + a.pad.left + a.pad.right - KW) / a.stride_w + 1;
  auto y = tensor<double>::zeros(shape{N, Co, OH, OW});
  for (std::int64_t b = 0; b < N; ++b)
    for (std::int64_t co = 0; co < Co; ++co)
      for (std::int64_t oy = 0; oy < OH; ++oy)
        for (std::int64_t ox = 0; ox < OW; ++ox) {
          double s = bias ? double((*bias)[co]) : 0.0;
          for (std::int64_t ci = 0; ci < Ci; ++ci)
            for (std::int64_t kh = 0; kh < KH; ++kh)
              for (std::int64_t kw = 0; kw < KW; ++kw) {
                const std::int64_t iy = oy * a.stride_h - a.pad.top + kh, ix = ox * a.stride_w - a.pad.left + kw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += double(x.at(b, ci, iy, ix)) * double(w.at(co, ci, kh, kw));
              }
          y.at(b, co, oy, ox) = s;
        }
  return y;
}

/// dx and dw of conv2d for output gradient dy, by scattering each product of the forward sum.
template <class T>
void conv2d_grads(const tensor<T>& x, const tensor<T>& w, const tensor<T>& dy, const cpu::conv2d_args& a,
                  tensor<double>& dx, tensor<double>& dw) {
  const std::int64_t N = x.n(), Ci = x.c(), H = x.h(), W = x.w(), Co = w.dim(0), KH = w.dim(2), KW = w.dim(3);
  const std::int64_t OH = dy.h(), OW = dy.w();
  dx = tensor<double>::zeros(x.shape());
  dw = tensor<double>::zeros(w.shape());
  for (std::int64_t b = 0; b < N; ++b)
    for (std::int64_t co = 0; co < Co; ++co)
      for (std::int64_t oy = 0; oy < OH; ++oy)
        for (std::int64_t ox = 0; ox < OW; ++ox) {
          const double g = double(dy.at(b, co, oy, ox));
          for (std::int64_t ci = 0; ci < Ci; ++ci)
            for (std::int64_t kh = 0; kh < KH; ++kh)
              for (std::int64_t kw = 0; kw < KW; ++kw) {
                const std::int64_t iy = oy * a.stride_h - a.pad.top + kh, ix = ox * a.stride_w - a.pad.left + kw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                dx.at(b, ci, iy, ix) += g * double(w.at(co, ci, kh, kw));
                dw.at(co, ci, kh, kw) += g * double(x.at(b, ci, iy, ix));
              }
        }
}

/// Transposed conv by its definition: scatter x[i] * w[k] to full position i*s + k, then crop.
template <class T>
tensor<double> conv_transpose2d(const tensor<T>& x, const tensor<T>& w, const tensor<T>* bias,
                                const cpu::conv_transpose2d_args& a) {
  const std::int64_t N = x.n(), Ci = x.c(), H = x.h(), W = x.w(), Co = w.dim(1), KH = w.dim(2), KW = w.dim(3);
  const std::int64_t OH = (H - 1) * a.stride_h + KH - a.crop.top - a.crop.bottom;
  const std::int64_t OW = (W - 1) * a.stride_w + KW - a.crop.left - a.crop.right;
  auto y = tensor<double>::zeros(shape{N, Co, OH, OW});
  for (std::int64_t b = 0; b < N; ++b)
    for (std::int64_t co = 0; co < Co; ++co) {
      for (std::int64_t oy = 0; oy < OH; ++oy)
        for (std::int64_t ox = 0; ox < OW; ++ox) y.at(b, co, oy, ox) = bias ? double((*bias)[co]) : 0.0;
      for (std::int64_t ci = 0; ci < Ci; ++ci)
        for (std::int64_t iy = 0; iy < H; ++iy)
          for (std::int64_t ix = 0; ix < W; ++ix)
            for (std::int64_t kh = 0; kh < KH; ++kh)
              for (std::int64_t kw = 0; kw < KW; ++kw) {
                const std::int64_t oy = iy * a.stride_h + kh - a.crop.top, ox = ix * a.stride_w + kw - a.crop.left;
                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                y.at(b, co, oy, ox) += double(x.at(b, ci, iy, ix)) * double(w.at(ci, co, kh, kw));
              }
    }
  return y;
}

template <class T>
void conv_transpose2d_grads(const tensor<T>& x, const tensor<T>& w, const tensor<T>& dy,
                            const cpu::conv_transpose2d_args& a, tensor<double>& dx, tensor<double>& dw) {
  const std::int64_t N = x.n(), Ci = x.c(), H = x.h(), W = x.w(), Co = w.dim(1), KH = w.dim(2), KW = w.dim(3);
  const std::int64_t OH = dy.h(), OW = dy.w();
  dx = tensor<double>::zeros(x.shape());
  dw = tensor<double>::zeros(w.shape());
  for (std::int64_t b = 0; b < N; ++b)
    for (std::int64_t co = 0; co < Co; ++co)
      for (std::int64_t ci = 0; ci < Ci; ++ci)
        for (std::int64_t iy = 0; iy < H; ++iy)
          for (std::int64_t ix = 0; ix < W; ++ix)
            for (std::int64_t kh = 0; kh < KH; ++kh)
              for (std::int64_t kw = 0; kw < KW; ++kw) {
                const std::int64_t oy = iy * a.stride_h + kh - a.crop.top, ox = ix * a.stride_w + kw - a.crop.left;
                if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
                const double g = double(dy.at(b, co, oy, ox));
                dx.at(b, ci, iy, ix) += g * double(w.at(ci, co, kh, kw));
                dw.at(ci, co, kh, kw) += g * double(x.at(b, ci, iy, ix));
              }
}

/// Largest |a - b| relative to the largest |b| (at least 1).
template <class T>
double rel_err(const tensor<T>& a, const tensor<double>& b) {
  double m = 0, s = 1;
  for (std::int64_t i = 0; i < b.numel(); ++i) {
    m = std::max(m, std::abs(double(a[i]) - b[i]));
    s = std::max(s, std::abs(b[i]));
  }
  return m / s;
}

}  // namespace i2i::test::conv_ref
