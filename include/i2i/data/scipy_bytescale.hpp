#pragma once
// scipy.misc.bytescale, as scipy.misc.toimage and scipy.misc.imsave (SciPy <= 1.1, which the EGSC-IT
// authors used) apply it to any array that is not uint8: each saved image is min-max stretched to
// 0..255. It matters twice (egscit.md §7, §8): MNIST-Multiple's canvases were float64 arrays, so the
// dataset files themselves are stretched, and the test-phase translations were saved from floats, so
// the images the SSIM was computed on were stretched too.
#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/data/python_random.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::data {

/// scipy.misc.bytescale(data) as scipy.misc.toimage/imsave apply it to a non-uint8 array (SciPy <= 1.1):
/// (x - min) * 255 / (max - min), clipped to [0, 255], + 0.5, truncated; max == min scales by 255/1.
/// min and max are over all samples of the array (every channel together).
inline void bytescale(std::span<const double> data, std::span<std::uint8_t> out) {
  require<shape_error>(data.size() == out.size(), "bytescale: ", data.size(), " samples in, ", out.size(), " out");
  if (data.empty()) return;
  const auto [lo_it, hi_it] = std::minmax_element(data.begin(), data.end());
  const double cmin = *lo_it;
  double cscale = *hi_it - cmin;
  if (cscale == 0) cscale = 1;
  const double scale = 255.0 / cscale;
  for (std::size_t k = 0; k < data.size(); ++k) {
    const double y = std::clamp(detail::unfused_mul(data[k] - cmin, scale), 0.0, 255.0);
    out[k] = std::uint8_t(y + 0.5);
  }
}

/// toimage() of a float canvas whose samples are the bytes of `img`: the authors built MNIST-Multiple's
/// canvases as float64 arrays, so every saved image went through this stretch. Identity when the
/// image holds both 0 and 255.
inline void imsave_stretch(io::image& img) {
  if (img.pixels.empty()) return;
  const auto [lo_it, hi_it] = std::minmax_element(img.pixels.begin(), img.pixels.end());
  const int lo = *lo_it, hi = *hi_it;
  if (lo == 0 && hi == 255) return;
  // Only lo..hi occur: a lookup table computed with bytescale's own arithmetic.
  std::array<std::uint8_t, 256> lut{};
  const double cmin = lo;
  double cscale = double(hi) - cmin;
  if (cscale == 0) cscale = 1;
  const double scale = 255.0 / cscale;
  for (int v = lo; v <= hi; ++v)
    lut[std::size_t(v)] = std::uint8_t(std::clamp(detail::unfused_mul(double(v) - cmin, scale), 0.0, 255.0) + 0.5);
  for (auto& p : img.pixels) p = lut[p];
}

/// What scipy.misc.imsave writes for image n of an N x C x H x W float tensor (C = 1 or 3): the
/// image's own samples, every channel together, stretched by bytescale. A NaN is an error.
inline io::image imsave_image(const tensor<float>& t, std::int64_t n = 0) {
  require_nchw("imsave_image", "tensor", t);
  require<shape_error>(t.c() == 1 || t.c() == 3, "imsave_image: tensor has shape ", t.shape(),
                       ", expected 1 (grey) or 3 (RGB) channels");
  require<value_error>(n >= 0 && n < t.n(), "imsave_image: image ", n, " of a batch of ", t.n());
  const std::size_t hw = std::size_t(t.h()) * std::size_t(t.w()), c = std::size_t(t.c());
  const float* src = t.data() + std::size_t(n) * c * hw;
  std::vector<double> hwc(c * hw);  // interleaved like the image, so bytescale sees one array
  for (std::size_t ch = 0; ch < c; ++ch)
    for (std::size_t i = 0; i < hw; ++i) {
      const double x = src[ch * hw + i];
      require<value_error>(x == x, "imsave_image: NaN in image ", n, " of tensor ", t.shape());
      hwc[i * c + ch] = x;
    }
  io::image img(int(t.w()), int(t.h()), int(c));
  bytescale(hwc, img.pixels);
  return img;
}

}  // namespace i2i::data
