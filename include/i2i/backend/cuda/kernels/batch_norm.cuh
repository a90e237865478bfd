#pragma once
// Batch normalisation over N, H, W per channel with a fused activation on the device, mirroring
// cpu/batch_norm.hpp (PyTorch semantics; read its header comment):
//
//   batch_norm_train(x, weight, bias, running_mean, running_var, momentum = 0.1, eps = 1e-5, act = identity)
//   batch_norm_eval(x, weight, bias, running_mean, running_var, eps = 1e-5, act = identity)
//       -> batch_norm_result
//   batch_norm_backward(dy, x, fwd, weight = {}, dweight = {}, dbias = {}) -> dx
//
// Synchronised batch norm's halves (spec/norm.hpp adds the sums up over the process group in between;
// the same contract as cpu/batch_norm.hpp's):
//   batch_norm_sums(x) -> [sum of x per channel..., sum of x^2 per channel...] (double, on the host)
//   batch_norm_train_with_stats(x, weight, bias, running_mean, running_var, momentum, eps, act,
//                               mean, var, count) -> batch_norm_result (the group's statistics)
//   batch_norm_backward_sums(dy, x, fwd) -> [sum dz..., sum dz * xhat...] (double, this process's)
//   batch_norm_backward_with_sums(dy, x, fwd, weight, dweight, dbias, group, count) -> dx
// The sums travel through the host (2C doubles per call, a synchronisation per layer): the group's
// function is the host communicator's all-reduce.
//
// Training normalises with the batch mean and BIASED variance and updates the running statistics in
// place (running = (1 - momentum) running + momentum batch, UNBIASED variance for running_var). One
// block per channel reads the channel's N planes; statistics by the corrected two-pass algorithm in
// double (instance_norm.cuh). Evaluation is one elementwise pass with per-channel constants; its check
// that running_var + eps > 0 reads running_var back to the host (C values), as the CPU op checks it.
// Statistics, weight, bias and running statistics are in compute_t<T> (float for 16-bit storage).
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "i2i/backend/cuda/kernels/activation.cuh"
#include "i2i/backend/checks/norm.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/instance_norm.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

/// What batch_norm_train/eval return and batch_norm_backward needs.
template <class T>
struct batch_norm_result {
  tensor<T> y;                   ///< N x C x H x W output (after the fused activation)
  tensor<compute_t<T>> mean;     ///< C: the batch mean (training) or a copy of the running mean (evaluation)
  tensor<compute_t<T>> inv_std;  ///< C: 1 / sqrt(variance + eps) of the statistics used
  activation act;                ///< the fused activation
  bool training = true;          ///< whether mean/inv_std are batch statistics (their gradient flows into dx)
};

namespace batch_norm_detail {

/// Element k of channel c: sample k / M, pixel k % M.
struct channel_at {
  std::int64_t c, channels, m_size;
  __device__ std::int64_t operator()(std::int64_t k) const {
    const std::int64_t n = k / m_size;
    return (n * channels + c) * m_size + (k - n * m_size);
  }
};

/// Training: this batch's statistics, or (synchronised batch norm) the group's mean and biased variance
/// given in `given_mean`/`given_var` over `given_count` elements.
template <class T>
__global__ void train_kernel(const T* x, T* y, compute_t<T>* mean_out, compute_t<T>* inv_std_out,
                             const compute_t<T>* weight, const compute_t<T>* bias, compute_t<T>* running_mean,
                             compute_t<T>* running_var, std::int64_t samples, std::int64_t channels,
                             std::int64_t m_size, double momentum, double eps, activation_kind kind,
                             compute_t<T> slope, const double* given_mean = nullptr,
                             const double* given_var = nullptr, std::int64_t given_count = 0) {
  using S = compute_t<T>;
  __shared__ double scratch[32];
  const std::int64_t count = samples * m_size;
  const std::int64_t stats_count = given_mean ? given_count : count;
  I2I_BLOCK_STRIDE(c, channels) {
    const channel_at at{c, channels, m_size};
    double mean, var;
    if (given_mean) {
      mean = given_mean[c];
      var = given_var[c];
    } else {
      norm_detail::block_moments(x, count, at, scratch, mean, var);
    }
    const double inv_std = 1.0 / dmath::sqrt(var + eps);
    const double g = weight ? double(weight[c]) : 1.0;
    const double beta = bias ? double(bias[c]) : 0.0;
    const S shift = S(mean), scale = S(g * inv_std), b = S(beta);
    for (std::int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const std::int64_t i = at(k);
      y[i] = from_compute<T>(act_detail::act_forward((to_compute(x[i]) - shift) * scale + b, kind, slope));
    }
    if (threadIdx.x == 0) {
      mean_out[c] = S(mean);
      inv_std_out[c] = S(inv_std);
      if (running_mean) {
        running_mean[c] = S((1 - momentum) * double(running_mean[c]) + momentum * mean);
        const double unbiased = var * double(stats_count) / double(stats_count - 1);
        running_var[c] = S((1 - momentum) * double(running_var[c]) + momentum * unbiased);
      }
    }
  }
}

template <class T>
__global__ void eval_kernel(const T* x, T* y, const compute_t<T>* mean, const compute_t<T>* inv_std,
                            const compute_t<T>* weight, const compute_t<T>* bias, std::int64_t n,
                            std::int64_t channels, std::int64_t m_size, activation_kind kind, compute_t<T> slope) {
  using S = compute_t<T>;
  I2I_GRID_STRIDE(i, n) {
    const std::int64_t c = (i / m_size) % channels;
    const double g = weight ? double(weight[c]) : 1.0;
    const S scale = S(g * double(inv_std[c]));
    const S b = bias ? S(bias[c]) : S(0);
    y[i] = from_compute<T>(act_detail::act_forward((to_compute(x[i]) - mean[c]) * scale + b, kind, slope));
  }
}

/// dweight/dbias get this process's sums; dx's centring terms use them too, or (synchronised batch norm)
/// the group's `group` sums (sum dz..., sum dz * xhat...) over `group_count` elements.
template <class T>
__global__ void backward_kernel(const T* dy, const T* x, const T* y, const compute_t<T>* mean,
                                const compute_t<T>* inv_std, const compute_t<T>* weight, compute_t<T>* dweight,
                                compute_t<T>* dbias, T* dx, std::int64_t samples, std::int64_t channels,
                                std::int64_t m_size, bool training, activation_kind kind, compute_t<T> slope,
                                const double* group = nullptr, std::int64_t group_count = 0) {
  using S = compute_t<T>;
  __shared__ double scratch[32];
  const std::int64_t count = samples * m_size;
  I2I_BLOCK_STRIDE(c, channels) {
    const channel_at at{c, channels, m_size};
    const double inv_std_c = double(inv_std[c]);
    const S m = mean[c];
    double s_dz, s_dz_xc;
    norm_detail::block_gradient_sums(dy, y, x, count, at, m, kind, slope, scratch, s_dz, s_dz_xc);
    const double s_dz_xhat = s_dz_xc * inv_std_c;
    // One block per channel: each dweight/dbias element has exactly one writer.
    if (threadIdx.x == 0) {
      if (dbias) dbias[c] += S(s_dz);
      if (dweight) dweight[c] += S(s_dz_xhat);
    }
    const double g = weight ? double(weight[c]) : 1.0;
    const S k = S(g * inv_std_c);
    // Batch statistics depend on x, which adds the two centring terms; running statistics do not.
    const double n = group ? double(group_count) : double(count);
    const double sum_dz = group ? group[c] : s_dz, sum_dz_xhat = group ? group[channels + c] : s_dz_xhat;
    const S c0 = training ? S(sum_dz / n) : S(0);
    const S c1 = training ? S(sum_dz_xhat / n * inv_std_c) : S(0);
    norm_detail::block_norm_input_grad(dy, y, x, dx, count, at, m, k, c0, c1, kind, slope);
  }
}

/// Per channel, in double: sum of x and sum of x^2 (out[c], out[C + c]).
template <class T>
__global__ void sums_kernel(const T* x, double* out, std::int64_t samples, std::int64_t channels,
                            std::int64_t m_size) {
  __shared__ double scratch[32];
  const std::int64_t count = samples * m_size;
  I2I_BLOCK_STRIDE(c, channels) {
    const channel_at at{c, channels, m_size};
    double s = 0, ss = 0;
    for (std::int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const double v = double(to_compute(x[at(k)]));
      s += v;
      ss += v * v;
    }
    s = reduce_detail::block_sum(s, scratch);
    ss = reduce_detail::block_sum(ss, scratch);
    if (threadIdx.x == 0) {
      out[c] = s;
      out[channels + c] = ss;
    }
  }
}

/// Per channel, this process's sum of dz and of dz * xhat (out[c], out[C + c]).
template <class T>
__global__ void backward_sums_kernel(const T* dy, const T* x, const T* y, const compute_t<T>* mean,
                                     const compute_t<T>* inv_std, double* out, std::int64_t samples,
                                     std::int64_t channels, std::int64_t m_size, activation_kind kind,
                                     compute_t<T> slope) {
  __shared__ double scratch[32];
  const std::int64_t count = samples * m_size;
  I2I_BLOCK_STRIDE(c, channels) {
    const channel_at at{c, channels, m_size};
    double s_dz, s_dz_xc;
    norm_detail::block_gradient_sums(dy, y, x, count, at, mean[c], kind, slope, scratch, s_dz, s_dz_xc);
    if (threadIdx.x == 0) {
      out[c] = s_dz;
      out[channels + c] = s_dz_xc * double(inv_std[c]);
    }
  }
}

template <class S>
S* optional(const tensor<S>& t) {
  return t.defined() ? t.data() : nullptr;
}

}  // namespace batch_norm_detail

template <device_scalar T>
batch_norm_result<T> batch_norm_train(const tensor<T>& x, const tensor<compute_t<T>>& weight,
                                      const tensor<compute_t<T>>& bias, const tensor<compute_t<T>>& running_mean,
                                      const tensor<compute_t<T>>& running_var, double momentum = 0.1,
                                      double eps = 1e-5, const activation& act = {}) {
  using S = compute_t<T>;
  checks::batch_norm_train<on_current_device>(x, weight, bias, running_mean, running_var, momentum, eps, act);
;
  const std::int64_t C = x.c(), M = x.h() * x.w(), count = x.n() * M;

  batch_norm_result<T> r{launch::empty<T>(x.shape()), launch::empty<S>(shape{C}), launch::empty<S>(shape{C}), act,
                         true};
  if (C > 0) {
    batch_norm_detail::train_kernel<T><<<launch::plane_blocks(C), launch::plane_threads, 0, current_stream()>>>(
        x.data(), r.y.data(), r.mean.data(), r.inv_std.data(), batch_norm_detail::optional(weight),
        batch_norm_detail::optional(bias), batch_norm_detail::optional(running_mean),
        batch_norm_detail::optional(running_var), x.n(), C, M, momentum, eps, act.kind, S(act.slope));
    I2I_CUDA_CHECK_LAUNCH("batch_norm train_kernel");
  }
  return r;
}

template <device_scalar T>
batch_norm_result<T> batch_norm_eval(const tensor<T>& x, const tensor<compute_t<T>>& weight,
                                     const tensor<compute_t<T>>& bias, const tensor<compute_t<T>>& running_mean,
                                     const tensor<compute_t<T>>& running_var, double eps = 1e-5,
                                     const activation& act = {}) {
  using S = compute_t<T>;
  constexpr const char* op = "batch_norm_eval";
  checks::batch_norm_eval<on_current_device>(x, weight, bias, running_mean, running_var, eps, act);
  const std::int64_t C = x.c();
  const std::vector<S> rv = launch::download(running_var.data(), std::size_t(C));
  std::vector<S> inv_std(static_cast<std::size_t>(C));
  for (std::int64_t c = 0; c < C; ++c) {
    const auto v = rv[std::size_t(c)];
    require<value_error>(double(v) + eps > 0, op, ": running_var[", c, "] = ", v, " plus eps is not positive (input ",
                         x.shape(), ")");
    inv_std[std::size_t(c)] = S(1.0 / std::sqrt(double(v) + eps));
  }
  batch_norm_result<T> r{launch::empty<T>(x.shape()), launch::clone(running_mean), launch::upload(inv_std), act, false};
  if (x.numel() > 0) {
    batch_norm_detail::eval_kernel<T><<<launch::elementwise_blocks(x.numel()), launch::threads, 0, current_stream()>>>(
        x.data(), r.y.data(), r.mean.data(), r.inv_std.data(), batch_norm_detail::optional(weight),
        batch_norm_detail::optional(bias), x.numel(), C, x.h() * x.w(), act.kind, S(act.slope));
    I2I_CUDA_CHECK_LAUNCH("batch_norm eval_kernel");
  }
  return r;
}

template <device_scalar T>
tensor<T> batch_norm_backward(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd,
                              const tensor<compute_t<T>>& weight = {}, const tensor<compute_t<T>>& dweight = {},
                              const tensor<compute_t<T>>& dbias = {}) {
  using S = compute_t<T>;
  constexpr const char* op = "batch_norm_backward";
  checks::norm_backward<on_current_device>(op, dy, x, fwd, shape{x.c()}, weight, dweight, dbias);

  const std::int64_t C = x.c();
  auto dx = launch::empty<T>(x.shape());
  if (C == 0 || x.numel() == 0) return dx;
  batch_norm_detail::backward_kernel<T><<<launch::plane_blocks(C), launch::plane_threads, 0, current_stream()>>>(
      dy.data(), x.data(), fwd.y.data(), fwd.mean.data(), fwd.inv_std.data(), batch_norm_detail::optional(weight),
      batch_norm_detail::optional(dweight), batch_norm_detail::optional(dbias), dx.data(), x.n(), C, x.h() * x.w(),
      fwd.training, fwd.act.kind, S(fwd.act.slope));
  I2I_CUDA_CHECK_LAUNCH("batch_norm backward_kernel");
  return dx;
}

template <device_scalar T>
std::vector<double> batch_norm_sums(const tensor<T>& x) {
  require<shape_error>(x.rank() == 4, "batch_norm_sums: input ", x.shape(), ", expected N x C x H x W");
  on_current_device::require_placed("batch_norm_sums", "input", x);
  const std::int64_t C = x.c();
  auto sums = launch::empty<double>(shape{2 * C});
  if (C == 0) return {};
  batch_norm_detail::sums_kernel<T><<<launch::plane_blocks(C), launch::plane_threads, 0, current_stream()>>>(
      x.data(), sums.data(), x.n(), C, x.h() * x.w());
  I2I_CUDA_CHECK_LAUNCH("batch_norm sums_kernel");
  return launch::download(sums.data(), std::size_t(2 * C));  // after the stream's work
}

template <device_scalar T>
batch_norm_result<T> batch_norm_train_with_stats(const tensor<T>& x, const tensor<compute_t<T>>& weight,
                                                 const tensor<compute_t<T>>& bias,
                                                 const tensor<compute_t<T>>& running_mean,
                                                 const tensor<compute_t<T>>& running_var, double momentum, double eps,
                                                 const activation& act, std::span<const double> mean,
                                                 std::span<const double> var, std::int64_t count) {
  using S = compute_t<T>;
  checks::batch_norm_train<on_current_device>(x, weight, bias, running_mean, running_var, momentum, eps, act);
  const std::int64_t C = x.c();
  require<shape_error>(std::int64_t(mean.size()) == C && std::int64_t(var.size()) == C && count > 1,
                       "batch_norm_train_with_stats: ", mean.size(), " means and ", var.size(), " variances over ",
                       count, " elements for ", C, " channels");
  batch_norm_result<T> r{launch::empty<T>(x.shape()), launch::empty<S>(shape{C}), launch::empty<S>(shape{C}), act,
                         true};
  if (C == 0) return r;
  const auto means = launch::upload(std::vector<double>(mean.begin(), mean.end()));
  const auto vars = launch::upload(std::vector<double>(var.begin(), var.end()));
  batch_norm_detail::train_kernel<T><<<launch::plane_blocks(C), launch::plane_threads, 0, current_stream()>>>(
      x.data(), r.y.data(), r.mean.data(), r.inv_std.data(), batch_norm_detail::optional(weight),
      batch_norm_detail::optional(bias), batch_norm_detail::optional(running_mean),
      batch_norm_detail::optional(running_var), x.n(), C, x.h() * x.w(), momentum, eps, act.kind, S(act.slope),
      means.data(), vars.data(), count);
  I2I_CUDA_CHECK_LAUNCH("batch_norm train_kernel (given statistics)");
  return r;
}

template <device_scalar T>
std::vector<double> batch_norm_backward_sums(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd) {
  using S = compute_t<T>;
  checks::norm_backward<on_current_device>("batch_norm_backward_sums", dy, x, fwd, shape{x.c()},
                                           tensor<S>{}, tensor<S>{}, tensor<S>{});
  const std::int64_t C = x.c();
  if (C == 0) return {};
  auto sums = launch::empty<double>(shape{2 * C});
  batch_norm_detail::backward_sums_kernel<T><<<launch::plane_blocks(C), launch::plane_threads, 0, current_stream()>>>(
      dy.data(), x.data(), fwd.y.data(), fwd.mean.data(), fwd.inv_std.data(), sums.data(), x.n(), C, x.h() * x.w(),
      fwd.act.kind, S(fwd.act.slope));
  I2I_CUDA_CHECK_LAUNCH("batch_norm backward_sums_kernel");
  return launch::download(sums.data(), std::size_t(2 * C));  // after the stream's work
}

template <device_scalar T>
tensor<T> batch_norm_backward_with_sums(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd,
                                        const tensor<compute_t<T>>& weight, const tensor<compute_t<T>>& dweight,
                                        const tensor<compute_t<T>>& dbias, std::span<const double> group,
                                        std::int64_t count) {
  using S = compute_t<T>;
  constexpr const char* op = "batch_norm_backward_with_sums";
  checks::norm_backward<on_current_device>(op, dy, x, fwd, shape{x.c()}, weight, dweight, dbias);
  const std::int64_t C = x.c();
  require<shape_error>(std::int64_t(group.size()) == 2 * C, op, ": ", group.size(), " sums for ", C, " channels");
  auto dx = launch::empty<T>(x.shape());
  if (C == 0 || x.numel() == 0) return dx;
  const auto sums = launch::upload(std::vector<double>(group.begin(), group.end()));
  batch_norm_detail::backward_kernel<T><<<launch::plane_blocks(C), launch::plane_threads, 0, current_stream()>>>(
      dy.data(), x.data(), fwd.y.data(), fwd.mean.data(), fwd.inv_std.data(), batch_norm_detail::optional(weight),
      batch_norm_detail::optional(dweight), batch_norm_detail::optional(dbias), dx.data(), x.n(), C, x.h() * x.w(),
      fwd.training, fwd.act.kind, S(fwd.act.slope), sums.data(), count);
  I2I_CUDA_CHECK_LAUNCH("batch_norm backward_kernel (group sums)");
  return dx;
}

}  // namespace i2i::cuda
