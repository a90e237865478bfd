#pragma once
// Adaptive instance normalisation, in two variants, plus the per-channel statistics they are built on.
//
// 1. Canonical AdaIN (Huang & Belongie 2017; MUNIT):
//      y = sigma_s * (x - mu_x) / sqrt(var_x + eps) + mu_s        per sample n and channel c,
//    with mu_x, var_x the spatial mean and variance of x[n, c]. The style statistics mu_s, sigma_s are
//    N x C tensors (MUNIT predicts them with an MLP: adain / adain_backward) or come from a style feature
//    map s as mu_s = mean(s[n,c]), sigma_s = sqrt(var(s[n,c]) + eps) (Huang's form: adain_from_style).
//    The variance is the population one (divide by H*W, like instance norm and MUNIT) unless
//    adain_options::unbiased is set (divide by H*W - 1: Huang's reference code, torch.var's default).
//
// 2. EGSC-IT's AdaIN exactly as its code computes it (research/egscit.md §4):
//      y = mu_e * (x - mu_x) / (v_x + eps) + v_e,
//    where mu_e, v_e are the exemplar feature map's per-channel spatial mean and POPULATION variance and
//    v_x is x's population variance. It divides by the variance (not the standard deviation), scales by
//    the exemplar's mean and shifts by its variance. eps defaults to 0 for fidelity; a channel of x that
//    is constant then has v_x = 0 and gives 0 * inf = NaN, exactly as the TensorFlow original does, and
//    the losses' require_finite reports it. Pass eps > 0 to trade fidelity for robustness.
//
// Forward functions return the saved statistics that backward needs; pass the whole result back.
// Statistics are reduced in double so float feature maps with many pixels keep their precision.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

#include "i2i/backend/adain_types.hpp"
#include "i2i/backend/checks/adain.hpp"
#include "i2i/backend/cpu/argcheck.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::cpu {

// The options and result types are shared with the CUDA backend (backend/adain_types.hpp, namespace i2i);
// the two that models name as cpu:: stay visible here for them.
using i2i::adain_egscit_exemplar_result;
using i2i::adain_result;

namespace adain_detail {
using layout = checks::plane_layout;

// Runs f(r) for every (sample, channel) plane r, in parallel when the planes are many or large.
template <class F>
void for_planes(const layout& l, F&& f) {
  const std::int64_t grain = std::max<std::int64_t>(1, argcheck::element_grain / std::max<std::int64_t>(l.m, 1));
  parallel_for(l.n * l.c, grain, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t r = lo; r < hi; ++r) f(r);
  });
}

inline double divisor(std::int64_t m, bool unbiased) { return double(unbiased ? m - 1 : m); }
}  // namespace adain_detail

// ---------------------------------------------------------------------------------------------------
// Per-channel spatial statistics.

/// Spatial mean and variance of every (sample, channel) plane of x (N x C x H x W).
template <cpu_scalar T>
channel_moments_result<T> channel_moments(const tensor<T>& x, bool unbiased = false) {
  const auto l = checks::adain_map<checks::on_host>("channel_moments", "x", x, unbiased);
  channel_moments_result<T> r{tensor<T>::empty({l.n, l.c}), tensor<T>::empty({l.n, l.c}), unbiased};
  const_matrix_map<T> X(x.data(), l.n * l.c, l.m);
  const double d = adain_detail::divisor(l.m, unbiased);
  adain_detail::for_planes(l, [&](std::int64_t p) {
    const auto xr = X.row(p).array().template cast<double>();
    const double mu = xr.mean();
    r.mean[p] = T(mu);
    r.var[p] = T((xr - mu).square().sum() / d);
  });
  return r;
}

/// dx from gradients of the mean and/or the variance (either may be an undefined tensor, meaning zero):
/// dx = dmean / (H*W) + dvar * 2 (x - mean) / D.
template <cpu_scalar T>
tensor<T> channel_moments_backward(const tensor<T>& x, const channel_moments_result<T>& saved, const tensor<T>& dmean,
                                   const tensor<T>& dvar) {
  const auto l = checks::channel_moments_backward<checks::on_host>(x, saved, dmean, dvar);
  const T* gm = dmean.defined() ? dmean.data() : nullptr;
  const T* gv = dvar.defined() ? dvar.data() : nullptr;
  auto dx = tensor<T>::empty(x.shape());
  const_matrix_map<T> X(x.data(), l.n * l.c, l.m);
  matrix_map<T> dX(dx.data(), l.n * l.c, l.m);
  const T inv_m = T(1.0 / double(l.m)), two_over_d = T(2.0 / adain_detail::divisor(l.m, saved.unbiased));
  adain_detail::for_planes(l, [&](std::int64_t p) {
    const T a = gm ? gm[p] * inv_m : T(0), b = gv ? gv[p] * two_over_d : T(0);
    dX.row(p).array() = a + b * (X.row(p).array() - saved.mean[p]);
  });
  return dx;
}

/// Style statistics of a feature map for canonical AdaIN: mean and sqrt(var + eps) per (sample, channel).
template <cpu_scalar T>
mean_std_result<T> channel_mean_std(const tensor<T>& s, adain_options opt = {}) {
  auto mv = channel_moments(s, opt.unbiased);
  auto sd = tensor<T>::empty(mv.var.shape());
  flat(sd) = (flat(mv.var) + T(opt.eps)).sqrt();
  return {mv.mean, sd, opt};
}

/// ds from gradients of the mean and/or the std (undefined = zero): d std / d s = (s - mean) / (D std).
template <cpu_scalar T>
tensor<T> channel_mean_std_backward(const tensor<T>& s, const mean_std_result<T>& saved, const tensor<T>& dmean,
                                    const tensor<T>& dstd) {
  checks::channel_mean_std_backward<checks::on_host>(s, saved, dstd);
  tensor<T> dvar;
  if (dstd.defined()) {
    dvar = tensor<T>::empty(dstd.shape());
    flat(dvar) = cflat(dstd) / (T(2) * cflat(saved.std));
  }
  return channel_moments_backward(s, channel_moments_result<T>{saved.mean, tensor<T>(), saved.options.unbiased}, dmean,
                                  dvar);
}

// ---------------------------------------------------------------------------------------------------
// Canonical AdaIN.

/// y = style_std * (x - mu_x) / sqrt(var_x + eps) + style_mean; style_* are N x C.
template <cpu_scalar T>
adain_result<T> adain(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                      adain_options opt = {}) {
  const auto l = checks::adain<checks::on_host>(x, style_mean, style_std, opt);
  adain_result<T> r{tensor<T>::empty(x.shape()), tensor<T>::empty({l.n, l.c}), tensor<T>::empty({l.n, l.c}), opt};
  const_matrix_map<T> X(x.data(), l.n * l.c, l.m);
  matrix_map<T> Y(r.y.data(), l.n * l.c, l.m);
  const double d = adain_detail::divisor(l.m, opt.unbiased);
  adain_detail::for_planes(l, [&](std::int64_t p) {
    const auto xr = X.row(p).array();
    const double mu = xr.template cast<double>().mean();
    const double var = (xr.template cast<double>() - mu).square().sum() / d;
    const T rstd = T(1.0 / std::sqrt(var + opt.eps));
    r.mean[p] = T(mu);
    r.rstd[p] = rstd;
    Y.row(p).array() = (xr - T(mu)) * (style_std[p] * rstd) + style_mean[p];
  });
  return r;
}

/// Gradients of adain with respect to x and both style statistics.
template <cpu_scalar T>
adain_grads<T> adain_backward(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                              const adain_result<T>& saved, const tensor<T>& dy) {
  const auto l = checks::adain_backward<checks::on_host>(x, style_mean, style_std, saved, dy);
  adain_grads<T> g{tensor<T>::empty(x.shape()), tensor<T>::empty({l.n, l.c}), tensor<T>::empty({l.n, l.c})};
  const_matrix_map<T> X(x.data(), l.n * l.c, l.m), dY(dy.data(), l.n * l.c, l.m);
  matrix_map<T> dX(g.dx.data(), l.n * l.c, l.m);
  const double d = adain_detail::divisor(l.m, saved.options.unbiased);
  adain_detail::for_planes(l, [&](std::int64_t p) {
    const T rstd = saved.rstd[p];
    const auto xhat = ((X.row(p).array() - saved.mean[p]) * rstd).eval();
    const auto dyr = dY.row(p).array();
    const double sum_dy = dyr.template cast<double>().sum();
    const double sum_dy_xhat = (dyr * xhat).template cast<double>().sum();
    g.dstyle_mean[p] = T(sum_dy);
    g.dstyle_std[p] = T(sum_dy_xhat);
    // With g = dy * sigma_s: dx = rstd * (g - mean(g) - xhat * sum(g * xhat) / D).
    const T s = style_std[p];
    const T mean_g = T(s * sum_dy / double(l.m)), k = T(s * sum_dy_xhat / d);
    dX.row(p).array() = rstd * (s * dyr - mean_g - xhat * k);
  });
  return g;
}

/// Canonical AdaIN with the style statistics taken from a style feature map s (N x C x H' x W'; the
/// spatial size may differ from x's). opt.eps and opt.unbiased apply to both x and s.
template <cpu_scalar T>
adain_from_style_result<T> adain_from_style(const tensor<T>& x, const tensor<T>& s, adain_options opt = {}) {
  checks::adain_from_map<checks::on_host>("adain_from_style", x, "style", s, opt.unbiased);
  auto st = channel_mean_std(s, opt);
  auto a = adain(x, st.mean, st.std, opt);
  return {std::move(a), std::move(st)};
}

template <cpu_scalar T>
adain_style_grads<T> adain_from_style_backward(const tensor<T>& x, const tensor<T>& s,
                                               const adain_from_style_result<T>& saved, const tensor<T>& dy) {
  auto g = adain_backward(x, saved.style.mean, saved.style.std, saved.adain, dy);
  auto ds = channel_mean_std_backward(s, saved.style, g.dstyle_mean, g.dstyle_std);
  return {std::move(g.dx), std::move(ds)};
}

// ---------------------------------------------------------------------------------------------------
// EGSC-IT's AdaIN (faithful form; see the header comment).

/// y = exemplar_mean * (x - mu_x) / (v_x + eps) + exemplar_var; exemplar_* are N x C.
template <cpu_scalar T>
adain_egscit_result<T> adain_egscit(const tensor<T>& x, const tensor<T>& exemplar_mean, const tensor<T>& exemplar_var,
                                    double eps = 0) {
  const auto l = checks::adain_egscit<checks::on_host>(x, exemplar_mean, exemplar_var, eps);
  adain_egscit_result<T> r{tensor<T>::empty(x.shape()), tensor<T>::empty({l.n, l.c}), tensor<T>::empty({l.n, l.c}),
                           eps};
  const_matrix_map<T> X(x.data(), l.n * l.c, l.m);
  matrix_map<T> Y(r.y.data(), l.n * l.c, l.m);
  adain_detail::for_planes(l, [&](std::int64_t p) {
    const auto xr = X.row(p).array();
    const double mu = xr.template cast<double>().mean();
    const double var = (xr.template cast<double>() - mu).square().sum() / double(l.m);
    const T inv_var = T(1.0 / (var + eps));
    r.mean[p] = T(mu);
    r.inv_var[p] = inv_var;
    Y.row(p).array() = (xr - T(mu)) * (exemplar_mean[p] * inv_var) + exemplar_var[p];
  });
  return r;
}

/// Gradients of adain_egscit with respect to x and the exemplar statistics. With z = (x - mu_x) / v and
/// g = dy * mu_e: dx = (g - mean(g)) / v - 2 z * sum(g z) / (H*W); dmu_e = sum(dy z); dv_e = sum(dy).
template <cpu_scalar T>
adain_egscit_grads<T> adain_egscit_backward(const tensor<T>& x, const tensor<T>& exemplar_mean,
                                            const tensor<T>& exemplar_var, const adain_egscit_result<T>& saved,
                                            const tensor<T>& dy) {
  const auto l = checks::adain_egscit_backward<checks::on_host>(x, exemplar_mean, exemplar_var, saved, dy);
  adain_egscit_grads<T> g{tensor<T>::empty(x.shape()), tensor<T>::empty({l.n, l.c}), tensor<T>::empty({l.n, l.c})};
  const_matrix_map<T> X(x.data(), l.n * l.c, l.m), dY(dy.data(), l.n * l.c, l.m);
  matrix_map<T> dX(g.dx.data(), l.n * l.c, l.m);
  adain_detail::for_planes(l, [&](std::int64_t p) {
    const T iv = saved.inv_var[p], me = exemplar_mean[p];
    const auto z = ((X.row(p).array() - saved.mean[p]) * iv).eval();
    const auto dyr = dY.row(p).array();
    const double sum_dy = dyr.template cast<double>().sum();
    const double sum_dy_z = (dyr * z).template cast<double>().sum();
    g.dexemplar_mean[p] = T(sum_dy_z);
    g.dexemplar_var[p] = T(sum_dy);
    const T mean_g = T(me * sum_dy / double(l.m)), k = T(2.0 * me * sum_dy_z / double(l.m));
    dX.row(p).array() = iv * (me * dyr - mean_g) - z * k;
  });
  return g;
}

/// EGSC-IT's AdaIN with mu_e, v_e computed from the exemplar feature map f_e (N x C x H' x W', population
/// variance; the spatial size may differ from x's).
template <cpu_scalar T>
adain_egscit_exemplar_result<T> adain_egscit_from_exemplar(const tensor<T>& x, const tensor<T>& f_e, double eps = 0) {
  checks::adain_from_map<checks::on_host>("adain_egscit_from_exemplar", x, "exemplar", f_e, false);
  auto mv = channel_moments(f_e, false);
  auto a = adain_egscit(x, mv.mean, mv.var, eps);
  return {std::move(a), std::move(mv)};
}

template <cpu_scalar T>
adain_egscit_exemplar_grads<T> adain_egscit_from_exemplar_backward(const tensor<T>& x, const tensor<T>& f_e,
                                                                   const adain_egscit_exemplar_result<T>& saved,
                                                                   const tensor<T>& dy) {
  auto g = adain_egscit_backward(x, saved.exemplar.mean, saved.exemplar.var, saved.adain, dy);
  auto de = channel_moments_backward(f_e, saved.exemplar, g.dexemplar_mean, g.dexemplar_var);
  return {std::move(g.dx), std::move(de)};
}

}  // namespace i2i::cpu
