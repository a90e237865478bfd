#pragma once
// 2-D convolution (cross-correlation, as PyTorch and TensorFlow): forward, input gradient and parameter
// gradients, with zero padding that may be asymmetric (TF SAME).
//
// Layouts: x is N x Cin x H x W, w is Cout x Cin x KH x KW (PyTorch), bias is Cout.
// All three ops are implicit GEMMs on our own packed micro-kernels (gemm_conv.hpp):
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
// pw.repack(w) refreshes it in place (same shapes; reuses the buffers through the host allocator).
// A packed weight is tied to the kernel set that was active when it was packed (see set_gemm_isa).
#include <cstdint>
#include <type_traits>
#include <vector>

#include "i2i/backend/cpu/gemm_conv.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/backend/op_args.hpp"

namespace i2i::cpu {

using i2i::conv2d_args;

namespace conv_detail {

/// Output size of one spatial dimension, or <= 0 when the kernel does not fit.
inline std::int64_t conv_out(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t before,
                             std::int64_t after) {
  const std::int64_t span = in + before + after - k;
  return span < 0 ? 0 : span / s + 1;
}

inline void check_args(const char* op, const conv2d_args& a) {
  require<value_error>(a.stride_h >= 1 && a.stride_w >= 1, op, ": stride must be >= 1, got ", a.stride_h, "x",
                       a.stride_w);
  require<value_error>(a.pad.top >= 0 && a.pad.bottom >= 0 && a.pad.left >= 0 && a.pad.right >= 0, op,
                       ": padding must be >= 0, got ", a.pad);
}

template <class T>
void check_host(const char* op, const char* arg, const tensor<T>& t) {
  require<value_error>(t.defined(), op, ": ", arg, " is an undefined tensor");
  require<device_error>(t.where().is_cpu(), op, ": ", arg, " of shape ", t.shape(), " lives on ", t.where(),
                        "; the CPU op needs a host tensor");
}

/// Validates x against w (Cout x Cin x KH x KW) and returns the output shape.
inline shape conv_output_shape(const char* op, const shape& xs, const shape& ws, const conv2d_args& a) {
  check_args(op, a);
  require<shape_error>(xs.rank() == 4, op, ": input has shape ", xs, ", expected rank 4 (NCHW)");
  require<shape_error>(ws.rank() == 4, op, ": weight has shape ", ws, ", expected rank 4 (Cout x Cin x KH x KW)");
  require<shape_error>(ws[1] == xs[1], op, ": weight ", ws, " expects ", ws[1], " input channels, but input ", xs,
                       " has ", xs[1]);
  require<shape_error>(ws[0] >= 1 && ws[2] >= 1 && ws[3] >= 1, op, ": weight ", ws, " has an empty dimension");
  const std::int64_t oh = conv_out(xs[2], ws[2], a.stride_h, a.pad.top, a.pad.bottom);
  const std::int64_t ow = conv_out(xs[3], ws[3], a.stride_w, a.pad.left, a.pad.right);
  require<shape_error>(oh > 0 && ow > 0, op, ": a ", ws[2], "x", ws[3], " kernel with padding ", a.pad,
                       " does not fit input ", xs, " (output size ", oh, "x", ow, ")");
  return shape{xs[0], ws[0], oh, ow};
}

template <class T>
void check_bias(const char* op, const tensor<T>* bias, std::int64_t cout, const shape& ws) {
  if (!bias) return;
  check_host(op, "bias", *bias);
  require<shape_error>(bias->rank() == 1 && bias->dim(0) == cout, op, ": bias has shape ", bias->shape(),
                       ", expected ", cout, " (one per output channel of weight ", ws, ")");
}

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
    conv_detail::check_host("packed_conv_weight", "weight", w);
    require<shape_error>(w.rank() == 4, "packed_conv_weight: weight has shape ", w.shape(),
                         ", expected rank 4 (Cout x Cin x KH x KW)");
    conv_detail::check_args("packed_conv_weight", a);
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
}
}  // namespace conv_detail

/// y = conv2d(x, w) + bias, with a packed weight.
template <cpu_scalar T>
tensor<T> conv2d(const tensor<T>& x, const packed_conv_weight<T>& w, const std::type_identity_t<tensor<T>>* bias, const conv2d_args& a) {
  conv_detail::check_host("conv2d", "input", x);
  conv_detail::check_packed("conv2d", w, a);
  const shape ys = conv_detail::conv_output_shape("conv2d", x.shape(), w.weight_shape(), a);
  conv_detail::check_bias("conv2d", bias, ys[1], w.weight_shape());
  auto y = tensor<T>::empty(ys);
  direct_forward(x, w.forward_matrix(), w.weight_shape()[2], w.weight_shape()[3], a.stride_h, a.stride_w, a.pad.top,
                 a.pad.left, y, bias ? bias->data() : nullptr);
  return y;
}

/// y = conv2d(x, w) + bias (bias may be null). Packs w for this call; see packed_conv_weight.
template <cpu_scalar T>
tensor<T> conv2d(const tensor<T>& x, const tensor<T>& w, const std::type_identity_t<tensor<T>>* bias, const conv2d_args& a) {
  conv_detail::check_host("conv2d", "input", x);
  conv_detail::check_host("conv2d", "weight", w);
  const shape ys = conv_detail::conv_output_shape("conv2d", x.shape(), w.shape(), a);
  conv_detail::check_bias("conv2d", bias, ys[1], w.shape());
  const std::int64_t cout = w.dim(0), cin = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  std::vector<std::int64_t> toff(std::size_t(kh * kw));
  for (std::size_t t = 0; t < toff.size(); ++t) toff[t] = std::int64_t(t);
  const auto A = pack_matrix(w.data(), cout, cin, kh * kw, cin * kh * kw, kh * kw, toff.data(), active_kernels<T>());
  auto y = tensor<T>::empty(ys);
  direct_forward(x, A, kh, kw, a.stride_h, a.stride_w, a.pad.top, a.pad.left, y, bias ? bias->data() : nullptr);
  return y;
}

namespace conv_detail {
inline void check_dgrad_shapes(const char* op, const shape& dys, const shape& ws, const shape& xs,
                               const conv2d_args& a) {
  require<shape_error>(dys.rank() == 4, op, ": output gradient has shape ", dys, ", expected rank 4 (NCHW)");
  const shape ys = conv_output_shape(op, xs, ws, a);
  require<shape_error>(dys == ys, op, ": output gradient has shape ", dys, ", expected ", ys, " (conv of input ",
                       xs, " with weight ", ws, ")");
}
}  // namespace conv_detail

/// dL/dx for y = conv2d(x, w), with a packed weight.
template <cpu_scalar T>
tensor<T> conv2d_backward_input(const tensor<T>& dy, const packed_conv_weight<T>& w, const shape& x_shape,
                                const conv2d_args& a) {
  conv_detail::check_host("conv2d_backward_input", "output gradient", dy);
  conv_detail::check_packed("conv2d_backward_input", w, a);
  conv_detail::check_dgrad_shapes("conv2d_backward_input", dy.shape(), w.weight_shape(), x_shape, a);
  auto dx = tensor<T>::empty(x_shape);
  transposed_forward(dy, w.backward_phases(), a.pad.top, a.pad.left, dx, static_cast<const T*>(nullptr));
  return dx;
}

/// dL/dx for y = conv2d(x, w). Packs w for this call; see packed_conv_weight.
template <cpu_scalar T>
tensor<T> conv2d_backward_input(const tensor<T>& dy, const tensor<T>& w, const shape& x_shape, const conv2d_args& a) {
  conv_detail::check_host("conv2d_backward_input", "output gradient", dy);
  conv_detail::check_host("conv2d_backward_input", "weight", w);
  conv_detail::check_dgrad_shapes("conv2d_backward_input", dy.shape(), w.shape(), x_shape, a);
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
  const char* op = "conv2d_backward_params";
  conv_detail::check_host(op, "input", x);
  conv_detail::check_host(op, "output gradient", dy);
  conv_detail::check_host(op, "weight gradient", dw);
  conv_detail::check_dgrad_shapes(op, dy.shape(), dw.shape(), x.shape(), a);
  const std::int64_t kh = dw.dim(2), kw = dw.dim(3);
  if (db) {
    conv_detail::check_host(op, "bias gradient", *db);
    require<shape_error>(db->rank() == 1 && db->dim(0) == dw.dim(0), op, ": bias gradient has shape ", db->shape(),
                         ", expected ", dw.dim(0), " (one per output channel of weight ", dw.shape(), ")");
    conv_detail::add_bias_grad(dy, *db);
  }
  direct_wgrad(x, dy, kh, kw, a.stride_h, a.stride_w, a.pad.top, a.pad.left, dw.data(), active_kernels<T>());
}

}  // namespace i2i::cpu
