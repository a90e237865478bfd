#pragma once
// The argument checks of the loss kernels, written once for every backend (cpu/losses*.hpp and
// cuda/kernels/losses*.cuh, gram.cuh call them). Free of Eigen and CUDA, so that g++ and nvcc
// translation units include the same text; where a tensor must live is the placement parameter P of
// backend/checks/placement.hpp (checks::on_host for the CPU kernels, cuda::on_current_device for the
// CUDA ones), which is the only thing the two backends' checks ever differed in.
//
// Namespace i2i::checks::losses (not i2i::checks): the checks of the other ops live beside this file,
// and a nested namespace keeps helpers of the same name from colliding in one translation unit.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/checks/tensor_args.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/loss/loss_types.hpp"

namespace i2i::checks::losses {

/// A defined, non-empty tensor on the placement P: a mean-reduced loss of nothing is undefined.
template <placement P, class T>
void require_input(const char* op, const char* arg, const tensor<T>& t) {
  require_tensor<P>(op, arg, t);
  require<shape_error>(t.numel() > 0, op, ": ", arg, " has shape ", t.shape(),
                       "; the mean over zero elements is undefined");
}

/// Prediction and target of an elementwise loss: both inputs, same shape.
template <placement P, class T>
void require_pair(const char* op, const tensor<T>& pred, const tensor<T>& target) {
  require_input<P>(op, "prediction", pred);
  require_input<P>(op, "target", target);
  require_same_shape(op, "target", target, "prediction", pred);
}

/// Feature maps of a Gram matrix: N x C x H x W with at least one element.
template <placement P, class T>
void require_features(const char* op, const char* arg, const tensor<T>& f) {
  require_tensor<P>(op, arg, f);
  require<shape_error>(f.rank() == 4, op, ": ", arg, " has shape ", f.shape(), ", expected rank 4 (N x C x H x W)");
  require<shape_error>(f.numel() > 0, op, ": ", arg, " has shape ", f.shape(), "; it needs at least one element");
}

/// The gradient of the Gram matrices of features f: one C x C matrix per sample.
template <placement P, class T>
void require_gram_grad(const char* op, const tensor<T>& f, const tensor<T>& dg) {
  require_features<P>(op, "features", f);
  require_tensor<P>(op, "dg", dg);
  const std::int64_t n = f.dim(0), c = f.dim(1);
  require<shape_error>(dg.shape() == shape{n, c, c}, op, ": dg has shape ", dg.shape(), ", expected ", shape{n, c, c},
                       " (one C x C matrix per sample of features ", f.shape(), ")");
}

/// Two batches of Gram matrices (N x C x C each) compared elementwise.
template <placement P, class T>
void require_grams(const char* op, const tensor<T>& pred, const tensor<T>& target) {
  require_input<P>(op, "prediction", pred);
  require_input<P>(op, "target", target);
  require<shape_error>(pred.rank() == 3 && pred.dim(1) == pred.dim(2), op, ": prediction has shape ", pred.shape(),
                       ", expected N x C x C Gram matrices");
  require_same_shape(op, "target", target, "prediction", pred);
}

// ---- cross-entropy ---------------------------------------------------------------------------------

/// The sizes of a checked cross-entropy call.
struct cross_entropy_dims {
  std::int64_t n = 0, c = 0, h = 0, w = 0;
  std::int64_t pixels() const { return n * h * w; }
  std::int64_t hw() const { return h * w; }
};

/// Logits N x C x H x W, labels N x 1 x H x W or N x H x W on the placement P, one finite weight >= 0 per class
/// (or none). The label values are checked by the kernels (classify_label / throw_bad_label).
template <placement P, class T>
cross_entropy_dims require_cross_entropy(const tensor<T>& logits, const tensor<T>& labels,
                                         const loss::cross_entropy_options& opt) {
  require_input<P>("cross_entropy_loss", "logits", logits);
  require_input<P>("cross_entropy_loss", "labels", labels);
  require<shape_error>(logits.rank() == 4, "cross_entropy_loss: logits have shape ", logits.shape(),
                       ", expected N x C x H x W");
  const cross_entropy_dims d{logits.dim(0), logits.dim(1), logits.dim(2), logits.dim(3)};
  require<value_error>(opt.class_weights.empty() || std::int64_t(opt.class_weights.size()) == d.c,
                       "cross_entropy_loss: ", opt.class_weights.size(), " class weights for ", d.c, " classes");
  for (std::size_t k = 0; k < opt.class_weights.size(); ++k)
    require<value_error>(std::isfinite(opt.class_weights[k]) && opt.class_weights[k] >= 0,
                         "cross_entropy_loss: class weight ", k, " is ", opt.class_weights[k],
                         "; weights must be finite and >= 0");
  const bool rank4 = labels.rank() == 4 && labels.dim(1) == 1 && labels.dim(0) == d.n && labels.dim(2) == d.h &&
                     labels.dim(3) == d.w;
  const bool rank3 = labels.rank() == 3 && labels.dim(0) == d.n && labels.dim(1) == d.h && labels.dim(2) == d.w;
  require<shape_error>(rank4 || rank3, "cross_entropy_loss: labels have shape ", labels.shape(), ", expected ",
                       shape{d.n, 1, d.h, d.w}, " or ", shape{d.n, d.h, d.w}, " (one class id per pixel of the logits ",
                       logits.shape(), ")");
  return d;
}

/// Throws the value_error for the bad label v at pixel `index` (in memory order).
[[noreturn]] inline void throw_bad_label(double v, std::int64_t index, const cross_entropy_dims& d,
                                         const loss::cross_entropy_options& opt, const shape& logits_shape) {
  const std::int64_t s = index / d.hw(), p = index % d.hw();
  throw value_error(i2i::detail::concat(
      "cross_entropy_loss: label ", v, " at (n=", s, ", h=", p / d.w, ", w=", p % d.w, ") ",
      v == std::floor(v) ? "is outside [0, C)" : "is not an integer", " with C = ", d.c, " classes",
      opt.ignore_index >= 0 ? i2i::detail::concat(" and ignore_index ", opt.ignore_index) : std::string(),
      " (the logits have shape ", logits_shape, ")"));
}

/// Every pixel ignored or of weight 0: the weighted mean has nothing to divide by.
inline void require_counted(double weight, const shape& labels_shape, const loss::cross_entropy_options& opt) {
  require<value_error>(weight > 0, "cross_entropy_loss: no pixel counts (every label of ", labels_shape,
                       " is the ignore index ", opt.ignore_index, " or has class weight 0); the mean is undefined");
}

}  // namespace i2i::checks::losses
