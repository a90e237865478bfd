#pragma once
// Channels-last operands of the CUDA convolutions (backend/conv_layout.hpp says why): the process-wide
// layout choice, and the two tiled transposes that carry an operand between the backend's NCHW fp32
// storage and cuDNN's NHWC in the compute type, in the same single pass the mixed-precision cast made.
//
//   cuda::set_conv_layout(conv_layout_choice::nchw);   // or I2I_CUDA_CONV_LAYOUT=nchw|nhwc|auto
//   cuda::conv_layout_scope s(conv_layout_choice::nhwc); // for a measurement or a test; restores
//
//   to_channels_last<H>(src, n, c, hw, n_padded, c_padded, dst)
//       dst[q][p][k] = H(src[q][k][p]) for q < n, k < c; zero for the padded channels k in [c, c_padded)
//       and the padded rows q in [n, n_padded) (a filter's K: zero filters)
//   from_channels_last<H>(src, n, c, hw, c_padded, bias, accumulate, dst)
//       dst[q][k][p] (=|+=) float(src[q][p][k]) (+ bias[k]) for q < n, k < c; padded channels dropped
//
// An activation N x C x H x W is (n, c, hw) = (N, C, H*W); a filter K x C x R x S is (K, C, R*S), which
// gives cuDNN's KRSC filter layout. Both kernels stage a 32 x 32 tile in shared memory so that reads and
// writes are coalesced on both sides (one row per warp, a padded column against bank conflicts).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "i2i/backend/conv_layout.hpp"
#include "i2i/backend/cuda/precision.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/error.hpp"

namespace i2i::cuda {

namespace layout_detail {
inline std::atomic<int>& choice_storage() {
  // Read once from the environment; set_conv_layout overrides it for the process.
  static std::atomic<int> c{[] {
    const char* env = std::getenv("I2I_CUDA_CONV_LAYOUT");
    return int(parse_conv_layout(env ? env : "", "I2I_CUDA_CONV_LAYOUT"));
  }()};
  return c;
}
}  // namespace layout_detail

/// The layout choice every convolution not yet planned resolves (algorithms are cached per layout).
inline conv_layout_choice conv_layout_setting() { return conv_layout_choice(layout_detail::choice_storage().load()); }
inline void set_conv_layout(conv_layout_choice c) { layout_detail::choice_storage().store(int(c)); }

/// Sets the layout choice for its lifetime (tests, benchmarks).
class conv_layout_scope {
 public:
  explicit conv_layout_scope(conv_layout_choice c) : saved_(conv_layout_setting()) { set_conv_layout(c); }
  ~conv_layout_scope() { set_conv_layout(saved_); }
  conv_layout_scope(const conv_layout_scope&) = delete;
  conv_layout_scope& operator=(const conv_layout_scope&) = delete;

 private:
  conv_layout_choice saved_;
};

namespace layout_detail {

using precision_detail::from_float;
using precision_detail::to_float;

constexpr int tile = 32, rows = 8;  // a block is tile x rows threads; each thread moves tile / rows elements
using tile_buffer = float[tile][tile + 1];

// Each kernel is two phases around one __syncthreads(), written as functions of (block, thread) so that
// the host can run the very same code over a whole grid (cuda_host's test of the tiling, without a
// device): every thread's phase one, then every thread's phase two.

/// to_channels_last, phase one: a warp reads one channel's run of pixels into the tile.
__host__ __device__ inline void to_channels_last_read(const float* src, tile_buffer& t, int c, long long hw,
                                                      long long bx, int by, long long q, int tx, int ty) {
  const long long p0 = bx * tile;
  const int k0 = by * tile;
  const float* s = src + q * c * hw;
  for (int j = ty; j < tile; j += rows) {
    const int k = k0 + j;
    const long long p = p0 + tx;
    t[j][tx] = (k < c && p < hw) ? s[k * hw + p] : 0.0f;
  }
}
/// Phase two: a warp writes one pixel's run of channels (zeros for the padded ones).
template <class H>
__host__ __device__ inline void to_channels_last_write(const tile_buffer& t, H* dst, long long hw, int cp, long long bx,
                                                       int by, long long q, int tx, int ty) {
  const long long p0 = bx * tile;
  const int k0 = by * tile;
  H* d = dst + q * hw * cp;
  for (int j = ty; j < tile; j += rows) {
    const long long p = p0 + j;
    const int k = k0 + tx;
    if (p < hw && k < cp) d[p * cp + k] = from_float<H>(t[tx][j]);
  }
}

/// from_channels_last, phase one: a warp reads one pixel's run of channels into the tile.
template <class H>
__host__ __device__ inline void from_channels_last_read(const H* src, tile_buffer& t, int c, long long hw, int cp,
                                                        long long bx, int by, long long q, int tx, int ty) {
  const long long p0 = bx * tile;
  const int k0 = by * tile;
  const H* s = src + q * hw * cp;
  for (int j = ty; j < tile; j += rows) {
    const long long p = p0 + j;
    const int k = k0 + tx;
    t[j][tx] = (p < hw && k < c) ? to_float(s[p * cp + k]) : 0.0f;
  }
}
/// Phase two: a warp writes one channel's run of pixels, adding the bias, overwriting or accumulating.
__host__ __device__ inline void from_channels_last_write(const tile_buffer& t, float* dst, int c, long long hw,
                                                         const float* bias, bool accumulate, long long bx, int by,
                                                         long long q, int tx, int ty) {
  const long long p0 = bx * tile;
  const int k0 = by * tile;
  float* d = dst + q * c * hw;
  for (int j = ty; j < tile; j += rows) {
    const int k = k0 + j;
    const long long p = p0 + tx;
    if (k < c && p < hw) {
      float v = t[tx][j];
      if (bias) v += bias[k];
      d[k * hw + p] = accumulate ? d[k * hw + p] + v : v;
    }
  }
}

// Grid: x over tiles of hw, y over tiles of c_padded, z over n. Rows past n are left to the caller.
template <class H>
__global__ void to_channels_last_kernel(const float* __restrict__ src, H* __restrict__ dst, int c, long long hw,
                                        int cp) {
  __shared__ tile_buffer t;
  to_channels_last_read(src, t, c, hw, blockIdx.x, int(blockIdx.y), blockIdx.z, int(threadIdx.x), int(threadIdx.y));
  __syncthreads();
  to_channels_last_write<H>(t, dst, hw, cp, blockIdx.x, int(blockIdx.y), blockIdx.z, int(threadIdx.x),
                            int(threadIdx.y));
}

// Grid: x over tiles of hw, y over tiles of c, z over n.
template <class H>
__global__ void from_channels_last_kernel(const H* __restrict__ src, float* __restrict__ dst, int c, long long hw,
                                          int cp, const float* __restrict__ bias, bool accumulate) {
  __shared__ tile_buffer t;
  from_channels_last_read<H>(src, t, c, hw, cp, blockIdx.x, int(blockIdx.y), blockIdx.z, int(threadIdx.x),
                             int(threadIdx.y));
  __syncthreads();
  from_channels_last_write(t, dst, c, hw, bias, accumulate, blockIdx.x, int(blockIdx.y), blockIdx.z, int(threadIdx.x),
                           int(threadIdx.y));
}

/// The kernels' grid run on the host, block by block, each phase for every thread in turn: the same
/// code as on the device (a test of the tiling that needs no GPU). `dst` rows past n are left alone.
template <class H>
void to_channels_last_on_host(const float* src, long long n, int c, long long hw, int cp, H* dst) {
  tile_buffer t;
  for (long long q = 0; q < n; ++q)
    for (long long bx = 0; bx < (hw + tile - 1) / tile; ++bx)
      for (int by = 0; by < (cp + tile - 1) / tile; ++by) {
        for (int ty = 0; ty < rows; ++ty)
          for (int tx = 0; tx < tile; ++tx) to_channels_last_read(src, t, c, hw, bx, by, q, tx, ty);
        for (int ty = 0; ty < rows; ++ty)
          for (int tx = 0; tx < tile; ++tx) to_channels_last_write<H>(t, dst, hw, cp, bx, by, q, tx, ty);
      }
}
template <class H>
void from_channels_last_on_host(const H* src, long long n, int c, long long hw, int cp, const float* bias,
                                bool accumulate, float* dst) {
  tile_buffer t;
  for (long long q = 0; q < n; ++q)
    for (long long bx = 0; bx < (hw + tile - 1) / tile; ++bx)
      for (int by = 0; by < (c + tile - 1) / tile; ++by) {
        for (int ty = 0; ty < rows; ++ty)
          for (int tx = 0; tx < tile; ++tx) from_channels_last_read<H>(src, t, c, hw, cp, bx, by, q, tx, ty);
        for (int ty = 0; ty < rows; ++ty)
          for (int tx = 0; tx < tile; ++tx) from_channels_last_write(t, dst, c, hw, bias, accumulate, bx, by, q, tx, ty);
      }
}

inline dim3 tiles(long long hw, int c, long long n) {
  return dim3(unsigned((hw + tile - 1) / tile), unsigned((c + tile - 1) / tile), unsigned(n));
}

inline void check_extents(const char* op, long long n, int c, long long hw) {
  // Grid limits: x < 2^31 tiles of pixels, y < 65536 tiles of channels, z < 65536 images (or filters).
  require<value_error>(n >= 0 && n <= 65535 && c >= 0 && hw >= 0 && (hw + tile - 1) / tile < (1LL << 31), op, ": ",
                       n, " images of ", c, " channels x ", hw, " pixels exceed the transpose's grid");
}

}  // namespace layout_detail

/// NCHW fp32 (n x c x hw) -> NHWC H (n_padded x hw x c_padded), zeros in the padding.
template <class H>
void to_channels_last(const float* src, long long n, int c, long long hw, long long n_padded, int cp, H* dst) {
  using namespace layout_detail;
  check_extents("to_channels_last", n, cp, hw);
  if (n > 0 && hw > 0 && cp > 0) {
    to_channels_last_kernel<H><<<tiles(hw, cp, n), dim3(tile, rows), 0, current_stream()>>>(src, dst, c, hw, cp);
    I2I_CUDA_CHECK_LAUNCH("to_channels_last_kernel");
  }
  if (n_padded > n)
    I2I_CUDA_CHECK(cudaMemsetAsync(dst + n * hw * cp, 0, std::size_t((n_padded - n) * hw * cp) * sizeof(H),
                                   current_stream()));
}

/// NHWC H (n x hw x c_padded, the first c channels read) -> NCHW fp32 (n x c x hw), adding `bias[c]` when
/// given, and adding into dst instead of overwriting when `accumulate`.
template <class H>
void from_channels_last(const H* src, long long n, int c, long long hw, int cp, const float* bias, bool accumulate,
                        float* dst) {
  using namespace layout_detail;
  check_extents("from_channels_last", n, c, hw);
  if (n == 0 || hw == 0 || c == 0) return;
  from_channels_last_kernel<H><<<tiles(hw, c, n), dim3(tile, rows), 0, current_stream()>>>(src, dst, c, hw, cp, bias,
                                                                                          accumulate);
  I2I_CUDA_CHECK_LAUNCH("from_channels_last_kernel");
}

}  // namespace i2i::cuda
