#pragma once
// 2-D convolution (cross-correlation, as PyTorch and TensorFlow): forward, input gradient and parameter
// gradients, with zero padding that may be asymmetric (TF SAME).
//
// Layouts: x is N x Cin x H x W, w is Cout x Cin x KH x KW (PyTorch), bias is Cout.
// Ungrouped (conv2d_args::groups == 1), all three ops are implicit GEMMs on our own packed micro-kernels
// (gemm_conv.hpp):
//   forward  Y = W * patches(x)                                 M = Cout, K = Cin*KH*KW, N = OH*OW
//   dgrad    dX = transposed conv of dY with W (phases, see gemm_conv.hpp)
//   wgrad    dW += dY * patches(x)^T                             M = Cout, N = Cin*KH*KW, K = OH*OW
//
// Packed weights ("keep ours packed"): the unpacked overloads re-lay W out on every call, which costs a
// full pass over the weights (37.7 MB for a 1024->1024 3x3 conv) and dominates small feature maps.
// A layer that owns its weight should hold a packed_conv_weight instead:
//
//   cpu::packed_conv_weight<float> pw(w, args);        // after init, and again after every optimizer step
//   auto y  = cpu::conv2d(x, pw, &b, args);              // forward
//   auto dx = cpu::conv2d_backward_input(dy, pw, x.shape(), args);
//   cpu::conv2d_backward_params(x, dy, dw, &db, args);   // wgrad needs no weight
//
// Grouped and depthwise convolutions (groups > 1, weight Cout x Cin/groups x KH x KW) run direct loops
// (grouped_conv2d.hpp) through the unpacked overloads; a packed weight is always ungrouped.
//
// pw.repack(w) refreshes it in place (same shapes; reuses the buffers through the host allocator).
// A packed weight is tied to the kernel set that was active when it was packed (see set_gemm_isa).
#include <cstdint>
#include <type_traits>
#include <vector>

#include "i2i/backend/checks/conv.hpp"
#include "i2i/backend/cpu/gemm_conv.hpp"
#include "i2i/backend/cpu/grouped_conv2d.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/backend/op_args.hpp"

namespace i2i::cpu {

using i2i::conv2d_args;

namespace conv_detail {

/// db[c] += sum over batch and pixels of dy[:, c]. Sixteen partial sums per plane: the compiler turns
/// them into one vector accumulator (a single scalar chain would be latency-bound).
template <class T>
void add_bias_grad(const tensor<T>& dy, tensor<T>& db) {
  const std::int64_t nb = dy.n(), C = dy.c(), hw = dy.h() * dy.w();
  T* out = db.data();
  parallel_for(C, std::max<std::int64_t>(1, 32768 / std::max<std::int64_t>(1, hw * nb)),
               [&](std::int64_t c0, std::int64_t c1) {
                 for (std::int64_t c = c0; c < c1; ++c) {
                   T acc[16] = {};
                   T tail = 0;
                   for (std::int64_t b = 0; b < nb; ++b) {
                     const T* p = dy.data() + (b * C + c) * hw;
                     std::int64_t i = 0;
                     for (; i + 16 <= hw; i += 16)
                       for (int j = 0; j < 16; ++j) acc[j] += p[i + j];
                     for (; i < hw; ++i) tail += p[i];
                   }
                   for (int j = 0; j < 16; ++j) tail += acc[j];
                   out[c] += tail;
                 }
               });
}

}  // namespace conv_detail

/// A conv2d weight packed for the forward and input-gradient GEMMs (see the top of this file).
template <cpu_scalar T>
class packed_conv_weight {
 public:
  packed_conv_weight() = default;
  packed_conv_weight(const tensor<T>& w, const conv2d_args& a = {}) { repack(w, a); }

  /// Packs w again (after an optimizer step). Keeps the strides unless new args are given.
  void repack(const tensor<T>& w) { repack(w, args_); }
  void repack(const tensor<T>& w, const conv2d_args& a) {
    checks::require_tensor<checks::on_host>("packed_conv_weight", "weight", w);
    require<shape_error>(w.rank() == 4, "packed_conv_weight: weight has shape ", w.shape(),
                         ", expected rank 4 (Cout x Cin x KH x KW)");
    checks::conv_args("packed_conv_weight", a);
    require<value_error>(a.groups == 1, "packed_conv_weight: grouped convolutions (groups ", a.groups,
                         ") are not packed; call conv2d with the weight tensor");
    args_ = a;
    shape_ = w.shape();
    const std::int64_t cout = w.dim(0), cin = w.dim(1), kh = w.dim(2), kw = w.dim(3);
    const auto ks = active_kernels<T>();
    std::vector<std::int64_t> toff(std::size_t(kh * kw));
    for (std::size_t t = 0; t < toff.size(); ++t) toff[t] = std::int64_t(t);
    fwd_ = pack_matrix(w.data(), cout, cin, kh * kw, cin * kh * kw, kh * kw, toff.data(), ks);
    // dgrad is a transposed conv whose input channels are the conv's outputs: w[co][ci] read as [in][out].
    bwd_ = pack_phases(w.data(), cout, cin, kh, kw, cin * kh * kw, kh * kw, a.stride_h, a.stride_w, ks);
  }

  const shape& weight_shape() const { return shape_; }
  const conv2d_args& args() const { return args_; }
  bool defined() const { return shape_.rank() == 4; }
  const packed_matrix<T>& forward_matrix() const { return fwd_; }
  const phase_weights<T>& backward_phases() const { return bwd_; }

 private:
  shape shape_;
  conv2d_args args_;
  packed_matrix<T> fwd_;
  phase_weights<T> bwd_;
};

namespace conv_detail {
/// The packed weight (conv or transposed conv) exists and was packed for the strides of this call.
template <class Packed, class Args>
void check_packed(const char* op, const Packed& pw, const Args& a) {
  require<value_error>(pw.defined(), op, ": the packed weight is empty");
  require<value_error>(pw.args().stride_h == a.stride_h && pw.args().stride_w == a.stride_w, op,
                       ": weight was packed for stride ", pw.args().stride_h, "x", pw.args().stride_w,
                       ", called with stride ", a.stride_h, "x", a.stride_w);
  if constexpr (requires { a.groups; })
    require<value_error>(a.groups == 1, op, ": a packed weight is ungrouped, called with groups ", a.groups);
}
}  // namespace conv_detail

/// y = conv2d(x, w) + bias, with a packed weight.
template <cpu_scalar T>
tensor<T> conv2d(const tensor<T>& x, const packed_conv_weight<T>& w, const std::type_identity_t<tensor<T>>* bias, const conv2d_args& a) {
  conv_detail::check_packed("conv2d", w, a);
  const shape ys = checks::conv_forward<checks::on_host>("conv2d", x, w.weight_shape(), bias, a);
  auto y = tensor<T>::empty(ys);
  direct_forward(x, w.forward_matrix(), w.weight_shape()[2], w.weight_shape()[3], a.stride_h, a.stride_w, a.pad.top,
                 a.pad.left, y, bias ? bias->data() : nullptr);
  return y;
}

/// y = conv2d(x, w) + bias (bias may be null). Packs w for this call; see packed_conv_weight.
template <cpu_scalar T>
tensor<T> conv2d(const tensor<T>& x, const tensor<T>& w, const std::type_identity_t<tensor<T>>* bias, const conv2d_args& a) {
  checks::require_tensor<checks::on_host>("conv2d", "weight", w);
  const shape ys = checks::conv_forward<checks::on_host>("conv2d", x, w.shape(), bias, a);
  if (a.groups != 1) {
    auto y = tensor<T>::empty(ys);
    grouped_conv_detail::forward(x, w, bias ? bias->data() : nullptr, a, y);
    return y;
  }
  const std::int64_t cout = w.dim(0), cin = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  std::vector<std::int64_t> toff(std::size_t(kh * kw));
  for (std::size_t t = 0; t < toff.size(); ++t) toff[t] = std::int64_t(t);
  const auto A = pack_matrix(w.data(), cout, cin, kh * kw, cin * kh * kw, kh * kw, toff.data(), active_kernels<T>());
  auto y = tensor<T>::empty(ys);
  direct_forward(x, A, kh, kw, a.stride_h, a.stride_w, a.pad.top, a.pad.left, y, bias ? bias->data() : nullptr);
  return y;
}

/// dL/dx for y = conv2d(x, w), with a packed weight.
template <cpu_scalar T>
tensor<T> conv2d_backward_input(const tensor<T>& dy, const packed_conv_weight<T>& w, const shape& x_shape,
                                const conv2d_args& a) {
  conv_detail::check_packed("conv2d_backward_input", w, a);
  checks::conv_backward_input<checks::on_host>("conv2d_backward_input", dy, w.weight_shape(), x_shape, a);
  auto dx = tensor<T>::empty(x_shape);
  transposed_forward(dy, w.backward_phases(), a.pad.top, a.pad.left, dx, static_cast<const T*>(nullptr));
  return dx;
}

/// dL/dx for y = conv2d(x, w). Packs w for this call; see packed_conv_weight.
template <cpu_scalar T>
tensor<T> conv2d_backward_input(const tensor<T>& dy, const tensor<T>& w, const shape& x_shape, const conv2d_args& a) {
  checks::require_tensor<checks::on_host>("conv2d_backward_input", "weight", w);
  checks::conv_backward_input<checks::on_host>("conv2d_backward_input", dy, w.shape(), x_shape, a);
  if (a.groups != 1) {
    auto dx = tensor<T>::empty(x_shape);
    grouped_conv_detail::backward_input(dy, w, a, dx);
    return dx;
  }
  const std::int64_t cout = w.dim(0), cin = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  const auto pw = pack_phases(w.data(), cout, cin, kh, kw, cin * kh * kw, kh * kw, a.stride_h, a.stride_w,
                              active_kernels<T>());
  auto dx = tensor<T>::empty(x_shape);
  transposed_forward(dy, pw, a.pad.top, a.pad.left, dx, static_cast<const T*>(nullptr));
  return dx;
}

/// Adds dL/dw into dw and, when db != nullptr, dL/db into *db, for y = conv2d(x, w) + b.
template <cpu_scalar T>
void conv2d_backward_params(const tensor<T>& x, const tensor<T>& dy, tensor<T>& dw, std::type_identity_t<tensor<T>>* db,
                            const conv2d_args& a) {
  checks::conv_backward_params<checks::on_host>("conv2d_backward_params", x, dy, dw, db, a);
  const std::int64_t kh = dw.dim(2), kw = dw.dim(3);
  if (db) conv_detail::add_bias_grad(dy, *db);
  if (a.groups != 1) return grouped_conv_detail::backward_weight(x, dy, a, dw);
  direct_wgrad(x, dy, kh, kw, a.stride_h, a.stride_w, a.pad.top, a.pad.left, dw.data(), active_kernels<T>());
}

}  // namespace i2i::cpu
