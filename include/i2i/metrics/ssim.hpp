#pragma once
// SSIM as EGSC-IT evaluated it (egscit.md §9.1): skimage.measure.compare_ssim(x, y, multichannel=True)
// of scikit-image 0.13 on uint8 RGB, which is structural_similarity(x, y, channel_axis=-1) today:
//
//   * a 7x7 uniform window, K1 = 0.01, K2 = 0.03, data range 255 (from the uint8 dtype);
//   * sample covariances: variances and covariance scaled by N / (N - 1), N = 49
//     (use_sample_covariance=True, the default the authors kept);
//   * the SSIM map is averaged only where the window lies inside the image: scikit-image filters with
//     reflected borders and then crops (win - 1) / 2 pixels from every side, so the padded windows
//     never count;
//   * a multichannel image scores the mean of its per-channel SSIMs.
//
// Window sums come from summed-area tables, exact for 8-bit data. Checked against scikit-image 0.19.3
// to 1e-6 by tests/unit/metrics (fixture from tests/unit/metrics/fixtures/make_ssim_fixture.py).
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::metrics {

struct ssim_options {
  int win_size = 7;                ///< odd, at most the smaller image side
  double k1 = 0.01, k2 = 0.03;
  double data_range = 255.0;       ///< uint8 data
  bool sample_covariance = true;   ///< N / (N - 1) as scikit-image's default; false: population (Wang et al.)
};

/// Mean SSIM of two h x w planes laid out alike: `row_stride` samples between rows, `step` between
/// neighbours in a row (3 walks one channel of interleaved RGB).
template <class T>
double ssim_plane(const T* x, const T* y, int h, int w, std::ptrdiff_t row_stride, std::ptrdiff_t step,
                  const ssim_options& opt = {}) {
  const int win = opt.win_size;
  require<value_error>(win >= 1 && win % 2 == 1, "ssim: win_size ", win, " must be odd and positive");
  require<value_error>(h >= win && w >= win, "ssim: a ", win, "x", win, " window does not fit a ", w, "x", h,
                       " image (scikit-image refuses it too)");
  require<value_error>(win > 1 || !opt.sample_covariance, "ssim: win_size 1 with sample covariance divides by 0");
  // Summed-area tables of x, y, x^2, y^2, xy; (h + 1) x (w + 1) with a zero first row and column.
  const std::size_t W = std::size_t(w) + 1;
  std::vector<double> sx((std::size_t(h) + 1) * W), sy(sx.size()), sxx(sx.size()), syy(sx.size()), sxy(sx.size());
  for (int r = 0; r < h; ++r) {
    double rx = 0, ry = 0, rxx = 0, ryy = 0, rxy = 0;
    const std::size_t up = std::size_t(r) * W, here = up + W;
    for (int c = 0; c < w; ++c) {
      const double a = double(x[r * row_stride + c * step]), b = double(y[r * row_stride + c * step]);
      rx += a;
      ry += b;
      rxx += a * a;
      ryy += b * b;
      rxy += a * b;
      const std::size_t k = here + std::size_t(c) + 1, ku = up + std::size_t(c) + 1;
      sx[k] = sx[ku] + rx;
      sy[k] = sy[ku] + ry;
      sxx[k] = sxx[ku] + rxx;
      syy[k] = syy[ku] + ryy;
      sxy[k] = sxy[ku] + rxy;
    }
  }
  const double np = double(win) * double(win);
  const double cov_norm = opt.sample_covariance ? np / (np - 1.0) : 1.0;
  const double c1 = (opt.k1 * opt.data_range) * (opt.k1 * opt.data_range);
  const double c2 = (opt.k2 * opt.data_range) * (opt.k2 * opt.data_range);
  auto box = [&](const std::vector<double>& s, int r0, int c0) {
    const std::size_t a = std::size_t(r0) * W + std::size_t(c0), b = a + std::size_t(win) * W;
    return (s[b + std::size_t(win)] - s[b] - s[a + std::size_t(win)] + s[a]) / np;
  };
  double total = 0;
  // Windows fully inside the image: top-left corners 0 .. h - win (the centres scikit-image keeps).
  for (int r = 0; r + win <= h; ++r)
    for (int c = 0; c + win <= w; ++c) {
      const double ux = box(sx, r, c), uy = box(sy, r, c);
      const double vx = cov_norm * (box(sxx, r, c) - ux * ux);
      const double vy = cov_norm * (box(syy, r, c) - uy * uy);
      const double vxy = cov_norm * (box(sxy, r, c) - ux * uy);
      total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
  return total / (double(h - win + 1) * double(w - win + 1));
}

/// SSIM of channel `channel` of two images of the same size and channel count.
inline double ssim_channel(const io::image& x, const io::image& y, int channel, const ssim_options& opt = {}) {
  require<shape_error>(x.width == y.width && x.height == y.height && x.channels == y.channels, "ssim: images are ",
                       x.width, "x", x.height, "x", x.channels, " and ", y.width, "x", y.height, "x", y.channels,
                       "; expected the same size and channels");
  require<value_error>(channel >= 0 && channel < x.channels, "ssim: channel ", channel, " of a ", x.channels,
                       "-channel image");
  return ssim_plane(x.pixels.data() + channel, y.pixels.data() + channel, x.height, x.width,
                    std::ptrdiff_t(x.width) * x.channels, x.channels, opt);
}

/// SSIM of two images: the mean over channels of the per-channel SSIM (multichannel=True).
inline double ssim(const io::image& x, const io::image& y, const ssim_options& opt = {}) {
  require<shape_error>(x.width == y.width && x.height == y.height && x.channels == y.channels, "ssim: images are ",
                       x.width, "x", x.height, "x", x.channels, " and ", y.width, "x", y.height, "x", y.channels,
                       "; expected the same size and channels");
  require<value_error>(!x.empty(), "ssim: empty images");
  double sum = 0;
  for (int c = 0; c < x.channels; ++c) sum += ssim_channel(x, y, c, opt);
  return sum / x.channels;
}

}  // namespace i2i::metrics
