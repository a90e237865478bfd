#pragma once
// Instance normalisation with a fused activation on the device, mirroring cpu/instance_norm.hpp:
//
//   instance_norm(x, weight = {}, bias = {}, eps = 1e-5, act = identity)         -> instance_norm_result
//   instance_norm_backward(dy, x, fwd, weight = {}, dweight = {}, dbias = {})   -> dx
//
// y = act(weight[c] * (x - mean) / sqrt(biased var + eps) + bias[c]) per (sample, channel) plane;
// weight/bias optional (undefined = 1 / 0); backward ADDS into dweight/dbias (undefined = skipped).
//
// One block per (n, c) plane. Statistics follow the CPU's corrected two-pass algorithm (norm_moments.hpp)
// with every sum in double: a rough mean from sums of (x - x0), then sums of d = x - m and d^2 with m
// that mean rounded to the compute type, mean = m + s/M, var = ss/M - (s/M)^2. Each summed term is of
// the order of the standard deviation, so an offset input (mean 1000, std 1 in float) still normalises
// to unit variance, and float planes of 512 x 1024 agree with the CPU to ~1e-6. The plane is read three
// times (two statistics passes, one normalising pass); backward reads dy, y and x twice.
// Parameter gradients: per-plane sums go to a scratch buffer and one thread per channel adds them over
// the batch in order, so the result is deterministic.
//
// Storage types: every device_scalar. Statistics, weight and bias are in compute_t<T> (float for the
// 16-bit types), so a bf16 activation keeps fp32 statistics and fp32 affine parameters.
#include <cstdint>

#include "i2i/backend/cuda/kernels/activation.cuh"
#include "i2i/backend/cuda/kernels/block_reduce.cuh"
#include "i2i/backend/checks/norm.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

/// What instance_norm returns and instance_norm_backward needs.
template <class T>
struct instance_norm_result {
  tensor<T> y;                   ///< N x C x H x W output (after the fused activation)
  tensor<compute_t<T>> mean;     ///< N x C per-plane means
  tensor<compute_t<T>> inv_std;  ///< N x C per-plane 1 / sqrt(biased variance + eps)
  activation act;                ///< the fused activation, so backward applies its derivative
};

namespace norm_detail {

/// Mean and biased variance of `count` elements x[at(k)], k < count, by the corrected two-pass
/// algorithm; every thread of the block calls it and gets the result.
template <class T, class At>
__device__ void block_moments(const T* x, std::int64_t count, At at, double* scratch, double& mean, double& var) {
  using S = compute_t<T>;
  const S x0 = to_compute(x[at(0)]);
  double s0 = 0;
  for (std::int64_t k = threadIdx.x; k < count; k += blockDim.x) s0 += double(to_compute(x[at(k)]) - x0);
  s0 = reduce_detail::block_sum(s0, scratch);
  const S m = S(double(x0) + s0 / double(count));
  double s = 0, ss = 0;
  for (std::int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const double d = double(to_compute(x[at(k)]) - m);
    s += d;
    ss += d * d;
  }
  s = reduce_detail::block_sum(s, scratch);
  ss = reduce_detail::block_sum(ss, scratch);
  const double dm = s / double(count);
  mean = double(m) + dm;
  const double v = ss / double(count) - dm * dm;
  var = v > 0 ? v : 0.0;
}

/// Contiguous plane: element k is at k.
struct plane_at {
  __device__ std::int64_t operator()(std::int64_t k) const { return k; }
};

/// Sums of dz and dz * (x - m) over `count` elements, with dz(i) the gradient before the activation at
/// element i (instance_norm_pad gathers it from a padded gradient).
template <class T, class At, class Dz>
__device__ void block_dz_sums(const T* x, std::int64_t count, At at, compute_t<T> m, Dz dz, double* scratch,
                              double& s_dz, double& s_dz_xc) {
  using S = compute_t<T>;
  double a = 0, b = 0;
  for (std::int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const std::int64_t i = at(k);
    const S d = dz(i);
    a += double(d);
    b += double(d * (to_compute(x[i]) - m));
  }
  s_dz = reduce_detail::block_sum(a, scratch);
  s_dz_xc = reduce_detail::block_sum(b, scratch);
}

/// dx = k * (dz - c0 - (x - m) * c1) over `count` elements, dz as in block_dz_sums.
template <class T, class At, class Dz>
__device__ void block_input_grad_from_dz(const T* x, T* dx, std::int64_t count, At at, compute_t<T> m,
                                         compute_t<T> k, compute_t<T> c0, compute_t<T> c1, Dz dz) {
  for (std::int64_t j = threadIdx.x; j < count; j += blockDim.x) {
    const std::int64_t i = at(j);
    dx[i] = from_compute<T>(k * (dz(i) - c0 - (to_compute(x[i]) - m) * c1));
  }
}

/// The gradient before the activation from dy and the activation's output y at the same element.
template <class T>
struct dz_from_output {
  const T* dy;
  const T* y;
  activation_kind kind;
  compute_t<T> slope;
  __device__ compute_t<T> operator()(std::int64_t i) const {
    return act_detail::act_backward(to_compute(dy[i]), to_compute(y[i]), kind, slope);
  }
};

/// Sums of dz and dz * (x - m) over `count` elements, with dz the gradient before the activation.
template <class T, class At>
__device__ void block_gradient_sums(const T* dy, const T* y, const T* x, std::int64_t count, At at, compute_t<T> m,
                                    activation_kind kind, compute_t<T> slope, double* scratch, double& s_dz,
                                    double& s_dz_xc) {
  block_dz_sums(x, count, at, m, dz_from_output<T>{dy, y, kind, slope}, scratch, s_dz, s_dz_xc);
}

/// dx = k * (dz - c0 - (x - m) * c1) over `count` elements.
template <class T, class At>
__device__ void block_norm_input_grad(const T* dy, const T* y, const T* x, T* dx, std::int64_t count, At at,
                                      compute_t<T> m, compute_t<T> k, compute_t<T> c0, compute_t<T> c1,
                                      activation_kind kind, compute_t<T> slope) {
  block_input_grad_from_dz(x, dx, count, at, m, k, c0, c1, dz_from_output<T>{dy, y, kind, slope});
}

}  // namespace norm_detail

namespace instance_norm_detail {

template <class T>
__global__ void forward_kernel(const T* x, T* y, compute_t<T>* mean_out, compute_t<T>* inv_std_out,
                               const compute_t<T>* weight, const compute_t<T>* bias, std::int64_t planes,
                               std::int64_t channels, std::int64_t m_size, double eps, activation_kind kind,
                               compute_t<T> slope) {
  using S = compute_t<T>;
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const T* xp = x + p * m_size;
    double mean, var;
    norm_detail::block_moments(xp, m_size, norm_detail::plane_at{}, scratch, mean, var);
    const double inv_std = 1.0 / dmath::sqrt(var + eps);
    const std::int64_t c = p % channels;
    const double g = weight ? double(weight[c]) : 1.0;
    const double beta = bias ? double(bias[c]) : 0.0;
    // (x - mean) first: folding the mean into one shift would cancel two large terms for offset inputs.
    const S shift = S(mean), scale = S(g * inv_std), b = S(beta);
    T* yp = y + p * m_size;
    for (std::int64_t i = threadIdx.x; i < m_size; i += blockDim.x)
      yp[i] = from_compute<T>(act_detail::act_forward((to_compute(xp[i]) - shift) * scale + b, kind, slope));
    if (threadIdx.x == 0) {
      mean_out[p] = S(mean);
      inv_std_out[p] = S(inv_std);
    }
  }
}

template <class T>
__global__ void backward_kernel(const T* dy, const T* x, const T* y, const compute_t<T>* mean,
                                const compute_t<T>* inv_std, const compute_t<T>* weight, T* dx, double* sum_dz,
                                double* sum_dz_xhat, std::int64_t planes, std::int64_t channels, std::int64_t m_size,
                                activation_kind kind, compute_t<T> slope) {
  using S = compute_t<T>;
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const std::int64_t off = p * m_size;
    const double inv_std_p = double(inv_std[p]);
    // Centre on the rounded mean (the same value used below) so every product is of the order of the std.
    const S m = mean[p];
    double s_dz, s_dz_xc;
    norm_detail::block_gradient_sums(dy + off, y + off, x + off, m_size, norm_detail::plane_at{}, m, kind, slope,
                                     scratch, s_dz, s_dz_xc);
    const double s_dz_xhat = s_dz_xc * inv_std_p;
    if (threadIdx.x == 0) {
      sum_dz[p] = s_dz;
      sum_dz_xhat[p] = s_dz_xhat;
    }
    const double g = weight ? double(weight[p % channels]) : 1.0;
    // dx = g * inv_std * (dz - mean(dz) - xhat * mean(dz * xhat)), with xhat = (x - mean) * inv_std.
    const S k = S(g * inv_std_p);
    const S c0 = S(s_dz / double(m_size));
    const S c1 = S(s_dz_xhat / double(m_size) * inv_std_p);
    norm_detail::block_norm_input_grad(dy + off, y + off, x + off, dx + off, m_size, norm_detail::plane_at{}, m, k,
                                       c0, c1, kind, slope);
  }
}

/// One thread per channel adds the per-plane sums over the batch, in sample order.
template <class S>
__global__ void param_grads_kernel(const double* sum_dz, const double* sum_dz_xhat, S* dweight, S* dbias,
                                   std::int64_t samples, std::int64_t channels) {
  I2I_GRID_STRIDE(c, channels) {
    double s_b = 0, s_w = 0;
    for (std::int64_t n = 0; n < samples; ++n) {
      s_b += sum_dz[n * channels + c];
      s_w += sum_dz_xhat[n * channels + c];
    }
    if (dbias) dbias[c] += S(s_b);
    if (dweight) dweight[c] += S(s_w);
  }
}

/// dweight / dbias (when defined) += the per-plane sums (2 x N*C doubles: sum dz, then sum dz * xhat)
/// added over the batch: instance_norm_backward's and instance_norm_pad_backward's last step.
template <class S>
void add_param_grads(const tensor<double>& sums, std::int64_t N, std::int64_t C, const tensor<S>& dweight,
                     const tensor<S>& dbias, const char* what) {
  if (!dweight.defined() && !dbias.defined()) return;
  param_grads_kernel<S><<<launch::elementwise_blocks(C), launch::threads, 0, current_stream()>>>(
      sums.data(), sums.data() + N * C, dweight.defined() ? dweight.data() : nullptr,
      dbias.defined() ? dbias.data() : nullptr, N, C);
  I2I_CUDA_CHECK_LAUNCH(what);
}

template <class S>
const S* optional(const tensor<S>& t) {
  return t.defined() ? t.data() : nullptr;
}

}  // namespace instance_norm_detail

template <device_scalar T>
instance_norm_result<T> instance_norm(const tensor<T>& x, const tensor<compute_t<T>>& weight = {},
                                      const tensor<compute_t<T>>& bias = {}, double eps = 1e-5,
                                      const activation& act = {}) {
  using S = compute_t<T>;
  checks::instance_norm<on_current_device>(x, weight, bias, eps, act);

  const std::int64_t C = x.c(), M = x.h() * x.w(), P = x.n() * C;
  instance_norm_result<T> r{launch::empty<T>(x.shape()), launch::empty<S>(shape{x.n(), C}),
                            launch::empty<S>(shape{x.n(), C}), act};
  if (P > 0) {
    instance_norm_detail::forward_kernel<T><<<launch::plane_blocks(P), launch::plane_threads, 0, current_stream()>>>(
        x.data(), r.y.data(), r.mean.data(), r.inv_std.data(), instance_norm_detail::optional(weight),
        instance_norm_detail::optional(bias), P, C, M, eps, act.kind, S(act.slope));
    I2I_CUDA_CHECK_LAUNCH("instance_norm forward_kernel");
  }
  return r;
}

template <device_scalar T>
tensor<T> instance_norm_backward(const tensor<T>& dy, const tensor<T>& x, const instance_norm_result<T>& fwd,
                                 const tensor<compute_t<T>>& weight = {}, const tensor<compute_t<T>>& dweight = {},
                                 const tensor<compute_t<T>>& dbias = {}) {
  using S = compute_t<T>;
  constexpr const char* op = "instance_norm_backward";
  checks::norm_backward<on_current_device>(op, dy, x, fwd, shape{x.n(), x.c()}, weight, dweight, dbias);

  const std::int64_t N = x.n(), C = x.c(), M = x.h() * x.w(), P = N * C;
  auto dx = launch::empty<T>(x.shape());
  if (P == 0) return dx;
  auto sums = launch::empty<double>(shape{2, P});
  instance_norm_detail::backward_kernel<T><<<launch::plane_blocks(P), launch::plane_threads, 0, current_stream()>>>(
      dy.data(), x.data(), fwd.y.data(), fwd.mean.data(), fwd.inv_std.data(), instance_norm_detail::optional(weight),
      dx.data(), sums.data(), sums.data() + P, P, C, M, fwd.act.kind, S(fwd.act.slope));
  I2I_CUDA_CHECK_LAUNCH("instance_norm backward_kernel");
  instance_norm_detail::add_param_grads(sums, N, C, dweight, dbias, "instance_norm param_grads_kernel");
  return dx;
}

}  // namespace i2i::cuda
