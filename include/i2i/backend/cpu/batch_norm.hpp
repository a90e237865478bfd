#pragma once
// Batch normalisation over N, H, W per channel (pix2pixHD with --norm batch), with a fused activation.
//
//   batch_norm_train(x, weight, bias, running_mean, running_var, momentum = 0.1, eps = 1e-5, act = identity)
//   batch_norm_eval(x, weight, bias, running_mean, running_var, eps = 1e-5, act = identity)
//       -> batch_norm_result
//   batch_norm_backward(dy, x, fwd, weight = {}, dweight = {}, dbias = {}) -> dx
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

template <cpu_scalar T>
batch_norm_result<T> batch_norm_train(const tensor<T>& x, const tensor<T>& weight, const tensor<T>& bias,
                                      const tensor<T>& running_mean, const tensor<T>& running_var,
                                      double momentum = 0.1, double eps = 1e-5, const activation& act = {}) {
  checks::batch_norm_train<checks::on_host>(x, weight, bias, running_mean, running_var, momentum, eps, act);
;
  const std::int64_t C = x.c(), M = x.h() * x.w(), count = x.n() * M;

  batch_norm_result<T> r{tensor<T>::empty(x.shape()), tensor<T>::empty({C}), tensor<T>::empty({C}), act, true};
  parallel_for(C, detail::bn_channel_grain(count), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t c = b; c < e; ++c) {
      double mean, var;
      detail::mean_and_variance<T>(
          x.n(), M, [&](std::int64_t n) { return x.data() + (n * C + c) * M; }, mean, var);
      const double inv_std = 1.0 / std::sqrt(var + eps);
      detail::bn_normalise_channel(x, r.y, c, mean, inv_std, weight.defined() ? double(weight[c]) : 1.0,
                                   bias.defined() ? double(bias[c]) : 0.0, act);
      r.mean[c] = T(mean);
      r.inv_std[c] = T(inv_std);
      if (running_mean.defined()) {
        running_mean[c] = T((1 - momentum) * double(running_mean[c]) + momentum * mean);
        const double unbiased = var * double(count) / double(count - 1);
        running_var[c] = T((1 - momentum) * double(running_var[c]) + momentum * unbiased);
      }
    }
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

template <cpu_scalar T>
tensor<T> batch_norm_backward(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result<T>& fwd,
                              const tensor<T>& weight = {}, const tensor<T>& dweight = {},
                              const tensor<T>& dbias = {}) {
  constexpr const char* op = "batch_norm_backward";
  checks::norm_backward<checks::on_host>(op, dy, x, fwd, shape{x.c()}, weight, dweight, dbias);

  const std::int64_t N = x.n(), C = x.c(), M = x.h() * x.w(), count = N * M;
  auto dx = tensor<T>::empty(x.shape());
  // One task per channel: each channel's dweight/dbias element is written by exactly one task.
  parallel_for(C, detail::bn_channel_grain(count), [&](std::int64_t b, std::int64_t e) {
    using A = Eigen::Array<T, Eigen::Dynamic, 1>;
    for (std::int64_t c = b; c < e; ++c) {
      const double mean = double(fwd.mean[c]), inv_std = double(fwd.inv_std[c]);
      double s_dz = 0, s_dz_xc = 0;
      for (std::int64_t n = 0; n < N; ++n) {
        const std::int64_t off = (n * C + c) * M;
        // dz (the gradient before the activation) lives in dx's storage until dx replaces it.
        detail::activation_backward_range(dy.data() + off, fwd.y.data() + off, dx.data() + off, M, fwd.act);
        detail::add_gradient_sums(dx.data() + off, x.data() + off, M, T(mean), s_dz, s_dz_xc);
      }
      const double s_dz_xhat = s_dz_xc * inv_std;
      if (dbias.defined()) dbias[c] += T(s_dz);
      if (dweight.defined()) dweight[c] += T(s_dz_xhat);
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
  });
  return dx;
}

}  // namespace i2i::cpu

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
