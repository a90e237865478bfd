#pragma once
// Argument checks of the AdaIN ops and the per-channel statistics (cpu/adain.hpp,
// cuda/kernels/adain.cuh), once for both backends; P is where the tensors must live (placement.hpp).
// Each returns the (N, C, H*W) layout the op iterates over.
#include <cstdint>

#include "i2i/backend/adain_types.hpp"
#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/checks/tensor_args.hpp"

namespace i2i::checks {

struct plane_layout {
  std::int64_t n, c, m;  // m = H * W
};

/// A feature map N x C x H x W whose per-plane statistics need at least 1 pixel (2 when unbiased).
template <placement P, class T>
plane_layout adain_map(const char* op, const char* arg, const tensor<T>& x, bool unbiased = false) {
  require_tensor<P>(op, arg, x);
  require<shape_error>(x.rank() == 4, op, ": ", arg, " has shape ", x.shape(), ", expected rank 4 (N x C x H x W)");
  const std::int64_t m = x.dim(2) * x.dim(3);
  require<shape_error>(m >= (unbiased ? 2 : 1), op, ": ", arg, " has shape ", x.shape(), "; its statistics need at least ",
                       unbiased ? "2 pixels (unbiased variance)" : "1 pixel", " per channel");
  return {x.dim(0), x.dim(1), m};
}

/// A required N x C statistic of the map `of`.
template <placement P, class T>
void adain_stat(const char* op, const char* arg, const tensor<T>& g, const plane_layout& l, const char* of,
                const shape& of_shape) {
  require_tensor<P>(op, arg, g);
  require_nc(op, arg, g, l.n, l.c, of, of_shape);
}

/// An optional N x C gradient (undefined means zero); true when it is defined.
template <placement P, class T>
bool adain_optional_stat(const char* op, const char* arg, const tensor<T>& g, const plane_layout& l, const char* of,
                         const shape& of_shape) {
  if (!g.defined()) return false;
  adain_stat<P>(op, arg, g, l, of, of_shape);
  return true;
}

template <placement P, class T>
plane_layout channel_moments_backward(const tensor<T>& x, const channel_moments_result<T>& saved, const tensor<T>& dmean,
                                      const tensor<T>& dvar) {
  const char* op = "channel_moments_backward";
  const auto l = adain_map<P>(op, "x", x, saved.unbiased);
  adain_stat<P>(op, "saved mean", saved.mean, l, "x", x.shape());
  adain_optional_stat<P>(op, "dmean", dmean, l, "x", x.shape());
  adain_optional_stat<P>(op, "dvar", dvar, l, "x", x.shape());
  return l;
}

template <placement P, class T>
plane_layout channel_mean_std_backward(const tensor<T>& s, const mean_std_result<T>& saved, const tensor<T>& dstd) {
  const char* op = "channel_mean_std_backward";
  const auto l = adain_map<P>(op, "s", s, saved.options.unbiased);
  adain_stat<P>(op, "saved std", saved.std, l, "s", s.shape());
  adain_optional_stat<P>(op, "dstd", dstd, l, "s", s.shape());
  return l;
}

template <placement P, class T>
plane_layout adain(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                   const adain_options& opt) {
  const char* op = "adain";
  const auto l = adain_map<P>(op, "x", x, opt.unbiased);
  adain_stat<P>(op, "style_mean", style_mean, l, "x", x.shape());
  adain_stat<P>(op, "style_std", style_std, l, "x", x.shape());
  require<value_error>(opt.eps >= 0, op, ": eps must be >= 0, got ", opt.eps);
  return l;
}

template <placement P, class T>
plane_layout adain_backward(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                            const adain_result<T>& saved, const tensor<T>& dy) {
  const char* op = "adain_backward";
  const auto l = adain_map<P>(op, "x", x, saved.options.unbiased);
  adain_stat<P>(op, "style_mean", style_mean, l, "x", x.shape());
  adain_stat<P>(op, "style_std", style_std, l, "x", x.shape());
  adain_stat<P>(op, "saved rstd", saved.rstd, l, "x", x.shape());
  adain_stat<P>(op, "saved mean", saved.mean, l, "x", x.shape());
  require_tensor<P>(op, "dy", dy);
  require_same_shape(op, "dy", dy, "x", x);
  return l;
}

template <placement P, class T>
plane_layout adain_egscit(const tensor<T>& x, const tensor<T>& exemplar_mean, const tensor<T>& exemplar_var,
                          double eps) {
  const char* op = "adain_egscit";
  const auto l = adain_map<P>(op, "x", x);
  adain_stat<P>(op, "exemplar_mean", exemplar_mean, l, "x", x.shape());
  adain_stat<P>(op, "exemplar_var", exemplar_var, l, "x", x.shape());
  require<value_error>(eps >= 0, op, ": eps must be >= 0, got ", eps);
  return l;
}

template <placement P, class T>
plane_layout adain_egscit_backward(const tensor<T>& x, const tensor<T>& exemplar_mean, const tensor<T>& exemplar_var,
                                   const adain_egscit_result<T>& saved, const tensor<T>& dy) {
  const char* op = "adain_egscit_backward";
  const auto l = adain_map<P>(op, "x", x);
  adain_stat<P>(op, "exemplar_mean", exemplar_mean, l, "x", x.shape());
  adain_stat<P>(op, "exemplar_var", exemplar_var, l, "x", x.shape());
  adain_stat<P>(op, "saved inv_var", saved.inv_var, l, "x", x.shape());
  adain_stat<P>(op, "saved mean", saved.mean, l, "x", x.shape());
  require_tensor<P>(op, "dy", dy);
  require_same_shape(op, "dy", dy, "x", x);
  return l;
}

/// AdaIN whose statistics come from a second feature map `s` (named `s_arg`): same N and C as x, any H, W.
template <placement P, class T>
void adain_from_map(const char* op, const tensor<T>& x, const char* s_arg, const tensor<T>& s, bool unbiased) {
  const auto lx = adain_map<P>(op, "x", x, unbiased);
  const auto ls = adain_map<P>(op, s_arg, s, unbiased);
  require<shape_error>(lx.n == ls.n && lx.c == ls.c, op, ": ", s_arg, " has shape ", s.shape(), ", expected ", lx.n,
                       " samples and ", lx.c, " channels like x ", x.shape());
}

}  // namespace i2i::checks
