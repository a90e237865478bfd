#pragma once
// Whole-tensor reductions: sum, mean, abs_sum (in double, like the CPU losses), and the finiteness check
// of dynamic loss scaling.
//
//   sum(x) / mean(x) / abs_sum(x)      -> double on the host (synchronises the current stream)
//   all_finite(x)                      -> bool on the host (synchronises)
//   flag_nonfinite(x, found)           -> sets found[0] = 1 when x holds NaN or Inf; no synchronisation,
//                                         so one flag can collect every gradient of a step before a
//                                         single read (found: int32 tensor of shape {1}, zeroed by the caller)
//
// The sums are deterministic: a fixed grid (it depends on the size only) writes one partial per block,
// and one block adds the partials in order. reduce_detail::sum_on_device is the building block of the
// losses, whose functors also write the gradient while they are at each element.
#include <algorithm>
#include <cstdint>
#include <utility>

#include "i2i/backend/cuda/kernels/block_reduce.cuh"
#include "i2i/backend/checks/tensor_args.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

namespace reduce_detail {

inline constexpr unsigned reduce_threads = 256;
inline constexpr unsigned max_partials = 1024;

template <class F>
__global__ void partial_sums_kernel(std::int64_t n, F f, double* partials) {
  __shared__ double scratch[32];
  double acc = 0;
  I2I_GRID_STRIDE(i, n) acc += f(i);
  acc = block_sum(acc, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

// A template so that a header-defined kernel is not one symbol defined in every translation unit.
template <class A = double>
__global__ void final_sum_kernel(const A* partials, unsigned count, A* out) {
  __shared__ A scratch[32];
  A acc = 0;
  for (unsigned i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
  acc = block_sum(acc, scratch);
  if (threadIdx.x == 0) *out = acc;
}

/// Sum of f(i) over i in [0, n), in double, left on the device: the result is element `.second` of the
/// returned buffer. f is called exactly once per i, so it may write elementwise outputs as well.
template <class F>
std::pair<tensor<double>, std::int64_t> sum_on_device(std::int64_t n, const F& f) {
  const unsigned blocks = std::min<unsigned>(grid_for(n, reduce_threads), max_partials);
  auto buffer = launch::empty<double>(shape{std::int64_t(blocks) + 1});
  partial_sums_kernel<<<blocks, reduce_threads, 0, current_stream()>>>(n, f, buffer.data());
  I2I_CUDA_CHECK_LAUNCH("partial_sums_kernel");
  final_sum_kernel<<<1, reduce_threads, 0, current_stream()>>>(buffer.data(), blocks, buffer.data() + blocks);
  I2I_CUDA_CHECK_LAUNCH("final_sum_kernel");
  return {buffer, std::int64_t(blocks)};
}

/// The same, read back to the host (synchronises the current stream).
template <class F>
double sum_to_host(std::int64_t n, const F& f) {
  const auto [buffer, at] = sum_on_device(n, f);
  return launch::download_one(buffer.data() + at);
}

template <class T>
__global__ void deferred_value_kernel(const double* sum, double scale, T* out, T* flag) {
  const double v = *sum * scale;
  *out = T(v);
  if (!::isfinite(v)) *flag = T(1);
}

/// The same times `scale`, left on the device as loss::defer_loss_values asks: a one-element tensor, and
/// flag[0] = 1 when the value is not finite. No host read.
template <class T, class F>
tensor<T> sum_deferred(std::int64_t n, const F& f, double scale, const tensor<T>& flag) {
  const auto [buffer, at] = sum_on_device(n, f);
  auto out = launch::empty<T>(shape{1});
  deferred_value_kernel<T><<<1, 1, 0, current_stream()>>>(buffer.data() + at, scale, out.data(), flag.data());
  I2I_CUDA_CHECK_LAUNCH("deferred_value_kernel");
  return out;
}

template <class T>
struct value_op {
  const T* x;
  __device__ double operator()(std::int64_t i) const { return double(to_compute(x[i])); }
};

template <class T>
struct abs_op {
  const T* x;
  __device__ double operator()(std::int64_t i) const { return double(dmath::abs(to_compute(x[i]))); }
};

template <class T>
__global__ void nonfinite_kernel(const T* x, std::int64_t n, std::int32_t* found) {
  I2I_GRID_STRIDE(i, n) {
    if (!dmath::isfinite(to_compute(x[i]))) *found = 1;  // every writer writes the same value
  }
}

}  // namespace reduce_detail

/// Sum of all elements, accumulated in double.
template <device_scalar T>
double sum(const tensor<T>& x) {
  checks::require_tensor<on_current_device>("sum", "x", x);
  return reduce_detail::sum_to_host(x.numel(), reduce_detail::value_op<T>{x.data()});
}

/// Mean of all elements (x must not be empty).
template <device_scalar T>
double mean(const tensor<T>& x) {
  checks::require_tensor<on_current_device>("mean", "x", x);
  require<shape_error>(x.numel() > 0, "mean: x has shape ", x.shape(), "; the mean over zero elements is undefined");
  return reduce_detail::sum_to_host(x.numel(), reduce_detail::value_op<T>{x.data()}) / double(x.numel());
}

/// Sum of absolute values, accumulated in double.
template <device_scalar T>
double abs_sum(const tensor<T>& x) {
  checks::require_tensor<on_current_device>("abs_sum", "x", x);
  return reduce_detail::sum_to_host(x.numel(), reduce_detail::abs_op<T>{x.data()});
}

/// Sets found[0] = 1 (device memory, int32, shape {1}) when x holds a NaN or an infinity; leaves it
/// untouched otherwise. Nothing is synchronised.
template <device_scalar T>
void flag_nonfinite(const tensor<T>& x, const tensor<std::int32_t>& found) {
  checks::require_tensor<on_current_device>("flag_nonfinite", "x", x);
  checks::require_tensor<on_current_device>("flag_nonfinite", "found", found);
  require<shape_error>(found.numel() == 1, "flag_nonfinite: found has shape ", found.shape(),
                       ", expected one element");
  if (x.numel() == 0) return;
  reduce_detail::nonfinite_kernel<<<launch::elementwise_blocks(x.numel()), launch::threads, 0, current_stream()>>>(
      x.data(), x.numel(), found.data());
  I2I_CUDA_CHECK_LAUNCH("nonfinite_kernel");
}

/// True when every element of x is finite (synchronises the current stream).
template <device_scalar T>
bool all_finite(const tensor<T>& x) {
  checks::require_tensor<on_current_device>("all_finite", "x", x);
  auto found = launch::zeros<std::int32_t>(shape{1});
  flag_nonfinite(x, found);
  return launch::download_one(found.data()) == 0;
}

}  // namespace i2i::cuda
