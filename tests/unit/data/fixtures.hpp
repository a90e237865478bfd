#pragma once
// Small data fixtures made by the tests themselves: a scratch folder, label/instance/image files,
// palette and RGBA PNGs written with libpng directly, IDX glyph files.
#include <boost/test/unit_test.hpp>

#include <png.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "i2i/io/idx.hpp"
#include "i2i/io/png.hpp"

namespace i2i::test {

struct data_scratch {
  std::filesystem::path dir;
  data_scratch() {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path() /
          ("i2i_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~data_scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
  std::string mkdir(const std::string& name) const {
    std::filesystem::create_directories(dir / name);
    return (dir / name).string();
  }
};

/// A w x h label map with value f(x, y).
template <class F>
io::image label_map(int w, int h, F f) {
  io::image m(w, h, 1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) m.at(y, x) = std::uint8_t(f(x, y));
  return m;
}

/// An RGB image whose channels encode the position: R = x * 7 % 256, G = y * 11 % 256, B = f(x, y).
template <class F>
io::image coded_image(int w, int h, F f) {
  io::image m(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      m.at(y, x, 0) = std::uint8_t(x * 7 % 256);
      m.at(y, x, 1) = std::uint8_t(y * 11 % 256);
      m.at(y, x, 2) = std::uint8_t(f(x, y));
    }
  return m;
}

/// An 8-bit palette PNG whose pixel (x, y) holds palette index idx[y * w + x].
inline void write_palette_png(const std::string& path, int w, int h, const std::vector<std::uint8_t>& idx) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = png_uint_32(w);
  img.height = png_uint_32(h);
  img.format = PNG_FORMAT_RGB_COLORMAP;
  img.colormap_entries = 256;
  std::vector<std::uint8_t> cmap(256 * 3);
  for (int i = 0; i < 256; ++i) cmap[i * 3] = std::uint8_t(255 - i), cmap[i * 3 + 1] = std::uint8_t(i * 3), cmap[i * 3 + 2] = 9;
  BOOST_TEST_REQUIRE(png_image_write_to_file(&img, path.c_str(), 0, idx.data(), 0, cmap.data()) != 0);
}

/// An RGBA PNG from interleaved rgba bytes.
inline void write_rgba_png(const std::string& path, int w, int h, const std::vector<std::uint8_t>& rgba) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  img.width = png_uint_32(w);
  img.height = png_uint_32(h);
  img.format = PNG_FORMAT_RGBA;
  BOOST_TEST_REQUIRE(png_image_write_to_file(&img, path.c_str(), 0, rgba.data(), 0, nullptr) != 0);
}

/// MNIST-like IDX files <dir>/<prefix>-{images-idx3,labels-idx1}-ubyte: n glyphs of 28 x 28, glyph i a
/// filled square of side 8 + i % 10 for class i % 10.
inline void write_glyph_idx(const std::string& dir, const std::string& prefix, std::uint32_t n) {
  std::vector<std::uint8_t> px(std::size_t(n) * 28 * 28, 0), labels(n);
  for (std::uint32_t i = 0; i < n; ++i) {
    labels[i] = std::uint8_t(i % 10);
    const int side = 8 + int(i % 10), o = (28 - side) / 2;
    for (int y = o; y < o + side; ++y)
      for (int x = o; x < o + side; ++x) px[std::size_t(i) * 784 + y * 28 + x] = 255;
  }
  const std::uint32_t di[] = {n, 28, 28}, dl[] = {n};
  io::write_idx(dir + "/" + prefix + "-images-idx3-ubyte", di, px);
  io::write_idx(dir + "/" + prefix + "-labels-idx1-ubyte", dl, labels);
}

}  // namespace i2i::test
