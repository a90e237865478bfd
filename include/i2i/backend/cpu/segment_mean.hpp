#pragma once
// Instance-wise mean pooling (pix2pixHD's feature encoder, research/pix2pixhd.md §1.4): every pixel of
// x[n, c] is replaced by the mean of x[n, c] over the pixels of sample n that share its id.
//
// Ids come as a tensor<T> of shape N x 1 x H x W holding integral values, the way pix2pixHD stores label
// and instance maps (floats); tensor<int32> does not exist in this library. Every id must be an integer
// in [0, 2^31 - 1]; anything else throws value_error naming the value and its position. The ids are an
// input encoding: they get no gradient.
//
// Cost: the id map is turned into a per-pixel segment number once (segment_index, reusable across
// calls, channels and forward/backward), then each channel is one scatter-add of sums and one gather,
// O(pixels) with no per-instance scans.
//
// Backward: the op is y = P x with P the symmetric averaging projection of each segment, so
// dx = P^T dy = P dy, i.e. segment_mean_backward(dy, ...) = segment_mean(dy, ...).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "i2i/backend/checks/segment_mean.hpp"
#include "i2i/backend/cpu/argcheck.hpp"
#include "i2i/backend/host_segment_index.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::cpu {

// The id map's segments are a host structure shared with host code outside the backend (pix2pixHD's
// instance listing, models/pix2pixhd/features.hpp): backend/host_segment_index.hpp.
using segment_index = host_segment_index;

/// Builds the segment index of an id map (N x 1 x H x W, integral values >= 0): make_host_segment_index.
template <cpu_scalar T>
segment_index make_segment_index(const tensor<T>& ids, const char* op = "make_segment_index") {
  return make_host_segment_index(ids, op);
}

namespace segment_detail {
template <class T>
tensor<T> pool(const char* op, const char* arg, const tensor<T>& x, const segment_index& idx) {
  checks::segment_pooled<checks::on_host>(op, arg, x, idx.n, idx.h, idx.w);
  const std::int64_t c = x.dim(1), hw = idx.h * idx.w;
  auto y = tensor<T>::empty(x.shape());
  const std::int64_t grain = std::max<std::int64_t>(1, argcheck::element_grain / std::max<std::int64_t>(hw, 1));
  parallel_for(idx.n * c, grain, [&](std::int64_t lo, std::int64_t hi) {
    std::vector<double> sums;
    for (std::int64_t plane = lo; plane < hi; ++plane) {
      const std::int64_t s = plane / c;
      const std::int64_t first = idx.first[std::size_t(s)], k = idx.segments(s);
      sums.assign(std::size_t(k), 0.0);
      const std::int32_t* slot = idx.slot.data() + s * hw;
      const T* src = x.data() + plane * hw;
      T* dst = y.data() + plane * hw;
      // A scatter-add and a gather: irregular by nature, so plain loops (Eigen has no scatter).
      for (std::int64_t p = 0; p < hw; ++p) sums[std::size_t(slot[p])] += double(src[p]);
      for (std::int64_t j = 0; j < k; ++j) sums[std::size_t(j)] /= double(idx.count[std::size_t(first + j)]);
      for (std::int64_t p = 0; p < hw; ++p) dst[p] = T(sums[std::size_t(slot[p])]);
    }
  });
  return y;
}
}  // namespace segment_detail

/// Instance-wise mean of x (N x C x H x W) over the segments of `idx`.
template <cpu_scalar T>
tensor<T> segment_mean(const tensor<T>& x, const segment_index& idx) {
  return segment_detail::pool("segment_mean", "x", x, idx);
}

/// Instance-wise mean of x over the ids of `ids` (N x 1 x H x W, integral values >= 0).
template <cpu_scalar T>
tensor<T> segment_mean(const tensor<T>& x, const tensor<T>& ids) {
  checks::segment_mean<checks::on_host>(x, ids);
  return segment_detail::pool("segment_mean", "x", x, make_segment_index(ids, "segment_mean"));
}

/// dx of segment_mean: the same averaging applied to dy (the op is a symmetric projection).
template <cpu_scalar T>
tensor<T> segment_mean_backward(const tensor<T>& dy, const segment_index& idx) {
  return segment_detail::pool("segment_mean_backward", "dy", dy, idx);
}
template <cpu_scalar T>
tensor<T> segment_mean_backward(const tensor<T>& dy, const tensor<T>& ids) {
  checks::require_tensor<checks::on_host>("segment_mean_backward", "ids", ids);
  return segment_detail::pool("segment_mean_backward", "dy", dy, make_segment_index(ids, "segment_mean_backward"));
}

}  // namespace i2i::cpu
