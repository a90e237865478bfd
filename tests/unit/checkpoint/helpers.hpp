#pragma once
// Shared by the checkpoint tests: fixture paths, hand-made safetensors files, and tensor comparison.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "i2i/core/tensor.hpp"
#include "unit/io/scratch_dir.hpp"

namespace i2i::test {

/// A committed fixture written by fixtures/make_fixtures.py.
inline std::string fixture(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "fixtures" / name).string();
}

/// Bytes of a safetensors file with the given header text (not padded unless asked) and data section.
inline std::vector<unsigned char> st_bytes(std::string header, const std::vector<unsigned char>& data, bool pad = true) {
  if (pad) header.append((8 - header.size() % 8) % 8, ' ');
  std::vector<unsigned char> out;
  const std::uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(n >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

/// Little-endian bytes of floats.
inline std::vector<unsigned char> f32_bytes(std::initializer_list<float> v) {
  std::vector<unsigned char> out(v.size() * 4);
  std::memcpy(out.data(), std::data(v), out.size());
  return out;
}

template <class T>
bool same_values(const tensor<T>& a, const tensor<T>& b) {
  if (!(a.shape() == b.shape())) return false;
  for (std::int64_t i = 0; i < a.numel(); ++i)
    if (a[i] != b[i]) return false;
  return true;
}

/// Files in a folder (to prove no temporary file was left behind).
inline std::vector<std::string> list_dir(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace i2i::test
