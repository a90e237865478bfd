#pragma once
// Scene compositing for the dataset builders (research/data.md §4(b)): cut-outs (photo stamps, digit
// glyphs) with soft masks are pasted on textured backgrounds, and every paste writes its class id into
// the label map and its instance id into the instance map where its mask covers more than half a pixel.
// The results are pix2pixHD datasets in the reference layout. Host-side preparation only: this is the
// one place where xtensor (through data/xtensor.hpp) does the array work.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/data/classes_file.hpp"
#include "i2i/data/map_io.hpp"
#include "i2i/data/resample.hpp"
#include "i2i/data/rng.hpp"
#include "i2i/data/xtensor.hpp"
#include "i2i/io/png.hpp"

namespace i2i::data {

/// One generated sample: RGB image, class ids (label map) and instance ids, all width x height.
struct scene {
  io::image image;    ///< RGB
  io::image16 label;  ///< class ids (< 256: written as an 8-bit PNG)
  io::image16 inst;   ///< class id for stuff, class * 1000 + k for the k-th thing of a class (16-bit PNG)

  scene() = default;
  scene(int w, int h) : image(w, h, 3), label(w, h, 1), inst(w, h, 1) {}
};

/// A cut-out with a soft mask, stored premultiplied: h x w x 4 floats (r*a, g*a, b*a, a), all in [0, 1].
/// Premultiplying before resampling keeps the colour of fully transparent pixels (often junk in
/// stamp files) from bleeding into the edges.
struct cutout {
  int width = 0, height = 0;
  std::vector<float> rgba;

  static cutout from(const rgba_image& src) {
    cutout c;
    c.width = src.rgb.width;
    c.height = src.rgb.height;
    c.rgba.resize(std::size_t(c.width) * c.height * 4);
    for (std::size_t i = 0; i < std::size_t(c.width) * c.height; ++i) {
      const float a = src.alpha.pixels[i] / 255.0f;
      for (int k = 0; k < 3; ++k) c.rgba[i * 4 + k] = src.rgb.pixels[i * 3 + k] / 255.0f * a;
      c.rgba[i * 4 + 3] = a;
    }
    return c;
  }
};

/// Bicubic resize of interleaved float samples with Pillow's kernel and antialiasing (resample.hpp) but
/// without fixed point or intermediate rounding.
inline std::vector<float> resize_float(const std::vector<float>& in, int w, int h, int c, int ow, int oh) {
  require<value_error>(w > 0 && h > 0 && ow > 0 && oh > 0, "resize_float: ", w, "x", h, " -> ", ow, "x", oh);
  std::vector<float> tmp(std::size_t(ow) * h * c);
  const auto tx = detail::bicubic_taps(w, ow), ty = detail::bicubic_taps(h, oh);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < ow; ++x)
      for (int k = 0; k < c; ++k) {
        double s = 0;
        const auto& t = tx[std::size_t(x)];
        for (std::size_t i = 0; i < t.weights.size(); ++i)
          s += t.weights[i] * in[(std::size_t(y) * w + t.first + i) * c + k];
        tmp[(std::size_t(y) * ow + x) * c + k] = float(s);
      }
  std::vector<float> out(std::size_t(ow) * oh * c, 0.0f);
  for (int y = 0; y < oh; ++y) {
    const auto& t = ty[std::size_t(y)];
    for (std::size_t i = 0; i < t.weights.size(); ++i) {
      const float wgt = float(t.weights[i]);
      const float* src = tmp.data() + (t.first + i) * std::size_t(ow) * c;
      float* dst = out.data() + std::size_t(y) * ow * c;
      for (std::size_t j = 0; j < std::size_t(ow) * c; ++j) dst[j] += wgt * src[j];
    }
  }
  return out;
}

/// The cut-out resized to ow x oh (optionally mirrored), with values clamped back into [0, 1] after the
/// cubic kernel's overshoot and the colour kept within its alpha (premultiplied invariant).
inline cutout resize_cutout(const cutout& c, int ow, int oh, bool flip = false) {
  cutout r;
  r.width = ow;
  r.height = oh;
  r.rgba = (ow == c.width && oh == c.height) ? c.rgba : resize_float(c.rgba, c.width, c.height, 4, ow, oh);
  for (std::size_t i = 0; i < std::size_t(ow) * oh; ++i) {
    float& a = r.rgba[i * 4 + 3];
    a = std::clamp(a, 0.0f, 1.0f);
    for (int k = 0; k < 3; ++k) r.rgba[i * 4 + k] = std::clamp(r.rgba[i * 4 + k], 0.0f, a);
  }
  if (flip)
    for (int y = 0; y < oh; ++y)
      for (int x = 0; x < ow / 2; ++x)
        for (int k = 0; k < 4; ++k)
          std::swap(r.rgba[(std::size_t(y) * ow + x) * 4 + k], r.rgba[(std::size_t(y) * ow + (ow - 1 - x)) * 4 + k]);
  return r;
}

/// Pastes `c` with its top-left corner at (x0, y0) (it may stick out of the canvas): the image is blended
/// (over operator), and label/inst take `class_id`/`inst_id` where alpha > 0.5. Returns the number of
/// pixels that got the ids.
inline std::int64_t paste(scene& s, const cutout& c, int x0, int y0, std::uint16_t class_id, std::uint16_t inst_id) {
  const int xa = std::max(x0, 0), xb = std::min(x0 + c.width, s.image.width);
  const int ya = std::max(y0, 0), yb = std::min(y0 + c.height, s.image.height);
  if (xa >= xb || ya >= yb) return 0;
  using xt::range;
  const std::array<std::size_t, 3> cs{std::size_t(c.height), std::size_t(c.width), 4};
  auto src = xt::adapt(c.rgba.data(), c.rgba.size(), xt::no_ownership(), cs);
  auto part = xt::view(src, range(ya - y0, yb - y0), range(xa - x0, xb - x0), xt::all());
  auto colour = xt::view(part, xt::all(), xt::all(), range(0, 3));
  auto alpha = xt::view(part, xt::all(), xt::all(), range(3, 4));  // keeps its axis: broadcasts over RGB

  auto img = xview_of(s.image);
  auto dst = xt::view(img, range(ya, yb), range(xa, xb), xt::all());
  xt::xtensor<float, 3> blended = xt::cast<float>(dst) * (1.0f - alpha) + colour * 255.0f;
  dst = xt::cast<std::uint8_t>(xt::clip(xt::round(blended), 0.0f, 255.0f));

  auto lab = xview_of(s.label), ins = xview_of(s.inst);
  auto lab_part = xt::view(lab, range(ya, yb), range(xa, xb), xt::all());
  auto ins_part = xt::view(ins, range(ya, yb), range(xa, xb), xt::all());
  const auto covered = xt::eval(alpha > 0.5f);
  lab_part = xt::where(covered, std::uint16_t(class_id), lab_part);
  ins_part = xt::where(covered, std::uint16_t(inst_id), ins_part);
  return std::int64_t(xt::sum(xt::cast<std::int64_t>(covered))());
}

/// A texture source: a photo region (fractions of its width and height) cropped at a random position
/// and scale, or a small tileable pattern repeated at a random offset and scale.
struct texture_source {
  std::string path;
  io::image pixels;
  bool tile = false;
  double x0 = 0, y0 = 0, x1 = 1, y1 = 1;  ///< usable region of a photo
};

/// A w x h fill drawn from `src` (random crop or tiling, random mirror).
inline io::image texture_fill(const texture_source& src, int w, int h, rng& r) {
  const io::image& p = src.pixels;
  io::image out;
  if (src.tile) {
    // Scale the tile by 1-2x (patterns are 20-256 px: at 1x the repeats are obvious), then repeat.
    const double z = r.uniform(1.0, 2.0);
    const io::image t = resize_bicubic(p, std::max(1, int(std::lround(p.width * z))), std::max(1, int(std::lround(p.height * z))));
    const int ox = int(r.uniform_int(0, t.width - 1)), oy = int(r.uniform_int(0, t.height - 1));
    out = io::image(w, h, 3);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x)
        for (int c = 0; c < 3; ++c) out.at(y, x, c) = t.at((y + oy) % t.height, (x + ox) % t.width, c);
  } else {
    const double rx0 = src.x0 * p.width, ry0 = src.y0 * p.height;
    const double rw = (src.x1 - src.x0) * p.width, rh = (src.y1 - src.y0) * p.height;
    // The largest w:h window that fits the region, then 45-100% of it: zoom varies, aspect is kept.
    const double fit = std::min(rw / w, rh / h), z = fit * r.uniform(0.45, 1.0);
    const int cw = std::max(1, int(w * z)), ch = std::max(1, int(h * z));
    const int cx = int(rx0) + int(r.uniform_int(0, std::max(0, int(rw) - cw)));
    const int cy = int(ry0) + int(r.uniform_int(0, std::max(0, int(rh) - ch)));
    out = resize_bicubic(crop(p, cx, cy, cw, ch), w, h);
  }
  if (r.bernoulli(0.5)) out = flip_horizontal(out);
  return out;
}


/// Writes a dataset's files in pix2pixHD's layout: <root>/<phase>_{label,inst,img}/<index>.png.
class layout_writer {
 public:
  explicit layout_writer(std::string root) : root_(std::move(root)) {}

  /// Creates the phase's folders (removing files a previous run left in them).
  void prepare(const std::string& phase) const {
    namespace fs = std::filesystem;
    for (const char* kind : {"_label", "_inst", "_img"}) {
      const fs::path d = fs::path(root_) / (phase + kind);
      std::error_code ec;
      fs::remove_all(d, ec);
      fs::create_directories(d, ec);
      require<io_error>(!ec, "layout_writer: cannot create '", d.string(), "': ", ec.message());
    }
  }

  void write(const std::string& phase, std::size_t index, const scene& s) const {
    char name[32];
    std::snprintf(name, sizeof name, "%06zu.png", index);
    namespace fs = std::filesystem;
    write_label_map((fs::path(root_) / (phase + "_label") / name).string(), s.label);
    io::write_png((fs::path(root_) / (phase + "_inst") / name).string(), s.inst);
    io::write_png((fs::path(root_) / (phase + "_img") / name).string(), s.image);
  }

  void write_classes(const std::vector<class_info>& classes) const {
    const std::string path = (std::filesystem::path(root_) / "classes.txt").string();
    std::ofstream f(path);
    for (const auto& c : classes) f << c.id << ' ' << c.name << '\n';
    require<io_error>(bool(f), "layout_writer: cannot write '", path, "'");
  }

  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

/// Per-class pixel counts and instance counts of a set of scenes (for the builders' summaries).
struct scene_stats {
  std::vector<std::int64_t> pixels;     ///< by class id
  std::vector<std::int64_t> instances;  ///< things (ids >= 1000) by class id
  void add(const scene& s, int n_classes) {
    pixels.resize(std::size_t(n_classes), 0);
    instances.resize(std::size_t(n_classes), 0);
    for (auto v : s.label.pixels)
      if (v < n_classes) ++pixels[v];
    std::vector<std::uint16_t> ids(s.inst.pixels.begin(), s.inst.pixels.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (auto id : ids)
      if (id >= 1000 && id / 1000 < n_classes) ++instances[id / 1000];
  }
  void merge(const scene_stats& o) {
    pixels.resize(std::max(pixels.size(), o.pixels.size()), 0);
    instances.resize(std::max(instances.size(), o.instances.size()), 0);
    for (std::size_t i = 0; i < o.pixels.size(); ++i) pixels[i] += o.pixels[i];
    for (std::size_t i = 0; i < o.instances.size(); ++i) instances[i] += o.instances[i];
  }
};

/// What a builder made.
struct build_summary {
  std::size_t train = 0, test = 0;
  int width = 0, height = 0, label_nc = 0;
  scene_stats stats;
  std::vector<class_info> classes;
};

}  // namespace i2i::data
