#pragma once
// Softmax cross-entropy on the device, cuda_backend's cross_entropy_loss: the CPU kernel's semantics
// (backend/cpu/losses_cross_entropy.hpp, which states the formula, the class weights, the ignore index
// and the errors), its checks (backend/checks/losses.hpp) and its texts:
//
//   cross_entropy_loss(logits N x C x H x W, labels N x 1 x H x W | N x H x W, options) -> loss_value
//
// Per pixel the same double arithmetic as the CPU (max, sum of exp, log-sum-exp, the weighted softmax
// minus one-hot); the sums over pixels are the deterministic block reduction (reduce.cuh) instead of the
// CPU's serial loop, so the value agrees to double rounding. Label values are checked on the device: a
// kernel records the first bad pixel in memory order, the host reads it (one synchronisation) and throws
// the CPU's value_error for that pixel. Three synchronisations in all (the check, the two sums).
#include <cstdint>

#include "i2i/backend/checks/losses.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/loss_value.cuh"
#include "i2i/backend/cuda/kernels/reduce.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

namespace ce_detail {

/// ids[i] = the class of pixel i, -1 where ignored; flags the first label outside [0, C) or not integral.
template <class T>
__global__ void label_ids_kernel(const T* labels, std::int64_t pixels, std::int64_t c, long long ignore_index,
                                 std::int32_t* ids, long long* bad) {
  I2I_GRID_STRIDE(i, pixels) {
    const double v = double(labels[i]);
    if (ignore_index >= 0 && v == double(ignore_index)) {
      ids[i] = -1;
    } else if (!(v >= 0 && v < double(c) && v == ::floor(v))) {
      ids[i] = -1;
      launch::flag(bad, i);
    } else {
      ids[i] = std::int32_t(v);
    }
  }
}

/// One pixel: writes w_y (softmax - onehot) into grad (unnormalised) and w_y into wsum; returns the
/// weighted negative log-likelihood (0 where the pixel does not count).
template <class T>
struct pixel_op {
  const T* x;
  T* grad;
  const std::int32_t* ids;
  const double* class_weights;  // nullptr: 1 for every class
  double* wsum;
  std::int64_t c, hw;
  __device__ double operator()(std::int64_t i) const {
    const std::int64_t s = i / hw, p = i % hw;
    const T* xi = x + s * c * hw + p;
    T* g = grad + s * c * hw + p;
    const std::int32_t y = ids[i];
    const double wy = y < 0 ? 0.0 : (class_weights ? class_weights[y] : 1.0);
    if (wy == 0) {
      for (std::int64_t k = 0; k < c; ++k) g[k * hw] = T(0);
      wsum[i] = 0;
      return 0;
    }
    double m = double(xi[0]);
    for (std::int64_t k = 1; k < c; ++k) {
      const double v = double(xi[k * hw]);
      m = m < v ? v : m;  // std::max's NaN behaviour, as the CPU
    }
    double z = 0;
    for (std::int64_t k = 0; k < c; ++k) z += ::exp(double(xi[k * hw]) - m);
    const double lse = m + ::log(z);
    for (std::int64_t k = 0; k < c; ++k) g[k * hw] = T(wy * (::exp(double(xi[k * hw]) - lse) - (k == y ? 1.0 : 0.0)));
    wsum[i] = wy;
    return wy * (lse - double(xi[std::int64_t(y) * hw]));
  }
};

struct read_op {
  const double* x;
  __device__ double operator()(std::int64_t i) const { return x[i]; }
};

template <class T>
__global__ void scale_in_place_kernel(T* x, std::int64_t n, T s) {
  I2I_GRID_STRIDE(i, n) x[i] *= s;
}

}  // namespace ce_detail

template <device_real T>
loss::loss_value<T> cross_entropy_loss(const tensor<T>& logits, const tensor<T>& labels,
                                       const loss::cross_entropy_options& opt = {}) {
  const auto dims =
      i2i::checks::losses::require_cross_entropy<on_current_device>(logits, labels, opt);
  const std::int64_t pixels = dims.pixels();

  auto ids = launch::empty<std::int32_t>(shape{pixels});
  {
    launch::first_bad_index bad;
    ce_detail::label_ids_kernel<<<launch::elementwise_blocks(pixels), launch::threads, 0, current_stream()>>>(
        labels.data(), pixels, dims.c, (long long)opt.ignore_index, ids.data(), bad.get());
    I2I_CUDA_CHECK_LAUNCH("cross_entropy label_ids_kernel");
    const std::int64_t at = bad.read();
    if (at >= 0)
      i2i::checks::losses::throw_bad_label(double(launch::download_one(labels.data() + at)), at, dims, opt,
                                           logits.shape());
  }
  tensor<double> weights;
  if (!opt.class_weights.empty()) weights = launch::upload(opt.class_weights);
  auto wsum = launch::empty<double>(shape{pixels});

  loss::loss_value<T> r{0, launch::empty<T>(logits.shape())};
  const double total = reduce_detail::sum_to_host(
      pixels, ce_detail::pixel_op<T>{logits.data(), r.grad.data(), ids.data(),
                                     weights.defined() ? weights.data() : nullptr, wsum.data(), dims.c, dims.hw()});
  const double weight = reduce_detail::sum_to_host(pixels, ce_detail::read_op{wsum.data()});
  i2i::checks::losses::require_counted(weight, labels.shape(), opt);
  r.value = total / weight;
  loss::require_finite(r.value, "cross_entropy_loss");
  ce_detail::scale_in_place_kernel<<<launch::elementwise_blocks(r.grad.numel()), launch::threads, 0,
                                     current_stream()>>>(r.grad.data(), r.grad.numel(), T(1.0 / weight));
  I2I_CUDA_CHECK_LAUNCH("cross_entropy scale_in_place_kernel");
  return r;
}

}  // namespace i2i::cuda
