#pragma once
// 2-D transposed convolution ("deconvolution"): forward, input gradient and parameter gradients.
//
// Layouts: x is N x Cin x H x W, w is Cin x Cout x KH x KW (PyTorch ConvTranspose2d), bias is Cout.
// Semantics: input pixel i scatters to the "full" output positions i*s + k, size (H-1)*s + K; the result
// is then cropped by crop.top/left before and crop.bottom/right after. A negative after-crop extends
// the output with rows that receive only the bias (PyTorch's output_padding).
//
// Forward runs as s_h*s_w stride-1 phase convolutions (gemm_conv.hpp): only the useful FLOPs, no
// zero-inserted input and no col2im buffer. The input gradient is an ordinary strided conv of dy with w
// read as a Cin x Cout conv weight; the weight gradient is the conv weight gradient with the roles of
// x and dy swapped.
//
// Like conv2d, a layer that owns its weight can keep it packed:
//   cpu::packed_conv_transpose_weight<float> pw(w, args);   // rebuild (or pw.repack(w)) after each step
//   auto y  = cpu::conv_transpose2d(x, pw, &b, args);
//   auto dx = cpu::conv_transpose2d_backward_input(dy, pw, x.shape(), args);
#include <cstdint>
#include <vector>

#include "i2i/backend/cpu/conv2d.hpp"

namespace i2i::cpu {

using i2i::conv_transpose2d_args;

namespace conv_detail {

/// w (Cin x Cout x KH x KW) read as a conv weight with Cin outputs: the input-gradient GEMM's A.
template <class T>
packed_matrix<T> pack_transpose_dgrad(const tensor<T>& w, const kernel_set<T>& ks) {
  const std::int64_t cin = w.dim(0), cout = w.dim(1), kk = w.dim(2) * w.dim(3);
  std::vector<std::int64_t> toff(static_cast<std::size_t>(kk));
  for (std::size_t t = 0; t < toff.size(); ++t) toff[t] = std::int64_t(t);
  return pack_matrix(w.data(), cin, cout, kk, cout * kk, kk, toff.data(), ks);
}

template <class T>
phase_weights<T> pack_transpose_forward(const tensor<T>& w, std::int64_t sh, std::int64_t sw,
                                        const kernel_set<T>& ks) {
  const std::int64_t cin = w.dim(0), cout = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  return pack_phases(w.data(), cin, cout, kh, kw, cout * kh * kw, kh * kw, sh, sw, ks);
}

}  // namespace conv_detail

/// A conv_transpose2d weight packed for the forward and input-gradient GEMMs.
template <cpu_scalar T>
class packed_conv_transpose_weight {
 public:
  packed_conv_transpose_weight() = default;
  packed_conv_transpose_weight(const tensor<T>& w, const conv_transpose2d_args& a = {}) { repack(w, a); }

  void repack(const tensor<T>& w) { repack(w, args_); }
  void repack(const tensor<T>& w, const conv_transpose2d_args& a) {
    checks::require_tensor<checks::on_host>("packed_conv_transpose_weight", "weight", w);
    require<shape_error>(w.rank() == 4, "packed_conv_transpose_weight: weight has shape ", w.shape(),
                         ", expected rank 4 (Cin x Cout x KH x KW)");
    checks::conv_args("packed_conv_transpose_weight", a);
    args_ = a;
    shape_ = w.shape();
    const auto ks = active_kernels<T>();
    fwd_ = conv_detail::pack_transpose_forward(w, a.stride_h, a.stride_w, ks);
    bwd_ = conv_detail::pack_transpose_dgrad(w, ks);
  }

  const shape& weight_shape() const { return shape_; }
  const conv_transpose2d_args& args() const { return args_; }
  bool defined() const { return shape_.rank() == 4; }
  const phase_weights<T>& forward_phases() const { return fwd_; }
  const packed_matrix<T>& backward_matrix() const { return bwd_; }

 private:
  shape shape_;
  conv_transpose2d_args args_;
  phase_weights<T> fwd_;
  packed_matrix<T> bwd_;
};

template <cpu_scalar T>
tensor<T> conv_transpose2d(const tensor<T>& x, const packed_conv_transpose_weight<T>& w, const std::type_identity_t<tensor<T>>* bias,
                           const conv_transpose2d_args& a) {
  const char* op = "conv_transpose2d";
  conv_detail::check_packed(op, w, a);
  const shape ys = checks::conv_forward<checks::on_host>(op, x, w.weight_shape(), bias, a);
  auto y = tensor<T>::empty(ys);
  transposed_forward(x, w.forward_phases(), a.crop.top, a.crop.left, y, bias ? bias->data() : nullptr);
  return y;
}

/// y = conv_transpose2d(x, w) + bias (bias may be null). Packs w for this call.
template <cpu_scalar T>
tensor<T> conv_transpose2d(const tensor<T>& x, const tensor<T>& w, const std::type_identity_t<tensor<T>>* bias,
                           const conv_transpose2d_args& a) {
  const char* op = "conv_transpose2d";
  checks::require_tensor<checks::on_host>(op, "weight", w);
  const shape ys = checks::conv_forward<checks::on_host>(op, x, w.shape(), bias, a);
  const auto pw = conv_detail::pack_transpose_forward(w, a.stride_h, a.stride_w, active_kernels<T>());
  auto y = tensor<T>::empty(ys);
  transposed_forward(x, pw, a.crop.top, a.crop.left, y, bias ? bias->data() : nullptr);
  return y;
}

template <cpu_scalar T>
tensor<T> conv_transpose2d_backward_input(const tensor<T>& dy, const packed_conv_transpose_weight<T>& w,
                                          const shape& x_shape, const conv_transpose2d_args& a) {
  const char* op = "conv_transpose2d_backward_input";
  conv_detail::check_packed(op, w, a);
  checks::conv_backward_input<checks::on_host>(op, dy, w.weight_shape(), x_shape, a);
  auto dx = tensor<T>::empty(x_shape);
  direct_forward(dy, w.backward_matrix(), w.weight_shape()[2], w.weight_shape()[3], a.stride_h, a.stride_w,
                 a.crop.top, a.crop.left, dx, static_cast<const T*>(nullptr));
  return dx;
}

/// dL/dx for y = conv_transpose2d(x, w). Packs w for this call.
template <cpu_scalar T>
tensor<T> conv_transpose2d_backward_input(const tensor<T>& dy, const tensor<T>& w, const shape& x_shape,
                                          const conv_transpose2d_args& a) {
  const char* op = "conv_transpose2d_backward_input";
  checks::require_tensor<checks::on_host>(op, "weight", w);
  checks::conv_backward_input<checks::on_host>(op, dy, w.shape(), x_shape, a);
  const auto A = conv_detail::pack_transpose_dgrad(w, active_kernels<T>());
  auto dx = tensor<T>::empty(x_shape);
  direct_forward(dy, A, w.dim(2), w.dim(3), a.stride_h, a.stride_w, a.crop.top, a.crop.left, dx,
                 static_cast<const T*>(nullptr));
  return dx;
}

/// Adds dL/dw into dw and, when db != nullptr, dL/db into *db, for y = conv_transpose2d(x, w) + b.
template <cpu_scalar T>
void conv_transpose2d_backward_params(const tensor<T>& x, const tensor<T>& dy, tensor<T>& dw, std::type_identity_t<tensor<T>>* db,
                                      const conv_transpose2d_args& a) {
  const char* op = "conv_transpose2d_backward_params";
  checks::conv_backward_params<checks::on_host>(op, x, dy, dw, db, a);
  if (db) conv_detail::add_bias_grad(dy, *db);

  // dW[ci][co][k] += sum_i x[ci][i] * dy[co][i*s + k - crop]: a conv weight gradient with dy as the
  // (cropped/padded) input and x as the output gradient.
  direct_wgrad(dy, x, dw.dim(2), dw.dim(3), a.stride_h, a.stride_w, a.crop.top, a.crop.left, dw.data(),
               active_kernels<T>());
}

}  // namespace i2i::cpu
