#pragma once
// A fresh temporary folder per test case, removed afterwards; and small file helpers for the I/O tests.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

namespace i2i::test {

struct scratch_dir {
  std::filesystem::path dir;
  scratch_dir() {
    static std::atomic<int> counter{0};
    dir = std::filesystem::temp_directory_path() /
          ("i2i_io_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string operator/(const std::string& name) const { return (dir / name).string(); }
};

inline std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::vector<unsigned char>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

/// Keeps the first `keep` bytes of a file.
inline void truncate_file(const std::string& path, std::size_t keep) {
  auto b = read_bytes(path);
  BOOST_TEST_REQUIRE(keep < b.size());
  b.resize(keep);
  write_bytes(path, b);
}

}  // namespace i2i::test
