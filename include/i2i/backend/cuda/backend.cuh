#pragma once
// cuda_backend<T, Precision>: the binding of specs to the CUDA ops, the device twin of cpu_backend<T>.
//
//   model<global_generator, cuda_backend<>> G;                 // fp32 storage, TF32 tensor cores
//   model<global_generator, cuda_backend<float, cuda::bf16_mixed>> G16;
//   initialize(G, init_policy::pix2pixhd(), 1);                // drawn on the host: same start as the CPU
//   auto y = G(cuda_backend<>::to_backend(x_host));
//
// Every static function of cpu_backend<T> exists here with the same signature, on tensors in the memory
// of the current device (cuda::current_device(); cuda::set_device / device_guard choose it). Storage is
// always fp32 (T = float): the precision policy decides what cuDNN/cuBLAS compute in (precision.cuh).
// Convolutions and linear layers are ours (conv.cuh, linear.cuh); every other op is a kernel from
// kernels/*.cuh. A request for this backend without a visible device throws device_error from the
// first allocation or transfer — there is no CPU fallback.
//
// Training-loop helpers the CPU path gets from host code: cuda::adam (optim::adam's update on the
// device) and loss scaling (loss_scale.cuh). model::zero_grad clears through fill_zero on any backend.
#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/cuda/allocator.cuh"
#include "i2i/backend/cuda/conv.cuh"
#include "i2i/backend/cuda/kernels/activation.cuh"
#include "i2i/backend/cuda/kernels/batch_norm.cuh"
#include "i2i/backend/cuda/kernels/concat.cuh"
#include "i2i/backend/cuda/kernels/gram.cuh"
#include "i2i/backend/cuda/kernels/instance_norm.cuh"
#include "i2i/backend/cuda/kernels/losses.cuh"
#include "i2i/backend/cuda/kernels/losses_cross_entropy.cuh"
#include "i2i/backend/cuda/kernels/pad.cuh"
#include "i2i/backend/cuda/kernels/pointwise.cuh"
#include "i2i/backend/cuda/kernels/pool.cuh"
#include "i2i/backend/cuda/kernels/resample.cuh"
#include "i2i/backend/cuda/linear.cuh"
#include "i2i/backend/cuda/loss_scale.cuh"
#include "i2i/backend/cuda/memory.cuh"
#include "i2i/backend/cuda/precision.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i {

template <class T = float, class Precision = cuda::fp32_tf32>
struct cuda_backend {
  static_assert(std::is_same_v<T, float>,
                "i2i::cuda_backend<T>: storage is fp32 (T = float); choose bf16/fp16 compute with the "
                "precision policy, e.g. cuda_backend<float, cuda::bf16_mixed>");
  static_assert(cuda::precision_policy<Precision>, "i2i::cuda_backend<T, Precision>: Precision must be one of "
                "cuda::fp32_tf32, cuda::fp32_strict, cuda::bf16_mixed, cuda::fp16_mixed");

  using scalar = T;
  using tensor_type = tensor<T>;
  using precision = Precision;
  using compute_type = typename Precision::compute_type;  // what cuDNN / cuBLAS read and write
  using conv_args = cuda::conv2d_args;
  using conv_transpose_args = cuda::conv_transpose2d_args;
  using activation = cuda::activation;
  using instance_norm_result = cuda::instance_norm_result<T>;
  using batch_norm_result = cuda::batch_norm_result<T>;
  using max_pool_result = cuda::max_pool_result<T>;
  static constexpr device_kind kind = device_kind::cuda;
  static constexpr const char* name = "cuda";
  static constexpr bool strict = !Precision::allow_tf32;

  /// Zero-filled tensor on the current device.
  static tensor<T> zeros(const shape& s) { return cuda::device_zeros<T>(s, cuda::current_device()); }
  /// Sets a tensor of this backend to zero (model::zero_grad).
  static void fill_zero(const tensor<T>& t) {
    if (!t.defined() || t.numel() == 0) return;
    if (t.where().is_cpu()) return t.fill(T(0));
    I2I_CUDA_CHECK(cudaMemsetAsync(t.data(), 0, std::size_t(t.numel()) * sizeof(T), cuda::current_stream()));
  }
  /// Host -> device copy (a device tensor is returned as it is when already on the current device).
  static tensor<T> to_backend(const tensor<T>& host) {
    if (host.where() == device::cuda(cuda::current_device())) return host;
    require<device_error>(host.where().is_cpu(), "cuda_backend::to_backend: tensor of shape ", host.shape(),
                          " lives on ", host.where(), ", not on the host or the current device cuda:",
                          cuda::current_device());
    return cuda::to_device(host, cuda::current_device());
  }
  /// Device -> host copy (a host tensor is returned as it is).
  static tensor<T> to_host(const tensor<T>& t) { return t.where().is_cpu() ? t : cuda::to_host(t); }
  /// dst (device) <- src (host) of the same shape.
  static void assign_from_host(const tensor<T>& dst, const tensor<T>& src) {
    require_shape("assign_from_host", "source", src, dst.shape());
    require<device_error>(src.where().is_cpu(), "cuda_backend::assign_from_host: source of shape ", src.shape(),
                          " lives on ", src.where(), ", expected a host tensor");
    if (dst.where().is_cpu()) {
      if (dst.data() != src.data()) std::copy_n(src.data(), src.numel(), dst.data());
      return;
    }
    cuda::copy(src, dst);
  }

  // Convolutions (cuDNN; compute type and math mode from the precision policy).
  static tensor<T> conv2d(const tensor<T>& x, const tensor<T>& w, const tensor<T>* b, const conv_args& a) {
    return cuda::conv2d<compute_type, strict>(x, w, b, a);
  }
  static tensor<T> conv2d_backward_input(const tensor<T>& dy, const tensor<T>& w, const shape& xs, const conv_args& a) {
    return cuda::conv2d_backward_input<compute_type, strict>(dy, w, xs, a);
  }
  static void conv2d_backward_params(const tensor<T>& x, const tensor<T>& dy, tensor<T>& dw, tensor<T>* db,
                                     const conv_args& a) {
    cuda::conv2d_backward_params<compute_type, strict>(x, dy, dw, db, a);
  }
  static tensor<T> conv_transpose2d(const tensor<T>& x, const tensor<T>& w, const tensor<T>* b,
                                    const conv_transpose_args& a) {
    return cuda::conv_transpose2d<compute_type, strict>(x, w, b, a);
  }
  static tensor<T> conv_transpose2d_backward_input(const tensor<T>& dy, const tensor<T>& w, const shape& xs,
                                                   const conv_transpose_args& a) {
    return cuda::conv_transpose2d_backward_input<compute_type, strict>(dy, w, xs, a);
  }
  static void conv_transpose2d_backward_params(const tensor<T>& x, const tensor<T>& dy, tensor<T>& dw, tensor<T>* db,
                                               const conv_transpose_args& a) {
    cuda::conv_transpose2d_backward_params<compute_type, strict>(x, dy, dw, db, a);
  }

  // Padding.
  static tensor<T> reflection_pad2d(const tensor<T>& x, const padding2d& p) { return cuda::reflection_pad2d(x, p); }
  static tensor<T> reflection_pad2d_backward(const tensor<T>& dy, const shape& xs, const padding2d& p) {
    return cuda::reflection_pad2d_backward(dy, xs, p);
  }
  static tensor<T> zero_pad2d(const tensor<T>& x, const padding2d& p) { return cuda::zero_pad2d(x, p); }
  static tensor<T> zero_pad2d_backward(const tensor<T>& dy, const shape& xs, const padding2d& p) {
    return cuda::zero_pad2d_backward(dy, xs, p);
  }

  // Normalisation (with a fused activation); always fp32.
  static instance_norm_result instance_norm(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, double eps,
                                            activation act) {
    return cuda::instance_norm(x, w, b, eps, act);
  }
  static tensor<T> instance_norm_backward(const tensor<T>& dy, const tensor<T>& x, const instance_norm_result& f,
                                          const tensor<T>& w, const tensor<T>& dw, const tensor<T>& db) {
    return cuda::instance_norm_backward(dy, x, f, w, dw, db);
  }
  static batch_norm_result batch_norm_train(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                            const tensor<T>& rm, const tensor<T>& rv, double momentum, double eps,
                                            activation act) {
    return cuda::batch_norm_train(x, w, b, rm, rv, momentum, eps, act);
  }
  static batch_norm_result batch_norm_eval(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                           const tensor<T>& rm, const tensor<T>& rv, double eps, activation act) {
    return cuda::batch_norm_eval(x, w, b, rm, rv, eps, act);
  }
  static tensor<T> batch_norm_backward(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result& f,
                                       const tensor<T>& w, const tensor<T>& dw, const tensor<T>& db) {
    return cuda::batch_norm_backward(dy, x, f, w, dw, db);
  }

  // Pointwise.
  static tensor<T> activate(const tensor<T>& x, activation a) { return cuda::activate(x, a); }
  static tensor<T> activation_backward(const tensor<T>& dy, const tensor<T>& y, activation a) {
    return cuda::activation_backward(dy, y, a);
  }
  static tensor<T> add(const tensor<T>& a, const tensor<T>& b) { return cuda::add(a, b); }
  static void add_into(const tensor<T>& dst, const tensor<T>& src) { cuda::add_into(dst, src); }
  static tensor<T> concat_channels(const std::vector<tensor<T>>& parts) { return cuda::concat_channels(parts); }
  static std::vector<tensor<T>> split_channels(const tensor<T>& x, const std::vector<std::int64_t>& sizes) {
    return cuda::split_channels(x, sizes);
  }

  static tensor<T> scale(const tensor<T>& x, T s) { return cuda::scale(x, s); }

  // Losses (kernels/losses.cuh, losses_cross_entropy.cuh, gram.cuh): cpu_backend's loss ops on the
  // device — the mean value read back to the host (one reduction, one synchronisation) and d value /
  // d prediction left on the device.
  static loss::loss_value<T> lsgan_loss(const tensor<T>& pred, loss::gan_target t) { return cuda::lsgan_loss(pred, t); }
  static loss::loss_value<T> bce_with_logits_loss(const tensor<T>& logits, loss::gan_target t) {
    return cuda::bce_with_logits_loss(logits, t);
  }
  static loss::loss_value<T> bce_with_logits_loss(const tensor<T>& logits, const tensor<T>& target) {
    return cuda::bce_with_logits_loss(logits, target);
  }
  static loss::loss_value<T> l1_loss(const tensor<T>& pred, const tensor<T>& target) {
    return cuda::l1_loss(pred, target);
  }
  static loss::loss_value<T> mse_loss(const tensor<T>& pred, const tensor<T>& target) {
    return cuda::mse_loss(pred, target);
  }
  static loss::loss_value<T> kl_loss(const tensor<T>& z) { return cuda::kl_loss(z); }
  static loss::loss_value<T> cross_entropy_loss(const tensor<T>& logits, const tensor<T>& labels,
                                                const loss::cross_entropy_options& opt = {}) {
    return cuda::cross_entropy_loss(logits, labels, opt);
  }
  static tensor<T> gram_matrix(const tensor<T>& f, loss::gram_norm norm = loss::gram_norm::hw) {
    return cuda::gram_matrix(f, norm);
  }
  static tensor<T> gram_matrix_backward(const tensor<T>& f, const tensor<T>& dg,
                                        loss::gram_norm norm = loss::gram_norm::hw) {
    return cuda::gram_matrix_backward(f, dg, norm);
  }
  static loss::loss_value<T> gram_distance(const tensor<T>& gp, const tensor<T>& gt,
                                           loss::style_distance d = loss::style_distance::mse, double weight = 1) {
    return cuda::gram_distance(gp, gt, d, weight);
  }

  // Pooling and resampling.
  static tensor<T> avg_pool2d(const tensor<T>& x, std::int64_t k, std::int64_t s, const padding2d& p, bool include_pad) {
    return cuda::avg_pool2d(x, k, s, p, include_pad);
  }
  static tensor<T> avg_pool2d_backward(const tensor<T>& dy, const shape& xs, std::int64_t k, std::int64_t s,
                                       const padding2d& p, bool include_pad) {
    return cuda::avg_pool2d_backward(dy, xs, k, s, p, include_pad);
  }
  static max_pool_result max_pool2d(const tensor<T>& x, std::int64_t k, std::int64_t s, const padding2d& p) {
    return cuda::max_pool2d(x, k, s, p);
  }
  static tensor<T> max_pool2d_backward(const tensor<T>& dy, const shape& xs, const max_pool_result& r) {
    return cuda::max_pool2d_backward(dy, xs, r.argmax);
  }
  static tensor<T> upsample_nearest2d(const tensor<T>& x, std::int64_t h, std::int64_t w) {
    return cuda::upsample_nearest2d(x, h, w);
  }
  static tensor<T> upsample_nearest2d_backward(const tensor<T>& dy, const shape& xs) {
    return cuda::upsample_nearest2d_backward(dy, xs);
  }

  // Dense layers (cuBLAS).
  static tensor<T> linear(const tensor<T>& x, const tensor<T>& w, const tensor<T>* b) {
    return cuda::linear<compute_type, strict>(x, w, b);
  }
  static tensor<T> linear_backward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& dy, tensor<T>& dw,
                                   tensor<T>* db) {
    return cuda::linear_backward<compute_type, strict>(x, w, dy, dw, db);
  }
};

namespace cuda {

/// Sets a device (or host) tensor to zero.
inline void fill_zero(const tensor<float>& t) { cuda_backend<float>::fill_zero(t); }

/// optim::adam_options (the CPU header pulls in Eigen, which must not reach nvcc).
struct adam_options {
  double lr = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

namespace adam_detail {
// The update of optim::adam, element by element, in fp32 like the CPU (same operation order).
template <int = 0>  // a template: header kernels must not be defined once per TU
__global__ void adam_kernel(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                            float* __restrict__ v, long long n, float b1, float b2, float step_size,
                            float inv_sqrt_bc2, float eps, float wd) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const float gi = wd != 0.0f ? g[i] + wd * p[i] : g[i];
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] -= step_size * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps);
  }
}
}  // namespace adam_detail

/// Adam with PyTorch's semantics on device parameters (see optim/adam.hpp); `Params` is a vector of
/// optim::param_ref<float> as model::parameters() returns.
template <class ParamRef>
class adam {
 public:
  struct state {
    tensor<float> m, v;
  };

  adam(std::vector<ParamRef> params, adam_options opt = {}) : params_(std::move(params)), opt_(opt) {
    require<value_error>(opt.lr >= 0 && opt.eps >= 0 && opt.beta1 >= 0 && opt.beta1 < 1 && opt.beta2 >= 0 &&
                             opt.beta2 < 1,
                         "cuda::adam: invalid options (lr ", opt.lr, ", betas ", opt.beta1, "/", opt.beta2, ", eps ",
                         opt.eps, ")");
    for (const auto& p : params_) {
      require<value_error>(p.value.defined() && p.grad.defined(), "cuda::adam: parameter '", p.name,
                           "' has no value or no gradient tensor");
      require<shape_error>(p.value.shape() == p.grad.shape(), "cuda::adam: parameter '", p.name, "' has shape ",
                           p.value.shape(), " but its gradient has shape ", p.grad.shape());
      require<device_error>(p.value.where().is_cuda() && p.grad.where() == p.value.where(), "cuda::adam: parameter '",
                            p.name, "' lives on ", p.value.where(), " (gradient on ", p.grad.where(),
                            "); expected both on a CUDA device");
      const int dev = p.value.where().index;
      state_.push_back({device_zeros<float>(p.value.shape(), dev), device_zeros<float>(p.value.shape(), dev)});
    }
  }

  void step() {
    ++t_;
    const double bc1 = 1 - std::pow(opt_.beta1, double(t_));
    const double bc2 = 1 - std::pow(opt_.beta2, double(t_));
    const float step_size = float(opt_.lr / bc1);
    const float inv_sqrt_bc2 = float(1 / std::sqrt(bc2));
    constexpr unsigned block = 256;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const long long n = params_[i].value.numel();
      if (n == 0) continue;
      adam_detail::adam_kernel<0><<<grid_for(n, block), block, 0, current_stream()>>>(
          params_[i].value.data(), params_[i].grad.data(), state_[i].m.data(), state_[i].v.data(), n,
          float(opt_.beta1), float(opt_.beta2), step_size, inv_sqrt_bc2, float(opt_.eps), float(opt_.weight_decay));
      I2I_CUDA_CHECK_LAUNCH("adam_kernel");
    }
  }

  void zero_grad() {
    for (const auto& p : params_) fill_zero(p.grad);
  }
  double lr() const { return opt_.lr; }
  void set_lr(double lr) {
    require<value_error>(lr >= 0, "cuda::adam: negative learning rate ", lr);
    opt_.lr = lr;
  }
  std::int64_t steps() const { return t_; }
  void set_steps(std::int64_t t) { t_ = t; }
  const std::vector<ParamRef>& params() const { return params_; }
  std::vector<state>& moments() { return state_; }

 private:
  std::vector<ParamRef> params_;
  std::vector<state> state_;
  adam_options opt_;
  std::int64_t t_ = 0;
};

template <class ParamRef>
adam(std::vector<ParamRef>, adam_options) -> adam<ParamRef>;
template <class ParamRef>
adam(std::vector<ParamRef>) -> adam<ParamRef>;

}  // namespace cuda
}  // namespace i2i
