#pragma once
// Gram matrices of feature maps and the distance between them on the device, cuda_backend's Gram ops; the CPU
// twins (the reference) are backend/cpu/losses_gram.hpp, the argument checks backend/checks/losses.hpp:
//
//   gram_matrix(f, norm = hw)                  -> N x C x C, G = F F^T / norm, F the C x (H*W) map of f[n]
//   gram_matrix_backward(f, dg, norm = hw)     -> df = (dG + dG^T) F / norm
//   gram_distance(gp, gt, distance = mse, w = 1) -> loss_value: w * mean over N*C*C, grad for gp (w folded
//                                                 into the gradient's scale, as on the CPU)
// (The Gram style loss of two feature maps is loss::gram_style_loss<B>, a composition of these three.)
//
// gram_norm::hw divides by H*W (EGSC-IT), gram_norm::chw by C*H*W (Johnson et al.). The products are a
// plain shared-memory tiled GEMM accumulating in double (the style loss runs on a few VGG layers, not on
// the hot path, and double sums keep it within the CPU's float rounding); a cuBLAS path can replace it
// without changing these signatures. T = float or double.
#include <cstdint>

#include "i2i/backend/checks/losses.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/loss_value.cuh"
#include "i2i/backend/cuda/kernels/reduce.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"

namespace i2i::cuda {

namespace gram_detail {

inline constexpr int tile = 16;

/// C[b] = alpha * A[b] * op(B[b]) for every b < batch; A is M x K, op(B) is K x N (B is N x K when
/// trans_b), C is M x N, all row-major and contiguous per batch entry. One 16 x 16 tile of C per block
/// iteration; sums in double.
template <class T, bool TransB>
__global__ void batched_gemm_kernel(const T* A, const T* B, T* C, std::int64_t M, std::int64_t N, std::int64_t K,
                                    double alpha, std::int64_t batch) {
  __shared__ T As[tile][tile + 1];
  __shared__ T Bs[tile][tile + 1];  // Bs[k][j] = op(B)(k0 + k, n0 + j)
  const int tx = threadIdx.x, ty = threadIdx.y;
  const std::int64_t tiles_m = (M + tile - 1) / tile, tiles_n = (N + tile - 1) / tile;
  I2I_BLOCK_STRIDE(t, batch * tiles_m * tiles_n) {
    const std::int64_t b = t / (tiles_m * tiles_n), rem = t - b * tiles_m * tiles_n;
    const std::int64_t m0 = (rem / tiles_n) * tile, n0 = (rem % tiles_n) * tile;
    const T* a = A + b * M * K;
    const T* bm = B + b * K * N;
    double acc = 0;
    for (std::int64_t k0 = 0; k0 < K; k0 += tile) {
      const std::int64_t ar = m0 + ty, ac = k0 + tx;
      As[ty][tx] = (ar < M && ac < K) ? a[ar * K + ac] : T(0);
      if constexpr (TransB) {
        // op(B)(k, j) = B[j][k]: read along k (contiguous) and store transposed.
        const std::int64_t br = n0 + ty, bc = k0 + tx;
        Bs[tx][ty] = (br < N && bc < K) ? bm[br * K + bc] : T(0);
      } else {
        const std::int64_t br = k0 + ty, bc = n0 + tx;
        Bs[ty][tx] = (br < K && bc < N) ? bm[br * N + bc] : T(0);
      }
      __syncthreads();
#pragma unroll
      for (int k = 0; k < tile; ++k) acc += double(As[ty][k]) * double(Bs[k][tx]);
      __syncthreads();
    }
    const std::int64_t r = m0 + ty, c = n0 + tx;
    if (r < M && c < N) C[b * M * N + r * N + c] = T(acc * alpha);
  }
}

template <class T, bool TransB>
void batched_gemm(const T* A, const T* B, T* C, std::int64_t M, std::int64_t N, std::int64_t K, double alpha,
                  std::int64_t batch) {
  const std::int64_t tiles = batch * ((M + tile - 1) / tile) * ((N + tile - 1) / tile);
  if (tiles == 0) return;
  batched_gemm_kernel<T, TransB><<<launch::plane_blocks(tiles), dim3(tile, tile), 0, current_stream()>>>(
      A, B, C, M, N, K, alpha, batch);
  I2I_CUDA_CHECK_LAUNCH("gram batched_gemm_kernel");
}

/// sym[b] = (dG[b] + dG[b]^T) * inv
template <class T>
__global__ void symmetrize_kernel(const T* dg, T* sym, std::int64_t c, T inv, std::int64_t total) {
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t j = i % c, r = (i / c) % c, b = i / (c * c);
    sym[i] = (dg[i] + dg[(b * c + j) * c + r]) * inv;
  }
}

template <class T>
struct style_op {
  const T *gp, *gt;
  T* dg;
  T scale;  // 2 / n (mse) or 1 / n (l1)
  bool mse;
  __device__ double operator()(std::int64_t i) const {
    const T d = gp[i] - gt[i];
    dg[i] = mse ? d * scale : dmath::sign(d) * scale;
    return mse ? double(d) * double(d) : double(dmath::abs(d));
  }
};


}  // namespace gram_detail

/// N x C x C Gram matrices of f (N x C x H x W).
template <device_real T>
tensor<T> gram_matrix(const tensor<T>& f, loss::gram_norm norm = loss::gram_norm::hw) {
  i2i::checks::losses::require_features<on_current_device>("gram_matrix", "features", f);
  const std::int64_t n = f.dim(0), c = f.dim(1), hw = f.dim(2) * f.dim(3);
  const T inv = T(1.0 / loss::gram_divisor(c, hw, norm));
  auto g = launch::empty<T>(shape{n, c, c});
  gram_detail::batched_gemm<T, true>(f.data(), f.data(), g.data(), c, c, hw, double(inv), n);
  return g;
}

/// dF for the Gram matrices' gradient dg (N x C x C).
template <device_real T>
tensor<T> gram_matrix_backward(const tensor<T>& f, const tensor<T>& dg, loss::gram_norm norm = loss::gram_norm::hw) {
  i2i::checks::losses::require_gram_grad<on_current_device>("gram_matrix_backward", f, dg);
  const std::int64_t n = f.dim(0), c = f.dim(1), hw = f.dim(2) * f.dim(3);
  const T inv = T(1.0 / loss::gram_divisor(c, hw, norm));
  auto sym = launch::empty<T>(dg.shape());
  gram_detail::symmetrize_kernel<<<launch::elementwise_blocks(sym.numel()), launch::threads, 0, current_stream()>>>(
      dg.data(), sym.data(), c, inv, sym.numel());
  I2I_CUDA_CHECK_LAUNCH("gram symmetrize_kernel");
  auto df = launch::empty<T>(f.shape());
  gram_detail::batched_gemm<T, false>(sym.data(), f.data(), df.data(), c, hw, c, 1.0, n);
  return df;
}

/// weight * the mean distance between two batches of Gram matrices, and its gradient for gp.
template <device_real T>
loss::loss_value<T> gram_distance(const tensor<T>& gp, const tensor<T>& gt,
                                  loss::style_distance dist = loss::style_distance::mse, double weight = 1) {
  i2i::checks::losses::require_grams<on_current_device>("gram_distance", gp, gt);
  const double inv_n = 1.0 / double(gp.numel());
  const bool mse = dist == loss::style_distance::mse;
  auto dg = launch::empty<T>(gp.shape());
  const gram_detail::style_op<T> op{gp.data(), gt.data(), dg.data(), mse ? T(2 * inv_n * weight) : T(inv_n * weight),
                                    mse};
  if (const tensor<T>* flag = loss::defer_loss_values<T>::flag()) {  // a captured step: no host read
    loss::loss_value<T> r{0, std::move(dg)};
    r.pending = reduce_detail::sum_deferred(gp.numel(), op, weight * inv_n, *flag);
    return r;
  }
  const double v = reduce_detail::sum_to_host(gp.numel(), op) * inv_n;
  loss::loss_value<T> r{weight * v, std::move(dg)};
  loss::require_finite(r.value, "gram_distance");
  return r;
}

}  // namespace i2i::cuda
