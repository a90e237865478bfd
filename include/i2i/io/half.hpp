#pragma once
// 16-bit floating-point storage formats met in checkpoint files (safetensors F16/BF16, NumPy '<f2'),
// converted to float exactly: every half and bfloat16 value is representable as a float.
#include <bit>
#include <cstdint>

namespace i2i::io::detail {

/// IEEE 754 binary16 bits -> float, subnormals, infinities and NaNs included.
inline float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h & 0x8000) << 16;
  std::uint32_t exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal half: shift the mantissa up until its leading 1 is the implicit bit
      exp = 127 - 15 + 1;
      while (!(man & 0x400)) {
        man <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((man & 0x3FF) << 13);
    }
  } else if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  return std::bit_cast<float>(bits);
}

/// bfloat16 bits -> float (bfloat16 is the top half of a float).
inline float bf16_to_float(std::uint16_t b) { return std::bit_cast<float>(std::uint32_t(b) << 16); }

}  // namespace i2i::io::detail
