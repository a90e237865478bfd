#pragma once
// Instance normalisation (pix2pixHD's default norm; EGSC-IT's discriminator and AdaIN), optionally
// followed by a fused activation (DESIGN §2: pix2pixHD always follows IN with ReLU, so the activation
// runs on the plane while it is still in cache).
//
//   instance_norm(x, weight = {}, bias = {}, eps = 1e-5, act = identity)  -> instance_norm_result
//   instance_norm_backward(dy, x, fwd, weight = {}, dweight = {}, dbias = {}) -> dx
//
// Each (sample, channel) plane is normalised with its own spatial mean and BIASED variance, at training
// and at test time (InstanceNorm2d(affine=False, track_running_stats=False), pix2pixHD §0):
//   y = act(weight[c] * (x - mean) / sqrt(var + eps) + bias[c])
// weight and bias are optional (an undefined tensor means 1 and 0 respectively), each of C elements.
// Backward ADDS parameter gradients into dweight/dbias (pass undefined tensors to skip them); it needs
// the forward input x and the forward result (y for the activation's derivative, mean, inv_std).
//
// Statistics are accumulated in double by the corrected two-pass algorithm (norm_moments.hpp), so inputs
// with a large offset (mean 1000, std 1 in float) still normalise to unit variance.
#include <algorithm>
#include <cmath>
#include <cstdint>
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

/// What instance_norm returns and instance_norm_backward needs.
template <cpu_scalar T>
struct instance_norm_result {
  tensor<T> y;        ///< N x C x H x W output (after the fused activation)
  tensor<T> mean;     ///< N x C per-plane means
  tensor<T> inv_std;  ///< N x C per-plane 1 / sqrt(biased variance + eps)
  activation act;     ///< the fused activation, so backward applies its derivative
};

namespace detail {

inline std::int64_t norm_plane_grain(std::int64_t plane_elems) {
  return std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(1, plane_elems));
}

/// One plane's statistics: the mean and 1 / sqrt(biased variance + eps), in double.
template <class T>
void instance_plane_statistics(const T* xp, std::int64_t M, double eps, double& mean, double& inv_std) {
  double var;
  mean_and_variance<T>(1, M, [&](std::int64_t) { return xp; }, mean, var);
  inv_std = 1.0 / std::sqrt(var + eps);
}

/// One plane's input gradient: `dxp` holds dz (the gradient before the activation) on entry and dx on
/// return; s_dz and s_dz_xhat receive the plane's sums for the parameter gradients.
template <class T>
void instance_plane_backward(T* dxp_data, const T* xp_data, std::int64_t M, double mean, double inv_std, double g,
                             double& s_dz, double& s_dz_xhat) {
  using A = Eigen::Array<T, Eigen::Dynamic, 1>;
  Eigen::Map<const A> xp(xp_data, M);
  Eigen::Map<A> dxp(dxp_data, M);
  // Centre on the rounded mean (the same value used below) so every product is of the order of the
  // standard deviation.
  const T m = T(mean);
  double s_dz_xc = 0;
  s_dz = 0;
  add_gradient_sums(dxp.data(), xp.data(), M, m, s_dz, s_dz_xc);
  s_dz_xhat = s_dz_xc * inv_std;
  // dx = g * inv_std * (dz - mean(dz) - xhat * mean(dz * xhat)), with xhat = (x - mean) * inv_std.
  const T k = T(g * inv_std);
  const T c0 = T(s_dz / double(M));
  const T c1 = T(s_dz_xhat / double(M) * inv_std);
  dxp = k * (dxp - c0 - (xp - m) * c1);
}

/// Adds the per-plane sums (N x C, plane p = n * C + c) over the batch into dweight / dbias (either may
/// be undefined), in sample order, so that threads never write the same channel.
template <class T>
void add_instance_param_grads(const std::vector<double>& sum_dz, const std::vector<double>& sum_dz_xhat,
                              std::int64_t N, std::int64_t C, const tensor<T>& dweight, const tensor<T>& dbias) {
  for (std::int64_t c = 0; c < C; ++c) {
    double s_b = 0, s_w = 0;
    for (std::int64_t n = 0; n < N; ++n) {
      s_b += sum_dz[std::size_t(n * C + c)];
      s_w += sum_dz_xhat[std::size_t(n * C + c)];
    }
    if (dbias.defined()) dbias[c] += T(s_b);
    if (dweight.defined()) dweight[c] += T(s_w);
  }
}


}  // namespace detail

template <cpu_scalar T>
instance_norm_result<T> instance_norm(const tensor<T>& x, const tensor<T>& weight = {}, const tensor<T>& bias = {},
                                      double eps = 1e-5, const activation& act = {}) {
  checks::instance_norm<checks::on_host>(x, weight, bias, eps, act);

  const std::int64_t C = x.c(), M = x.h() * x.w(), P = x.n() * C;
  instance_norm_result<T> r{tensor<T>::empty(x.shape()), tensor<T>::empty({x.n(), C}),
                            tensor<T>::empty({x.n(), C}), act};
  parallel_for(P, detail::norm_plane_grain(M), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      const T* xp = x.data() + p * M;
      double mean, inv_std;
      detail::instance_plane_statistics(xp, M, eps, mean, inv_std);
      const std::int64_t c = p % C;
      const double g = weight.defined() ? double(weight[c]) : 1.0;
      const double beta = bias.defined() ? double(bias[c]) : 0.0;
      // (x - mean) first: folding mean into one shift (x * a + shift) would cancel two large terms when
      // the input has a large offset.
      detail::affine_activate_range(xp, r.y.data() + p * M, M, T(mean), T(g * inv_std), T(beta), act);
      r.mean[p] = T(mean);
      r.inv_std[p] = T(inv_std);
    }
  });
  return r;
}

template <cpu_scalar T>
tensor<T> instance_norm_backward(const tensor<T>& dy, const tensor<T>& x, const instance_norm_result<T>& fwd,
                                 const tensor<T>& weight = {}, const tensor<T>& dweight = {},
                                 const tensor<T>& dbias = {}) {
  constexpr const char* op = "instance_norm_backward";
  checks::norm_backward<checks::on_host>(op, dy, x, fwd, shape{x.n(), x.c()}, weight, dweight, dbias);

  const std::int64_t N = x.n(), C = x.c(), M = x.h() * x.w(), P = N * C;
  auto dx = tensor<T>::empty(x.shape());
  // Per-plane parameter-gradient partial sums, reduced over the batch afterwards so that threads never
  // write the same channel.
  std::vector<double> sum_dz(static_cast<std::size_t>(P), 0.0), sum_dz_xhat(static_cast<std::size_t>(P), 0.0);
  parallel_for(P, detail::norm_plane_grain(M), [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t p = b; p < e; ++p) {
      T* dxp = dx.data() + p * M;
      // dz (gradient before the activation) goes into dx's storage first, then is overwritten by dx.
      detail::activation_backward_range(dy.data() + p * M, fwd.y.data() + p * M, dxp, M, fwd.act);
      const double g = weight.defined() ? double(weight[p % C]) : 1.0;
      detail::instance_plane_backward(dxp, x.data() + p * M, M, double(fwd.mean[p]), double(fwd.inv_std[p]), g,
                                      sum_dz[std::size_t(p)], sum_dz_xhat[std::size_t(p)]);
    }
  });
  detail::add_instance_param_grads(sum_dz, sum_dz_xhat, N, C, dweight, dbias);
  return dx;
}

}  // namespace i2i::cpu

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
