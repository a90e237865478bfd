#pragma once
// Fully connected layer, y = x W^T + b, with W in PyTorch's layout (Out x In) so that converted
// state_dicts load without a transpose. x may be N x In, or any rank >= 2 tensor whose trailing
// dimensions multiply to In (it is flattened per sample, like PyTorch's x.view(N, -1) before an MLP,
// e.g. MUNIT's N x 8 x 1 x 1 style code). The output is always N x Out.
//
// The sizes here (style MLPs, a few hundred units) are small, so one Eigen product per call is enough.
#include <cstdint>
#include <type_traits>

#include "i2i/backend/checks/linear.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::cpu {

/// y = x W^T + b. `bias` may be nullptr (no bias).
template <cpu_scalar T>
tensor<T> linear(const tensor<T>& x, const tensor<T>& weight,
                 std::type_identity_t<const tensor<T>*> bias = nullptr) {
  const std::int64_t in = checks::linear<checks::on_host>(x, weight, bias);
  const std::int64_t n = x.dim(0), out = weight.dim(0);
  auto y = tensor<T>::empty({n, out});
  matrix_map<T> Y(y.data(), n, out);
  Y.noalias() = const_matrix_map<T>(x.data(), n, in) * const_matrix_map<T>(weight.data(), out, in).transpose();
  if (bias) Y.rowwise() += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(bias->data(), out);
  return y;
}

/// Backward of linear: returns dx (in x's shape); ADDS dW = dy^T x into `dweight` (Out x In) and, when
/// `dbias` is given, db = column sums of dy into it.
template <cpu_scalar T>
tensor<T> linear_backward(const tensor<T>& x, const tensor<T>& weight, const tensor<T>& dy,
                          const tensor<T>& dweight, std::type_identity_t<const tensor<T>*> dbias = nullptr) {
  const std::int64_t in = checks::linear_backward<checks::on_host>(x, weight, dy, dweight, dbias);
  const std::int64_t n = x.dim(0), out = weight.dim(0);
  const_matrix_map<T> X(x.data(), n, in), W(weight.data(), out, in), dY(dy.data(), n, out);
  auto dx = tensor<T>::empty(x.shape());
  matrix_map<T>(dx.data(), n, in).noalias() = dY * W;
  matrix_map<T>(dweight.data(), out, in).noalias() += dY.transpose() * X;
  if (dbias) matrix_map<T>(dbias->data(), 1, out) += dY.colwise().sum();
  return dx;
}

}  // namespace i2i::cpu
