#pragma once
// Gram matrices of feature maps and the Gram style loss.
//
// gram_matrix(f): for each sample, G = F F^T / norm with F the C x (H*W) matrix of f[n]; the result is
// N x C x C (rank 3). The normalisation is a choice:
//   gram_norm::hw  (default) divides by H*W, EGSC-IT's Gram = F^T F / (h w) (research/egscit.md §5; its
//                  features are first L2-normalised per channel over space, a separate step);
//   gram_norm::chw divides by C*H*W, Johnson et al.'s and the PyTorch style-transfer tutorial's form.
// Backward: dF = (dG + dG^T) F / norm.
//
// gram_style_loss(pred, target): the distance between gram_matrix(pred) and gram_matrix(target), reduced
// by the mean over N*C*C elements, with the gradient for pred (target features are treated as constants,
// as the papers detach the exemplar / real branch). style_distance::mse is the default (Gatys, Johnson);
// EGSC-IT uses style_distance::l1 (L1 between Gram matrices). A caller holding a precomputed target
// Gram can compose mse_loss / l1_loss (mse.hpp, l1.hpp) on the Grams with gram_matrix_backward instead.
#include <cstdint>

#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/loss/loss_value.hpp"

namespace i2i::loss {


namespace gram_detail {
template <class T>
void require_features(const char* op, const char* arg, const tensor<T>& f) {
  cpu::argcheck::require_host(op, arg, f);
  require<shape_error>(f.rank() == 4, op, ": ", arg, " has shape ", f.shape(), ", expected rank 4 (N x C x H x W)");
  require<shape_error>(f.numel() > 0, op, ": ", arg, " has shape ", f.shape(), "; it needs at least one element");
}
inline double divisor(std::int64_t c, std::int64_t hw, gram_norm norm) {
  return norm == gram_norm::hw ? double(hw) : double(c) * double(hw);
}
}  // namespace gram_detail

/// N x C x C Gram matrices of f (N x C x H x W).
template <cpu_scalar T>
tensor<T> gram_matrix(const tensor<T>& f, gram_norm norm = gram_norm::hw) {
  gram_detail::require_features("gram_matrix", "features", f);
  const std::int64_t n = f.dim(0), c = f.dim(1), hw = f.dim(2) * f.dim(3);
  const T inv = T(1.0 / gram_detail::divisor(c, hw, norm));
  auto g = tensor<T>::empty({n, c, c});
  parallel_tasks(n, [&](std::int64_t s) {
    cpu::const_matrix_map<T> F(f.data() + s * c * hw, c, hw);
    cpu::matrix_map<T> G(g.data() + s * c * c, c, c);
    G.noalias() = F * F.transpose();
    G *= inv;
  });
  return g;
}

/// dF for the Gram matrices' gradient dg (N x C x C).
template <cpu_scalar T>
tensor<T> gram_matrix_backward(const tensor<T>& f, const tensor<T>& dg, gram_norm norm = gram_norm::hw) {
  gram_detail::require_features("gram_matrix_backward", "features", f);
  const std::int64_t n = f.dim(0), c = f.dim(1), hw = f.dim(2) * f.dim(3);
  cpu::argcheck::require_host("gram_matrix_backward", "dg", dg);
  require<shape_error>(dg.shape() == shape{n, c, c}, "gram_matrix_backward: dg has shape ", dg.shape(), ", expected ",
                       shape{n, c, c}, " (one C x C matrix per sample of features ", f.shape(), ")");
  const T inv = T(1.0 / gram_detail::divisor(c, hw, norm));
  auto df = tensor<T>::empty(f.shape());
  parallel_tasks(n, [&](std::int64_t s) {
    cpu::const_matrix_map<T> F(f.data() + s * c * hw, c, hw), dG(dg.data() + s * c * c, c, c);
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> sym = (dG + dG.transpose()) * inv;
    cpu::matrix_map<T>(df.data() + s * c * hw, c, hw).noalias() = sym * F;
  });
  return df;
}

/// Gram style loss between the features of a prediction and of a target (same shape).
template <cpu_scalar T>
loss_value<T> gram_style_loss(const tensor<T>& pred, const tensor<T>& target,
                              style_distance distance = style_distance::mse, gram_norm norm = gram_norm::hw) {
  gram_detail::require_features("gram_style_loss", "prediction", pred);
  gram_detail::require_features("gram_style_loss", "target", target);
  cpu::argcheck::require_same_shape("gram_style_loss", "target", target, "prediction", pred);
  const auto gp = gram_matrix(pred, norm), gt = gram_matrix(target, norm);
  const auto d = (cpu::cflat(gp) - cpu::cflat(gt)).eval();
  const double inv_n = 1.0 / double(gp.numel());
  const bool mse = distance == style_distance::mse;
  const double value = (mse ? d.template cast<double>().square().sum() : d.template cast<double>().abs().sum()) * inv_n;
  require_finite(value, "gram_style_loss");
  auto dg = tensor<T>::empty(gp.shape());
  if (mse)
    cpu::flat(dg) = d * T(2 * inv_n);
  else
    cpu::flat(dg) = d.sign() * T(inv_n);
  return {value, gram_matrix_backward(pred, dg, norm)};
}

}  // namespace i2i::loss
