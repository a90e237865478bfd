#pragma once
// Instance normalisation, a fused activation and reflection padding on the device, mirroring
// cpu/instance_norm_pad.hpp (read its header comment):
//
//   instance_norm_pad(x, weight, bias, eps, act, p)                   -> instance_norm_pad_result (y padded)
//   instance_norm_pad_backward(dy, x, fwd, weight, dweight, dbias)    -> dx
//
// Forward is two kernels: the statistics, one block per (n, c) plane with instance_norm.cuh's corrected
// two-pass moments (which also stores the plane's scale, so the arithmetic below is instance_norm's), then
// one thread per PADDED output pixel that reflects its index into the input and normalises and activates
// that pixel: a gather, every output written once, no atomics. Why two kernels and not instance_norm's
// one: the padded write is the bulk of the traffic, and a block per plane leaves most SMs idle where a
// layer has few planes (pix2pixHD's first and last blocks: 64 planes at full resolution).
// Backward is one block per plane: each input pixel's gradient is gathered over its reflected positions
// (pad.cuh's reflection_gather, the order of reflection_pad2d_backward), multiplied by the activation's
// derivative read from the saved padded output, and fed to the norm's two reductions and dx
// (instance_norm.cuh's block_dz_sums / block_input_grad_from_dz); the parameter gradients are added over
// the batch in order by instance_norm.cuh's param_grads_kernel. The gather is done twice (for the sums,
// then for dx) instead of storing dz: reading dy again costs less than writing and reading a plane.
// For float storage the results equal instance_norm -> activate -> reflection_pad2d on the device and its
// backward bit for bit (the same expressions in the same order); for 16-bit storage the fused backward
// skips the rounding of the gathered gradient to storage, so it is the more accurate of the two.
#include <cstdint>

#include "i2i/backend/checks/norm.hpp"
#include "i2i/backend/cuda/kernels/activation.cuh"
#include "i2i/backend/cuda/kernels/instance_norm.cuh"
#include "i2i/backend/cuda/kernels/launch.cuh"
#include "i2i/backend/cuda/kernels/pad.cuh"
#include "i2i/backend/cuda/kernels/scalar.cuh"
#include "i2i/backend/cuda/placement.cuh"
#include "i2i/backend/norm_pad_types.hpp"

namespace i2i::cuda {

template <class T>
using instance_norm_pad_result = i2i::instance_norm_pad_result<T, compute_t<T>>;

namespace instance_norm_pad_detail {

/// Per plane: mean, inv_std, and scale = weight * inv_std rounded as instance_norm's forward rounds it.
template <class T>
__global__ void statistics_kernel(const T* x, compute_t<T>* mean_out, compute_t<T>* inv_std_out,
                                  compute_t<T>* scale_out, const compute_t<T>* weight, std::int64_t planes,
                                  std::int64_t channels, std::int64_t m_size, double eps) {
  using S = compute_t<T>;
  __shared__ double scratch[32];
  I2I_BLOCK_STRIDE(p, planes) {
    double mean, var;
    norm_detail::block_moments(x + p * m_size, m_size, norm_detail::plane_at{}, scratch, mean, var);
    const double inv_std = 1.0 / dmath::sqrt(var + eps);
    const double g = weight ? double(weight[p % channels]) : 1.0;
    if (threadIdx.x == 0) {
      mean_out[p] = S(mean);
      inv_std_out[p] = S(inv_std);
      scale_out[p] = S(g * inv_std);
    }
  }
}

/// One thread per padded output pixel: y = act((x[reflected] - mean) * scale + bias).
template <class T>
__global__ void apply_kernel(const T* x, T* y, const compute_t<T>* mean, const compute_t<T>* scale,
                             const compute_t<T>* bias, std::int64_t channels, std::int64_t H, std::int64_t W,
                             std::int64_t OH, std::int64_t OW, std::int64_t top, std::int64_t left, std::int64_t total,
                             activation_kind kind, compute_t<T> slope) {
  using S = compute_t<T>;
  I2I_GRID_STRIDE(i, total) {
    const std::int64_t ow = i % OW, oh = (i / OW) % OH, q = i / (OW * OH);
    const std::int64_t h = pad_detail::reflect_index(oh - top, H), w = pad_detail::reflect_index(ow - left, W);
    const S b = bias ? bias[q % channels] : S(0);
    y[i] = from_compute<T>(act_detail::act_forward((to_compute(x[(q * H + h) * W + w]) - mean[q]) * scale[q] + b,
                                                   kind, slope));
  }
}

/// dz at input pixel i of a plane: the gathered padded gradient through the activation's derivative.
template <class T>
struct gathered_dz {
  const T* dy;  ///< this plane of the padded output gradient
  const T* y;   ///< this plane of the padded output
  std::int64_t H, W, OW;
  padding2d pad;
  activation_kind kind;
  compute_t<T> slope;
  __device__ compute_t<T> operator()(std::int64_t i) const {
    const std::int64_t h = i / W, w = i % W;
    const compute_t<T> g = pad_detail::reflection_gather(dy, OW, h, w, H, W, pad);
    return act_detail::act_backward(g, to_compute(y[(h + pad.top) * OW + w + pad.left]), kind, slope);
  }
};

template <class T>
__global__ void backward_kernel(const T* dy, const T* x, const T* y, const compute_t<T>* mean,
                                const compute_t<T>* inv_std, const compute_t<T>* weight, T* dx, double* sum_dz,
                                double* sum_dz_xhat, std::int64_t planes, std::int64_t channels, std::int64_t H,
                                std::int64_t W, std::int64_t OH, std::int64_t OW, padding2d pad, activation_kind kind,
                                compute_t<T> slope) {
  using S = compute_t<T>;
  __shared__ double scratch[32];
  const std::int64_t m_size = H * W;
  I2I_BLOCK_STRIDE(p, planes) {
    const std::int64_t off = p * m_size;
    const gathered_dz<T> dz{dy + p * OH * OW, y + p * OH * OW, H, W, OW, pad, kind, slope};
    const double inv_std_p = double(inv_std[p]);
    // Centre on the rounded mean (the same value used below) so every product is of the order of the std.
    const S m = mean[p];
    double s_dz, s_dz_xc;
    norm_detail::block_dz_sums(x + off, m_size, norm_detail::plane_at{}, m, dz, scratch, s_dz, s_dz_xc);
    const double s_dz_xhat = s_dz_xc * inv_std_p;
    if (threadIdx.x == 0) {
      sum_dz[p] = s_dz;
      sum_dz_xhat[p] = s_dz_xhat;
    }
    const double g = weight ? double(weight[p % channels]) : 1.0;
    const S k = S(g * inv_std_p);
    const S c0 = S(s_dz / double(m_size));
    const S c1 = S(s_dz_xhat / double(m_size) * inv_std_p);
    norm_detail::block_input_grad_from_dz(x + off, dx + off, m_size, norm_detail::plane_at{}, m, k, c0, c1, dz);
  }
}

}  // namespace instance_norm_pad_detail

template <device_scalar T>
instance_norm_pad_result<T> instance_norm_pad(const tensor<T>& x, const tensor<compute_t<T>>& weight,
                                              const tensor<compute_t<T>>& bias, double eps, const activation& act,
                                              const padding2d& pad) {
  using S = compute_t<T>;
  const shape ys = checks::instance_norm_pad<on_current_device>(x, weight, bias, eps, act, pad);
  const std::int64_t C = x.c(), H = x.h(), W = x.w(), P = x.n() * C;
  instance_norm_pad_result<T> r{launch::empty<T>(ys), launch::empty<S>(shape{x.n(), C}),
                                launch::empty<S>(shape{x.n(), C}), act, pad};
  if (P == 0) return r;
  auto scale = launch::empty<S>(shape{P});
  instance_norm_pad_detail::statistics_kernel<T><<<launch::plane_blocks(P), launch::plane_threads, 0,
                                                   current_stream()>>>(
      x.data(), r.mean.data(), r.inv_std.data(), scale.data(), instance_norm_detail::optional(weight), P, C, H * W,
      eps);
  I2I_CUDA_CHECK_LAUNCH("instance_norm_pad statistics_kernel");
  const std::int64_t total = r.y.numel();
  instance_norm_pad_detail::apply_kernel<T><<<launch::elementwise_blocks(total), launch::threads, 0,
                                              current_stream()>>>(
      x.data(), r.y.data(), r.mean.data(), scale.data(), instance_norm_detail::optional(bias), C, H, W, ys[2], ys[3],
      pad.top, pad.left, total, act.kind, S(act.slope));
  I2I_CUDA_CHECK_LAUNCH("instance_norm_pad apply_kernel");
  return r;
}

template <device_scalar T>
tensor<T> instance_norm_pad_backward(const tensor<T>& dy, const tensor<T>& x, const instance_norm_pad_result<T>& fwd,
                                     const tensor<compute_t<T>>& weight, const tensor<compute_t<T>>& dweight,
                                     const tensor<compute_t<T>>& dbias) {
  using S = compute_t<T>;
  checks::instance_norm_pad_backward<on_current_device>(dy, x, fwd, weight, dweight, dbias);
  const std::int64_t N = x.n(), C = x.c(), P = N * C;
  auto dx = launch::empty<T>(x.shape());
  if (P == 0) return dx;
  auto sums = launch::empty<double>(shape{2, P});
  instance_norm_pad_detail::backward_kernel<T><<<launch::plane_blocks(P), launch::plane_threads, 0,
                                                 current_stream()>>>(
      dy.data(), x.data(), fwd.y.data(), fwd.mean.data(), fwd.inv_std.data(), instance_norm_detail::optional(weight),
      dx.data(), sums.data(), sums.data() + P, P, C, x.h(), x.w(), dy.h(), dy.w(), fwd.pad, fwd.act.kind,
      S(fwd.act.slope));
  I2I_CUDA_CHECK_LAUNCH("instance_norm_pad backward_kernel");
  instance_norm_detail::add_param_grads(sums, N, C, dweight, dbias, "instance_norm_pad param_grads_kernel");
  return dx;
}

}  // namespace i2i::cuda
