#pragma once
// Training-time augmentation beyond pix2pixHD's crop and flip: a random zoom (label, instance map and
// image alike) and torchvision's ColorJitter (the image only). pix2pixHD itself does neither; the
// segmentation oracle of docs/pix2pixhd_evaluation.md uses both, so that it reads texture and shape
// instead of each class's mean colour (issue 19).
//
//   data::augment_options a{.brightness = 0.4, .contrast = 0.4, .saturation = 0.4, .hue = 0.05, .max_scale = 1.5};
//   auto p = data::draw_augment(a, r);                         // after draw_params, from the same rng
//   label = data::apply_zoom(label, p, data::interp::nearest);
//   image = data::apply_color_jitter(data::apply_zoom(image, p, data::interp::bicubic), p);
//
// Parameters are drawn only when an option is active, so a loader without augmentation draws exactly what
// it drew before (the trainers' fingerprints stay bit-identical).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/data/resample.hpp"
#include "i2i/data/rng.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::data {

/// The ranges, as torchvision.transforms.ColorJitter(brightness, contrast, saturation, hue) takes them:
/// a factor in [max(0, 1 - v), 1 + v] for the first three, a hue shift in [-hue, hue] turns (hue <= 0.5).
/// max_scale: the image is enlarged by s in [1, max_scale] and a window of its original size is cut at a
/// random place (a zoom in; 1 = off). Zooming only in keeps every pixel a real one: no padding to label.
struct augment_options {
  double brightness = 0, contrast = 0, saturation = 0, hue = 0;
  double max_scale = 1;

  bool jitters() const { return brightness > 0 || contrast > 0 || saturation > 0 || hue > 0; }
  bool zooms() const { return max_scale > 1; }
  bool active() const { return jitters() || zooms(); }
};

/// One sample's draws.
struct augment_params {
  double brightness = 1, contrast = 1, saturation = 1, hue = 0;
  std::array<int, 4> order{0, 1, 2, 3};  ///< the jitter ops' order (torchvision permutes them per call)
  double scale = 1;
  double origin_x = 0, origin_y = 0;  ///< where the window is cut, as fractions of the free range
};

/// Names the option that is out of range.
inline void check_augment(const augment_options& a) {
  auto factor = [](const char* name, double v) {
    require<value_error>(std::isfinite(v) && v >= 0, "augment: ", name, " ", v, " must be a finite value >= 0");
  };
  factor("brightness", a.brightness);
  factor("contrast", a.contrast);
  factor("saturation", a.saturation);
  require<value_error>(std::isfinite(a.hue) && a.hue >= 0 && a.hue <= 0.5, "augment: hue ", a.hue,
                       " must be in [0, 0.5] (a shift in turns of the colour wheel)");
  require<value_error>(std::isfinite(a.max_scale) && a.max_scale >= 1 && a.max_scale <= 8, "augment: max_scale ",
                       a.max_scale, " must be in [1, 8] (1: no zoom)");
}

/// Draws one sample's parameters; nothing when no option is active.
inline augment_params draw_augment(const augment_options& a, rng& r) {
  check_augment(a);
  augment_params p;
  if (!a.active()) return p;
  auto factor = [&](double v) { return v > 0 ? r.uniform(std::max(0.0, 1 - v), 1 + v) : 1.0; };
  if (a.jitters()) {
    r.shuffle(p.order);
    p.brightness = factor(a.brightness);
    p.contrast = factor(a.contrast);
    p.saturation = factor(a.saturation);
    p.hue = a.hue > 0 ? r.uniform(-a.hue, a.hue) : 0.0;
  }
  if (a.zooms()) {
    p.scale = r.uniform(1, a.max_scale);
    p.origin_x = r.uniform();
    p.origin_y = r.uniform();
  }
  return p;
}

/// Enlarges by p.scale (nearest for maps, bicubic for 8-bit images) and cuts the original size back out.
/// Label, instance map and image of a sample get the same window.
template <class T>
io::basic_image<T> apply_zoom(const io::basic_image<T>& img, const augment_params& p, interp how) {
  if (p.scale <= 1 || img.empty()) return img;
  const int w = img.width, h = img.height;
  const int nw = std::max(w, int(std::lround(w * p.scale))), nh = std::max(h, int(std::lround(h * p.scale)));
  if (nw == w && nh == h) return img;
  const int x = std::min(nw - w, int(p.origin_x * (nw - w + 1)));
  const int y = std::min(nh - h, int(p.origin_y * (nh - h + 1)));
  return crop(resize(img, nw, nh, how), x, y, w, h);
}

namespace detail {

// RGB <-> HSV on [0, 1] (torchvision's _rgb2hsv / _hsv2rgb, Python's colorsys).
inline void rgb_to_hsv(double r, double g, double b, double& h, double& s, double& v) {
  const double mx = std::max({r, g, b}), mn = std::min({r, g, b}), d = mx - mn;
  v = mx;
  s = mx > 0 ? d / mx : 0;
  if (d <= 0) {
    h = 0;
    return;
  }
  if (mx == r) h = (g - b) / d;
  else if (mx == g) h = 2 + (b - r) / d;
  else h = 4 + (r - g) / d;
  h = h / 6;
  h -= std::floor(h);
}

inline void hsv_to_rgb(double h, double s, double v, double& r, double& g, double& b) {
  const double f6 = h * 6, i = std::floor(f6), f = f6 - i;
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  switch (int(i) % 6) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
  }
}

inline double grey(double r, double g, double b) { return 0.299 * r + 0.587 * g + 0.114 * b; }  // ITU-R 601-2 luma

}  // namespace detail

/// torchvision's ColorJitter on an 8-bit RGB image, in p.order: brightness scales, contrast blends with
/// the image's mean grey, saturation blends with each pixel's grey, hue rotates the HSV hue. Computed in
/// double, clamped to [0, 1] after each op as torchvision's float path does, rounded to 8 bits once.
inline io::image apply_color_jitter(const io::image& img, const augment_params& p) {
  require<value_error>(img.channels == 3 || img.empty(), "apply_color_jitter: expected an RGB image, got ",
                       img.channels, " channels");
  if (img.empty() || (p.brightness == 1 && p.contrast == 1 && p.saturation == 1 && p.hue == 0)) return img;
  const std::size_t n = std::size_t(img.width) * std::size_t(img.height);
  std::vector<double> px(img.pixels.size());
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = img.pixels[i] / 255.0;
  auto clamp01 = [](double v) { return std::clamp(v, 0.0, 1.0); };
  auto blend = [&](double f, auto&& other) {  // f * x + (1 - f) * other(pixel), clamped
    for (std::size_t i = 0; i < n; ++i) {
      double* q = px.data() + 3 * i;
      const double o = other(q);
      for (int c = 0; c < 3; ++c) q[c] = clamp01(f * q[c] + (1 - f) * o);
    }
  };
  for (int op : p.order) {
    switch (op) {
      case 0:
        if (p.brightness != 1) blend(p.brightness, [](const double*) { return 0.0; });
        break;
      case 1:
        if (p.contrast != 1) {
          double mean = 0;
          for (std::size_t i = 0; i < n; ++i) mean += detail::grey(px[3 * i], px[3 * i + 1], px[3 * i + 2]);
          mean /= double(n);
          blend(p.contrast, [mean](const double*) { return mean; });
        }
        break;
      case 2:
        if (p.saturation != 1) blend(p.saturation, [](const double* q) { return detail::grey(q[0], q[1], q[2]); });
        break;
      default:
        if (p.hue != 0)
          for (std::size_t i = 0; i < n; ++i) {
            double* q = px.data() + 3 * i;
            double h, s, v;
            detail::rgb_to_hsv(q[0], q[1], q[2], h, s, v);
            h += p.hue;
            h -= std::floor(h);
            detail::hsv_to_rgb(h, s, v, q[0], q[1], q[2]);
          }
        break;
    }
  }
  io::image out(img.width, img.height, 3);
  for (std::size_t i = 0; i < px.size(); ++i) out.pixels[i] = std::uint8_t(std::lround(clamp01(px[i]) * 255.0));
  return out;
}

}  // namespace i2i::data
