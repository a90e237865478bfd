#pragma once
// Deterministic block-wide sums: a warp shuffle tree, then one warp over the per-warp partials. The
// order of additions depends only on blockDim.x (a multiple of 32, at most 1024), never on timing, so a
// kernel built on these gives bit-identical results run after run.
//
// Every thread of the block must call block_sum (it synchronises) and every thread gets the result.
// `scratch` is __shared__ storage for 32 values, reusable across consecutive calls.
#include <cstdint>

namespace i2i::cuda::reduce_detail {

template <class A>
__device__ __forceinline__ A warp_sum(A v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

template <class A>
__device__ __forceinline__ A block_sum(A v, A* scratch) {
  const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5;
  const unsigned warps = (blockDim.x + 31u) >> 5;
  v = warp_sum(v);
  __syncthreads();  // the previous call's readers are done with scratch
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  // Every warp reduces the partials itself, so the result reaches all threads without another barrier.
  A r = lane < warps ? scratch[lane] : A(0);
  r = warp_sum(r);
  return __shfl_sync(0xffffffffu, r, 0);
}

}  // namespace i2i::cuda::reduce_detail
