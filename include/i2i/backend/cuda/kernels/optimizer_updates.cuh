#pragma once
// The optimizer updates on device tensors (cuda_backend::adam_update / sgd_update): the formulas of
// cpu/optimizer_updates.hpp element by element, in fp32 like the CPU, with the scalars of
// backend/optimizer_args.hpp rounded to float once per call. Parameters are fp32 master weights on every
// precision policy, so there is one instantiation (float).
//
// Adam takes a whole list (optim::adam's group): multi_tensor_plan.hpp cuts it into launches of up to
// 48 tensors and 320 blocks of 64 Ki elements, whose address table travels in the kernel's parameters
// (3.5 KB of the 4 KB every CUDA version accepts), as PyTorch's multi_tensor_apply does: one launch
// covers up to 21 M elements (320 x 64 Ki) of up to 48 tensors, so pix2pixHD's global G (182.5 M
// parameters in 56 tensors) takes 9 launches, not 56, and nothing is uploaded or allocated, so a captured
// CUDA graph can replay it.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/checks/optimizer.hpp"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/multi_tensor_plan.hpp"

namespace i2i::cuda {

namespace optimizer_detail {

/// Limits of one multi-tensor launch (see the header comment).
inline constexpr std::size_t adam_max_tensors = 48, adam_max_blocks = 320;
inline constexpr std::int64_t adam_chunk = 65536;

/// One launch's tensors and block map, passed by value in the kernel's parameters.
template <class T>
struct adam_launch_table {
  T* p[adam_max_tensors];
  const T* g[adam_max_tensors];
  T* m[adam_max_tensors];
  T* v[adam_max_tensors];
  std::int64_t n[adam_max_tensors];
  std::uint8_t slot[adam_max_blocks];
  std::int32_t chunk[adam_max_blocks];
};
static_assert(sizeof(adam_launch_table<float>) + 7 * sizeof(float) + 2 * sizeof(const float*) <= 4096,
              "adam_launch_table must fit the 4 KB of kernel parameters");

/// What thread `thread` of `threads` in block `block` of a launch does: block b updates chunk
/// table.chunk[b] of tensor table.slot[b]. A host/device function, so that the host can run a whole
/// launch with the device's code (cuda_host's test of the table and block map, without a device).
template <class T>
__host__ __device__ inline void adam_block(const adam_launch_table<T>& table, unsigned block, unsigned thread,
                                           unsigned threads, T b1, T b2, T step_size, T inv_sqrt_bc2, T eps, T wd) {
  const int s = table.slot[block];
  const std::int64_t begin = std::int64_t(table.chunk[block]) * adam_chunk;
  const std::int64_t end = begin + adam_chunk < table.n[s] ? begin + adam_chunk : table.n[s];
  T* __restrict__ p = table.p[s];
  const T* __restrict__ g = table.g[s];
  T* __restrict__ m = table.m[s];
  T* __restrict__ v = table.v[s];
  for (std::int64_t i = begin + thread; i < end; i += threads) {
    const T gi = wd != T(0) ? g[i] + wd * p[i] : g[i];
    const T mi = b1 * m[i] + (T(1) - b1) * gi;
    const T vi = b2 * v[i] + (T(1) - b2) * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (sqrt(vi) * inv_sqrt_bc2 + eps);
  }
}

/// Every thread of the block reads the same table entries, so they come from the constant bank in one
/// broadcast.
template <class T>
__global__ void adam_multi_tensor_kernel(const adam_launch_table<T> table, T b1, T b2, T step_size, T inv_sqrt_bc2,
                                         T eps, T wd, const float* live, const float* skip_if) {
  if (skip_if && *skip_if != 0.0f) return;
  if (live) {  // a graph replay: this step's scalars, written by the host before the replay
    step_size = T(live[0]);
    inv_sqrt_bc2 = T(live[1]);
  }
  adam_block(table, blockIdx.x, threadIdx.x, blockDim.x, b1, b2, step_size, inv_sqrt_bc2, eps, wd);
}

/// The launches of a list of `count` tensors given by their four pointers and sizes: one table and its
/// block count per launch (plan_multi_tensor's cut).
template <class T, class Get>
std::vector<std::pair<adam_launch_table<T>, unsigned>> adam_launches(std::span<const std::int64_t> sizes, Get get) {
  std::vector<std::pair<adam_launch_table<T>, unsigned>> r;
  for (const auto& l : plan_multi_tensor(sizes, adam_chunk, adam_max_tensors, adam_max_blocks)) {
    adam_launch_table<T> table{};
    for (std::size_t k = 0; k < l.tensors.size(); ++k) {
      get(l.tensors[k], table.p[k], table.g[k], table.m[k], table.v[k]);
      table.n[k] = sizes[l.tensors[k]];
    }
    for (std::size_t b = 0; b < l.blocks.size(); ++b) {
      table.slot[b] = std::uint8_t(l.blocks[b].slot);
      table.chunk[b] = std::int32_t(l.blocks[b].chunk);  // < 2^31 chunks of 64 Ki: tensors below 2^47 elements
    }
    r.emplace_back(table, unsigned(l.blocks.size()));
  }
  return r;
}

/// The same launches run on the host with the device's code (a test without a device): the tensors
/// are host arrays, `threads` per block as launch::threads.
template <class T>
void adam_many_on_host(std::span<T* const> params, std::span<const T* const> grads, std::span<T* const> ms,
                       std::span<T* const> vs, std::span<const std::int64_t> sizes, const adam_update_args& a,
                       unsigned threads) {
  const auto launches = adam_launches<T>(sizes, [&](std::size_t i, T*& p, const T*& g, T*& m, T*& v) {
    p = params[i], g = grads[i], m = ms[i], v = vs[i];
  });
  for (const auto& [table, blocks] : launches)
    for (unsigned b = 0; b < blocks; ++b)
      for (unsigned t = 0; t < threads; ++t)
        adam_block(table, b, t, threads, T(a.beta1), T(a.beta2), T(a.step_size), T(a.inv_sqrt_bc2), T(a.eps),
                   T(a.weight_decay));
}

/// momentum == 0 never reaches here (see sgd_plain_kernel), so b is a real buffer.
template <class T>
__global__ void sgd_momentum_kernel(T* __restrict__ p, const T* __restrict__ g, T* __restrict__ b, std::int64_t n,
                                    T lr, T mu, T damp, T wd, bool first_step, bool nesterov) {
  I2I_GRID_STRIDE(i, n) {
    const T d = g[i] + wd * p[i];
    const T bi = first_step ? d : mu * b[i] + (T(1) - damp) * d;
    b[i] = bi;
    p[i] -= lr * (nesterov ? d + mu * bi : bi);
  }
}

template <class T>
__global__ void sgd_plain_kernel(T* __restrict__ p, const T* __restrict__ g, std::int64_t n, T lr, T wd) {
  I2I_GRID_STRIDE(i, n) p[i] -= lr * (g[i] + wd * p[i]);
}

}  // namespace optimizer_detail

/// Adam over every parameter of `list` (each checked as adam_update checks one) in a few launches.
template <class T>
void adam_update_many(std::span<const adam_operands<tensor<T>>> list, const adam_update_args& a,
                      const char* op = "adam_update_many") {
  std::vector<std::int64_t> sizes;
  sizes.reserve(list.size());
  for (const auto& o : list) {
    i2i::checks::check_adam_update<on_current_device>(op, o.param, o.grad, o.exp_avg, o.exp_avg_sq);
    sizes.push_back(o.param.numel());
  }
  using namespace optimizer_detail;
  const auto launches = adam_launches<T>(sizes, [&](std::size_t i, T*& p, const T*& g, T*& m, T*& v) {
    p = list[i].param.data(), g = list[i].grad.data(), m = list[i].exp_avg.data(), v = list[i].exp_avg_sq.data();
  });
  for (const auto& [table, blocks] : launches) {
    adam_multi_tensor_kernel<T><<<blocks, launch::threads, 0, current_stream()>>>(
        table, T(a.beta1), T(a.beta2), T(a.step_size), T(a.inv_sqrt_bc2), T(a.eps), T(a.weight_decay), a.live_scalars,
        a.skip_if);
    I2I_CUDA_CHECK_LAUNCH(op);
  }
}

/// One parameter: the list of one.
template <class T>
void adam_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& exp_avg, const tensor<T>& exp_avg_sq,
                 const adam_update_args& a) {
  const adam_operands<tensor<T>> one{param, grad, exp_avg, exp_avg_sq};
  adam_update_many<T>(std::span<const adam_operands<tensor<T>>>(&one, 1), a, "adam_update");
}

template <class T>
void sgd_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& momentum_buffer,
                const sgd_update_args& a) {
  i2i::checks::check_sgd_update<on_current_device>("sgd_update", param, grad, momentum_buffer, a);
  const std::int64_t n = param.numel();
  if (n == 0) return;
  if (a.momentum == 0) {
    optimizer_detail::sgd_plain_kernel<T><<<launch::elementwise_blocks(n), launch::threads, 0, current_stream()>>>(
        param.data(), grad.data(), n, T(a.lr), T(a.weight_decay));
  } else {
    optimizer_detail::sgd_momentum_kernel<T><<<launch::elementwise_blocks(n), launch::threads, 0, current_stream()>>>(
        param.data(), grad.data(), momentum_buffer.data(), n, T(a.lr), T(a.momentum), T(a.dampening),
        T(a.weight_decay), a.first_step, a.nesterov);
  }
  I2I_CUDA_CHECK_LAUNCH("sgd_update");
}

}  // namespace i2i::cuda
