#pragma once
// Softmax cross-entropy over the channel axis of N x C x H x W logits against integer label maps
// (segmentation networks; PyTorch's F.cross_entropy with reduction='mean'):
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
#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/loss/loss_value.hpp"

namespace i2i::loss {

struct cross_entropy_options {
  std::int64_t ignore_index = -1;     ///< pixels with this label count for nothing; < 0 ignores nothing
  std::vector<double> class_weights{};  ///< one weight per class (C of them), or empty for 1 everywhere
};

namespace ce_detail {

/// Checks the label map against the logits and returns the class id of every pixel (-1 where ignored).
/// Serial, so that the first bad pixel in memory order is the one reported.
template <class T>
std::vector<std::int32_t> checked_labels(const tensor<T>& logits, const tensor<T>& labels,
                                         const cross_entropy_options& opt) {
  const std::int64_t n = logits.dim(0), c = logits.dim(1), h = logits.dim(2), w = logits.dim(3);
  const bool rank4 = labels.rank() == 4 && labels.dim(1) == 1 && labels.dim(0) == n && labels.dim(2) == h &&
                     labels.dim(3) == w;
  const bool rank3 = labels.rank() == 3 && labels.dim(0) == n && labels.dim(1) == h && labels.dim(2) == w;
  require<shape_error>(rank4 || rank3, "cross_entropy_loss: labels have shape ", labels.shape(), ", expected ",
                       shape{n, 1, h, w}, " or ", shape{n, h, w}, " (one class id per pixel of the logits ",
                       logits.shape(), ")");
  std::vector<std::int32_t> ids(std::size_t(n * h * w));
  const T* l = labels.data();
  for (std::int64_t i = 0; i < n * h * w; ++i) {
    const double v = double(l[i]);
    if (opt.ignore_index >= 0 && v == double(opt.ignore_index)) {
      ids[std::size_t(i)] = -1;
      continue;
    }
    if (!(v >= 0 && v < double(c) && v == std::floor(v))) {
      const std::int64_t s = i / (h * w), p = i % (h * w);
      throw value_error(i2i::detail::concat(
          "cross_entropy_loss: label ", v, " at (n=", s, ", h=", p / w, ", w=", p % w, ") ",
          v == std::floor(v) ? "is outside [0, C)" : "is not an integer", " with C = ", c, " classes",
          opt.ignore_index >= 0 ? i2i::detail::concat(" and ignore_index ", opt.ignore_index) : std::string(),
          " (the logits have shape ", logits.shape(), ")"));
    }
    ids[std::size_t(i)] = std::int32_t(v);
  }
  return ids;
}

}  // namespace ce_detail

template <cpu_scalar T>
loss_value<T> cross_entropy_loss(const tensor<T>& logits, const tensor<T>& labels,
                                 const cross_entropy_options& opt = {}) {
  loss_detail::require_input("cross_entropy_loss", "logits", logits);
  loss_detail::require_input("cross_entropy_loss", "labels", labels);
  require<shape_error>(logits.rank() == 4, "cross_entropy_loss: logits have shape ", logits.shape(),
                       ", expected N x C x H x W");
  const std::int64_t n = logits.dim(0), c = logits.dim(1), hw = logits.dim(2) * logits.dim(3);
  require<value_error>(opt.class_weights.empty() || std::int64_t(opt.class_weights.size()) == c,
                       "cross_entropy_loss: ", opt.class_weights.size(), " class weights for ", c, " classes");
  for (std::size_t k = 0; k < opt.class_weights.size(); ++k)
    require<value_error>(std::isfinite(opt.class_weights[k]) && opt.class_weights[k] >= 0,
                         "cross_entropy_loss: class weight ", k, " is ", opt.class_weights[k],
                         "; weights must be finite and >= 0");
  const std::vector<std::int32_t> ids = ce_detail::checked_labels(logits, labels, opt);

  // Per pixel: the weighted negative log-likelihood and the unnormalised gradient w (softmax - onehot).
  // The normaliser (the summed weights) is only known at the end, so the gradient is scaled afterwards.
  loss_value<T> r{0, tensor<T>::empty(logits.shape())};
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
  require<value_error>(weight > 0, "cross_entropy_loss: no pixel counts (every label of ", labels.shape(),
                       " is the ignore index ", opt.ignore_index, " or has class weight 0); the mean is undefined");
  r.value = total / weight;
  require_finite(r.value, "cross_entropy_loss");
  cpu::flat(r.grad) *= T(1.0 / weight);
  return r;
}

}  // namespace i2i::loss
