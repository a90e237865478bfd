#pragma once
// Concatenation along the channel axis and its inverse. Each is the other's backward:
//   concat_channels backward = split_channels(dy, {c_0, c_1, ...});
//   split_channels  backward = concat_channels({dy_0, dy_1, ...}).
// Works on rank 4 (N x C x H x W) and rank 2 (N x C) tensors; every part must have the same rank and
// the same N (and H, W). pix2pixHD builds G's input as [one-hot | edge | features] and D's as
// [label | image] this way.
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "i2i/backend/checks/concat.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/core/threads.hpp"

namespace i2i::cpu {

namespace concat_detail {
// Elements per channel: H*W for rank 4, 1 for rank 2.
template <class T>
std::int64_t inner(const tensor<T>& t) {
  return t.rank() == 4 ? t.dim(2) * t.dim(3) : 1;
}
}  // namespace concat_detail

/// Concatenates `parts` along axis 1. At least one part; N (and H, W) must agree.
template <cpu_scalar T>
tensor<T> concat_channels(std::span<const tensor<T>> parts) {
  const std::int64_t channels = checks::concat_channels<checks::on_host>(parts);
  const tensor<T>& first = parts[0];
  shape out_shape = first.shape();
  out_shape[1] = channels;
  auto y = tensor<T>::empty(out_shape);
  const std::int64_t n = first.dim(0), inner = concat_detail::inner(first);
  // One contiguous block per (sample, part): the whole of part p's sample n.
  parallel_for(n, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t s = lo; s < hi; ++s) {
      T* dst = y.data() + s * channels * inner;
      for (const auto& p : parts) {
        const std::int64_t block = p.dim(1) * inner;
        if (block) std::memcpy(dst, p.data() + s * block, std::size_t(block) * sizeof(T));
        dst += block;
      }
    }
  });
  return y;
}

template <cpu_scalar T>
tensor<T> concat_channels(std::initializer_list<tensor<T>> parts) {
  return concat_channels(std::span<const tensor<T>>(parts.begin(), parts.size()));
}
template <cpu_scalar T>
tensor<T> concat_channels(const std::vector<tensor<T>>& parts) {
  return concat_channels(std::span<const tensor<T>>(parts.data(), parts.size()));
}

/// Splits x along axis 1 into parts of `channels[i]` channels each; the counts must sum to x's C.
template <cpu_scalar T>
std::vector<tensor<T>> split_channels(const tensor<T>& x, std::span<const std::int64_t> channels) {
  const std::int64_t total = checks::split_channels<checks::on_host>(x, channels);
  const std::int64_t n = x.dim(0), inner = concat_detail::inner(x);
  std::vector<tensor<T>> parts;
  parts.reserve(channels.size());
  for (std::int64_t c : channels) {
    shape s = x.shape();
    s[1] = c;
    parts.push_back(tensor<T>::empty(s));
  }
  parallel_for(n, 1, [&](std::int64_t lo, std::int64_t hi) {
    for (std::int64_t s = lo; s < hi; ++s) {
      const T* src = x.data() + s * total * inner;
      for (const auto& p : parts) {
        const std::int64_t block = p.dim(1) * inner;
        if (block) std::memcpy(p.data() + s * block, src, std::size_t(block) * sizeof(T));
        src += block;
      }
    }
  });
  return parts;
}

template <cpu_scalar T>
std::vector<tensor<T>> split_channels(const tensor<T>& x, std::initializer_list<std::int64_t> channels) {
  return split_channels(x, std::span<const std::int64_t>(channels.begin(), channels.size()));
}
template <cpu_scalar T>
std::vector<tensor<T>> split_channels(const tensor<T>& x, const std::vector<std::int64_t>& channels) {
  return split_channels(x, std::span<const std::int64_t>(channels.data(), channels.size()));
}

}  // namespace i2i::cpu
