#pragma once
// The memory layout a device convolution hands to its library (cuDNN), and the channel padding that
// layout asks for. Backend-neutral and CUDA-free, so the rules are tested on the CPU.
//
// Why: cuDNN's tensor-core convolutions for 16-bit data are NHWC kernels. Given NCHW bf16/fp16 operands
// it transposes them internally, and those transposes can cost more than the convolution itself
// (pytorch/pytorch#54324: 92 % of an fp16 NCHW conv's time; tensorflow/tensorflow#59029: bf16 26.8 ->
// 46.9 FPS once forced to NHWC). The mixed-precision policies already rewrite every conv operand once (the
// fp32 -> 16-bit cast), so the CUDA backend folds the layout change into that same pass: the cast kernel
// writes NHWC, cuDNN runs its native NHWC kernels, and the cast back writes NCHW fp32 (adding the bias on
// the way). Storage between ops stays NCHW fp32, so no other kernel changes (docs/decisions.md).
//
//   conv_layout_choice   automatic (16-bit compute: NHWC, fp32: NCHW), or forced for a measurement
//   parse_conv_layout    the I2I_CUDA_CONV_LAYOUT environment value: "auto", "nchw" or "nhwc"
//   resolve_conv_layout  the layout one convolution runs in
//   channels_last_channels
//                        channels padded so each pixel's channel vector is whole 16-byte vectors
//                        (8 for 2-byte types, 4 for fp32): cuDNN's tensor-core NHWC kernels need
//                        C and K multiples of 8 in 16 bits; zero channels and zero filters change nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "i2i/core/error.hpp"

namespace i2i {

enum class conv_layout { nchw, nhwc };
enum class conv_layout_choice { automatic, nchw, nhwc };

inline const char* to_string(conv_layout l) { return l == conv_layout::nhwc ? "nhwc" : "nchw"; }
inline const char* to_string(conv_layout_choice c) {
  return c == conv_layout_choice::nhwc ? "nhwc" : c == conv_layout_choice::nchw ? "nchw" : "auto";
}

/// "auto" (or empty), "nchw", "nhwc"; anything else is a value_error naming `where` (the variable).
inline conv_layout_choice parse_conv_layout(std::string_view text, const char* where) {
  if (text.empty() || text == "auto") return conv_layout_choice::automatic;
  if (text == "nchw") return conv_layout_choice::nchw;
  if (text == "nhwc") return conv_layout_choice::nhwc;
  throw value_error(detail::concat(where, " is '", std::string(text), "'; expected auto, nchw or nhwc"));
}

/// The layout of one convolution whose operands are `element_bytes` wide. Grouped convolutions stay
/// NCHW whatever the choice: padding channels would move the group boundaries.
inline conv_layout resolve_conv_layout(conv_layout_choice choice, std::size_t element_bytes, std::int64_t groups) {
  if (groups != 1) return conv_layout::nchw;
  switch (choice) {
    case conv_layout_choice::nchw: return conv_layout::nchw;
    case conv_layout_choice::nhwc: return conv_layout::nhwc;
    case conv_layout_choice::automatic: break;
  }
  return element_bytes < 4 ? conv_layout::nhwc : conv_layout::nchw;
}

/// Channel count of an NHWC operand: `c` rounded up to a whole number of 16-byte vectors per pixel.
inline std::int64_t channels_last_channels(std::int64_t c, std::size_t element_bytes) {
  require<value_error>(c >= 0 && element_bytes > 0 && 16 % element_bytes == 0, "channels_last_channels: ", c,
                       " channels of ", element_bytes, "-byte elements");
  const auto per_vector = std::int64_t(16 / element_bytes);
  return (c + per_vector - 1) / per_vector * per_vector;
}

}  // namespace i2i
