#pragma once
// Shared by the data_mnist tests: the 40-image synthetic source of fixtures/make_reference.py, written
// as IDX files and read back through the real loader; the reference rows; CRC-32 of an image.
#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/data/mnist_files.hpp"
#include "i2i/io/idx.hpp"
#include "i2i/io/pixels.hpp"
#include "unit/io/scratch_dir.hpp"

namespace i2i::test {

/// make_reference.py's synthetic(): 40 grey 28x28 images and their labels.
inline void synthetic_arrays(std::vector<std::uint8_t>& pixels, std::vector<std::uint8_t>& labels) {
  const int n = 40;
  pixels.resize(std::size_t(n) * 28 * 28);
  labels.resize(std::size_t(n));
  for (int i = 0; i < n; ++i) {
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x)
        pixels[(std::size_t(i) * 28 + std::size_t(y)) * 28 + std::size_t(x)] =
            std::uint8_t((i * 37 + y * 11 + x * 5 + (y * x) % 7) % 256);
    labels[std::size_t(i)] = std::uint8_t((i * 7 + i / 10) % 10);
  }
}

/// The synthetic set written as MNIST-named IDX files in `dir` and loaded by load_grey_source.
inline data::grey_set synthetic_set(const scratch_dir& dir, data::split s = data::split::test) {
  std::vector<std::uint8_t> pixels, labels;
  synthetic_arrays(pixels, labels);
  const auto names = data::idx_file_names(s);
  const std::vector<std::uint32_t> image_dims{40, 28, 28}, label_dims{40};
  io::write_idx(dir / names[0], image_dims, pixels);
  io::write_idx(dir / names[1], label_dims, labels);
  return data::load_grey_source(data::grey_source::mnist, s, dir.dir);
}

inline std::uint32_t crc(const io::image& img) {
  return std::uint32_t(::crc32(0L, img.pixels.data(), uInt(img.pixels.size())));
}

inline std::filesystem::path fixture_path(const std::string& name) {
  return std::filesystem::path(__FILE__).parent_path() / "fixtures" / name;
}

/// One image row of a reference file: KIND SPLIT FOLDER INDEX NAME CRC32.
struct reference_image {
  std::string kind, split, folder, name;
  std::size_t index = 0;
  std::uint32_t crc = 0;
};
/// One pairing row: pairs KIND SPLIT RECORD A_INDEX B_INDEX.
struct reference_pair {
  std::string kind, split;
  std::size_t record = 0, a = 0, b = 0;
};

inline void read_reference(const std::string& name, std::vector<reference_image>& images,
                           std::vector<reference_pair>& pairs) {
  std::ifstream f(fixture_path(name));
  BOOST_TEST_REQUIRE(f.good(), "cannot read fixture " << name);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream s(line);
    std::string first;
    s >> first;
    if (first == "pairs") {
      reference_pair p;
      s >> p.kind >> p.split >> p.record >> p.a >> p.b;
      BOOST_TEST_REQUIRE(!s.fail(), line);
      pairs.push_back(p);
    } else {
      reference_image r;
      r.kind = first;
      s >> r.split >> r.folder >> r.index >> r.name >> r.crc;
      BOOST_TEST_REQUIRE(!s.fail(), line);
      images.push_back(r);
    }
  }
}

/// Where cmake/fetch_mnist.sh put MNIST: $I2I_DATA_DIR/mnist, else the build's data folder.
inline std::filesystem::path mnist_dir() {
  const char* env = std::getenv("I2I_DATA_DIR");
  return std::filesystem::path(env ? env : I2I_DEFAULT_DATA_DIR) / "mnist";
}

inline bool have_mnist() { return std::filesystem::exists(mnist_dir() / "t10k-images-idx3-ubyte"); }

}  // namespace i2i::test
