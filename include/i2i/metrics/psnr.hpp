#pragma once
// Per-pixel error of an image against a reference: MSE, PSNR (as scikit-image's
// peak_signal_noise_ratio: 10 log10(range^2 / MSE) over every sample of every channel), and EGSC-IT's
// "pixel accuracy" (eval/embed_mnist.py, egscit.md §9.1): the fraction of pixels whose absolute error
// summed over the channels is at most a threshold, swept over thresholds 0..99 by the authors.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "i2i/core/error.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::metrics {

namespace detail {
inline void require_same_layout(const char* op, const io::image& x, const io::image& y) {
  require<shape_error>(x.width == y.width && x.height == y.height && x.channels == y.channels, op, ": images are ",
                       x.width, "x", x.height, "x", x.channels, " and ", y.width, "x", y.height, "x", y.channels,
                       "; expected the same size and channels");
  require<value_error>(!x.empty(), op, ": empty images");
}
}  // namespace detail

/// Mean squared error over all samples.
inline double mse(const io::image& x, const io::image& y) {
  detail::require_same_layout("mse", x, y);
  double sum = 0;
  for (std::size_t k = 0; k < x.pixels.size(); ++k) {
    const double d = double(x.pixels[k]) - double(y.pixels[k]);
    sum += d * d;
  }
  return sum / double(x.pixels.size());
}

/// PSNR in dB; +infinity for identical images.
inline double psnr(const io::image& x, const io::image& y, double data_range = 255.0) {
  require<value_error>(data_range > 0, "psnr: data_range ", data_range, " must be positive");
  const double e = mse(x, y);
  if (e == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(data_range * data_range / e);
}

/// Pixels whose summed absolute channel error is <= threshold, and all pixels. The authors pool these
/// counts over all image pairs before dividing (same as the mean over pairs for equal sizes).
struct pixel_count {
  std::size_t within = 0, total = 0;
  double fraction() const { return total ? double(within) / double(total) : 0.0; }
};

inline pixel_count pixels_within(const io::image& x, const io::image& y, int threshold) {
  detail::require_same_layout("pixels_within", x, y);
  pixel_count r;
  r.total = std::size_t(x.width) * std::size_t(x.height);
  for (std::size_t p = 0; p < r.total; ++p) {
    int err = 0;
    for (int c = 0; c < x.channels; ++c) {
      const std::size_t k = p * std::size_t(x.channels) + std::size_t(c);
      err += std::abs(int(x.pixels[k]) - int(y.pixels[k]));
    }
    r.within += err <= threshold;
  }
  return r;
}

/// The fraction of pixels within `threshold` (egscit.md §9.1's pixel accuracy for one pair).
inline double pixel_accuracy_within(const io::image& x, const io::image& y, int threshold) {
  return pixels_within(x, y, threshold).fraction();
}

}  // namespace i2i::metrics
