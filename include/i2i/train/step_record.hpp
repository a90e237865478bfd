#pragma once
// step_record: the losses of one training step, by name, in the order they were computed, on the host:
// every trainer (train::gan_step and the trainers over it) reports this type on every backend.
//
//   train::step_record rec;  rec.set("G_GAN", 0.7);  rec["G_GAN"];  std::cout << rec;   // "G_GAN 0.7"
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i::train {

class step_record {
 public:
  void set(const std::string& key, double value) {
    for (auto& [k, v] : items_)
      if (k == key) {
        v = value;
        return;
      }
    items_.emplace_back(key, value);
  }
  bool contains(const std::string& key) const {
    for (const auto& [k, v] : items_)
      if (k == key) return true;
    return false;
  }
  /// The loss named `key`; an unknown name is a value_error that lists the recorded ones.
  double operator[](const std::string& key) const {
    for (const auto& [k, v] : items_)
      if (k == key) return v;
    std::string known;
    for (const auto& [k, v] : items_) known += (known.empty() ? "" : ", ") + k;
    throw value_error(i2i::detail::concat("step_record: no loss named '", key, "'; this step recorded: ", known));
  }
  const std::vector<std::pair<std::string, double>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, double>> items_;
};

/// "name value name value ...", as the trainers' logs print a step.
inline std::ostream& operator<<(std::ostream& os, const step_record& r) {
  bool first = true;
  for (const auto& [k, v] : r.items()) {
    os << (first ? "" : " ") << k << " " << v;
    first = false;
  }
  return os;
}

}  // namespace i2i::train
