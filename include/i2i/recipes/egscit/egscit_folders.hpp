#pragma once
// Writes MNIST-Single / MNIST-Multiple as PNG folders in the layout of the EGSC-IT code
// (datasets/prepare_data_mnist*_BW.py, read back by convert_mnist*_BW.py and eval/embed_mnist.py):
//
//   <root>/mnist_BW/                      (MNIST-Single;  fashion_mnist_BW/ for Fashion-MNIST)
//   <root>/mnist_multi_jitterColor_BW/    (MNIST-Multiple; fashion_mnist_multi_jitterColor_BW/)
//       trainA/ trainB/                   training split
//       testA/  testB/  testA2B/ testB2A/ test split with the exact translations
//
// Each folder sorted by file name lists image i at rank i, which is how the authors pair records and
// ground truth. Link i2i::io (libpng).
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/data/mnist_files.hpp"
#include "i2i/io/png.hpp"

namespace i2i::data {

enum class egscit_dataset : std::uint8_t { single, multiple };

/// The authors' dataset folder names (run_convert_mnist.sh), with a fashion_ prefix for Fashion-MNIST.
inline std::string egscit_folder_name(egscit_dataset d, grey_source src) {
  std::string base = d == egscit_dataset::single ? "mnist_BW" : "mnist_multi_jitterColor_BW";
  return src == grey_source::mnist ? base : "fashion_" + base;
}

/// What a write produced: images per folder (0 for the folders a split does not have).
struct egscit_write_counts {
  std::size_t a = 0, b = 0, a2b = 0, b2a = 0;
  std::size_t total() const { return a + b + a2b + b2a; }
};

/// Any dataset with size(), which(), a/b/a2b/b2a(i) -> io::image and the matching *_name(i).
template <class D>
concept egscit_translation_set = requires(const D& d, std::size_t i) {
  { d.size() } -> std::convertible_to<std::size_t>;
  { d.which() } -> std::convertible_to<split>;
  { d.a(i) } -> std::convertible_to<io::image>;
  { d.a2b_name(i) } -> std::convertible_to<std::string>;
};

/// Writes images [0, count) of `d` (count 0: all) into `dataset_dir`/{trainA, trainB} or
/// {testA, testB, testA2B, testB2A}; ground truth is written for the test split only, as the authors
/// did. Each folder must be absent or hold no PNG: a folder with other images would break the
/// rank pairing. PNGs are encoded on i2i's thread pool.
template <egscit_translation_set D>
egscit_write_counts write_egscit_folders(const D& d, const std::filesystem::path& dataset_dir, std::size_t count = 0) {
  namespace fs = std::filesystem;
  if (count == 0 || count > d.size()) count = d.size();
  const bool test = d.which() == split::test;
  const std::string pre = test ? "test" : "train";
  const fs::path dir_a = dataset_dir / (pre + "A"), dir_b = dataset_dir / (pre + "B");
  const fs::path dir_a2b = dataset_dir / "testA2B", dir_b2a = dataset_dir / "testB2A";
  std::vector<fs::path> dirs{dir_a, dir_b};
  if (test) dirs.insert(dirs.end(), {dir_a2b, dir_b2a});
  for (const auto& dir : dirs) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    require<io_error>(!ec && fs::is_directory(dir), "write_egscit_folders: cannot create '", dir.string(),
                      "': ", ec.message());
    for (const auto& e : fs::directory_iterator(dir))
      require<io_error>(e.path().extension() != ".png", "write_egscit_folders: '", dir.string(),
                        "' already holds PNG files (e.g. '", e.path().filename().string(),
                        "'); remove them first, since extra files would break the pairing by rank");
  }
  parallel_for(std::int64_t(count), 64, [&](std::int64_t begin, std::int64_t end) {
    for (auto i = std::size_t(begin); i < std::size_t(end); ++i) {
      io::write_png((dir_a / d.a_name(i)).string(), d.a(i));
      io::write_png((dir_b / d.b_name(i)).string(), d.b(i));
      if (test) {
        io::write_png((dir_a2b / d.a2b_name(i)).string(), d.a2b(i));
        io::write_png((dir_b2a / d.b2a_name(i)).string(), d.b2a(i));
      }
    }
  });
  egscit_write_counts c;
  c.a = c.b = count;
  if (test) c.a2b = c.b2a = count;
  return c;
}

}  // namespace i2i::data
