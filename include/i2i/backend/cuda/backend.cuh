#pragma once
// cuda_backend<T, Precision>: the binding of specs to the CUDA ops, the device twin of cpu_backend<T>.
//
//   model<global_generator, cuda_backend<>> G;                 // fp32 storage, TF32 tensor cores
//   model<global_generator, cuda_backend<float, cuda::bf16_mixed>> G16;
//   initialize(G, init_policy::pix2pixhd(), 1);                // drawn on the host: same start as the CPU
//   auto y = G(cuda_backend<>::to_backend(x_host));
//
// Every static function of cpu_backend<T> exists here with the same signature (both satisfy the concept
// i2i::backend, backend/concept.hpp, asserted below for every precision policy), on tensors in the memory
// of the current device (cuda::current_device(); cuda::set_device / device_guard choose it). Storage is
// always fp32 (T = float): the precision policy decides what cuDNN/cuBLAS compute in (precision.cuh).
// Convolutions and linear layers are ours (conv.cuh, linear.cuh); every other op is a kernel from
// kernels/*.cuh. A request for this backend without a visible device throws device_error from the
// first allocation or transfer — there is no CPU fallback.
//
// The optimizer updates are ops like the others (adam_update, sgd_update: kernels/optimizer_updates.cuh),
// so optim::adam<cuda_backend<>> and optim::sgd<cuda_backend<>> are the CPU's optimizers on the device.
// Loss scaling is loss_scale.cuh. model::zero_grad clears through fill_zero on any backend.
#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/concept.hpp"
#include "i2i/backend/cuda/allocator.cuh"
#include "i2i/backend/cuda/conv.cuh"
#include "i2i/backend/cuda/kernels/activation.cuh"
#include "i2i/backend/cuda/kernels/adain.cuh"
#include "i2i/backend/cuda/kernels/batch_norm.cuh"
#include "i2i/backend/cuda/kernels/cast.cuh"
#include "i2i/backend/cuda/kernels/concat.cuh"
#include "i2i/backend/cuda/kernels/feature_mask.cuh"
#include "i2i/backend/cuda/kernels/gram.cuh"
#include "i2i/backend/cuda/kernels/instance_norm.cuh"
#include "i2i/backend/cuda/kernels/instance_norm_pad.cuh"
#include "i2i/backend/cuda/kernels/l2_normalise.cuh"
#include "i2i/backend/cuda/kernels/label_maps.cuh"
#include "i2i/backend/cuda/kernels/losses.cuh"
#include "i2i/backend/cuda/kernels/losses_cross_entropy.cuh"
#include "i2i/backend/cuda/kernels/optimizer_updates.cuh"
#include "i2i/backend/cuda/kernels/pad.cuh"
#include "i2i/backend/cuda/kernels/pointwise.cuh"
#include "i2i/backend/cuda/kernels/pool.cuh"
#include "i2i/backend/cuda/kernels/reduce.cuh"
#include "i2i/backend/cuda/kernels/resample.cuh"
#include "i2i/backend/cuda/linear.cuh"
#include "i2i/backend/cuda/loss_scale.cuh"
#include "i2i/backend/cuda/memory.cuh"
#include "i2i/backend/cuda/precision.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i {

namespace cuda {
// Segment mean is built on CUB, which brings libcu++'s namespace ::cuda: in a translation unit that says
// `using namespace i2i;` at global scope, `cuda::` would become ambiguous. So this header only declares
// the two ops that cuda_backend::segment_mean(_backward) call; a translation unit that calls them
// includes kernels/segment_mean.cuh, which defines them (without it the call fails to link).
template <device_real T>
tensor<T> segment_mean(const tensor<T>& x, const tensor<T>& ids);
template <device_real T>
tensor<T> segment_mean_backward(const tensor<T>& dy, const tensor<T>& ids);
}  // namespace cuda

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
  using instance_norm_pad_result = cuda::instance_norm_pad_result<T>;
  using batch_norm_result = cuda::batch_norm_result<T>;
  using max_pool_result = cuda::max_pool_result<T>;
  using binary_grads = cuda::binary_grads<T>;
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
  static instance_norm_pad_result instance_norm_pad(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                                    double eps, activation act, const padding2d& p) {
    return cuda::instance_norm_pad(x, w, b, eps, act, p);
  }
  static tensor<T> instance_norm_pad_backward(const tensor<T>& dy, const tensor<T>& x,
                                              const instance_norm_pad_result& f, const tensor<T>& w,
                                              const tensor<T>& dw, const tensor<T>& db) {
    return cuda::instance_norm_pad_backward(dy, x, f, w, dw, db);
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
  // Synchronised batch norm's halves (kernels/batch_norm.cuh; the sums go through the host).
  static std::vector<double> batch_norm_sums(const tensor<T>& x) { return cuda::batch_norm_sums(x); }
  static batch_norm_result batch_norm_train_with_stats(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                                       const tensor<T>& rm, const tensor<T>& rv, double momentum,
                                                       double eps, activation act, std::span<const double> mean,
                                                       std::span<const double> var, std::int64_t count) {
    return cuda::batch_norm_train_with_stats(x, w, b, rm, rv, momentum, eps, act, mean, var, count);
  }
  static std::vector<double> batch_norm_backward_sums(const tensor<T>& dy, const tensor<T>& x,
                                                      const batch_norm_result& f) {
    return cuda::batch_norm_backward_sums(dy, x, f);
  }
  static tensor<T> batch_norm_backward_with_sums(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result& f,
                                                 const tensor<T>& w, const tensor<T>& dw, const tensor<T>& db,
                                                 std::span<const double> group, std::int64_t count) {
    return cuda::batch_norm_backward_with_sums(dy, x, f, w, dw, db, group, count);
  }

  // Pointwise.
  static tensor<T> activate(const tensor<T>& x, activation a) { return cuda::activate(x, a); }
  static tensor<T> activation_backward(const tensor<T>& dy, const tensor<T>& y, activation a) {
    return cuda::activation_backward(dy, y, a);
  }
  static tensor<T> add(const tensor<T>& a, const tensor<T>& b) { return cuda::add(a, b); }
  static tensor<T> sub(const tensor<T>& a, const tensor<T>& b) { return cuda::sub(a, b); }
  static tensor<T> mul(const tensor<T>& a, const tensor<T>& b) { return cuda::mul(a, b); }
  static binary_grads mul_backward(const tensor<T>& a, const tensor<T>& b, const tensor<T>& dy) {
    return cuda::mul_backward(a, b, dy);
  }
  static void add_into(const tensor<T>& dst, const tensor<T>& src) { cuda::add_into(dst, src); }
  static void add_scaled_into(const tensor<T>& dst, const tensor<T>& src, T s) { cuda::add_scaled_into(dst, src, s); }
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
  static tensor<T> global_avg_pool2d(const tensor<T>& x) { return cuda::global_avg_pool2d(x); }
  static tensor<T> global_avg_pool2d_backward(const tensor<T>& dy, const shape& xs) {
    return cuda::global_avg_pool2d_backward(dy, xs);
  }

  // AdaIN (kernels/adain.cuh): canonical (MUNIT) and EGSC-IT's; always fp32.
  static adain_result<T> adain(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                               adain_options opt) {
    return cuda::adain(x, style_mean, style_std, opt);
  }
  static adain_grads<T> adain_backward(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                                       const adain_result<T>& saved, const tensor<T>& dy) {
    return cuda::adain_backward(x, style_mean, style_std, saved, dy);
  }
  static adain_egscit_result<T> adain_egscit(const tensor<T>& x, const tensor<T>& exemplar_mean,
                                             const tensor<T>& exemplar_var, double eps) {
    return cuda::adain_egscit(x, exemplar_mean, exemplar_var, eps);
  }
  static adain_egscit_grads<T> adain_egscit_backward(const tensor<T>& x, const tensor<T>& exemplar_mean,
                                                     const tensor<T>& exemplar_var,
                                                     const adain_egscit_result<T>& saved, const tensor<T>& dy) {
    return cuda::adain_egscit_backward(x, exemplar_mean, exemplar_var, saved, dy);
  }
  static adain_egscit_exemplar_result<T> adain_egscit_from_exemplar(const tensor<T>& x, const tensor<T>& f_e,
                                                                    double eps) {
    return cuda::adain_egscit_from_exemplar(x, f_e, eps);
  }
  static adain_egscit_exemplar_grads<T> adain_egscit_from_exemplar_backward(
      const tensor<T>& x, const tensor<T>& f_e, const adain_egscit_exemplar_result<T>& saved, const tensor<T>& dy) {
    return cuda::adain_egscit_from_exemplar_backward(x, f_e, saved, dy);
  }

  // Instance-wise mean (include kernels/segment_mean.cuh where you call it: see namespace cuda above),
  // pix2pixHD's input encodings (kernels/label_maps.cuh); Gram matrices are with the losses above.
  static tensor<T> segment_mean(const tensor<T>& x, const tensor<T>& ids) { return cuda::segment_mean(x, ids); }
  static tensor<T> segment_mean_backward(const tensor<T>& dy, const tensor<T>& ids) {
    return cuda::segment_mean_backward(dy, ids);
  }
  static tensor<T> feature_mask(const tensor<T>& f) { return cuda::feature_mask(f); }
  static tensor<T> feature_mask_backward(const tensor<T>& dm, const tensor<T>& m) {
    return cuda::feature_mask_backward(dm, m);
  }
  static l2_normalise_result<T> spatial_l2_normalise(const tensor<T>& f) { return cuda::spatial_l2_normalise(f); }
  static tensor<T> spatial_l2_normalise_backward(const l2_normalise_result<T>& saved, const tensor<T>& dy) {
    return cuda::spatial_l2_normalise_backward(saved, dy);
  }
  static tensor<T> one_hot(const tensor<T>& labels, std::int64_t label_nc) { return cuda::one_hot(labels, label_nc); }
  static tensor<T> boundary_map(const tensor<T>& inst) { return cuda::boundary_map(inst); }

  // Reductions (accumulated in double, read back to the host) and element type conversion.
  static double sum(const tensor<T>& x) { return cuda::sum(x); }
  static double mean(const tensor<T>& x) { return cuda::mean(x); }
  template <class To>
  static tensor<To> cast(const tensor<T>& x) {
    return cuda::cast<To>(x);
  }

  // Optimizer updates (kernels/optimizer_updates.cuh): cpu_backend's, on fp32 master weights on the device.
  static void adam_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& exp_avg,
                          const tensor<T>& exp_avg_sq, const adam_update_args& a) {
    cuda::adam_update(param, grad, exp_avg, exp_avg_sq, a);
  }
  static void adam_update_many(std::span<const adam_operands<tensor<T>>> list, const adam_update_args& a) {
    cuda::adam_update_many(list, a);
  }
  static void sgd_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& momentum_buffer,
                         const sgd_update_args& a) {
    cuda::sgd_update(param, grad, momentum_buffer, a);
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

static_assert(backend<cuda_backend<float, cuda::fp32_tf32>>, "cuda_backend must provide the whole op set (backend/concept.hpp)");
static_assert(backend<cuda_backend<float, cuda::fp32_strict>>, "cuda_backend must provide the whole op set (backend/concept.hpp)");
static_assert(backend<cuda_backend<float, cuda::bf16_mixed>>, "cuda_backend must provide the whole op set (backend/concept.hpp)");
static_assert(backend<cuda_backend<float, cuda::fp16_mixed>>, "cuda_backend must provide the whole op set (backend/concept.hpp)");

namespace cuda {

/// Sets a device (or host) tensor to zero.
inline void fill_zero(const tensor<float>& t) { cuda_backend<float>::fill_zero(t); }

}  // namespace cuda
}  // namespace i2i
