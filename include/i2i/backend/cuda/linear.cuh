#pragma once
// Fully connected layer on cuBLAS: y = x W^T + b with W Out x In (PyTorch's layout), the semantics of
// cpu::linear / cpu::linear_backward (x may have any rank >= 2; it is flattened per sample).
//
// cuBLAS is column-major; a row-major R x C matrix is a column-major C x R one, so with every matrix
// read as its transpose the three products are (m, n, k in cuBLAS's terms):
//   y  (N x Out)  : Y^T  = W   X^T     gemm(T, N, m=Out, n=N,  k=In,  A=W  lda=In,  B=X  ldb=In,  C=Y  ldc=Out)
//   dx (N x In)   : dX^T = W^T dY^T    gemm(N, N, m=In,  n=N,  k=Out, A=W  lda=In,  B=dY ldb=Out, C=dX ldc=In)
//   dW (Out x In) : dW^T += X^T dY     gemm(N, T, m=In,  n=Out, k=N,  A=X  lda=In,  B=dY ldb=Out, C=dW ldc=In, beta 1)
// cublasGemmEx with fp32 C: for fp32 data the compute type is CUBLAS_COMPUTE_32F_FAST_TF32 (or
// CUBLAS_COMPUTE_32F when strict); for the mixed policies A and B are cast to bf16/fp16 and C stays fp32.
// Bias add and bias gradient are two small kernels.
#include <cublas_v2.h>

#include <array>
#include <climits>
#include <cstdint>
#include <type_traits>

#include "i2i/backend/checks/linear.hpp"
#include "i2i/backend/cuda/allocator.cuh"
#include "i2i/backend/cuda/memory.cuh"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/precision.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/tensor.hpp"

namespace i2i::cuda {

inline void check(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw device_error(i2i::detail::concat("cuBLAS call ", detail::call_site(call, file, line), " failed: ",
                                         cublasGetStatusString(status), " (status ", int(status), ")"));
}

}  // namespace i2i::cuda

#define I2I_CUBLAS_CHECK(call) ::i2i::cuda::check((call), #call, __FILE__, __LINE__)

namespace i2i::cuda {

namespace linear_detail {

/// This thread's cuBLAS handle for its current device, bound to its current stream (kept for the
/// thread's lifetime, like the cuDNN handles).
inline cublasHandle_t handle() {
  thread_local std::array<cublasHandle_t, max_devices> handles{};
  cublasHandle_t& h = handles[std::size_t(current_device())];
  if (!h) I2I_CUBLAS_CHECK(cublasCreate(&h));
  I2I_CUBLAS_CHECK(cublasSetStream(h, current_stream()));
  return h;
}

template <bool Strict>
constexpr cublasComputeType_t compute_type_for_float() {
  return Strict ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_32F_FAST_TF32;
}

/// The cuBLAS calls take int sizes; the shared checks (checks/linear.hpp) come first.
inline void check_int_range(const char* op, const tensor<float>& x, const tensor<float>& w, std::int64_t in) {
  require<value_error>(x.dim(0) <= INT_MAX && in <= INT_MAX && w.dim(0) <= INT_MAX, op, ": sizes ", x.shape(), " / ",
                       w.shape(), " exceed cuBLAS's int range");
}

// y[i, o] += b[o] over an N x Out row-major matrix.
template <int = 0>  // a template: header kernels must not be defined once per TU
__global__ void add_bias_rows_kernel(float* __restrict__ y, const float* __restrict__ b, long long rows, int cols) {
  const long long n = rows * cols;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    y[i] += b[i % cols];
}
// db[o] += sum_i dy[i, o]: one thread per column, sequential over rows in a fixed order (deterministic;
// the row counts of dense layers here are batch sizes).
template <int = 0>  // a template: header kernels must not be defined once per TU
__global__ void bias_grad_kernel(const float* __restrict__ dy, float* __restrict__ db, long long rows, int cols) {
  const int o = blockIdx.x * blockDim.x + threadIdx.x;
  if (o >= cols) return;
  float acc = 0.0f;
  for (long long i = 0; i < rows; ++i) acc += dy[i * cols + o];
  db[o] += acc;
}

template <class H>
struct operand {
  const void* ptr = nullptr;
  scratch own;
};
template <class H>
operand<H> as_operand(const tensor<float>& t) {
  operand<H> v;
  if constexpr (std::is_same_v<H, float>) {
    v.ptr = t.data();
  } else {
    v.own = scratch(std::size_t(t.numel()) * sizeof(H));
    cast_down<H>(t.data(), v.own.template as<H>(), t.numel());
    v.ptr = v.own.get();
  }
  return v;
}

template <class H, bool Strict>
void gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const void* a, int lda, const void* b,
          int ldb, float* c, int ldc, float beta) {
  if (m == 0 || n == 0) return;
  const float alpha = 1.0f;
  cublasComputeType_t ct = std::is_same_v<H, float> ? compute_type_for_float<Strict>() : CUBLAS_COMPUTE_32F;
  I2I_CUBLAS_CHECK(cublasGemmEx(handle(), ta, tb, m, n, k, &alpha, a, blas_type<H>(), lda, b, blas_type<H>(), ldb,
                                &beta, c, CUDA_R_32F, ldc, ct, CUBLAS_GEMM_DEFAULT));
}

}  // namespace linear_detail

/// y = x W^T + b (N x Out). `bias` may be nullptr.
template <class H = float, bool Strict = false>
tensor<float> linear(const tensor<float>& x, const tensor<float>& w, const tensor<float>* bias = nullptr) {
  using namespace linear_detail;
  const std::int64_t in = checks::linear<on_current_device>(x, w, bias);
  check_int_range("linear", x, w, in);
  const std::int64_t n = x.dim(0), out = w.dim(0);
  tensor<float> y = device_empty<float>(shape{n, out}, current_device());
  if (y.numel() == 0) return y;
  if (in == 0) {
    I2I_CUDA_CHECK(cudaMemsetAsync(y.data(), 0, std::size_t(y.numel()) * sizeof(float), current_stream()));
  } else {
    auto xo = as_operand<H>(x);
    auto wo = as_operand<H>(w);
    gemm<H, Strict>(CUBLAS_OP_T, CUBLAS_OP_N, int(out), int(n), int(in), wo.ptr, int(in), xo.ptr, int(in), y.data(),
                    int(out), 0.0f);
  }
  if (bias) {
    constexpr unsigned block = 256;
    add_bias_rows_kernel<0><<<grid_for(y.numel(), block), block, 0, current_stream()>>>(y.data(), bias->data(), n,
                                                                                      int(out));
    I2I_CUDA_CHECK_LAUNCH("add_bias_rows_kernel");
  }
  return y;
}

/// Returns dx (x's shape); ADDS dW = dy^T x into `dw` and, when given, the column sums of dy into `db`.
template <class H = float, bool Strict = false>
tensor<float> linear_backward(const tensor<float>& x, const tensor<float>& w, const tensor<float>& dy,
                              const tensor<float>& dw, const tensor<float>* db = nullptr) {
  using namespace linear_detail;
  const std::int64_t in = checks::linear_backward<on_current_device>(x, w, dy, dw, db);
  check_int_range("linear_backward", x, w, in);
  const std::int64_t n = x.dim(0), out = w.dim(0);
  tensor<float> dx = device_empty<float>(x.shape(), current_device());
  if (dx.numel() > 0) {
    if (out == 0) {
      I2I_CUDA_CHECK(cudaMemsetAsync(dx.data(), 0, std::size_t(dx.numel()) * sizeof(float), current_stream()));
    } else {
      auto wo = as_operand<H>(w);
      auto dyo = as_operand<H>(dy);
      gemm<H, Strict>(CUBLAS_OP_N, CUBLAS_OP_N, int(in), int(n), int(out), wo.ptr, int(in), dyo.ptr, int(out),
                      dx.data(), int(in), 0.0f);
    }
  }
  if (n > 0 && in > 0 && out > 0) {
    auto xo = as_operand<H>(x);
    auto dyo = as_operand<H>(dy);
    gemm<H, Strict>(CUBLAS_OP_N, CUBLAS_OP_T, int(in), int(out), int(n), xo.ptr, int(in), dyo.ptr, int(out),
                    dw.data(), int(in), 1.0f);
  }
  if (db && out > 0 && n > 0) {
    constexpr unsigned block = 128;
    bias_grad_kernel<0><<<unsigned((out + block - 1) / block), block, 0, current_stream()>>>(dy.data(), db->data(), n,
                                                                                         int(out));
    I2I_CUDA_CHECK_LAUNCH("bias_grad_kernel");
  }
  return dx;
}

}  // namespace i2i::cuda
