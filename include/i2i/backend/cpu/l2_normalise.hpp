#pragma once
// Spatial L2 normalisation of feature maps (EGSC-IT's perceptual losses normalise VGG features before
// comparing them):
//
//   spatial_l2_normalise(f)                  y[n,c] = f[n,c] / sqrt(max(sum_hw f[n,c]^2, 1e-12))
//   spatial_l2_normalise_backward(saved, dy) (dy - y <dy, y>) / norm; dy / norm where the floor was taken
//
// The sums are accumulated in double. CUDA twin: cuda/kernels/l2_normalise.cuh.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "i2i/backend/checks/l2_normalise.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/backend/l2_normalise_types.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu {

template <cpu_scalar T>
l2_normalise_result<T> spatial_l2_normalise(const tensor<T>& f) {
  checks::spatial_l2_normalise<checks::on_host>(f);
  const std::int64_t planes = f.n() * f.c(), m = f.h() * f.w();
  l2_normalise_result<T> r{tensor<T>::empty(f.shape()), tensor<T>::empty({f.n(), f.c()}),
                           tensor<T>::empty({f.n(), f.c()})};
  const_matrix_map<T> F(f.data(), planes, m);
  matrix_map<T> Y(r.y.data(), planes, m);
  parallel_for(planes, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(m, 1)), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t p = lo; p < hi; ++p) {
      const double s = F.row(p).template cast<double>().squaredNorm();
      const bool clamp = !(s > l2_normalise_floor);
      const T inv = T(1.0 / std::sqrt(clamp ? l2_normalise_floor : s));
      r.inv_norm[p] = inv;
      r.clamped[p] = clamp ? T(1) : T(0);
      Y.row(p) = F.row(p) * inv;
    }
  });
  return r;
}

template <cpu_scalar T>
tensor<T> spatial_l2_normalise_backward(const l2_normalise_result<T>& saved, const tensor<T>& dy) {
  checks::spatial_l2_normalise_backward<checks::on_host>(saved, dy);
  const std::int64_t planes = dy.n() * dy.c(), m = dy.h() * dy.w();
  auto df = tensor<T>::empty(dy.shape());
  const_matrix_map<T> Y(saved.y.data(), planes, m), dY(dy.data(), planes, m);
  matrix_map<T> dF(df.data(), planes, m);
  parallel_for(planes, std::max<std::int64_t>(1, 16384 / std::max<std::int64_t>(m, 1)), [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t p = lo; p < hi; ++p) {
      const T inv = saved.inv_norm[p];
      if (saved.clamped[p] != T(0)) {
        dF.row(p) = dY.row(p) * inv;
      } else {
        const T k = T(dY.row(p).template cast<double>().dot(Y.row(p).template cast<double>()));
        dF.row(p) = (dY.row(p) - Y.row(p) * k) * inv;
      }
    }
  });
  return df;
}

}  // namespace i2i::cpu
