#pragma once
// Where a tensor's memory lives. The CPU is always present; a CUDA device exists only in builds with
// the i2i::cuda target and on machines with a visible GPU (checked by the CUDA runtime, not here).
#include <charconv>
#include <ostream>
#include <string>
#include <string_view>

#include "i2i/core/error.hpp"

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

  /// "cpu", "cuda" (device 0), "cuda:N" or "gpu" / "gpu:N"; value_error naming the text otherwise.
  /// Parsing does not ask whether the device exists: using it does (device_error).
  static device parse(std::string_view text) {
    if (text == "cpu") return cpu();
    for (std::string_view prefix : {std::string_view("cuda"), std::string_view("gpu")}) {
      if (text.substr(0, prefix.size()) != prefix) continue;
      const std::string_view rest = text.substr(prefix.size());
      if (rest.empty()) return cuda(0);
      int index = -1;
      const char* end = rest.data() + rest.size();
      if (rest.size() > 1 && rest[0] == ':') {
        const auto r = std::from_chars(rest.data() + 1, end, index);
        if (r.ec == std::errc() && r.ptr == end && index >= 0) return cuda(index);
      }
      break;
    }
    throw value_error(detail::concat("device '", text, "': expected cpu, cuda or cuda:N (N >= 0)"));
  }

  std::string str() const { return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index); }
  friend std::ostream& operator<<(std::ostream& os, device d) { return os << d.str(); }
};

}  // namespace i2i
