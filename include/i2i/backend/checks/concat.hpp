#pragma once
// Argument checks of concat_channels / split_channels (cpu/concat.hpp, cuda/kernels/concat.cuh), once
// for both backends; P is where the tensors must live (placement.hpp).
#include <cstdint>
#include <span>
#include <string>

#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/checks/tensor_args.hpp"

namespace i2i::checks {

/// At least one part, each rank 2 or 4, with the same N (and H, W). Returns the output's channel count.
template <placement P, class T>
std::int64_t concat_channels(std::span<const tensor<T>> parts) {
  require<shape_error>(!parts.empty(), "concat_channels: no tensors to concatenate");
  const tensor<T>& first = parts[0];
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string arg = "part " + std::to_string(i);
    require_tensor<P>("concat_channels", arg.c_str(), parts[i]);
    require_channels_layout("concat_channels", arg.c_str(), parts[i]);
  }
  std::int64_t channels = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const tensor<T>& p = parts[i];
    bool same = p.rank() == first.rank() && p.dim(0) == first.dim(0);
    for (int d = 2; same && d < p.rank(); ++d) same = p.dim(d) == first.dim(d);
    require<shape_error>(same, "concat_channels: part ", i, " has shape ", p.shape(), " but part 0 has shape ",
                         first.shape(), "; every part needs the same rank and the same ",
                         first.rank() == 4 ? "N, H and W" : "N");
    channels += p.dim(1);
  }
  return channels;
}

/// Non-negative counts that sum to x's C. Returns that sum.
template <placement P, class T>
std::int64_t split_channels(const tensor<T>& x, std::span<const std::int64_t> channels) {
  require_tensor<P>("split_channels", "x", x);
  require_channels_layout("split_channels", "x", x);
  std::int64_t total = 0;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    require<value_error>(channels[i] >= 0, "split_channels: part ", i, " asks for ", channels[i],
                         " channels; counts must be >= 0");
    total += channels[i];
  }
  require<shape_error>(total == x.dim(1), "split_channels: the parts' channel counts sum to ", total,
                       " but x has shape ", x.shape(), " (", x.dim(1), " channels)");
  return total;
}

}  // namespace i2i::checks
