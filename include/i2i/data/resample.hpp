#pragma once
// Host-side image resampling, cropping and flipping with Pillow's semantics, because pix2pixHD's data
// pipeline is torchvision over PIL (research/pix2pixhd.md §3.3): label and instance maps are resized
// with NEAREST, RGB images with BICUBIC.
//
// What "Pillow's semantics" means here (checked against Pillow 9.4's src/libImaging):
// - nearest: output pixel x reads source pixel floor(x0 + scale/2 + x*scale) with scale = in/out, the
//   position accumulated by repeated addition in double exactly as ImagingScaleAffine does it, so even
//   the ties where (x + 1/2) * scale is an integer fall on the same pixel. Any sample type (8-bit
//   labels, 16-bit instance ids) is copied unchanged: ids stay exact.
// - bicubic: Pillow's ImagingResample: a separable convolution, horizontal pass first, with the cubic
//   convolution kernel of a = -0.5 (Keys). When downscaling, the kernel is stretched by the scale factor
//   (support 2 * scale), which is an area-averaging antialias filter; when upscaling it is the plain
//   interpolating kernel. The taps are those with |offset| < support around the pixel centre, clipped at
//   the image border, and renormalised to sum to 1 (no edge replication). For 8-bit samples the
//   weights are turned into 22-bit fixed point, accumulated in int32 from a rounding bias of 2^21, and
//   the result is clamped to [0, 255]; the intermediate image of the horizontal pass is 8-bit too. A pass
//   whose size does not change is skipped. The unit tests compare against values produced by Pillow.
// - crop: a window partly outside the image is filled with 0 outside, as PIL's Image.crop does.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::data {

enum class interp { nearest, bicubic };

namespace detail {

/// Pillow's bicubic kernel, a = -0.5.
inline double cubic_kernel(double x) {
  constexpr double a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/// The taps of one output pixel: source pixels [first, first + weights.size()).
struct taps {
  int first = 0;
  std::vector<double> weights;
};

/// Pillow's precompute_coeffs for BICUBIC over a full-image box: one set of taps per output pixel.
inline std::vector<taps> bicubic_taps(int in_size, int out_size) {
  const double scale = double(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = 2.0 * filter_scale, inv = 1.0 / filter_scale;
  std::vector<taps> out(static_cast<std::size_t>(out_size));
  for (int xx = 0; xx < out_size; ++xx) {
    const double centre = (xx + 0.5) * scale;
    // Pillow truncates toward zero ("round the value"); negatives are clamped to 0 right after.
    int xmin = int(centre - support + 0.5), xmax = int(centre + support + 0.5);
    xmin = std::max(xmin, 0);
    xmax = std::min(xmax, in_size);
    taps& t = out[std::size_t(xx)];
    t.first = xmin;
    double sum = 0;
    for (int x = xmin; x < xmax; ++x) {
      const double w = cubic_kernel((x - centre + 0.5) * inv);
      t.weights.push_back(w);
      sum += w;
    }
    if (sum != 0)
      for (double& w : t.weights) w /= sum;
  }
  return out;
}

constexpr int precision_bits = 32 - 8 - 2;  // Pillow's PRECISION_BITS for 8-bit samples

/// Pillow's normalize_coeffs_8bpc: round half away from zero to 22-bit fixed point.
inline std::vector<std::int32_t> fixed_weights(const taps& t) {
  std::vector<std::int32_t> k(t.weights.size());
  for (std::size_t i = 0; i < k.size(); ++i) {
    const double v = t.weights[i] * double(1 << precision_bits);
    k[i] = std::int32_t(v < 0 ? -0.5 + v : 0.5 + v);
  }
  return k;
}

inline std::uint8_t clip8(std::int32_t acc) {
  return std::uint8_t(std::clamp(acc >> precision_bits, 0, 255));  // >> floors, as Pillow's lookup does
}

/// One separable pass over 8-bit interleaved samples. horizontal: resample along x, else along y.
inline io::image bicubic_pass(const io::image& in, int out_w, int out_h, bool horizontal) {
  io::image out(out_w, out_h, in.channels);
  const int c = in.channels;
  const auto tp = bicubic_taps(horizontal ? in.width : in.height, horizontal ? out_w : out_h);
  std::vector<std::vector<std::int32_t>> k(tp.size());
  for (std::size_t i = 0; i < tp.size(); ++i) k[i] = fixed_weights(tp[i]);
  constexpr std::int32_t bias = 1 << (precision_bits - 1);
  if (horizontal) {
    for (int y = 0; y < out_h; ++y) {
      const std::uint8_t* row = in.pixels.data() + std::size_t(y) * in.width * c;
      std::uint8_t* dst = out.pixels.data() + std::size_t(y) * out_w * c;
      for (int x = 0; x < out_w; ++x)
        for (int ch = 0; ch < c; ++ch) {
          std::int32_t acc = bias;
          const std::uint8_t* src = row + std::size_t(tp[x].first) * c + ch;
          for (std::size_t i = 0; i < k[x].size(); ++i) acc += std::int32_t(src[i * c]) * k[x][i];
          dst[std::size_t(x) * c + ch] = clip8(acc);
        }
    }
  } else {
    const std::size_t stride = std::size_t(in.width) * c;
    std::vector<std::int32_t> acc(stride);
    for (int y = 0; y < out_h; ++y) {
      std::fill(acc.begin(), acc.end(), bias);
      for (std::size_t i = 0; i < k[y].size(); ++i) {
        const std::uint8_t* src = in.pixels.data() + (std::size_t(tp[y].first) + i) * stride;
        const std::int32_t w = k[y][i];
        for (std::size_t j = 0; j < stride; ++j) acc[j] += std::int32_t(src[j]) * w;
      }
      std::uint8_t* dst = out.pixels.data() + std::size_t(y) * stride;
      for (std::size_t j = 0; j < stride; ++j) dst[j] = clip8(acc[j]);
    }
  }
  return out;
}

/// Pillow's ImagingScaleAffine source indices for a full-image nearest resize along one axis.
inline std::vector<int> nearest_index(int in_size, int out_size) {
  const double a = double(in_size) / out_size;
  std::vector<int> idx(static_cast<std::size_t>(out_size));
  double pos = a * 0.5;
  for (int x = 0; x < out_size; ++x) {
    // COORD(): truncation of a non-negative value; the clamp only guards the last ulp.
    idx[std::size_t(x)] = std::min(int(pos), in_size - 1);
    pos += a;
  }
  return idx;
}

}  // namespace detail

/// Nearest-neighbour resize to out_w x out_h (Pillow's Image.resize(size, NEAREST)); samples are copied.
template <class T>
io::basic_image<T> resize_nearest(const io::basic_image<T>& in, int out_w, int out_h) {
  require<value_error>(out_w > 0 && out_h > 0 && !in.empty(), "resize: cannot resize a ", in.width, "x", in.height,
                       " image to ", out_w, "x", out_h);
  if (out_w == in.width && out_h == in.height) return in;
  io::basic_image<T> out(out_w, out_h, in.channels);
  const auto xs = detail::nearest_index(in.width, out_w), ys = detail::nearest_index(in.height, out_h);
  const int c = in.channels;
  for (int y = 0; y < out_h; ++y) {
    const T* row = in.pixels.data() + std::size_t(ys[std::size_t(y)]) * in.width * c;
    T* dst = out.pixels.data() + std::size_t(y) * out_w * c;
    for (int x = 0; x < out_w; ++x)
      for (int ch = 0; ch < c; ++ch) dst[std::size_t(x) * c + ch] = row[std::size_t(xs[std::size_t(x)]) * c + ch];
  }
  return out;
}

/// Bicubic resize of an 8-bit grey or RGB image to out_w x out_h, as Pillow's Image.resize(size, BICUBIC).
inline io::image resize_bicubic(const io::image& in, int out_w, int out_h) {
  require<value_error>(out_w > 0 && out_h > 0 && !in.empty(), "resize: cannot resize a ", in.width, "x", in.height,
                       " image to ", out_w, "x", out_h);
  if (out_w == in.width && out_h == in.height) return in;
  io::image tmp = out_w != in.width ? detail::bicubic_pass(in, out_w, in.height, true) : in;
  return out_h != in.height ? detail::bicubic_pass(tmp, out_w, out_h, false) : tmp;
}

/// resize_nearest or resize_bicubic by `how` (bicubic needs 8-bit samples).
template <class T>
io::basic_image<T> resize(const io::basic_image<T>& in, int out_w, int out_h, interp how) {
  if constexpr (sizeof(T) == 1) {
    if (how == interp::bicubic) return resize_bicubic(in, out_w, out_h);
  } else {
    require<value_error>(how == interp::nearest, "resize: bicubic resampling needs 8-bit samples; maps with ",
                         8 * sizeof(T), "-bit ids are resized with nearest");
  }
  return resize_nearest(in, out_w, out_h);
}

/// The w x h window at (x, y) (PIL's Image.crop((x, y, x + w, y + h))): pixels outside the image are 0.
template <class T>
io::basic_image<T> crop(const io::basic_image<T>& in, int x, int y, int w, int h) {
  require<value_error>(w > 0 && h > 0, "crop: window ", w, "x", h, " must not be empty");
  io::basic_image<T> out(w, h, in.channels);
  const int c = in.channels;
  const int x0 = std::max(x, 0), x1 = std::min(x + w, in.width);
  for (int yy = std::max(y, 0); yy < std::min(y + h, in.height); ++yy) {
    if (x1 <= x0) break;
    std::memcpy(out.pixels.data() + (std::size_t(yy - y) * w + (x0 - x)) * c,
                in.pixels.data() + (std::size_t(yy) * in.width + x0) * c, std::size_t(x1 - x0) * c * sizeof(T));
  }
  return out;
}

/// Mirror left-right (PIL's FLIP_LEFT_RIGHT).
template <class T>
io::basic_image<T> flip_horizontal(const io::basic_image<T>& in) {
  io::basic_image<T> out(in.width, in.height, in.channels);
  const int c = in.channels;
  for (int y = 0; y < in.height; ++y) {
    const T* row = in.pixels.data() + std::size_t(y) * in.width * c;
    T* dst = out.pixels.data() + std::size_t(y) * in.width * c;
    for (int x = 0; x < in.width; ++x)
      std::memcpy(dst + std::size_t(in.width - 1 - x) * c, row + std::size_t(x) * c, c * sizeof(T));
  }
  return out;
}

}  // namespace i2i::data
