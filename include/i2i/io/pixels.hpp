#pragma once
// Host images as the codecs see them (interleaved rows of 8- or 16-bit samples), conversions to and
// from NCHW float tensors in [-1, 1], and tiling several images into one grid. No codec here: see
// png.hpp, jpeg.hpp, or image.hpp for all of them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::io {

/// A width x height image with 1 (grey) or 3 (RGB) interleaved channels, rows top to bottom.
template <class T>
struct basic_image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<T> pixels;  ///< height * width * channels samples

  basic_image() = default;
  basic_image(int w, int h, int c, T fill = T(0)) : width(w), height(h), channels(c) {
    require<value_error>(w >= 0 && h >= 0 && (c == 1 || c == 3), "image: size ", w, "x", h, " with ", c,
                         " channels; expected non-negative sizes and 1 or 3 channels");
    pixels.assign(std::size_t(w) * std::size_t(h) * std::size_t(c), fill);
  }

  T& at(int y, int x, int c = 0) { return pixels[(std::size_t(y) * width + x) * channels + c]; }
  const T& at(int y, int x, int c = 0) const { return pixels[(std::size_t(y) * width + x) * channels + c]; }
  bool empty() const { return pixels.empty(); }
};

using image = basic_image<std::uint8_t>;     ///< 8-bit grey or RGB
using image16 = basic_image<std::uint16_t>;  ///< 16-bit grey (instance maps: each value is an id)

/// A 1 x C x H x W tensor with values x / 127.5 - 1 in [-1, 1], the normalisation of both papers.
inline tensor<float> to_tensor(const image& img) {
  require<value_error>(!img.empty(), "to_tensor: empty image");
  auto t = tensor<float>::empty(shape::nchw(1, img.channels, img.height, img.width));
  const std::size_t hw = std::size_t(img.height) * img.width;
  float* dst = t.data();
  // HWC -> CHW: one pass per channel keeps the writes sequential.
  for (int c = 0; c < img.channels; ++c)
    for (std::size_t i = 0; i < hw; ++i) dst[c * hw + i] = float(img.pixels[i * img.channels + c]) / 127.5f - 1.0f;
  return t;
}

/// An N x C x H x W batch from images of equal size and channel count.
inline tensor<float> to_tensor(std::span<const image> imgs) {
  require<value_error>(!imgs.empty(), "to_tensor: no images");
  const image& first = imgs[0];
  auto t = tensor<float>::empty(shape::nchw(std::int64_t(imgs.size()), first.channels, first.height, first.width));
  const std::size_t per = std::size_t(first.channels) * first.height * first.width;
  for (std::size_t n = 0; n < imgs.size(); ++n) {
    const image& im = imgs[n];
    require<shape_error>(im.width == first.width && im.height == first.height && im.channels == first.channels,
                         "to_tensor: image ", n, " is ", im.width, "x", im.height, "x", im.channels,
                         ", expected ", first.width, "x", first.height, "x", first.channels, " like image 0");
    const tensor<float> one = to_tensor(im);
    std::copy_n(one.data(), per, t.data() + n * per);
  }
  return t;
}

/// Image n of an N x C x H x W tensor (C = 1 or 3) in [-1, 1]: values are clamped to [-1, 1] and mapped
/// to round((x + 1) * 127.5). A NaN is an error rather than an arbitrary pixel.
inline image to_image(const tensor<float>& t, std::int64_t n = 0) {
  require_nchw("to_image", "tensor", t);
  require<shape_error>(t.c() == 1 || t.c() == 3, "to_image: tensor has shape ", t.shape(),
                       ", expected 1 (grey) or 3 (RGB) channels");
  require<value_error>(n >= 0 && n < t.n(), "to_image: image ", n, " of a batch of ", t.n());
  image img(int(t.w()), int(t.h()), int(t.c()));
  const std::size_t hw = std::size_t(t.h()) * t.w();
  const float* src = t.data() + n * t.c() * hw;
  for (int c = 0; c < img.channels; ++c)
    for (std::size_t i = 0; i < hw; ++i) {
      const float x = src[c * hw + i];
      require<value_error>(!std::isnan(x), "to_image: NaN in image ", n, " of tensor ", t.shape());
      img.pixels[i * img.channels + c] = std::uint8_t(std::lround((std::clamp(x, -1.0f, 1.0f) + 1.0f) * 127.5f));
    }
  return img;
}

/// Tiles images into rows of `cols` cells (cols = 0: about square) with `pad` pixels of `fill` around
/// and between cells. Cells are as large as the largest image; smaller images sit in their top-left
/// corner. Grey images are repeated over three channels when any image is RGB.
inline image make_grid(std::span<const image> imgs, int cols = 0, int pad = 2, std::uint8_t fill = 0) {
  require<value_error>(!imgs.empty(), "make_grid: no images");
  require<value_error>(cols >= 0 && pad >= 0, "make_grid: cols ", cols, " and pad ", pad, " must be >= 0");
  const int count = int(imgs.size());
  if (cols == 0) cols = int(std::ceil(std::sqrt(double(count))));
  cols = std::min(cols, count);
  const int rows = (count + cols - 1) / cols;
  int cw = 0, ch = 0, channels = 1;
  for (const image& im : imgs) {
    require<value_error>(im.channels == 1 || im.channels == 3, "make_grid: image with ", im.channels, " channels");
    cw = std::max(cw, im.width);
    ch = std::max(ch, im.height);
    channels = std::max(channels, im.channels);
  }
  image grid(pad + cols * (cw + pad), pad + rows * (ch + pad), channels, fill);
  for (int k = 0; k < count; ++k) {
    const image& im = imgs[k];
    const int y0 = pad + (k / cols) * (ch + pad), x0 = pad + (k % cols) * (cw + pad);
    for (int y = 0; y < im.height; ++y)
      for (int x = 0; x < im.width; ++x)
        for (int c = 0; c < channels; ++c) grid.at(y0 + y, x0 + x, c) = im.at(y, x, im.channels == 1 ? 0 : c);
  }
  return grid;
}

/// A grid of every image of an N x C x H x W batch in [-1, 1].
inline image make_grid(const tensor<float>& batch, int cols = 0, int pad = 2, std::uint8_t fill = 0) {
  require_nchw("make_grid", "batch", batch);
  std::vector<image> imgs;
  imgs.reserve(std::size_t(batch.n()));
  for (std::int64_t n = 0; n < batch.n(); ++n) imgs.push_back(to_image(batch, n));
  return make_grid(imgs, cols, pad, fill);
}

}  // namespace i2i::io
