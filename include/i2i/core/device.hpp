#pragma once
// Where a tensor's memory lives. The CPU is always present; a CUDA device exists only in builds with
// the i2i::cuda target and on machines with a visible GPU (checked by the CUDA runtime, not here).
#include <ostream>
#include <string>

namespace i2i {

enum class device_kind { cpu, cuda };

struct device {
  device_kind kind = device_kind::cpu;
  int index = 0;

  static constexpr device cpu() { return {device_kind::cpu, 0}; }
  static constexpr device cuda(int i = 0) { return {device_kind::cuda, i}; }
  constexpr bool is_cpu() const { return kind == device_kind::cpu; }
  constexpr bool is_cuda() const { return kind == device_kind::cuda; }
  friend constexpr bool operator==(device, device) = default;

  std::string str() const { return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index); }
  friend std::ostream& operator<<(std::ostream& os, device d) { return os << d.str(); }
};

}  // namespace i2i
