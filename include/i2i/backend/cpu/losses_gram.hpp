#pragma once
// Gram matrices of feature maps and the distance between them on the CPU (Eigen), cpu_backend's Gram ops;
// the device twins are in cuda/kernels/gram.cuh.
//
//   gram_matrix(f, norm = hw)             N x C x C: per sample G = F F^T / norm, F the C x (H*W) matrix of f[n].
//                                         gram_norm::hw (default) divides by H*W, EGSC-IT's Gram = F^T F / (h w)
//                                         (research/egscit.md §5; its features are first L2-normalised per
//                                         channel over space, a separate step); gram_norm::chw by C*H*W,
//                                         Johnson et al.'s and the PyTorch style-transfer tutorial's form.
//   gram_matrix_backward(f, dg, norm)     dF = (dG + dG^T) F / norm
//   gram_distance(gp, gt, distance, w)    w * mean over N*C*C of (gp - gt)^2 (style_distance::mse: Gatys,
//                                         Johnson) or |gp - gt| (::l1, EGSC-IT), with the gradient for gp; the
//                                         weight is folded into the gradient's scale (one rounding), which is
//                                         what loss::gram_style's per-layer weights need
// The Gram style loss of two feature maps is a composition of these three, written once for every
// backend: loss::gram_style_loss<B> (loss/gram_style_loss.hpp).
#include <cstdint>

#include "i2i/backend/checks/losses.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/loss/loss_types.hpp"

namespace i2i::cpu {

/// N x C x C Gram matrices of f (N x C x H x W).
template <cpu_scalar T>
tensor<T> gram_matrix(const tensor<T>& f, loss::gram_norm norm = loss::gram_norm::hw) {
  i2i::checks::losses::require_features<i2i::checks::on_host>("gram_matrix", "features", f);
  const std::int64_t n = f.dim(0), c = f.dim(1), hw = f.dim(2) * f.dim(3);
  const T inv = T(1.0 / loss::gram_divisor(c, hw, norm));
  auto g = tensor<T>::empty({n, c, c});
  parallel_tasks(n, [&](std::int64_t s) {
    const_matrix_map<T> F(f.data() + s * c * hw, c, hw);
    matrix_map<T> G(g.data() + s * c * c, c, c);
    G.noalias() = F * F.transpose();
    G *= inv;
  });
  return g;
}

/// dF for the Gram matrices' gradient dg (N x C x C).
template <cpu_scalar T>
tensor<T> gram_matrix_backward(const tensor<T>& f, const tensor<T>& dg, loss::gram_norm norm = loss::gram_norm::hw) {
  i2i::checks::losses::require_gram_grad<i2i::checks::on_host>("gram_matrix_backward", f, dg);
  const std::int64_t n = f.dim(0), c = f.dim(1), hw = f.dim(2) * f.dim(3);
  const T inv = T(1.0 / loss::gram_divisor(c, hw, norm));
  auto df = tensor<T>::empty(f.shape());
  parallel_tasks(n, [&](std::int64_t s) {
    const_matrix_map<T> F(f.data() + s * c * hw, c, hw), dG(dg.data() + s * c * c, c, c);
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> sym = (dG + dG.transpose()) * inv;
    matrix_map<T>(df.data() + s * c * hw, c, hw).noalias() = sym * F;
  });
  return df;
}

/// weight * the mean distance between two batches of Gram matrices, and its gradient for gp.
template <cpu_scalar T>
loss::loss_value<T> gram_distance(const tensor<T>& gp, const tensor<T>& gt,
                                  loss::style_distance dist = loss::style_distance::mse, double weight = 1) {
  i2i::checks::losses::require_grams<i2i::checks::on_host>("gram_distance", gp, gt);
  const auto d = (cflat(gp) - cflat(gt)).eval();
  const double inv_n = 1.0 / double(gp.numel());
  const bool mse = dist == loss::style_distance::mse;
  const double v = (mse ? d.template cast<double>().square().sum() : d.template cast<double>().abs().sum()) * inv_n;
  loss::loss_value<T> r{weight * v, tensor<T>::empty(gp.shape())};
  loss::require_finite(r.value, "gram_distance");
  if (mse)
    flat(r.grad) = d * T(2 * inv_n * weight);
  else
    flat(r.grad) = d.sign() * T(inv_n * weight);
  return r;
}

}  // namespace i2i::cpu
