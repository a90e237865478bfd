#pragma once
// classes.txt of a dataset in pix2pixHD's layout: one "<id> <name>" line per class, written by the
// dataset builders (pix2pixhd_prepare_data) and read by the programs that need class counts and names
// (segmentation oracle, pix2pix baseline, evaluation).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace i2i::data {

/// A class of a dataset (a line of classes.txt).
struct class_info {
  int id = 0;
  std::string name;
};

/// The classes listed in <dataroot>/classes.txt, in file order; empty when the file does not exist.
/// Lines that do not start with "<id> <name>" are skipped.
inline std::vector<class_info> read_classes(const std::string& dataroot) {
  std::vector<class_info> out;
  std::ifstream f((std::filesystem::path(dataroot) / "classes.txt").string());
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream s(line);
    class_info c;
    if (s >> c.id >> c.name && c.id >= 0) out.push_back(c);
  }
  return out;
}

/// The number of classes the file implies (largest id + 1), or 0 without the file.
inline int class_count(const std::vector<class_info>& classes) {
  int n = 0;
  for (const auto& c : classes) n = std::max(n, c.id + 1);
  return n;
}

/// Names for ids 0..count-1: the file's name where it lists the id, else the id as text.
inline std::vector<std::string> class_names(const std::vector<class_info>& classes, int count) {
  std::vector<std::string> names;
  for (int c = 0; c < count; ++c) names.push_back(std::to_string(c));
  for (const auto& c : classes)
    if (c.id < count) names[std::size_t(c.id)] = c.name;
  return names;
}

/// The class named unlabelled/unlabeled/void, or -1.
inline int unlabelled_class(const std::vector<class_info>& classes) {
  for (const auto& c : classes)
    if (c.name == "unlabelled" || c.name == "unlabeled" || c.name == "void") return c.id;
  return -1;
}

}  // namespace i2i::data
