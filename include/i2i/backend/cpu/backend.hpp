#pragma once
// cpu_backend<T>: the binding of specs to the CPU op library (Eigen + our GEMM kernels).
//
// A backend is a type whose static functions are the closed op set (DESIGN §1.3; the concept
// i2i::backend in backend/concept.hpp, asserted below); layer instances call them as B::conv2d(...), so
// one spec runs on any backend that provides the same set. T is the compute
// and storage type: float for training, double for gradient checks.
#include "i2i/backend/concept.hpp"
#include "i2i/backend/cpu/activation.hpp"
#include "i2i/backend/cpu/adain.hpp"
#include "i2i/backend/cpu/batch_norm.hpp"
#include "i2i/backend/cpu/concat.hpp"
#include "i2i/backend/cpu/conv2d.hpp"
#include "i2i/backend/cpu/conv_transpose2d.hpp"
#include "i2i/backend/cpu/feature_mask.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "i2i/backend/cpu/instance_norm_pad.hpp"
#include "i2i/backend/cpu/l2_normalise.hpp"
#include "i2i/backend/cpu/label_maps.hpp"
#include "i2i/backend/cpu/linear.hpp"
#include "i2i/backend/cpu/optimizer_updates.hpp"
#include "i2i/backend/cpu/pad.hpp"
#include "i2i/backend/cpu/pointwise.hpp"
#include "i2i/backend/cpu/pool.hpp"
#include "i2i/backend/cpu/reduce.hpp"
#include "i2i/backend/cpu/resample.hpp"
#include "i2i/backend/cpu/segment_mean.hpp"
#include "i2i/backend/cpu/losses.hpp"
#include "i2i/backend/cpu/losses_cross_entropy.hpp"
#include "i2i/backend/cpu/losses_gram.hpp"

namespace i2i {

template <cpu_scalar T = float>
struct cpu_backend {
  using scalar = T;
  using tensor_type = tensor<T>;
  using conv_args = cpu::conv2d_args;
  using conv_transpose_args = cpu::conv_transpose2d_args;
  using activation = cpu::activation;
  using instance_norm_result = cpu::instance_norm_result<T>;
  using instance_norm_pad_result = cpu::instance_norm_pad_result<T>;
  using batch_norm_result = cpu::batch_norm_result<T>;
  using max_pool_result = cpu::max_pool_result<T>;
  using binary_grads = cpu::binary_grads<T>;
  static constexpr device_kind kind = device_kind::cpu;
  static constexpr const char* name = "cpu";

  static tensor<T> zeros(const shape& s) { return tensor<T>::zeros(s); }
  static void fill_zero(const tensor<T>& t) {
    if (t.defined()) t.fill(T(0));
  }
  // Moving tensors between the host and this backend's memory: identities on the CPU (no copies).
  static tensor<T> to_backend(const tensor<T>& host) { return host; }
  static tensor<T> to_host(const tensor<T>& t) { return t; }
  /// dst <- src where src is a host tensor of dst's shape (a no-op when they share storage).
  static void assign_from_host(const tensor<T>& dst, const tensor<T>& src) {
    require_shape("assign_from_host", "source", src, dst.shape());
    if (dst.data() != src.data()) std::copy_n(src.data(), src.numel(), dst.data());
  }

  // Convolutions.
  static tensor<T> conv2d(const tensor<T>& x, const tensor<T>& w, const tensor<T>* b, const conv_args& a) {
    return cpu::conv2d(x, w, b, a);
  }
  static tensor<T> conv2d_backward_input(const tensor<T>& dy, const tensor<T>& w, const shape& xs, const conv_args& a) {
    return cpu::conv2d_backward_input(dy, w, xs, a);
  }
  static void conv2d_backward_params(const tensor<T>& x, const tensor<T>& dy, tensor<T>& dw, tensor<T>* db,
                                     const conv_args& a) {
    cpu::conv2d_backward_params(x, dy, dw, db, a);
  }
  static tensor<T> conv_transpose2d(const tensor<T>& x, const tensor<T>& w, const tensor<T>* b,
                                    const conv_transpose_args& a) {
    return cpu::conv_transpose2d(x, w, b, a);
  }
  static tensor<T> conv_transpose2d_backward_input(const tensor<T>& dy, const tensor<T>& w, const shape& xs,
                                                   const conv_transpose_args& a) {
    return cpu::conv_transpose2d_backward_input(dy, w, xs, a);
  }
  static void conv_transpose2d_backward_params(const tensor<T>& x, const tensor<T>& dy, tensor<T>& dw, tensor<T>* db,
                                               const conv_transpose_args& a) {
    cpu::conv_transpose2d_backward_params(x, dy, dw, db, a);
  }

  // Padding.
  static tensor<T> reflection_pad2d(const tensor<T>& x, const padding2d& p) { return cpu::reflection_pad2d(x, p); }
  static tensor<T> reflection_pad2d_backward(const tensor<T>& dy, const shape& xs, const padding2d& p) {
    return cpu::reflection_pad2d_backward(dy, xs, p);
  }
  static tensor<T> zero_pad2d(const tensor<T>& x, const padding2d& p) { return cpu::zero_pad2d(x, p); }
  static tensor<T> zero_pad2d_backward(const tensor<T>& dy, const shape& xs, const padding2d& p) {
    return cpu::zero_pad2d_backward(dy, xs, p);
  }

  // Normalisation (with a fused activation).
  static instance_norm_result instance_norm(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, double eps,
                                            activation act) {
    return cpu::instance_norm(x, w, b, eps, act);
  }
  static tensor<T> instance_norm_backward(const tensor<T>& dy, const tensor<T>& x, const instance_norm_result& f,
                                          const tensor<T>& w, const tensor<T>& dw, const tensor<T>& db) {
    return cpu::instance_norm_backward(dy, x, f, w, dw, db);
  }
  static instance_norm_pad_result instance_norm_pad(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                                    double eps, activation act, const padding2d& p) {
    return cpu::instance_norm_pad(x, w, b, eps, act, p);
  }
  static tensor<T> instance_norm_pad_backward(const tensor<T>& dy, const tensor<T>& x,
                                              const instance_norm_pad_result& f, const tensor<T>& w,
                                              const tensor<T>& dw, const tensor<T>& db) {
    return cpu::instance_norm_pad_backward(dy, x, f, w, dw, db);
  }
  static batch_norm_result batch_norm_train(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                            const tensor<T>& rm, const tensor<T>& rv, double momentum, double eps,
                                            activation act) {
    return cpu::batch_norm_train(x, w, b, rm, rv, momentum, eps, act);
  }
  static batch_norm_result batch_norm_eval(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                           const tensor<T>& rm, const tensor<T>& rv, double eps, activation act) {
    return cpu::batch_norm_eval(x, w, b, rm, rv, eps, act);
  }
  static tensor<T> batch_norm_backward(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result& f,
                                       const tensor<T>& w, const tensor<T>& dw, const tensor<T>& db) {
    return cpu::batch_norm_backward(dy, x, f, w, dw, db);
  }
  // Synchronised batch norm's halves (cpu/batch_norm.hpp; a backend without them has no SyncBatchNorm).
  static std::vector<double> batch_norm_sums(const tensor<T>& x) { return cpu::batch_norm_sums(x); }
  static batch_norm_result batch_norm_train_with_stats(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                                       const tensor<T>& rm, const tensor<T>& rv, double momentum,
                                                       double eps, activation act, std::span<const double> mean,
                                                       std::span<const double> var, std::int64_t count) {
    return cpu::batch_norm_train_with_stats(x, w, b, rm, rv, momentum, eps, act, mean, var, count);
  }
  static std::vector<double> batch_norm_backward_sums(const tensor<T>& dy, const tensor<T>& x,
                                                      const batch_norm_result& f) {
    return cpu::batch_norm_backward_sums(dy, x, f);
  }
  static tensor<T> batch_norm_backward_with_sums(const tensor<T>& dy, const tensor<T>& x, const batch_norm_result& f,
                                                 const tensor<T>& w, const tensor<T>& dw, const tensor<T>& db,
                                                 std::span<const double> group, std::int64_t count) {
    return cpu::batch_norm_backward_with_sums(dy, x, f, w, dw, db, group, count);
  }

  // Pointwise.
  static tensor<T> activate(const tensor<T>& x, activation a) { return cpu::activate(x, a); }
  static tensor<T> activation_backward(const tensor<T>& dy, const tensor<T>& y, activation a) {
    return cpu::activation_backward(dy, y, a);
  }
  static tensor<T> add(const tensor<T>& a, const tensor<T>& b) { return cpu::add(a, b); }
  static tensor<T> sub(const tensor<T>& a, const tensor<T>& b) { return cpu::sub(a, b); }
  static tensor<T> mul(const tensor<T>& a, const tensor<T>& b) { return cpu::mul(a, b); }
  static binary_grads mul_backward(const tensor<T>& a, const tensor<T>& b, const tensor<T>& dy) {
    return cpu::mul_backward(a, b, dy);
  }
  static void add_into(const tensor<T>& dst, const tensor<T>& src) { cpu::add_into(dst, src); }
  static void add_scaled_into(const tensor<T>& dst, const tensor<T>& src, T s) { cpu::add_scaled_into(dst, src, s); }
  static tensor<T> concat_channels(const std::vector<tensor<T>>& parts) { return cpu::concat_channels(parts); }
  static std::vector<tensor<T>> split_channels(const tensor<T>& x, const std::vector<std::int64_t>& sizes) {
    return cpu::split_channels(x, sizes);
  }

  // Pooling and resampling.
  static tensor<T> avg_pool2d(const tensor<T>& x, std::int64_t k, std::int64_t s, const padding2d& p, bool include_pad) {
    return cpu::avg_pool2d(x, k, s, p, include_pad);
  }
  static tensor<T> avg_pool2d_backward(const tensor<T>& dy, const shape& xs, std::int64_t k, std::int64_t s,
                                       const padding2d& p, bool include_pad) {
    return cpu::avg_pool2d_backward(dy, xs, k, s, p, include_pad);
  }
  static max_pool_result max_pool2d(const tensor<T>& x, std::int64_t k, std::int64_t s, const padding2d& p) {
    return cpu::max_pool2d(x, k, s, p);
  }
  static tensor<T> max_pool2d_backward(const tensor<T>& dy, const shape& xs, const max_pool_result& r) {
    return cpu::max_pool2d_backward(dy, xs, r.argmax);
  }
  static tensor<T> upsample_nearest2d(const tensor<T>& x, std::int64_t h, std::int64_t w) {
    return cpu::upsample_nearest2d(x, h, w);
  }
  static tensor<T> upsample_nearest2d_backward(const tensor<T>& dy, const shape& xs) {
    return cpu::upsample_nearest2d_backward(dy, xs);
  }
  static tensor<T> global_avg_pool2d(const tensor<T>& x) { return cpu::global_avg_pool2d(x); }
  static tensor<T> global_avg_pool2d_backward(const tensor<T>& dy, const shape& xs) {
    return cpu::global_avg_pool2d_backward(dy, xs);
  }

  // AdaIN: canonical (MUNIT, style statistics given) and EGSC-IT's (statistics of an exemplar map).
  static adain_result<T> adain(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                               adain_options opt) {
    return cpu::adain(x, style_mean, style_std, opt);
  }
  static adain_grads<T> adain_backward(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std,
                                       const adain_result<T>& saved, const tensor<T>& dy) {
    return cpu::adain_backward(x, style_mean, style_std, saved, dy);
  }
  static adain_egscit_result<T> adain_egscit(const tensor<T>& x, const tensor<T>& exemplar_mean,
                                             const tensor<T>& exemplar_var, double eps) {
    return cpu::adain_egscit(x, exemplar_mean, exemplar_var, eps);
  }
  static adain_egscit_grads<T> adain_egscit_backward(const tensor<T>& x, const tensor<T>& exemplar_mean,
                                                     const tensor<T>& exemplar_var,
                                                     const adain_egscit_result<T>& saved, const tensor<T>& dy) {
    return cpu::adain_egscit_backward(x, exemplar_mean, exemplar_var, saved, dy);
  }
  static adain_egscit_exemplar_result<T> adain_egscit_from_exemplar(const tensor<T>& x, const tensor<T>& f_e,
                                                                    double eps) {
    return cpu::adain_egscit_from_exemplar(x, f_e, eps);
  }
  static adain_egscit_exemplar_grads<T> adain_egscit_from_exemplar_backward(
      const tensor<T>& x, const tensor<T>& f_e, const adain_egscit_exemplar_result<T>& saved, const tensor<T>& dy) {
    return cpu::adain_egscit_from_exemplar_backward(x, f_e, saved, dy);
  }

  // Instance-wise mean, EGSC-IT's feature mask and feature normalisation, pix2pixHD's input encodings, Gram
  // matrices.
  static tensor<T> segment_mean(const tensor<T>& x, const tensor<T>& ids) { return cpu::segment_mean(x, ids); }
  static tensor<T> segment_mean_backward(const tensor<T>& dy, const tensor<T>& ids) {
    return cpu::segment_mean_backward(dy, ids);
  }
  static tensor<T> feature_mask(const tensor<T>& f) { return cpu::feature_mask(f); }
  static tensor<T> feature_mask_backward(const tensor<T>& dm, const tensor<T>& m) {
    return cpu::feature_mask_backward(dm, m);
  }
  static l2_normalise_result<T> spatial_l2_normalise(const tensor<T>& f) { return cpu::spatial_l2_normalise(f); }
  static tensor<T> spatial_l2_normalise_backward(const l2_normalise_result<T>& saved, const tensor<T>& dy) {
    return cpu::spatial_l2_normalise_backward(saved, dy);
  }
  static tensor<T> one_hot(const tensor<T>& labels, std::int64_t label_nc) { return cpu::one_hot(labels, label_nc); }
  static tensor<T> boundary_map(const tensor<T>& inst) { return cpu::boundary_map(inst); }
  // Gram matrices: with the losses below (losses_gram.hpp).

  // Reductions (accumulated in double) and element type conversion.
  static double sum(const tensor<T>& x) { return cpu::sum(x); }
  static double mean(const tensor<T>& x) { return cpu::mean(x); }
  template <class To>
  static tensor<To> cast(const tensor<T>& x) {
    return cpu::cast<To>(x);
  }

  static tensor<T> scale(const tensor<T>& x, T s) { return cpu::scale(x, s); }

  // Losses (losses.hpp, losses_gram.hpp, losses_cross_entropy.hpp): the mean value and d value / d
  // prediction (unweighted), so that code written over B (the loss terms of loss/types/, trainers) calls
  // B::l1_loss(...) on any backend; cuda_backend has the same functions on the device. Inside a
  // loss::defer_loss_values scope each value moves into loss_value::pending (loss/loss_types.hpp).
  static loss::loss_value<T> lsgan_loss(const tensor<T>& pred, loss::gan_target t) {
    return loss::defer_host_value(cpu::lsgan_loss(pred, t));
  }
  static loss::loss_value<T> bce_with_logits_loss(const tensor<T>& logits, loss::gan_target t) {
    return loss::defer_host_value(cpu::bce_with_logits_loss(logits, t));
  }
  static loss::loss_value<T> bce_with_logits_loss(const tensor<T>& logits, const tensor<T>& target) {
    return loss::defer_host_value(cpu::bce_with_logits_loss(logits, target));
  }
  static loss::loss_value<T> l1_loss(const tensor<T>& pred, const tensor<T>& target) {
    return loss::defer_host_value(cpu::l1_loss(pred, target));
  }
  static loss::loss_value<T> mse_loss(const tensor<T>& pred, const tensor<T>& target) {
    return loss::defer_host_value(cpu::mse_loss(pred, target));
  }
  static loss::loss_value<T> kl_loss(const tensor<T>& z) { return loss::defer_host_value(cpu::kl_loss(z)); }
  static loss::loss_value<T> cross_entropy_loss(const tensor<T>& logits, const tensor<T>& labels,
                                                const loss::cross_entropy_options& opt = {}) {
    return loss::defer_host_value(cpu::cross_entropy_loss(logits, labels, opt));
  }
  static tensor<T> gram_matrix(const tensor<T>& f, loss::gram_norm norm = loss::gram_norm::hw) {
    return cpu::gram_matrix(f, norm);
  }
  static tensor<T> gram_matrix_backward(const tensor<T>& f, const tensor<T>& dg,
                                        loss::gram_norm norm = loss::gram_norm::hw) {
    return cpu::gram_matrix_backward(f, dg, norm);
  }
  static loss::loss_value<T> gram_distance(const tensor<T>& gp, const tensor<T>& gt,
                                           loss::style_distance d = loss::style_distance::mse, double weight = 1) {
    return loss::defer_host_value(cpu::gram_distance(gp, gt, d, weight));
  }

  // Optimizer updates (optimizer_updates.hpp): one parameter tensor in place, with optim::adam's / optim::sgd's
  // per-step scalars (backend/optimizer_args.hpp).
  static void adam_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& exp_avg,
                          const tensor<T>& exp_avg_sq, const adam_update_args& a) {
    cpu::adam_update(param, grad, exp_avg, exp_avg_sq, a);
  }
  /// One tensor after the other (each an Eigen expression over its elements, threaded inside).
  static void adam_update_many(std::span<const adam_operands<tensor<T>>> list, const adam_update_args& a) {
    for (const auto& o : list) cpu::adam_update(o.param, o.grad, o.exp_avg, o.exp_avg_sq, a);
  }
  static void sgd_update(const tensor<T>& param, const tensor<T>& grad, const tensor<T>& momentum_buffer,
                         const sgd_update_args& a) {
    cpu::sgd_update(param, grad, momentum_buffer, a);
  }

  // Dense layers.
  static tensor<T> linear(const tensor<T>& x, const tensor<T>& w, const tensor<T>* b) { return cpu::linear(x, w, b); }
  static tensor<T> linear_backward(const tensor<T>& x, const tensor<T>& w, const tensor<T>& dy, tensor<T>& dw,
                                   tensor<T>* db) {
    return cpu::linear_backward(x, w, dy, dw, db);
  }
};

static_assert(backend<cpu_backend<float>>, "cpu_backend<float> must provide the whole op set (backend/concept.hpp)");
static_assert(backend<cpu_backend<double>>, "cpu_backend<double> must provide the whole op set (backend/concept.hpp)");

}  // namespace i2i
