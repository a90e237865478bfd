#pragma once
// Precision policies of cuda_backend<T, Precision> and the cast kernels the mixed ones use.
//
//   fp32_tf32   (default) fp32 storage; cuDNN/cuBLAS may use TF32 tensor cores (10-bit mantissa
//               products, fp32 accumulation). PyTorch's default for cuDNN convolutions.
//   fp32_strict fp32 storage and fp32 FMA math everywhere (CUDNN_FMA_MATH, CUBLAS_COMPUTE_32F): the
//               reference for parity tests; several times slower on tensor-core GPUs.
//   bf16_mixed  parameters, gradients, optimizer state and every non-conv op stay fp32 ("master
//               weights"). Convolutions and linear layers cast their operands to bf16 at the op
//               boundary, run cuDNN/cuBLAS with bf16 data and fp32 accumulation, and cast the result
//               back to fp32. bf16 has fp32's exponent range, so no loss scaling is needed.
//   fp16_mixed  as bf16_mixed with IEEE half: 5 exponent bits, so small gradients underflow and large
//               ones overflow; use dynamic loss scaling (loss_scale.cuh) with it.
//
// Why casts at the conv boundary and fp32 elsewhere: it is the simplest design whose numerics are
// easy to state (norm statistics, losses and optimizer updates in fp32, as PyTorch AMP does) and it
// puts the tensor-core FLOPs, >95 % of a pix2pixHD step, in 16-bit. The price is one extra read/write
// of each conv operand per call; keeping activations in 16-bit between ops would save that traffic but
// needs every kernel in two types. The cast pass is also where the layout changes: 16-bit operands reach
// cuDNN as NHWC (conv_layout.cuh, docs/cuda.md "Precision policies").
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <concepts>
#include <cstdint>
#include <type_traits>

#include "i2i/backend/cuda/stream.cuh"

namespace i2i::cuda {

struct fp32_tf32 {
  static constexpr const char* name = "fp32_tf32";
  static constexpr bool mixed = false;
  static constexpr bool allow_tf32 = true;
  static constexpr bool loss_scaling = false;
  using compute_type = float;  // the type cuDNN/cuBLAS read and write
};
struct fp32_strict {
  static constexpr const char* name = "fp32_strict";
  static constexpr bool mixed = false;
  static constexpr bool allow_tf32 = false;
  static constexpr bool loss_scaling = false;
  using compute_type = float;
};
struct bf16_mixed {
  static constexpr const char* name = "bf16_mixed";
  static constexpr bool mixed = true;
  static constexpr bool allow_tf32 = true;
  static constexpr bool loss_scaling = false;
  using compute_type = __nv_bfloat16;
};
struct fp16_mixed {
  static constexpr const char* name = "fp16_mixed";
  static constexpr bool mixed = true;
  static constexpr bool allow_tf32 = true;
  static constexpr bool loss_scaling = true;
  using compute_type = __half;
};

template <class P>
concept precision_policy = requires {
  { P::name } -> std::convertible_to<const char*>;
  { P::mixed } -> std::convertible_to<bool>;
  { P::allow_tf32 } -> std::convertible_to<bool>;
  { P::loss_scaling } -> std::convertible_to<bool>;
  typename P::compute_type;
};

/// cuDNN / CUDA library data type of a storage type.
template <class U>
constexpr cudnnDataType_t cudnn_type() {
  if constexpr (std::is_same_v<U, float>) return CUDNN_DATA_FLOAT;
  else if constexpr (std::is_same_v<U, double>) return CUDNN_DATA_DOUBLE;
  else if constexpr (std::is_same_v<U, __half>) return CUDNN_DATA_HALF;
  else if constexpr (std::is_same_v<U, __nv_bfloat16>) return CUDNN_DATA_BFLOAT16;
  else static_assert(sizeof(U) == 0, "cudnn_type: unsupported type");
}
template <class U>
constexpr cudaDataType_t blas_type() {
  if constexpr (std::is_same_v<U, float>) return CUDA_R_32F;
  else if constexpr (std::is_same_v<U, double>) return CUDA_R_64F;
  else if constexpr (std::is_same_v<U, __half>) return CUDA_R_16F;
  else if constexpr (std::is_same_v<U, __nv_bfloat16>) return CUDA_R_16BF;
  else static_assert(sizeof(U) == 0, "blas_type: unsupported type");
}

namespace precision_detail {
/// fp32 -> the compute type (round to nearest even) and back; the identity for float. Host and device,
/// so that host runs of kernel code (conv_layout.cuh's tests) round as the device does.
template <class H>
__host__ __device__ inline H from_float(float v) {
  if constexpr (std::is_same_v<H, __half>) return __float2half_rn(v);
  else if constexpr (std::is_same_v<H, __nv_bfloat16>) return __float2bfloat16_rn(v);
  else return v;
}
__host__ __device__ inline float to_float(float v) { return v; }
__host__ __device__ inline float to_float(__half v) { return __half2float(v); }
__host__ __device__ inline float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

template <class H>
__global__ void cast_down_kernel(const float* __restrict__ src, H* __restrict__ dst, long long n) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    dst[i] = from_float<H>(src[i]);
}
// dst = src (accumulate false) or dst += src (accumulate true), in fp32.
template <class H>
__global__ void cast_up_kernel(const H* __restrict__ src, float* __restrict__ dst, long long n, bool accumulate) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float v = to_float(src[i]);
    dst[i] = accumulate ? dst[i] + v : v;
  }
}
}  // namespace precision_detail

/// dst[i] = H(src[i]) (round to nearest even) on the current stream.
template <class H>
void cast_down(const float* src, H* dst, long long n) {
  if (n <= 0) return;
  constexpr unsigned block = 256;
  precision_detail::cast_down_kernel<H><<<grid_for(n, block), block, 0, current_stream()>>>(src, dst, n);
  I2I_CUDA_CHECK_LAUNCH("cast_down_kernel");
}
/// dst[i] = float(src[i]), or dst[i] += float(src[i]) when `accumulate`, on the current stream.
template <class H>
void cast_up(const H* src, float* dst, long long n, bool accumulate = false) {
  if (n <= 0) return;
  constexpr unsigned block = 256;
  precision_detail::cast_up_kernel<H><<<grid_for(n, block), block, 0, current_stream()>>>(src, dst, n, accumulate);
  I2I_CUDA_CHECK_LAUNCH("cast_up_kernel");
}

}  // namespace i2i::cuda
