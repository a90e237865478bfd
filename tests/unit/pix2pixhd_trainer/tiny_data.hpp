#pragma once
// A tiny pix2pixHD data set on disk for trainer tests: label_nc 3, 8-bit instance maps, RGB images.
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>

#include "i2i/io/png.hpp"
#include "i2i/recipes/pix2pixhd/options.hpp"

namespace p2p_test {

/// A fresh folder under the system temp dir, removed by the destructor.
struct temp_dir {
  std::filesystem::path path;
  explicit temp_dir(const std::string& tag) {
    path = std::filesystem::temp_directory_path() /
           ("i2i_" + tag + "_" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string str() const { return path.string(); }
};

/// n samples of w x h: rectangles of classes 1..2 on class 0 with their own instance ids, and an
/// image whose colour depends on the class (so G has something to learn).
inline void write_tiny_set(const std::string& root, int n, int w, int h, std::uint32_t seed = 1,
                           int bad_label_at = -1) {
  namespace fs = std::filesystem;
  for (const char* d : {"train_label", "train_inst", "train_img"}) fs::create_directories(fs::path(root) / d);
  std::mt19937 r(seed);
  for (int i = 0; i < n; ++i) {
    i2i::io::image label(w, h, 1), inst(w, h, 1), img(w, h, 3);
    for (int k = 0; k < 3; ++k) {
      const int x0 = int(r() % unsigned(w - 4)), y0 = int(r() % unsigned(h - 4));
      const int x1 = x0 + 3 + int(r() % unsigned(w - x0 - 3)), y1 = y0 + 3 + int(r() % unsigned(h - y0 - 3));
      const std::uint8_t cls = std::uint8_t(1 + k % 2);
      for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
          label.at(y, x) = cls;
          inst.at(y, x) = std::uint8_t(10 * cls + k);
        }
    }
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const int c = label.at(y, x);
        img.at(y, x, 0) = std::uint8_t(c == 1 ? 220 : 30 + x);
        img.at(y, x, 1) = std::uint8_t(c == 2 ? 200 : 40 + y);
        img.at(y, x, 2) = std::uint8_t(90);
      }
    if (i == bad_label_at) label.at(1, 2) = 7;
    const std::string stem = "s" + std::to_string(100 + i) + ".png";
    i2i::io::write_png((fs::path(root) / "train_label" / stem).string(), label);
    i2i::io::write_png((fs::path(root) / "train_inst" / stem).string(), inst);
    i2i::io::write_png((fs::path(root) / "train_img" / stem).string(), img);
  }
}

/// Options for the tiny preset on such a set: no resize (mode none), flips on, no VGG.
inline i2i::pix2pixhd::train_options tiny_options(const std::string& dataroot, const std::string& checkpoints) {
  i2i::pix2pixhd::train_options o;
  o.preset = "tiny";
  o.name = "tiny";
  o.checkpoints_dir = checkpoints;
  o.data.dataroot = dataroot;
  o.data.label_nc = 3;
  o.data.transform.mode = i2i::data::resize_mode::none;
  o.no_vgg_loss = true;
  o.niter = 1;
  o.niter_decay = 1;
  o.save_latest_freq = 0;
  o.save_epoch_freq = 0;
  o.seed = 5;
  return o;
}

}  // namespace p2p_test
