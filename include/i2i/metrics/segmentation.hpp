#pragma once
// Segmentation scores from a confusion matrix accumulated over any number of label maps: pixel
// accuracy, per-class IoU and mean IoU (the usual Cityscapes/pix2pixHD evaluation).
//
//   * Pixels whose ground truth equals `ignore_index` (e.g. 255) are skipped whatever was predicted.
//   * Any other ground-truth or predicted label outside [0, classes) is an error, not a silent skip.
//   * IoU_c = TP / (TP + FP + FN). A class absent from both the predictions and the ground truth
//     (TP + FP + FN = 0) has no IoU (NaN) and is left out of the mean; a class present in only one
//     of them has IoU 0 and counts.
#include <cmath>
#include <concepts>
#include <cstdint>
#include <span>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i::metrics {

class confusion_matrix {
 public:
  /// `ignore_index` < 0 ignores nothing.
  explicit confusion_matrix(int classes, std::int64_t ignore_index = -1) : classes_(classes), ignore_(ignore_index) {
    require<value_error>(classes >= 1, "confusion_matrix: ", classes, " classes, expected at least 1");
    counts_.assign(std::size_t(classes) * std::size_t(classes), 0);
  }

  /// Adds one label map (or any number of pixels): prediction[k] against truth[k].
  template <std::integral P, std::integral T>
  void add(std::span<const P> prediction, std::span<const T> truth) {
    require<shape_error>(prediction.size() == truth.size(), "confusion_matrix::add: prediction has ",
                         prediction.size(), " pixels, ground truth ", truth.size());
    for (std::size_t k = 0; k < truth.size(); ++k) {
      const auto t = std::int64_t(truth[k]);
      if (ignore_ >= 0 && t == ignore_) continue;
      const auto p = std::int64_t(prediction[k]);
      require<value_error>(t >= 0 && t < classes_, "confusion_matrix::add: ground-truth label ", t, " at pixel ", k,
                           " is outside 0..", classes_ - 1, (ignore_ >= 0 ? " and is not the ignore index" : ""));
      require<value_error>(p >= 0 && p < classes_, "confusion_matrix::add: predicted label ", p, " at pixel ", k,
                           " is outside 0..", classes_ - 1);
      ++counts_[std::size_t(t) * std::size_t(classes_) + std::size_t(p)];
    }
  }
  template <class P, class T>
  void add(const std::vector<P>& prediction, const std::vector<T>& truth) {
    add(std::span<const P>(prediction), std::span<const T>(truth));
  }

  int classes() const { return classes_; }
  /// Pixels of ground-truth class `truth` predicted as `predicted`.
  std::uint64_t at(int truth, int predicted) const {
    require<value_error>(truth >= 0 && truth < classes_ && predicted >= 0 && predicted < classes_,
                         "confusion_matrix::at: (", truth, ", ", predicted, ") outside ", classes_, " classes");
    return counts_[std::size_t(truth) * std::size_t(classes_) + std::size_t(predicted)];
  }
  /// Counted (non-ignored) pixels.
  std::uint64_t total() const {
    std::uint64_t s = 0;
    for (auto c : counts_) s += c;
    return s;
  }

  /// Correct pixels / counted pixels; NaN when nothing was counted.
  double pixel_accuracy() const {
    const std::uint64_t n = total();
    if (n == 0) return std::nan("");
    std::uint64_t correct = 0;
    for (int c = 0; c < classes_; ++c) correct += at(c, c);
    return double(correct) / double(n);
  }

  /// IoU of every class; NaN for a class absent from both predictions and ground truth.
  std::vector<double> iou() const {
    std::vector<double> r(static_cast<std::size_t>(classes_));
    for (int c = 0; c < classes_; ++c) {
      std::uint64_t tp = at(c, c), fp = 0, fn = 0;
      for (int o = 0; o < classes_; ++o)
        if (o != c) {
          fp += at(o, c);
          fn += at(c, o);
        }
      const std::uint64_t u = tp + fp + fn;
      r[std::size_t(c)] = u ? double(tp) / double(u) : std::nan("");
    }
    return r;
  }

  /// Mean IoU over the classes that have one; NaN when none has.
  double mean_iou() const {
    double sum = 0;
    int n = 0;
    for (double v : iou())
      if (!std::isnan(v)) {
        sum += v;
        ++n;
      }
    return n ? sum / n : std::nan("");
  }

 private:
  int classes_;
  std::int64_t ignore_;
  std::vector<std::uint64_t> counts_;  ///< row = ground truth, column = prediction
};

/// Pixel accuracy of one prediction against one ground truth.
template <std::integral P, std::integral T>
double pixel_accuracy(std::span<const P> prediction, std::span<const T> truth, int classes,
                      std::int64_t ignore_index = -1) {
  confusion_matrix m(classes, ignore_index);
  m.add(prediction, truth);
  return m.pixel_accuracy();
}

/// Mean IoU of one prediction against one ground truth (see the class comment for absent classes).
template <std::integral P, std::integral T>
double mean_iou(std::span<const P> prediction, std::span<const T> truth, int classes, std::int64_t ignore_index = -1) {
  confusion_matrix m(classes, ignore_index);
  m.add(prediction, truth);
  return m.mean_iou();
}

}  // namespace i2i::metrics
