#pragma once
// Dynamic loss scaling for fp16 mixed precision (PyTorch's GradScaler semantics).
//
// fp16 has 5 exponent bits: gradients below 2^-24 flush to zero in the 16-bit conv operands. Scaling
// the loss (hence every gradient) by S lifts them into range; the optimizer must see the true gradient,
// so the fp32 gradients are divided by S before the step. If any gradient overflowed (inf/nan) the step
// is skipped and S halves; after `growth_interval` consecutive good steps S doubles.
//
//   cuda::dynamic_loss_scale scaler;                 // S = 2^16, x2 every 2000 good steps, x0.5 on overflow
//   auto l = loss(...);                              // loss value and gradient dL/dy
//   scaler.scale_inplace(l.grad);                    // dy *= S  before backward
//   G.backward(ctx, l.grad);
//   if (scaler.unscale_and_update(G.parameters()))   // grads /= S; false: inf/nan found, step skipped
//     opt.step();
//
// bf16 keeps fp32's exponent range and needs no scaling: `enabled = false` makes scale() 1 and
// unscale_and_update only checks for non-finite gradients (still useful: a nan skips the step).
// The inf/nan check is one fused unscale+flag kernel per gradient tensor writing one device flag, and a
// single 4-byte device->host read per step.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/cuda/allocator.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/tensor.hpp"

namespace i2i::cuda {

struct loss_scale_options {
  double init_scale = 65536.0;  // 2^16, PyTorch's default
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  std::int64_t growth_interval = 2000;
  double min_scale = 1.0;       // never scale gradients down
  double max_scale = 16777216.0;  // 2^24: well inside fp32's range for any sane gradient
  bool enabled = true;
};

namespace loss_scale_detail {
// g *= inv_scale; *flag = 1 if any result is not finite. Each thread writes the flag at most once and
// only ever 1, so the race is benign (no atomics needed).
template <int = 0>  // a template: header kernels must not be defined once per TU
__global__ void unscale_check_kernel(float* __restrict__ g, long long n, float inv_scale, int* __restrict__ flag) {
  bool bad = false;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float v = g[i] * inv_scale;
    g[i] = v;
    bad |= !isfinite(v);
  }
  if (bad) *flag = 1;
}
template <int = 0>  // a template: header kernels must not be defined once per TU
__global__ void scale_kernel(float* __restrict__ x, long long n, float s) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    x[i] *= s;
}
}  // namespace loss_scale_detail

/// x *= s on the current stream (x a float device tensor).
inline void scale_inplace(const tensor<float>& x, float s) {
  require<device_error>(x.where().is_cuda(), "cuda::scale_inplace: tensor of shape ", x.shape(), " lives on ",
                        x.where());
  const long long n = x.numel();
  if (n == 0 || s == 1.0f) return;
  constexpr unsigned block = 256;
  loss_scale_detail::scale_kernel<0><<<grid_for(n, block), block, 0, current_stream()>>>(x.data(), n, s);
  I2I_CUDA_CHECK_LAUNCH("scale_kernel");
}

/// Multiplies every gradient by inv_scale and returns true when all results are finite. `grads` is any
/// range of float device tensors.
template <class Range>
bool unscale_and_check_finite(const Range& grads, float inv_scale) {
  scratch flag(sizeof(int));
  I2I_CUDA_CHECK(cudaMemsetAsync(flag.get(), 0, sizeof(int), current_stream()));
  constexpr unsigned block = 256;
  for (const tensor<float>& g : grads) {
    if (!g.defined() || g.numel() == 0) continue;
    require<device_error>(g.where().is_cuda(), "cuda::unscale_and_check_finite: gradient of shape ", g.shape(),
                          " lives on ", g.where());
    loss_scale_detail::unscale_check_kernel<0><<<grid_for(g.numel(), block), block, 0, current_stream()>>>(
        g.data(), g.numel(), inv_scale, flag.as<int>());
    I2I_CUDA_CHECK_LAUNCH("unscale_check_kernel");
  }
  int found = 0;
  I2I_CUDA_CHECK(cudaMemcpyAsync(&found, flag.get(), sizeof(int), cudaMemcpyDeviceToHost, current_stream()));
  I2I_CUDA_CHECK(cudaStreamSynchronize(current_stream()));
  return found == 0;
}

class dynamic_loss_scale {
 public:
  explicit dynamic_loss_scale(loss_scale_options o = {}) : opt_(o), scale_(o.enabled ? o.init_scale : 1.0) {
    require<value_error>(o.init_scale > 0 && o.growth_factor >= 1 && o.backoff_factor > 0 && o.backoff_factor < 1 &&
                             o.growth_interval >= 1 && o.min_scale > 0 && o.max_scale >= o.min_scale,
                         "dynamic_loss_scale: invalid options (init ", o.init_scale, ", growth ", o.growth_factor,
                         ", backoff ", o.backoff_factor, ", interval ", o.growth_interval, ")");
  }

  float scale() const { return float(scale_); }
  bool enabled() const { return opt_.enabled; }
  std::int64_t good_steps() const { return good_; }
  std::int64_t skipped_steps() const { return skipped_; }

  /// dy *= scale() (the loss gradient, before backward).
  void scale_inplace(const tensor<float>& dy) const { cuda::scale_inplace(dy, scale()); }

  /// Divides the gradients by scale(), then updates the scale. Returns true when the optimizer step
  /// should run (all gradients finite), false when it must be skipped. `params` is a range of objects
  /// with a `.grad` float tensor (optim::param_ref, model parameters) or of tensors.
  template <class Params>
  bool unscale_and_update(const Params& params) {
    std::vector<tensor<float>> grads;
    for (const auto& p : params) grads.push_back(grad_of(p));
    const bool finite = unscale_and_check_finite(grads, float(1.0 / scale_));
    update(finite);
    return finite;
  }

  /// Scale bookkeeping after a step whose gradients were (finite) or were not.
  void update(bool finite) {
    if (!finite) {
      ++skipped_;
      good_ = 0;
      if (opt_.enabled) scale_ = std::max(opt_.min_scale, scale_ * opt_.backoff_factor);
      return;
    }
    if (++good_ >= opt_.growth_interval) {
      good_ = 0;
      if (opt_.enabled) scale_ = std::min(opt_.max_scale, scale_ * opt_.growth_factor);
    }
  }

  /// State for checkpoints.
  void set_state(double scale, std::int64_t good) {
    scale_ = scale;
    good_ = good;
  }

 private:
  static const tensor<float>& grad_of(const tensor<float>& t) { return t; }
  template <class P>
  static const tensor<float>& grad_of(const P& p) {
    if constexpr (requires { p->grad; }) return p->grad;
    else return p.grad;
  }

  loss_scale_options opt_;
  double scale_;
  std::int64_t good_ = 0, skipped_ = 0;
};

/// The scaler a precision policy calls for: enabled for fp16_mixed, a finite-check only otherwise.
template <class Precision>
dynamic_loss_scale make_loss_scale(loss_scale_options o = {}) {
  o.enabled = o.enabled && Precision::loss_scaling;
  return dynamic_loss_scale(o);
}

}  // namespace i2i::cuda
