#pragma once
// Concatenation along the channel axis and its inverse, on the device (cpu/concat.hpp): each is the
// other's backward. Rank 4 (N x C x H x W) and rank 2 (N x C); every part needs the same rank, N (and
// H, W). Pure data movement, so any trivially copyable element type works.
//
//   concat_channels(parts) -> y          split_channels(x, channels) -> parts
//
// One launch per part moves that part's block of every sample ("strided block copy"); no pitch limits
// as with cudaMemcpy2D, whose pitch must stay below the device's maximum.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "i2i/backend/checks/concat.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"

namespace i2i::cuda {

namespace concat_detail {

template <class T>
std::int64_t inner(const tensor<T>& t) {
  return t.rank() == 4 ? t.dim(2) * t.dim(3) : 1;
}

/// For every sample s: dst[s * dst_stride + dst_offset + r] = src[s * src_stride + src_offset + r], r < block.
template <class T>
__global__ void block_copy_kernel(const T* src, std::int64_t src_stride, std::int64_t src_offset, T* dst,
                                  std::int64_t dst_stride, std::int64_t dst_offset, std::int64_t block,
                                  std::int64_t samples) {
  I2I_GRID_STRIDE(i, samples * block) {
    const std::int64_t s = i / block, r = i - s * block;
    dst[s * dst_stride + dst_offset + r] = src[s * src_stride + src_offset + r];
  }
}

template <class T>
void block_copy(const T* src, std::int64_t src_stride, std::int64_t src_offset, T* dst, std::int64_t dst_stride,
                std::int64_t dst_offset, std::int64_t block, std::int64_t samples) {
  const std::int64_t n = samples * block;
  if (n == 0) return;
  block_copy_kernel<<<launch::elementwise_blocks(n), launch::threads, 0, current_stream()>>>(
      src, src_stride, src_offset, dst, dst_stride, dst_offset, block, samples);
  I2I_CUDA_CHECK_LAUNCH("block_copy_kernel");
}

}  // namespace concat_detail

/// Concatenates `parts` along axis 1. At least one part; N (and H, W) must agree.
template <class T>
tensor<T> concat_channels(std::span<const tensor<T>> parts) {
  const std::int64_t channels = checks::concat_channels<on_current_device>(parts);
  const tensor<T>& first = parts[0];
  shape out_shape = first.shape();
  out_shape[1] = channels;
  auto y = launch::empty<T>(out_shape);
  const std::int64_t n = first.dim(0), in = concat_detail::inner(first);
  std::int64_t offset = 0;
  for (const auto& p : parts) {
    const std::int64_t block = p.dim(1) * in;
    concat_detail::block_copy(p.data(), block, 0, y.data(), channels * in, offset, block, n);
    offset += block;
  }
  return y;
}

template <class T>
tensor<T> concat_channels(std::initializer_list<tensor<T>> parts) {
  return concat_channels(std::span<const tensor<T>>(parts.begin(), parts.size()));
}
template <class T>
tensor<T> concat_channels(const std::vector<tensor<T>>& parts) {
  return concat_channels(std::span<const tensor<T>>(parts.data(), parts.size()));
}

/// Splits x along axis 1 into parts of `channels[i]` channels each; the counts must sum to x's C.
template <class T>
std::vector<tensor<T>> split_channels(const tensor<T>& x, std::span<const std::int64_t> channels) {
  const std::int64_t total = checks::split_channels<on_current_device>(x, channels);
  const std::int64_t n = x.dim(0), in = concat_detail::inner(x);
  std::vector<tensor<T>> parts;
  parts.reserve(channels.size());
  std::int64_t offset = 0;
  for (std::int64_t c : channels) {
    shape s = x.shape();
    s[1] = c;
    parts.push_back(launch::empty<T>(s));
    const std::int64_t block = c * in;
    concat_detail::block_copy(x.data(), total * in, offset, parts.back().data(), block, 0, block, n);
    offset += block;
  }
  return parts;
}

template <class T>
std::vector<tensor<T>> split_channels(const tensor<T>& x, std::initializer_list<std::int64_t> channels) {
  return split_channels(x, std::span<const std::int64_t>(channels.begin(), channels.size()));
}
template <class T>
std::vector<tensor<T>> split_channels(const tensor<T>& x, const std::vector<std::int64_t>& channels) {
  return split_channels(x, std::span<const std::int64_t>(channels.data(), channels.size()));
}

}  // namespace i2i::cuda
