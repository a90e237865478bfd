#pragma once
// pix2pixHD's input encodings on the device, mirroring cpu/label_maps.hpp: the one-hot label map and
// the instance boundary map. Both read integer maps stored as T; no gradient flows into them.
//
//   one_hot(labels, label_nc) -> N x label_nc x H x W    (labels: N x 1 x H x W, integers in [0, label_nc))
//   boundary_map(inst)        -> N x 1 x H x W           (1 where a 4-neighbour differs, else 0)
//
// Kernels cannot throw: a label out of range (or not an integer) and a NaN instance id are recorded in
// a device flag (the first offending element in row-major order); the host reads it after the kernel and
// throws the CPU op's value_error, naming the value and its position. That read synchronises.
#include <cmath>
#include <cstdint>

#include "i2i/backend/checks/label_maps.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {
namespace label_detail {

template <class T>
__global__ void one_hot_kernel(const T* labels, T* y, std::int64_t total, std::int64_t hw, std::int64_t label_nc,
                               long long* bad) {
  I2I_GRID_STRIDE(i, total) {
    const double v = double(labels[i]);
    if (!(v >= 0 && v < double(label_nc) && v == ::floor(v))) {
      launch::flag(bad, i);
      continue;
    }
    const std::int64_t s = i / hw, p = i - s * hw;
    y[(s * label_nc + std::int64_t(v)) * hw + p] = T(1);
  }
}

/// 1 where a pixel differs from an existing 4-neighbour; NaN ids are flagged instead (the host throws).
template <class T>
__global__ void boundary_kernel(const T* inst, T* y, std::int64_t total, std::int64_t h, std::int64_t w,
                                long long* bad) {
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t c = i % w, r = (i / w) % h;
    const T v = inst[i];
    if (dmath::isnan(v)) launch::flag(bad, i);
    const bool edge = (c > 0 && inst[i - 1] != v) || (c + 1 < w && inst[i + 1] != v) ||
                      (r > 0 && inst[i - w] != v) || (r + 1 < h && inst[i + w] != v);
    y[i] = edge ? T(1) : T(0);
  }
}

}  // namespace label_detail

/// labels (N x 1 x H x W, integral values in [0, label_nc)) -> N x label_nc x H x W one-hot map.
template <device_real T>
tensor<T> one_hot(const tensor<T>& labels, std::int64_t label_nc) {
  checks::one_hot<on_current_device>(labels, label_nc);
  const std::int64_t n = labels.dim(0), h = labels.dim(2), w = labels.dim(3), hw = h * w;
  auto y = launch::zeros<T>(shape{n, label_nc, h, w});
  const std::int64_t total = labels.numel();
  if (total == 0) return y;
  const launch::first_bad_index bad;
  label_detail::one_hot_kernel<<<launch::elementwise_blocks(total), launch::threads, 0, current_stream()>>>(
      labels.data(), y.data(), total, hw, label_nc, bad.get());
  I2I_CUDA_CHECK_LAUNCH("one_hot_kernel");
  if (const std::int64_t at = bad.read(); at >= 0) {
    const double v = double(launch::download_one(labels.data() + at));
    const std::int64_t s = at / hw, p = at % hw;
    throw checks::bad_label(v, s, p / w, p % w, label_nc);
  }
  return y;
}

/// Instance boundary map of `inst` (N x 1 x H x W): 1 where a pixel differs from one of its existing
/// 4-neighbours, else 0 (2-pixel-thick boundaries; the border is not an edge). NaN throws value_error.
template <device_real T>
tensor<T> boundary_map(const tensor<T>& inst) {
  checks::boundary_map<on_current_device>(inst);
  const std::int64_t total = inst.numel();
  auto y = launch::empty<T>(inst.shape());
  if (total == 0) return y;
  const launch::first_bad_index bad;
  label_detail::boundary_kernel<<<launch::elementwise_blocks(total), launch::threads, 0, current_stream()>>>(
      inst.data(), y.data(), total, inst.dim(2), inst.dim(3), bad.get());
  I2I_CUDA_CHECK_LAUNCH("boundary_kernel");
  require<value_error>(bad.read() < 0, "boundary_map: inst ", inst.shape(), " contains NaN");
  return y;
}

}  // namespace i2i::cuda
