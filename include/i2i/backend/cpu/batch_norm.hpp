#pragma once
// Batch normalisation over N, H, W per channel (pix2pixHD with --norm batch), with a fused activation.
//
//   batch_norm_train(x, weight, bias, running_mean, running_var, momentum = 0.1, eps = 1e-5, act = identity)
//   batch_norm_eval(x, weight, bias, running_mean, running_var, eps = 1e-5, act = identity)
//       -> batch_norm_result
//   batch_norm_backward(dy, x, fwd, weight = {}, dweight = {}, dbias = {}) -> dx
//
// Synchronised batch norm (a process group's statistics; spec/norm.hpp) splits training in two around
// the group's all-reduce:
//   batch_norm_sums(x) -> [sum of x per channel..., sum of x^2 per channel...] (double)
//   batch_norm_train_with_stats(x, weight, bias, running_mean, running_var, momentum, eps, act,
//                               mean, var, count) -> batch_norm_result   (the group's statistics)
//   batch_norm_backward_sums(dy, x, fwd) -> [sum dz..., sum dz * xhat...] (double, this process's)
//   batch_norm_backward_with_sums(dy, x, fwd, weight, dweight, dbias, local, group, count) -> dx
// dweight/dbias get this process's sums (data-parallel averaging adds the others'); dx uses the group's.
//
// PyTorch semantics: training normalises with the batch mean and the BIASED batch variance, and updates
// the running statistics in place with running = (1 - momentum) * running + momentum * batch, using the
// UNBIASED variance for running_var. Evaluation normalises with the running statistics (a fixed
// per-channel affine map). weight/bias are optional (undefined = 1 / 0); in training the running
// statistics are optional too (undefined = not tracked). Backward ADDS into dweight/dbias.
// Statistics are accumulated in double by the corrected two-pass algorithm (norm_moments.hpp).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "i2i/backend/checks/norm.hpp"
#include "i2i/backend/cpu/activation.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/backend/cpu/norm_moments.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

// GCC 12 reports false "may be used uninitialized" warnings from its own AVX-512 intrinsics inside
// Eigen's vectorised reductions (sum); they are not about this code.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace i2i::cpu {

/// What batch_norm_train/eval return and batch_norm_backward needs.
template <cpu_scalar T>
struct batch_norm_result {
  tensor<T> y;        ///< N x C x H x W output (after the fused activation)
  tensor<T> mean;     ///< C: the batch mean (training) or a copy of the running mean (evaluation)
  tensor<T> inv_std;  ///< C: 1 / sqrt(variance + eps) of the statistics used
  activation act;     ///< the fused activation
  bool training = true;  ///< whether mean/inv_std are batch statistics (their gradient flows into dx)
};

namespace detail {



/// y = act((x - mean) * g * inv_std + beta) for every plane of channel c.
template <class T>
void bn_normalise_channel(const tensor<T>& x, const tensor<T>& y, std::int64_t c, double mean, double inv_std,
                          double g, double beta, const activation& act) {
  const std::int64_t C = x.c(), M = x.h() * x.w();
  for (std::int64_t n = 0; n < x.n(); ++n) {
    const std::int64_t off = (n * C + c) * M;
    affine_activate_range(x.data() + off, y.data() + off, M, T(mean), T(g * inv_std), T(beta), act);
  }
}

inline std::int64_t bn_channel_grain(std::int64_t channel_elems) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, channel_elems));
}

}  // namespace detail

namespace detail {
/// Normalises channel c with its statistics (mean, biased var over `count` elements) and moves the
/// running statistics towards them.
template <class T>
void bn_train_channel(const tensor<T>& x, const tensor<T>& weight, const tensor<T>& bias, const tensor<T>& running_mean,
                      const tensor<T>& running_var, double momentum, double eps, const activation& act,
                      batch_norm_result<T>& r, std::int64_t c, double mean, double var, std::int64_t count) {
  const double inv_std = 1.0 / std::sqrt(var + eps);
  bn_normalise_channel(x, r.y, c, mean, inv_std, weight.defined() ? double(weight[c]) : 1.0,
                       bias.defined() ? double(bias[c]) : 0.0, act);
  r.mean[c] = T(mean);
  r.inv_std[c] = T(inv_std);
  if (running_mean.defined()) {
    running_mean[c] = T((1 - momentum) * double(running_mean[c]) + momentum * mean);
    const double unbiased = var * double(count) / double(count - 1);
    running_var[c] = T((1 - momentum) * double(running_var[c]) + momentum * unbiased);
  }
}
}  // namespace detail

template <cpu_scalar T>
batch_norm_result<T> batch_norm_train(const tensor<T>& x, const tensor<T>& weight, const tensor<T>& bias,
                                      const tensor<T>& running_mean, const tensor<T>& running_var,
                                      double momentum = 0.1, double eps = 1e-5, const activation& act = {}) {
  checks::batch_norm_train<checks::on_host>(x, weight, bias, running_mean, running_var, momentum, eps, act);
  const std::int64_t C = x.c(), M = x.h() * x.w(), count = x.n() * M;

  batch_norm_result<T> r{tensor<T>::empty(x.shape()), tensor<T>::empty({C}), tensor<T>::empty({C}), act, true};
  parallel_for(C, detail::bn_channel_grain(count), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t c = b; c < e; ++c) {
      double mean, var;
      detail::mean_and_variance<T>(
          x.n(), M, [&](std::int64_t n) { return x.data() + (n * C + c) * M; }, mean, var);
      detail::bn_train_channel(x, weight, bias, running_mean, running_var, momentum, eps, act, r, c, mean, var, count);
    }
  });
  return r;
}

template <cpu_scalar T>
std::vector<double> batch_norm_sums(const tensor<T>& x) {
  require<shape_error>(x.rank() == 4, "batch_norm_sums: input ", x.shape(), ", expected N x C x H x W");
  const std::int64_t C = x.c(), M = x.h() * x.w();
  std::vector<double> sums(std::size_t(2 * C), 0.0);
  parallel_for(C, detail::bn_channel_grain(x.n() * M), [&](std::int64_t b, std::int64_t e) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    for (std::int64_t c = b; c < e; ++c)
      for (std::int64_t n = 0; n < x.n(); ++n) {
        const auto v = Eigen::Map<const A>(x.data() + (n * C + c) * M, M).template cast<double>();
        sums[std::size_t(c)] += v.sum();
        sums[std::size_t(C + c)] += v.square().sum();
      }
  });
  return sums;
}

template <cpu_scalar T>
batch_norm_result<T> batch_norm_train_with_stats(const tensor<T>& x, const tensor<T>& weight, const tensor<T>& bias,
                                                 const tensor<T>& running_mean, const tensor<T>& running_var,
                                                 double momentum, double eps, const activation& act,
                                                 std::span<const double> mean, std::span<const double> var,
                                                 std::int64_t count) {
  checks::batch_norm_train<checks::on_host>(x, weight, bias, running_mean, running_var, momentum, eps, act);
  const std::int64_t C = x.c();
  require<shape_error>(std::int64_t(mean.size()) == C && std::int64_t(var.size()) == C && count > 1,
                       "batch_norm_train_with_stats: ", mean.size(), " means and ", var.size(), " variances over ",
                       count, " elements for ", C, " channels");
  batch_norm_result<T> r{tensor<T>::empty(x.shape()), tensor<T>::empty({C}), tensor<T>::empty({C}), act, true};
  parallel_for(C, detail::bn_channel_grain(x.n() * x.h() * x.w()), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t c = b; c < e; ++c)
      detail::bn_train_channel(x, weight, bias, running_mean, running_var, momentum, eps, act, r, c,
                               mean[std::size_t(c)], var[std::size_t(c)], count);
  });
  return r;
}

template <cpu_scalar T>
batch_norm_result<T> batch_norm_eval(const tensor<T>& x, const tensor<T>& weight, const tensor<T>& bias,
                                     const tensor<T>& running_mean, const tensor<T>& running_var,
                                     double eps = 1e-5, const activation& act = {}) {
  constexpr const char* op = "batch_norm_eval";
  checks::batch_norm_eval<checks::on_host>(x, weight, bias, running_mean, running_var, eps, act);
  const std::int64_t C = x.c();
  batch_norm_result<T> r{tensor<T>::empty(x.shape()), running_mean.clone(), tensor<T>::empty({C}), act, false};
  for (std::int64_t c = 0; c < C; ++c) {
    require<value_error>(double(running_var[c]) + eps > 0, op, ": running_var[", c, "] = ", running_var[c],
                         " plus eps is not positive (input ", x.shape(), ")");
    r.inv_std[c] = T(1.0 / std::sqrt(double(running_var[c]) + eps));
  }
  parallel_for(C, detail::bn_channel_grain(x.n() * x.h() * x.w()), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t c = b; c < e; ++c)
      detail::bn_normalise_channel(x, r.y, c, double(r.mean[c]), double(r.inv_std[c]),
                                   weight.defined() ? double(weight[c]) : 1.0, bias.defined() ? double(bias[c]) : 0.0,
                                   act);
  });
  return r;
}

namespace detail {
/// Channel c's s_dz and s_dz_xhat, with dz (the gradient before the activation) written plane by plane
/// to dz_plane(n).
template <class T, class Planes>
void bn_gradient_sums(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd, std::int64_t c,
                      Planes&& dz_plane, double& s_dz, double& s_dz_xhat) {
  const std::int64_t C = x.c(), M = x.h() * x.w();
  double s_dz_xc = 0;
  for (std::int64_t n = 0; n < x.n(); ++n) {
    const std::int64_t off = (n * C + c) * M;
    T* dz = dz_plane(n);
    activation_backward_range(dy.data() + off, fwd.y.data() + off, dz, M, fwd.act);
    add_gradient_sums(dz, x.data() + off, M, T(fwd.mean[c]), s_dz, s_dz_xc);
  }
  s_dz_xhat = s_dz_xc * double(fwd.inv_std[c]);
}

/// Channel c of batch norm's backward: dz (the gradient before the activation) into dx's storage, then
/// s_dz and s_dz_xhat (this process's) through `sums`, which may replace them by a group's before they
/// make dx; dweight/dbias get this process's.
template <class T, class Sums>
void bn_backward_channel(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd,
                         const tensor<T>& weight, const tensor<T>& dweight, const tensor<T>& dbias, const tensor<T>& dx,
                         std::int64_t c, std::int64_t count, Sums&& sums) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  const std::int64_t N = x.n(), C = x.c(), M = x.h() * x.w();
  const double mean = double(fwd.mean[c]), inv_std = double(fwd.inv_std[c]);
  double s_dz = 0, s_dz_xhat = 0;
  bn_gradient_sums(dy, x, fwd, c, [&](std::int64_t n) { return dx.data() + (n * C + c) * M; }, s_dz, s_dz_xhat);
  if (dbias.defined()) dbias[c] += T(s_dz);
  if (dweight.defined()) dweight[c] += T(s_dz_xhat);
  sums(c, s_dz, s_dz_xhat);
  const double g = weight.defined() ? double(weight[c]) : 1.0;
  const T k = T(g * inv_std);
  // Batch statistics depend on x, which adds the two centring terms; running statistics do not.
  const T c0 = fwd.training ? T(s_dz / double(count)) : T(0);
  const T c1 = fwd.training ? T(s_dz_xhat / double(count) * inv_std) : T(0);
  const T m = T(mean);
  for (std::int64_t n = 0; n < N; ++n) {
    const std::int64_t off = (n * C + c) * M;
    Eigen::Map<A> d(dx.data() + off, M);
    d = k * (d - c0 - (Eigen::Map<const A>(x.data() + off, M) - m) * c1);
  }
}
}  // namespace detail

template <cpu_scalar T>
tensor<T> batch_norm_backward(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd,
                              const tensor<T>& weight = {}, const tensor<T>& dweight = {},
                              const tensor<T>& dbias = {}) {
  constexpr const char* op = "batch_norm_backward";
  checks::norm_backward<checks::on_host>(op, dy, x, fwd, shape{x.c()}, weight, dweight, dbias);
  const std::int64_t count = x.n() * x.h() * x.w();
  auto dx = tensor<T>::empty(x.shape());
  // One task per channel: each channel's dweight/dbias element is written by exactly one task.
  parallel_for(x.c(), detail::bn_channel_grain(count), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t c = b; c < e; ++c)
      detail::bn_backward_channel(dy, x, fwd, weight, dweight, dbias, dx, c, count, [](auto, double&, double&) {});
  });
  return dx;
}

template <cpu_scalar T>
std::vector<double> batch_norm_backward_sums(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd) {
  checks::norm_backward<checks::on_host>("batch_norm_backward_sums", dy, x, fwd, shape{x.c()}, tensor<T>{},
                                         tensor<T>{}, tensor<T>{});
  const std::int64_t C = x.c(), M = x.h() * x.w();
  std::vector<double> sums(std::size_t(2 * C), 0.0);
  parallel_for(C, detail::bn_channel_grain(x.n() * M), [&](std::int64_t b, std::int64_t e) {
    std::vector<T> dz(static_cast<std::size_t>(M));
    for (std::int64_t c = b; c < e; ++c)
      detail::bn_gradient_sums(dy, x, fwd, c, [&](std::int64_t) { return dz.data(); }, sums[std::size_t(c)],
                               sums[std::size_t(C + c)]);
  });
  return sums;
}

template <cpu_scalar T>
tensor<T> batch_norm_backward_with_sums(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd,
                                        const tensor<T>& weight, const tensor<T>& dweight, const tensor<T>& dbias,
                                        std::span<const double> group, std::int64_t count) {
  constexpr const char* op = "batch_norm_backward_with_sums";
  checks::norm_backward<checks::on_host>(op, dy, x, fwd, shape{x.c()}, weight, dweight, dbias);
  const std::int64_t C = x.c();
  require<shape_error>(std::int64_t(group.size()) == 2 * C, op, ": ", group.size(), " sums for ", C, " channels");
  auto dx = tensor<T>::empty(x.shape());
  parallel_for(C, detail::bn_channel_grain(x.n() * x.h() * x.w()), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t c = b; c < e; ++c)
      detail::bn_backward_channel(dy, x, fwd, weight, dweight, dbias, dx, c, count,
                                  [&](std::int64_t ch, double& s_dz, double& s_dz_xhat) {
                                    s_dz = group[std::size_t(ch)];
                                    s_dz_xhat = group[std::size_t(C + ch)];
                                  });
  });
  return dx;
}

}  // namespace i2i::cpu

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
