#pragma once
// Element type conversion on the device: float <-> bfloat16 / half for the mixed-precision path (fp32
// master weights cast to 16-bit compute copies, 16-bit gradients widened to fp32), float <-> double.
//
//   cast<To>(x)              -> a new tensor of x's shape
//   cast_into(dst, src)      -> dst = src converted (same shape), for persistent compute copies
//
// Narrowing rounds to nearest even; values beyond the target's range become +-Inf (fp16 overflows above
// 65504, which is why fp16 training needs loss scaling and bf16 does not); NaN stays NaN.
#include <cstdint>

#include "i2i/backend/checks/tensor_args.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

namespace cast_detail {
template <class To, class From>
__global__ void cast_kernel(const From* x, To* y, std::int64_t n) {
  I2I_GRID_STRIDE(i, n) y[i] = convert<To>(x[i]);
}

template <class To, class From>
void run(const tensor<From>& src, const tensor<To>& dst) {
  const std::int64_t n = src.numel();
  if (n == 0) return;
  cast_kernel<To, From><<<launch::elementwise_blocks(n), launch::threads, 0, current_stream()>>>(src.data(), dst.data(), n);
  I2I_CUDA_CHECK_LAUNCH("cast_kernel");
}
}  // namespace cast_detail

template <device_scalar To, device_scalar From>
tensor<To> cast(const tensor<From>& x) {
  checks::require_tensor<on_current_device>("cast", "x", x);
  auto y = launch::empty<To>(x.shape());
  cast_detail::run(x, y);
  return y;
}

template <device_scalar To, device_scalar From>
void cast_into(const tensor<To>& dst, const tensor<From>& src) {
  checks::require_tensor<on_current_device>("cast_into", "dst", dst);
  checks::require_tensor<on_current_device>("cast_into", "src", src);
  checks::require_same_shape("cast_into", "src", src, "dst", dst);
  cast_detail::run(src, dst);
}

}  // namespace i2i::cuda
