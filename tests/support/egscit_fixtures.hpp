#pragma once
// Fixtures the EGSC-IT trainer tests share (unit/egscit_model, unit/egscit_baselines, unit/egscit_munit
// and their gradchecks): seeded random image sources and batches, a parameter comparison, and
// per-process temporary folders.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <unistd.h>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/pixels.hpp"
#include "i2i/recipes/egscit/trainer_common.hpp"
#include "support/gradcheck.hpp"

namespace i2i::test::egscit_fixtures {

/// n random size x size RGB images; image i is the same for every call with the same salt.
inline egscit::image_source random_images(std::size_t n, unsigned salt, int size = 12) {
  return {n, [salt, size](std::size_t i) {
            io::image img(size, size, 3);
            std::mt19937 g(unsigned(i) * 7919u + salt);
            for (auto& p : img.pixels) p = std::uint8_t(g() % 256);
            return img;
          }};
}

/// Images first .. first + n - 1 of a source as one N x 3 x H x W batch in [-1, 1].
inline tensor<float> batch_of(const egscit::image_source& s, std::size_t first, std::size_t n) {
  std::vector<io::image> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(s.at(first + i));
  return io::to_tensor(std::span<const io::image>(v));
}

/// A 2 x 3 x 8 x 8 batch of U(-1, 1) values seeded by salt (the gradchecks' images).
template <class T = double>
tensor<T> uniform_images(unsigned salt) {
  auto t = tensor<T>::empty(shape::nchw(2, 3, 8, 8));
  std::mt19937 g(salt);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = T(std::uniform_real_distribution<double>(-1, 1)(g));
  return t;
}

/// Largest absolute difference between the parameters of two models of the same type.
template <class M>
double max_param_diff(const M& a, const M& b) {
  double m = 0;
  const auto pa = a.all_parameters(), pb = b.all_parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) m = std::max(m, max_abs_diff(pa[i]->value, pb[i]->value));
  return m;
}

/// An empty folder <tmp>/i2i_<prefix>_<name>_<pid>.
inline std::filesystem::path temp_dir(const std::string& prefix, const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("i2i_" + prefix + "_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}

}  // namespace i2i::test::egscit_fixtures
