#pragma once
// Softmax cross-entropy on the CPU, cpu_backend's cross_entropy_loss; the device twin is in
// cuda/kernels/losses_cross_entropy.cuh. Over the channel axis of N x C x H x W logits against integer
// label maps (segmentation networks; PyTorch's F.cross_entropy with reduction='mean'):
//
//   loss = sum_i w[y_i] * (logsumexp_c x_ic - x_i,y_i) / sum_i w[y_i]     over pixels i with y_i != ignore
//   grad = w[y_i] * (softmax(x_i) - onehot(y_i)) / sum_i w[y_i]           (0 at ignored pixels)
//
// Labels are class ids stored as floats, N x 1 x H x W (what the data loaders give) or N x H x W, as
// pix2pixHD stores its label maps. The weighted mean divides by the summed weights of the counted pixels,
// as PyTorch does, so class weights change the balance between classes, not the loss's scale.
//
// Differences from PyTorch, all where it crashes or returns garbage: a label outside [0, C) that is not
// the ignore index, or a label that is not an integer, is a value_error naming the value, its position
// (n, h, w) and C (PyTorch raises a device-side assert without a position); a batch whose every pixel is
// ignored (or has weight 0) is a value_error instead of NaN.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/checks/losses.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/loss/loss_types.hpp"

namespace i2i::cpu {

namespace ce_detail {

/// The class id of every pixel (-1 where ignored), checking each label. Serial, so that the first bad
/// pixel in memory order is the one reported (as on the device).
template <class T>
std::vector<std::int32_t> checked_labels(const tensor<T>& logits, const tensor<T>& labels,
                                         const i2i::checks::losses::cross_entropy_dims& d,
                                         const loss::cross_entropy_options& opt) {
  std::vector<std::int32_t> ids(std::size_t(d.pixels()));
  const T* l = labels.data();
  for (std::int64_t i = 0; i < d.pixels(); ++i) {
    const double v = double(l[i]);
    if (opt.ignore_index >= 0 && v == double(opt.ignore_index)) {
      ids[std::size_t(i)] = -1;
      continue;
    }
    if (!(v >= 0 && v < double(d.c) && v == std::floor(v))) i2i::checks::losses::throw_bad_label(v, i, d, opt, logits.shape());
    ids[std::size_t(i)] = std::int32_t(v);
  }
  return ids;
}

}  // namespace ce_detail

template <cpu_scalar T>
loss::loss_value<T> cross_entropy_loss(const tensor<T>& logits, const tensor<T>& labels,
                                       const loss::cross_entropy_options& opt = {}) {
  const auto dims = i2i::checks::losses::require_cross_entropy<i2i::checks::on_host>(logits, labels, opt);
  const std::int64_t n = dims.n, c = dims.c, hw = dims.hw();
  const std::vector<std::int32_t> ids = ce_detail::checked_labels(logits, labels, dims, opt);

  // Per pixel: the weighted negative log-likelihood and the unnormalised gradient w (softmax - onehot).
  // The normaliser (the summed weights) is only known at the end, so the gradient is scaled afterwards.
  loss::loss_value<T> r{0, tensor<T>::empty(logits.shape())};
  std::vector<double> nll(std::size_t(n * hw)), wsum(std::size_t(n * hw));
  parallel_for(n * hw, 4096, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t i = lo; i < hi; ++i) {
      const std::int64_t s = i / hw, p = i % hw;
      const T* x = logits.data() + s * c * hw + p;
      T* g = r.grad.data() + s * c * hw + p;
      const std::int32_t y = ids[std::size_t(i)];
      const double wy = y < 0 ? 0.0 : (opt.class_weights.empty() ? 1.0 : opt.class_weights[std::size_t(y)]);
      if (wy == 0) {
        for (std::int64_t k = 0; k < c; ++k) g[k * hw] = T(0);
        nll[std::size_t(i)] = wsum[std::size_t(i)] = 0;
        continue;
      }
      double m = double(x[0]);
      for (std::int64_t k = 1; k < c; ++k) m = std::max(m, double(x[k * hw]));
      double z = 0;
      for (std::int64_t k = 0; k < c; ++k) z += std::exp(double(x[k * hw]) - m);
      const double lse = m + std::log(z);
      for (std::int64_t k = 0; k < c; ++k)
        g[k * hw] = T(wy * (std::exp(double(x[k * hw]) - lse) - (k == y ? 1.0 : 0.0)));
      nll[std::size_t(i)] = wy * (lse - double(x[std::int64_t(y) * hw]));
      wsum[std::size_t(i)] = wy;
    }
  });
  double total = 0, weight = 0;
  for (std::size_t i = 0; i < nll.size(); ++i) {
    total += nll[i];
    weight += wsum[i];
  }
  i2i::checks::losses::require_counted(weight, labels.shape(), opt);
  r.value = total / weight;
  loss::require_finite(r.value, "cross_entropy_loss");
  flat(r.grad) *= T(1.0 / weight);
  return r;
}

}  // namespace i2i::cpu
