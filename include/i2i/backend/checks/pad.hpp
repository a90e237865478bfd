#pragma once
// Argument checks of zero and reflection padding (cpu/pad.hpp, cuda/kernels/pad.cuh), once for both
// backends; P is where the tensors must live (placement.hpp). Forward checks return the output shape.
#include "i2i/backend/checks/placement.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::checks {

/// N x C x (H+top+bottom) x (W+left+right); negative sides crop.
inline shape padded_shape(const shape& s, const padding2d& p) {
  return shape::nchw(s[0], s[1], s[2] + p.top + p.bottom, s[3] + p.left + p.right);
}

template <placement P, class T>
void pad_input(const char* op, const tensor<T>& x, const padding2d& p) {
  require_nchw(op, "input", x);
  require<shape_error>(x.h() + p.top + p.bottom >= 1 && x.w() + p.left + p.right >= 1, op, ": padding ", p,
                       " leaves nothing of input ", x.shape());
  require_tensor<P>(op, "input", x);
}

inline void reflection_padding(const char* op, const shape& xs, const padding2d& p) {
  require<value_error>(p.top >= 0 && p.bottom >= 0 && p.left >= 0 && p.right >= 0, op, ": padding ", p,
                       " is negative (reflection padding cannot crop) for input ", xs);
  // A reflection of more than dim-1 pixels would need pixels beyond the opposite edge (PyTorch refuses too).
  require<value_error>(p.top < xs[2] && p.bottom < xs[2] && p.left < xs[3] && p.right < xs[3], op, ": padding ", p,
                       " must be smaller than the padded dimension of input ", xs, " (height ", xs[2], ", width ",
                       xs[3], ")");
}

template <placement P, class T>
void pad_backward(const char* op, const tensor<T>& dy, const shape& x_shape, const padding2d& p) {
  require<shape_error>(x_shape.rank() == 4, op, ": input shape ", x_shape, " is not NCHW (rank 4)");
  require<shape_error>(x_shape.h() + p.top + p.bottom >= 1 && x_shape.w() + p.left + p.right >= 1, op,
                       ": padding ", p, " leaves nothing of input ", x_shape);
  const shape expected = padded_shape(x_shape, p);
  require<shape_error>(dy.shape() == expected, op, ": output gradient has shape ", dy.shape(), ", expected ",
                       expected, " (input ", x_shape, " padded by ", p, ")");
  require_tensor<P>(op, "output gradient", dy);
}

template <placement P, class T>
shape zero_pad2d(const tensor<T>& x, const padding2d& p) {
  pad_input<P>("zero_pad2d", x, p);
  return padded_shape(x.shape(), p);
}

template <placement P, class T>
void zero_pad2d_backward(const tensor<T>& dy, const shape& x_shape, const padding2d& p) {
  pad_backward<P>("zero_pad2d_backward", dy, x_shape, p);
}

template <placement P, class T>
shape reflection_pad2d(const tensor<T>& x, const padding2d& p) {
  require_nchw("reflection_pad2d", "input", x);
  reflection_padding("reflection_pad2d", x.shape(), p);
  require_tensor<P>("reflection_pad2d", "input", x);
  return padded_shape(x.shape(), p);
}

template <placement P, class T>
void reflection_pad2d_backward(const tensor<T>& dy, const shape& x_shape, const padding2d& p) {
  pad_backward<P>("reflection_pad2d_backward", dy, x_shape, p);
  reflection_padding("reflection_pad2d_backward", x_shape, p);
}

}  // namespace i2i::checks
