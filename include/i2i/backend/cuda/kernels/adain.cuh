#pragma once
// Adaptive instance normalisation on the device, both variants, mirroring cpu/adain.hpp (read its
// header comment for the formulas, the options and what each result holds):
//
//   channel_moments(x, unbiased) / channel_moments_backward(x, saved, dmean, dvar)
//   channel_mean_std(s, opt) / channel_mean_std_backward(s, saved, dmean, dstd)
//   adain(x, style_mean, style_std, opt) / adain_backward(x, style_mean, style_std, saved, dy)
//   adain_from_style(x, s, opt) / adain_from_style_backward(x, s, saved, dy)
//   adain_egscit(x, exemplar_mean, exemplar_var, eps = 0) / adain_egscit_backward(...)
//   adain_egscit_from_exemplar(x, f_e, eps = 0) / adain_egscit_from_exemplar_backward(x, f_e, saved, dy)
//
// One block per (n, c) plane computes the plane's statistics in double (mean first, then the centred
// sum of squares, as the CPU op) and applies the plane's affine map in T. Same arithmetic order as the
// CPU op in T; float results agree to ~1e-6. T = float or double.
// EGSC-IT's variant keeps its division by the variance: with eps = 0 a constant channel gives
// inv_var = inf and NaN outputs, exactly as the CPU op and the TensorFlow original.
#include <cstdint>
#include <utility>

#include "i2i/backend/cuda/kernels/block_reduce.cuh"
#include "i2i/backend/adain_types.hpp"
#include "i2i/backend/checks/adain.hpp"
#include "i2i/backend/checks/tensor_args.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

// The options and result types are the CPU op's (backend/adain_types.hpp, namespace i2i).

namespace adain_detail {

inline double divisor(std::int64_t m, bool unbiased) { return double(unbiased ? m - 1 : m); }

/// Mean and (divided by `d`) centred sum of squares of one plane, in double; all threads get both.
template <class T>
__device__ void plane_mean_var(const T* xp, std::int64_t m, double d, double* scratch, double& mu, double& var) {
  double s = 0;
  for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) s += double(xp[i]);
  mu = reduce_detail::block_sum(s, scratch) / double(m);
  double ss = 0;
  for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
    const double c = double(xp[i]) - mu;
    ss += c * c;
  }
  var = reduce_detail::block_sum(ss, scratch) / d;
}

template <class T>
__global__ void moments_kernel(const T* x, T* mean, T* var, std::int64_t planes, std::int64_t m, double d) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    double mu, v;
    plane_mean_var(x + p * m, m, d, scratch, mu, v);
    if (threadIdx.x == 0) {
      mean[p] = T(mu);
      var[p] = T(v);
    }
  }
}

/// dx = gm[p] / M + gv[p] * 2 / D * (x - mean[p]) (either gradient may be absent).
template <class T>
__global__ void moments_backward_kernel(const T* x, const T* mean, const T* gm, const T* gv, T* dx, std::int64_t m,
                                        T inv_m, T two_over_d, std::int64_t total) {
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t p = i / m;
    const T a = gm ? gm[p] * inv_m : T(0), b = gv ? gv[p] * two_over_d : T(0);
    dx[i] = a + b * (x[i] - mean[p]);
  }
}

template <class T>
__global__ void sqrt_plus_kernel(const T* var, T* out, T eps, std::int64_t n) {
  I2I_GRID_STRIDE(i, n) out[i] = dmath::sqrt(var[i] + eps);
}

/// dvar = dstd / (2 std)
template <class T>
__global__ void dstd_to_dvar_kernel(const T* dstd, const T* sd, T* dvar, std::int64_t n) {
  I2I_GRID_STRIDE(i, n) dvar[i] = dstd[i] / (T(2) * sd[i]);
}

template <class T>
__global__ void adain_forward_kernel(const T* x, const T* style_mean, const T* style_std, T* y, T* mean, T* rstd_out,
                                     std::int64_t planes, std::int64_t m, double d, double eps) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const T* xp = x + p * m;
    double mu, var;
    plane_mean_var(xp, m, d, scratch, mu, var);
    const T rstd = T(1.0 / dmath::sqrt(var + eps));
    const T shift = T(mu), scale = style_std[p] * rstd, b = style_mean[p];
    T* yp = y + p * m;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) yp[i] = (xp[i] - shift) * scale + b;
    if (threadIdx.x == 0) {
      mean[p] = shift;
      rstd_out[p] = rstd;
    }
  }
}

template <class T>
__global__ void adain_backward_kernel(const T* x, const T* style_std, const T* mean, const T* rstd_in, const T* dy,
                                      T* dx, T* dstyle_mean, T* dstyle_std, std::int64_t planes, std::int64_t m,
                                      double d) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const T* xp = x + p * m;
    const T* gp = dy + p * m;
    const T rstd = rstd_in[p], mu = mean[p];
    double a = 0, b = 0;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
      const T xhat = (xp[i] - mu) * rstd;
      a += double(gp[i]);
      b += double(gp[i] * xhat);
    }
    const double sum_dy = reduce_detail::block_sum(a, scratch);
    const double sum_dy_xhat = reduce_detail::block_sum(b, scratch);
    if (threadIdx.x == 0) {
      dstyle_mean[p] = T(sum_dy);
      dstyle_std[p] = T(sum_dy_xhat);
    }
    // With g = dy * sigma_s: dx = rstd * (g - mean(g) - xhat * sum(g * xhat) / D).
    const T s = style_std[p];
    const T mean_g = T(double(s) * sum_dy / double(m)), k = T(double(s) * sum_dy_xhat / d);
    T* dp = dx + p * m;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
      const T xhat = (xp[i] - mu) * rstd;
      dp[i] = rstd * (s * gp[i] - mean_g - xhat * k);
    }
  }
}

template <class T>
__global__ void egscit_forward_kernel(const T* x, const T* exemplar_mean, const T* exemplar_var, T* y, T* mean,
                                      T* inv_var_out, std::int64_t planes, std::int64_t m, double eps) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const T* xp = x + p * m;
    double mu, var;
    plane_mean_var(xp, m, double(m), scratch, mu, var);
    const T inv_var = T(1.0 / (var + eps));
    const T shift = T(mu), scale = exemplar_mean[p] * inv_var, b = exemplar_var[p];
    T* yp = y + p * m;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) yp[i] = (xp[i] - shift) * scale + b;
    if (threadIdx.x == 0) {
      mean[p] = shift;
      inv_var_out[p] = inv_var;
    }
  }
}

template <class T>
__global__ void egscit_backward_kernel(const T* x, const T* exemplar_mean, const T* mean, const T* inv_var,
                                       const T* dy, T* dx, T* dexemplar_mean, T* dexemplar_var, std::int64_t planes,
                                       std::int64_t m) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    const T* xp = x + p * m;
    const T* gp = dy + p * m;
    const T iv = inv_var[p], me = exemplar_mean[p], mu = mean[p];
    double a = 0, b = 0;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
      const T z = (xp[i] - mu) * iv;
      a += double(gp[i]);
      b += double(gp[i] * z);
    }
    const double sum_dy = reduce_detail::block_sum(a, scratch);
    const double sum_dy_z = reduce_detail::block_sum(b, scratch);
    if (threadIdx.x == 0) {
      dexemplar_mean[p] = T(sum_dy_z);
      dexemplar_var[p] = T(sum_dy);
    }
    const T mean_g = T(double(me) * sum_dy / double(m)), k = T(2.0 * double(me) * sum_dy_z / double(m));
    T* dp = dx + p * m;
    for (std::int64_t i = threadIdx.x; i < m; i += blockDim.x) {
      const T z = (xp[i] - mu) * iv;
      dp[i] = iv * (me * gp[i] - mean_g) - z * k;
    }
  }
}

inline void check(const char* name) { I2I_CUDA_CHECK_LAUNCH(name); }

}  // namespace adain_detail

// ---------------------------------------------------------------------------------------------------
// Per-channel spatial statistics.

/// Spatial mean and variance of every (sample, channel) plane of x (N x C x H x W).
template <device_real T>
channel_moments_result<T> channel_moments(const tensor<T>& x, bool unbiased = false) {
  const auto l = checks::adain_map<on_current_device>("channel_moments", "x", x, unbiased);
  channel_moments_result<T> r{launch::empty<T>(shape{l.n, l.c}), launch::empty<T>(shape{l.n, l.c}), unbiased};
  const std::int64_t planes = l.n * l.c;
  if (planes > 0) {
    adain_detail::moments_kernel<<<launch::plane_blocks(planes), launch::plane_threads, 0, current_stream()>>>(
        x.data(), r.mean.data(), r.var.data(), planes, l.m, adain_detail::divisor(l.m, unbiased));
    adain_detail::check("moments_kernel");
  }
  return r;
}

/// dx from gradients of the mean and/or the variance (either may be undefined, meaning zero).
template <device_real T>
tensor<T> channel_moments_backward(const tensor<T>& x, const channel_moments_result<T>& saved, const tensor<T>& dmean,
                                   const tensor<T>& dvar) {
  const auto l = checks::channel_moments_backward<on_current_device>(x, saved, dmean, dvar);
  const T* gm = dmean.defined() ? dmean.data() : nullptr;
  const T* gv = dvar.defined() ? dvar.data() : nullptr;
  auto dx = launch::empty<T>(x.shape());
  if (x.numel() > 0) {
    const T inv_m = T(1.0 / double(l.m)), two_over_d = T(2.0 / adain_detail::divisor(l.m, saved.unbiased));
    adain_detail::moments_backward_kernel<<<launch::elementwise_blocks(x.numel()), launch::threads, 0,
                                            current_stream()>>>(x.data(), saved.mean.data(), gm, gv, dx.data(), l.m,
                                                                inv_m, two_over_d, x.numel());
    adain_detail::check("moments_backward_kernel");
  }
  return dx;
}

/// Style statistics of a feature map for canonical AdaIN: mean and sqrt(var + eps) per (sample, channel).
template <device_real T>
mean_std_result<T> channel_mean_std(const tensor<T>& s, adain_options opt = {}) {
  auto mv = channel_moments(s, opt.unbiased);
  auto sd = launch::empty<T>(mv.var.shape());
  if (sd.numel() > 0) {
    adain_detail::sqrt_plus_kernel<<<launch::elementwise_blocks(sd.numel()), launch::threads, 0, current_stream()>>>(
        mv.var.data(), sd.data(), T(opt.eps), sd.numel());
    adain_detail::check("sqrt_plus_kernel");
  }
  return {mv.mean, sd, opt};
}

/// ds from gradients of the mean and/or the std (undefined = zero): d std / d s = (s - mean) / (D std).
template <device_real T>
tensor<T> channel_mean_std_backward(const tensor<T>& s, const mean_std_result<T>& saved, const tensor<T>& dmean,
                                    const tensor<T>& dstd) {
  checks::channel_mean_std_backward<on_current_device>(s, saved, dstd);
  tensor<T> dvar;
  if (dstd.defined()) {
    dvar = launch::empty<T>(dstd.shape());
    if (dvar.numel() > 0) {
      adain_detail::dstd_to_dvar_kernel<<<launch::elementwise_blocks(dvar.numel()), launch::threads, 0,
                                          current_stream()>>>(dstd.data(), saved.std.data(), dvar.data(),
                                                              dvar.numel());
      adain_detail::check("dstd_to_dvar_kernel");
    }
  }
  return channel_moments_backward(s, channel_moments_result<T>{saved.mean, tensor<T>(), saved.options.unbiased}, dmean,
                                  dvar);
}

// ---------------------------------------------------------------------------------------------------
// Canonical AdaIN.

/// y = style_std * (x - mu_x) / sqrt(var_x + eps) + style_mean; style_* are N x C.
template <device_real T>
adain_result<T> adain(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                      adain_options opt = {}) {
  const auto l = checks::adain<on_current_device>(x, style_mean, style_std, opt);
  adain_result<T> r{launch::empty<T>(x.shape()), launch::empty<T>(shape{l.n, l.c}),
                    launch::empty<T>(shape{l.n, l.c}), opt};
  const std::int64_t planes = l.n * l.c;
  if (planes > 0) {
    adain_detail::adain_forward_kernel<<<launch::plane_blocks(planes), launch::plane_threads, 0, current_stream()>>>(
        x.data(), style_mean.data(), style_std.data(), r.y.data(), r.mean.data(), r.rstd.data(), planes, l.m,
        adain_detail::divisor(l.m, opt.unbiased), opt.eps);
    adain_detail::check("adain_forward_kernel");
  }
  return r;
}

/// Gradients of adain with respect to x and both style statistics.
template <device_real T>
adain_grads<T> adain_backward(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                              const adain_result<T>& saved, const tensor<T>& dy) {
  const auto l = checks::adain_backward<on_current_device>(x, style_mean, style_std, saved, dy);
  adain_grads<T> g{launch::empty<T>(x.shape()), launch::empty<T>(shape{l.n, l.c}), launch::empty<T>(shape{l.n, l.c})};
  const std::int64_t planes = l.n * l.c;
  if (planes > 0) {
    adain_detail::adain_backward_kernel<<<launch::plane_blocks(planes), launch::plane_threads, 0, current_stream()>>>(
        x.data(), style_std.data(), saved.mean.data(), saved.rstd.data(), dy.data(), g.dx.data(),
        g.dstyle_mean.data(), g.dstyle_std.data(), planes, l.m, adain_detail::divisor(l.m, saved.options.unbiased));
    adain_detail::check("adain_backward_kernel");
  }
  return g;
}

/// Canonical AdaIN with the style statistics of a style feature map s (N x C x H' x W').
template <device_real T>
adain_from_style_result<T> adain_from_style(const tensor<T>& x, const tensor<T>& s, adain_options opt = {}) {
  checks::adain_from_map<on_current_device>("adain_from_style", x, "style", s, opt.unbiased);
  auto st = channel_mean_std(s, opt);
  auto a = adain(x, st.mean, st.std, opt);
  return {std::move(a), std::move(st)};
}

template <device_real T>
adain_style_grads<T> adain_from_style_backward(const tensor<T>& x, const tensor<T>& s,
                                               const adain_from_style_result<T>& saved, const tensor<T>& dy) {
  auto g = adain_backward(x, saved.style.mean, saved.style.std, saved.adain, dy);
  auto ds = channel_mean_std_backward(s, saved.style, g.dstyle_mean, g.dstyle_std);
  return {std::move(g.dx), std::move(ds)};
}

// ---------------------------------------------------------------------------------------------------
// EGSC-IT's AdaIN.

/// y = exemplar_mean * (x - mu_x) / (v_x + eps) + exemplar_var; exemplar_* are N x C.
template <device_real T>
adain_egscit_result<T> adain_egscit(const tensor<T>& x, const tensor<T>& exemplar_mean, const tensor<T>& exemplar_var,
                                    double eps = 0) {
  const auto l = checks::adain_egscit<on_current_device>(x, exemplar_mean, exemplar_var, eps);
  adain_egscit_result<T> r{launch::empty<T>(x.shape()), launch::empty<T>(shape{l.n, l.c}),
                           launch::empty<T>(shape{l.n, l.c}), eps};
  const std::int64_t planes = l.n * l.c;
  if (planes > 0) {
    adain_detail::egscit_forward_kernel<<<launch::plane_blocks(planes), launch::plane_threads, 0, current_stream()>>>(
        x.data(), exemplar_mean.data(), exemplar_var.data(), r.y.data(), r.mean.data(), r.inv_var.data(), planes, l.m,
        eps);
    adain_detail::check("egscit_forward_kernel");
  }
  return r;
}

template <device_real T>
adain_egscit_grads<T> adain_egscit_backward(const tensor<T>& x, const tensor<T>& exemplar_mean,
                                            const tensor<T>& exemplar_var, const adain_egscit_result<T>& saved,
                                            const tensor<T>& dy) {
  const auto l = checks::adain_egscit_backward<on_current_device>(x, exemplar_mean, exemplar_var, saved, dy);
  adain_egscit_grads<T> g{launch::empty<T>(x.shape()), launch::empty<T>(shape{l.n, l.c}),
                          launch::empty<T>(shape{l.n, l.c})};
  const std::int64_t planes = l.n * l.c;
  if (planes > 0) {
    adain_detail::egscit_backward_kernel<<<launch::plane_blocks(planes), launch::plane_threads, 0, current_stream()>>>(
        x.data(), exemplar_mean.data(), saved.mean.data(), saved.inv_var.data(), dy.data(), g.dx.data(),
        g.dexemplar_mean.data(), g.dexemplar_var.data(), planes, l.m);
    adain_detail::check("egscit_backward_kernel");
  }
  return g;
}

/// EGSC-IT's AdaIN with mu_e, v_e computed from the exemplar feature map f_e (population variance).
template <device_real T>
adain_egscit_exemplar_result<T> adain_egscit_from_exemplar(const tensor<T>& x, const tensor<T>& f_e, double eps = 0) {
  checks::adain_from_map<on_current_device>("adain_egscit_from_exemplar", x, "exemplar", f_e, false);
  auto mv = channel_moments(f_e, false);
  auto a = adain_egscit(x, mv.mean, mv.var, eps);
  return {std::move(a), std::move(mv)};
}

template <device_real T>
adain_egscit_exemplar_grads<T> adain_egscit_from_exemplar_backward(const tensor<T>& x, const tensor<T>& f_e,
                                                                   const adain_egscit_exemplar_result<T>& saved,
                                                                   const tensor<T>& dy) {
  auto g = adain_egscit_backward(x, saved.exemplar.mean, saved.exemplar.var, saved.adain, dy);
  auto de = channel_moments_backward(f_e, saved.exemplar, g.dexemplar_mean, g.dexemplar_var);
  return {std::move(g.dx), std::move(de)};
}

}  // namespace i2i::cuda
