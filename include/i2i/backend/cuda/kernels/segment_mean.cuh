#pragma once
// Instance-wise mean pooling on the device (pix2pixHD's feature encoder), mirroring cpu/segment_mean.hpp:
// every pixel of x[n, c] becomes the mean of x[n, c] over the pixels of sample n that share its id.
//
//   make_segment_index(ids)               -> segment_index (reusable across channels, calls, backward)
//   segment_mean(x, idx | ids)            -> y
//   segment_mean_backward(dy, idx | ids)  -> dx  (= segment_mean(dy): the op is a symmetric projection)
//
// ids: N x 1 x H x W of T holding integers in [0, 2^31 - 1]; anything else throws value_error naming the
// value and its position (n, h, w), like the CPU op (the first offending pixel in row-major order,
// found by a device flag). ids get no gradient.
//
// Index: every pixel gets the key (n << 32) | id; a radix sort of (key, pixel) pairs (CUB) makes each
// (sample, id) segment a contiguous run of pixel numbers, and a run-length encoding gives the runs'
// lengths and, by a scan, their offsets. Pooling then needs no atomics and no per-id tables: one block
// per (segment, channel) sums its run in double (deterministic block reduction) and writes the mean back
// to the same pixels. Work is O(N*C*H*W); reads follow the sorted pixel order, which the stable sort
// keeps increasing inside a segment. Building the index reads one count (the number of segments) back
// to the host; pooling does not synchronise.
// CUB brings libcu++'s namespace ::cuda: a translation unit that includes this header and says
// `using namespace i2i;` at global scope must spell i2i::cuda (inside namespace i2i, cuda:: is fine).
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_run_length_encode.cuh>
#include <cub/device/device_scan.cuh>

#include <cmath>
#include <cstdint>
#include <limits>

#include "i2i/backend/cuda/kernels/block_reduce.cuh"
#include "i2i/backend/checks/segment_mean.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

/// Which pixels form each (sample, id) segment; all tensors on the device.
struct segment_index {
  std::int64_t n = 0, h = 0, w = 0;
  std::int64_t segments = 0;    ///< over all samples
  tensor<std::int32_t> pixel;   ///< N*H*W pixel numbers (n*H*W + h*W + w), grouped by segment
  tensor<std::int32_t> offset;  ///< segments + 1: segment j owns pixel[offset[j] .. offset[j+1])
  tensor<std::int32_t> sample;  ///< segments: the sample of each segment
  tensor<std::int64_t> id;      ///< segments: the id of each segment (ascending within a sample)
};

namespace segment_detail {

using key_t = unsigned long long;

template <class T>
__global__ void keys_kernel(const T* ids, key_t* keys, std::int32_t* pixels, std::int64_t total, std::int64_t hw,
                            long long* bad) {
  I2I_GRID_STRIDE(i, total) {
    const double v = double(ids[i]);
    const bool ok = v >= 0 && v <= 2147483647.0 && v == ::floor(v);  // false for NaN and Inf
    if (!ok) launch::flag(bad, i);
    const key_t id = ok ? key_t(v) : 0;
    keys[i] = (key_t(i / hw) << 32) | id;
    pixels[i] = std::int32_t(i);
  }
}

// A template so that a header-defined kernel is not one symbol defined in every translation unit.
template <class K>
__global__ void split_keys_kernel(const K* unique, std::int32_t* sample, std::int64_t* id, const int* runs) {
  I2I_GRID_STRIDE(j, std::int64_t(*runs)) {
    sample[j] = std::int32_t(unique[j] >> 32);
    id[j] = std::int64_t(unique[j] & K(0xffffffffull));
  }
}

/// One block per (segment, channel): the run's mean, written back to the run's pixels.
template <class T>
__global__ void pool_kernel(const T* x, T* y, const std::int32_t* pixel, const std::int32_t* offset,
                            const std::int32_t* sample, std::int64_t segments, std::int64_t channels,
                            std::int64_t hw) {
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(b, segments * channels) {
    const std::int64_t j = b / channels, c = b - j * channels;
    const std::int64_t s = sample[j], lo = offset[j], hi = offset[j + 1];
    const std::int64_t base = (s * channels + c) * hw - s * hw;  // pixel numbers count from sample 0
    double acc = 0;
    for (std::int64_t k = lo + threadIdx.x; k < hi; k += blockDim.x) acc += double(to_compute(x[base + pixel[k]]));
    acc = reduce_detail::block_sum(acc, scratch);
    const T mean = from_compute<T>(compute_t<T>(acc / double(hi - lo)));
    for (std::int64_t k = lo + threadIdx.x; k < hi; k += blockDim.x) y[base + pixel[k]] = mean;
  }
}

/// Bytes of CUB temporary storage as a device tensor.
inline tensor<std::uint8_t> temp_storage(std::size_t bytes) {
  return launch::empty<std::uint8_t>(shape{std::int64_t(bytes > 0 ? bytes : 1)});
}

template <class T>
tensor<T> pool(const char* op, const char* arg, const tensor<T>& x, const segment_index& idx) {
  checks::segment_pooled<on_current_device>(op, arg, x, idx.n, idx.h, idx.w);
  const std::int64_t c = x.dim(1), hw = idx.h * idx.w;
  auto y = launch::empty<T>(x.shape());
  const std::int64_t blocks = idx.segments * c;
  if (blocks > 0) {
    // Segments are often a few dozen pixels: small blocks waste fewer idle threads.
    pool_kernel<<<launch::plane_blocks(blocks), 128, 0, current_stream()>>>(
        x.data(), y.data(), idx.pixel.data(), idx.offset.data(), idx.sample.data(), idx.segments, c, hw);
    I2I_CUDA_CHECK_LAUNCH("segment pool_kernel");
  }
  return y;
}

}  // namespace segment_detail

/// Builds the segment index of an id map (N x 1 x H x W, integral values in [0, 2^31 - 1]).
template <device_real T>
segment_index make_segment_index(const tensor<T>& ids, const char* op = "make_segment_index") {
  using segment_detail::key_t;
  checks::segment_ids<on_current_device>(op, ids);
  const std::int64_t total = ids.numel();
  require<shape_error>(total < std::int64_t(std::numeric_limits<std::int32_t>::max()), op, ": ids has shape ",
                       ids.shape(), "; the index supports fewer than 2^31 pixels in all");
  segment_index idx;
  idx.n = ids.dim(0);
  idx.h = ids.dim(2);
  idx.w = ids.dim(3);
  if (total == 0) {
    idx.offset = launch::zeros<std::int32_t>(shape{1});
    return idx;
  }
  const int items = int(total);
  const std::int64_t hw = idx.h * idx.w;
  auto keys = launch::empty<key_t>(shape{total});
  auto pixels = launch::empty<std::int32_t>(shape{total});
  const launch::first_bad_index bad;
  segment_detail::keys_kernel<<<launch::elementwise_blocks(total), launch::threads, 0, current_stream()>>>(
      ids.data(), keys.data(), pixels.data(), total, hw, bad.get());
  I2I_CUDA_CHECK_LAUNCH("segment keys_kernel");
  if (const std::int64_t at = bad.read(); at >= 0) {
    const double v = double(launch::download_one(ids.data() + at));
    const std::int64_t s = at / hw, p = at % hw;
    throw value_error(i2i::detail::concat(op, ": id ", v, " at (n=", s, ", h=", p / idx.w, ", w=", p % idx.w,
                                          ") is not an integer in [0, 2^31 - 1]"));
  }

  // Sort (key, pixel) pairs; only the bits that can be set take part (ids < 2^31, samples < N).
  int end_bit = 32;
  while (end_bit < 64 && (key_t(idx.n - 1) >> (end_bit - 32)) != 0) ++end_bit;
  auto sorted_keys = launch::empty<key_t>(shape{total});
  idx.pixel = launch::empty<std::int32_t>(shape{total});
  std::size_t bytes = 0;
  I2I_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys.data(), sorted_keys.data(), pixels.data(),
                                                 idx.pixel.data(), items, 0, end_bit, current_stream()));
  {
    auto temp = segment_detail::temp_storage(bytes);
    I2I_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.data(), bytes, keys.data(), sorted_keys.data(), pixels.data(),
                                                   idx.pixel.data(), items, 0, end_bit, current_stream()));
  }

  // Runs of equal keys are the segments.
  auto unique = launch::empty<key_t>(shape{total});
  auto counts = launch::empty<std::int32_t>(shape{total + 1});
  auto runs = launch::empty<int>(shape{1});
  bytes = 0;
  I2I_CUDA_CHECK(cub::DeviceRunLengthEncode::Encode(nullptr, bytes, sorted_keys.data(), unique.data(), counts.data(),
                                                    runs.data(), items, current_stream()));
  {
    auto temp = segment_detail::temp_storage(bytes);
    I2I_CUDA_CHECK(cub::DeviceRunLengthEncode::Encode(temp.data(), bytes, sorted_keys.data(), unique.data(),
                                                      counts.data(), runs.data(), items, current_stream()));
  }
  idx.segments = launch::download_one(runs.data());

  // offset = exclusive scan of the counts, with the total as the last entry (counts[segments] = 0).
  launch::zero_bytes(counts.data() + idx.segments, sizeof(std::int32_t));
  idx.offset = launch::empty<std::int32_t>(shape{idx.segments + 1});
  bytes = 0;
  I2I_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(nullptr, bytes, counts.data(), idx.offset.data(),
                                               int(idx.segments + 1), current_stream()));
  {
    auto temp = segment_detail::temp_storage(bytes);
    I2I_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(temp.data(), bytes, counts.data(), idx.offset.data(),
                                                 int(idx.segments + 1), current_stream()));
  }

  idx.sample = launch::empty<std::int32_t>(shape{idx.segments});
  idx.id = launch::empty<std::int64_t>(shape{idx.segments});
  segment_detail::split_keys_kernel<<<launch::elementwise_blocks(idx.segments), launch::threads, 0,
                                      current_stream()>>>(unique.data(), idx.sample.data(), idx.id.data(),
                                                          runs.data());
  I2I_CUDA_CHECK_LAUNCH("segment split_keys_kernel");
  return idx;
}

/// Instance-wise mean of x (N x C x H x W) over the segments of `idx`.
template <device_real T>
tensor<T> segment_mean(const tensor<T>& x, const segment_index& idx) {
  return segment_detail::pool("segment_mean", "x", x, idx);
}

/// Instance-wise mean of x over the ids of `ids` (N x 1 x H x W, integral values >= 0).
template <device_real T>
tensor<T> segment_mean(const tensor<T>& x, const tensor<T>& ids) {
  checks::segment_mean<on_current_device>(x, ids);
  return segment_detail::pool("segment_mean", "x", x, make_segment_index(ids, "segment_mean"));
}

/// dx of segment_mean: the same averaging applied to dy.
template <device_real T>
tensor<T> segment_mean_backward(const tensor<T>& dy, const segment_index& idx) {
  return segment_detail::pool("segment_mean_backward", "dy", dy, idx);
}
template <device_real T>
tensor<T> segment_mean_backward(const tensor<T>& dy, const tensor<T>& ids) {
  checks::require_tensor<on_current_device>("segment_mean_backward", "ids", ids);
  return segment_detail::pool("segment_mean_backward", "dy", dy, make_segment_index(ids, "segment_mean_backward"));
}

}  // namespace i2i::cuda
