#pragma once
// Argument checks of nearest and bilinear resampling (cpu/resample.hpp, cuda/kernels/resample.cuh), once
// for both backends; P is where the tensors must live (placement.hpp).
#include <cstdint>

#include "i2i/backend/checks/placement.hpp"

namespace i2i::checks {

template <placement P, class T>
void resample_forward(const char* op, const tensor<T>& x, std::int64_t out_h, std::int64_t out_w) {
  require_nchw(op, "input", x);
  require<shape_error>(x.h() >= 1 && x.w() >= 1, op, ": input ", x.shape(), " has an empty plane");
  require<value_error>(out_h >= 1 && out_w >= 1, op, ": output size ", out_h, "x", out_w,
                       " must be positive (input ", x.shape(), ")");
  require_tensor<P>(op, "input", x);
}

template <placement P, class T>
void resample_backward(const char* op, const tensor<T>& dy, const shape& x) {
  require<shape_error>(x.rank() == 4 && x[2] >= 1 && x[3] >= 1, op, ": input shape ", x,
                       " is not NCHW with non-empty planes");
  require<shape_error>(dy.rank() == 4 && dy.n() == x[0] && dy.c() == x[1] && dy.h() >= 1 && dy.w() >= 1, op,
                       ": output gradient has shape ", dy.shape(), ", which does not match input ", x);
  require_tensor<P>(op, "output gradient", dy);
}

}  // namespace i2i::checks
