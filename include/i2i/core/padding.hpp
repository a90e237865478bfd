#pragma once
// Per-side padding (or cropping) of the two spatial dimensions. Asymmetric values are needed for
// TF-SAME alignment (EGSC-IT's k4 s2 discriminator convs pad 1 before and 2 after on odd sizes).
#include <cstdint>
#include <ostream>

namespace i2i {

struct padding2d {
  std::int64_t top = 0, bottom = 0, left = 0, right = 0;

  static constexpr padding2d uniform(std::int64_t p) { return {p, p, p, p}; }
  static constexpr padding2d symmetric(std::int64_t ph, std::int64_t pw) { return {ph, ph, pw, pw}; }
  friend constexpr bool operator==(const padding2d&, const padding2d&) = default;
  friend std::ostream& operator<<(std::ostream& os, const padding2d& p) {
    return os << "(top " << p.top << ", bottom " << p.bottom << ", left " << p.left << ", right " << p.right << ")";
  }
};

}  // namespace i2i
