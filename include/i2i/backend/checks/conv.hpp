#pragma once
// Argument checks and output geometry of convolutions and transposed convolutions (cpu/conv2d.hpp,
// cpu/conv_transpose2d.hpp, cuda/conv.cuh), once for both backends; P is where the tensors must live
// (placement.hpp). The weight is passed by shape, because the CPU ops also take pre-packed weights;
// a call with a weight tensor checks its placement with require_tensor<P>(op, "weight", w).
#include <cstdint>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/op_args.hpp"

namespace i2i::checks {

/// Output size of one spatial dimension, or 0 when the kernel does not fit.
inline std::int64_t conv_out(std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t before,
                             std::int64_t after) {
  const std::int64_t span = in + before + after - k;
  return span < 0 ? 0 : span / s + 1;
}

inline void conv_args(const char* op, const conv2d_args& a) {
  require<value_error>(a.stride_h >= 1 && a.stride_w >= 1, op, ": stride must be >= 1, got ", a.stride_h, "x",
                       a.stride_w);
  require<value_error>(a.pad.top >= 0 && a.pad.bottom >= 0 && a.pad.left >= 0 && a.pad.right >= 0, op,
                       ": padding must be >= 0, got ", a.pad);
  require<value_error>(a.groups >= 1, op, ": groups must be >= 1, got ", a.groups);
}

inline void conv_args(const char* op, const conv_transpose2d_args& a) {
  require<value_error>(a.stride_h >= 1 && a.stride_w >= 1, op, ": stride must be >= 1, got ", a.stride_h, "x",
                       a.stride_w);
}

/// Validates input xs against weight ws (Cout x Cin/groups x KH x KW) and returns the output shape.
inline shape conv2d_output_shape(const char* op, const shape& xs, const shape& ws, const conv2d_args& a) {
  conv_args(op, a);
  require<shape_error>(xs.rank() == 4, op, ": input has shape ", xs, ", expected rank 4 (NCHW)");
  require<shape_error>(ws.rank() == 4, op, ": weight has shape ", ws, ", expected rank 4 (Cout x Cin x KH x KW)");
  if (a.groups == 1) {
    require<shape_error>(ws[1] == xs[1], op, ": weight ", ws, " expects ", ws[1], " input channels, but input ", xs,
                         " has ", xs[1]);
  } else {
    require<shape_error>(ws[1] * a.groups == xs[1], op, ": weight ", ws, " with ", a.groups, " groups expects ",
                         ws[1] * a.groups, " input channels (", ws[1], " per group), but input ", xs, " has ", xs[1]);
    require<shape_error>(ws[0] % a.groups == 0, op, ": weight ", ws, " has ", ws[0],
                         " output channels, not divisible into ", a.groups, " groups");
  }
  require<shape_error>(ws[0] >= 1 && ws[2] >= 1 && ws[3] >= 1, op, ": weight ", ws, " has an empty dimension");
  const std::int64_t oh = conv_out(xs[2], ws[2], a.stride_h, a.pad.top, a.pad.bottom);
  const std::int64_t ow = conv_out(xs[3], ws[3], a.stride_w, a.pad.left, a.pad.right);
  require<shape_error>(oh > 0 && ow > 0, op, ": a ", ws[2], "x", ws[3], " kernel with padding ", a.pad,
                       " does not fit input ", xs, " (output size ", oh, "x", ow, ")");
  return shape{xs[0], ws[0], oh, ow};
}

/// Validates input xs against weight ws (Cin x Cout x KH x KW) and returns the output shape.
inline shape conv_transpose2d_output_shape(const char* op, const shape& xs, const shape& ws,
                                           const conv_transpose2d_args& a) {
  conv_args(op, a);
  require<shape_error>(xs.rank() == 4, op, ": input has shape ", xs, ", expected rank 4 (NCHW)");
  require<shape_error>(ws.rank() == 4, op, ": weight has shape ", ws, ", expected rank 4 (Cin x Cout x KH x KW)");
  require<shape_error>(ws[0] == xs[1], op, ": weight ", ws, " expects ", ws[0], " input channels, but input ", xs,
                       " has ", xs[1]);
  require<shape_error>(ws[1] >= 1 && ws[2] >= 1 && ws[3] >= 1, op, ": weight ", ws, " has an empty dimension");
  const std::int64_t oh = (xs[2] - 1) * a.stride_h + ws[2] - a.crop.top - a.crop.bottom;
  const std::int64_t ow = (xs[3] - 1) * a.stride_w + ws[3] - a.crop.left - a.crop.right;
  require<shape_error>(xs[2] > 0 && xs[3] > 0 && oh > 0 && ow > 0, op, ": input ", xs, " with weight ", ws,
                       ", stride ", a.stride_h, "x", a.stride_w, " and crop ", a.crop, " gives output size ", oh,
                       "x", ow);
  return shape{xs[0], ws[1], oh, ow};
}

inline shape output_shape(const char* op, const shape& xs, const shape& ws, const conv2d_args& a) {
  return conv2d_output_shape(op, xs, ws, a);
}
inline shape output_shape(const char* op, const shape& xs, const shape& ws, const conv_transpose2d_args& a) {
  return conv_transpose2d_output_shape(op, xs, ws, a);
}
inline const char* conv_kind(const conv2d_args&) { return "conv"; }
inline const char* conv_kind(const conv_transpose2d_args&) { return "transposed conv"; }

/// An optional per-output-channel bias (or its gradient, arg "bias gradient") of weight ws.
template <placement P, class T>
void conv_bias(const char* op, const char* arg, const tensor<T>* bias, std::int64_t cout, const shape& ws) {
  if (!bias) return;
  require_tensor<P>(op, arg, *bias);
  require<shape_error>(bias->rank() == 1 && bias->dim(0) == cout, op, ": ", arg, " has shape ", bias->shape(),
                       ", expected ", cout, " (one per output channel of weight ", ws, ")");
}

/// The output gradient of a (transposed) convolution of xs with ws; returns the output shape.
template <class Args>
shape conv_output_gradient(const char* op, const shape& dys, const shape& ws, const shape& xs, const Args& a) {
  require<shape_error>(dys.rank() == 4, op, ": output gradient has shape ", dys, ", expected rank 4 (NCHW)");
  const shape ys = output_shape(op, xs, ws, a);
  require<shape_error>(dys == ys, op, ": output gradient has shape ", dys, ", expected ", ys, " (", conv_kind(a),
                       " of input ", xs, " with weight ", ws, ")");
  return ys;
}

/// Forward (conv2d, conv_transpose2d): returns the output shape.
template <placement P, class T, class Args>
shape conv_forward(const char* op, const tensor<T>& x, const shape& ws, const tensor<T>* bias, const Args& a) {
  require_tensor<P>(op, "input", x);
  const shape ys = output_shape(op, x.shape(), ws, a);
  conv_bias<P>(op, "bias", bias, ys[1], ws);
  return ys;
}

/// Input gradient: dy against the forward of an xs input; returns the output shape.
template <placement P, class T, class Args>
shape conv_backward_input(const char* op, const tensor<T>& dy, const shape& ws, const shape& xs, const Args& a) {
  require_tensor<P>(op, "output gradient", dy);
  return conv_output_gradient(op, dy.shape(), ws, xs, a);
}

/// Parameter gradients: x, dy, dw (the weight's shape) and an optional bias gradient.
template <placement P, class T, class Args>
shape conv_backward_params(const char* op, const tensor<T>& x, const tensor<T>& dy, const tensor<T>& dw,
                           const tensor<T>* db, const Args& a) {
  require_tensor<P>(op, "input", x);
  require_tensor<P>(op, "output gradient", dy);
  require_tensor<P>(op, "weight gradient", dw);
  const shape ys = conv_output_gradient(op, dy.shape(), dw.shape(), x.shape(), a);
  conv_bias<P>(op, "bias gradient", db, ys[1], dw.shape());
  return ys;
}

}  // namespace i2i::checks
