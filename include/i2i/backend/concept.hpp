#pragma once
// The closed op set of a backend (DESIGN §1.3) as a C++20 concept: i2i::backend<B>.
//
// A backend is a type whose static functions are the ops; layer instances, models and trainers call them
// as B::conv2d(...), so one spec runs on every type that satisfies this concept. cpu_backend<T>
// (cpu/backend.hpp) and cuda_backend<T, Precision> (cuda/backend.cuh) static_assert it. The concept is
// composed of one sub-concept per op family so that a missing op is reported by family, and so that a
// generic component can require only what it calls (model<> holds parameters on any parameter_backend
// and runs forward/backward on a `backend`; see model/model.hpp).
//
// Where a new op goes: its CPU reference in backend/cpu/, its CUDA kernel in backend/cuda/kernels/, its
// argument check once in backend/checks/ (for both, with the placement as a parameter), a static
// function in both backend types, and a line in the family's sub-concept below (docs/decisions.md,
// "Backends").
//
// Eigen-free and CUDA-free: it names only core types and the shared argument/result types.
#include <concepts>
#include <cstdint>
#include <span>
#include <vector>

#include "i2i/backend/adain_types.hpp"
#include "i2i/backend/l2_normalise_types.hpp"
#include "i2i/backend/op_args.hpp"
#include "i2i/backend/optimizer_args.hpp"
#include "i2i/core/device.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/shape.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/loss/loss_types.hpp"

namespace i2i {

/// What holding parameters on a backend needs (model<> itself; its forward and backward need `backend`):
/// the scalar, moving host-built parameters to the backend's memory and back, and zeroing gradients.
/// counting_backend (storage-free parameters, for counts and shapes) satisfies only this.
template <class B>
concept parameter_backend = requires(const typename B::tensor_type& t) {
  typename B::scalar;
  requires std::same_as<typename B::tensor_type, tensor<typename B::scalar>>;
  { B::to_backend(t) } -> std::same_as<typename B::tensor_type>;
  { B::to_host(t) } -> std::same_as<typename B::tensor_type>;
  B::assign_from_host(t, t);
  B::fill_zero(t);
};

/// Types, placement and memory: what the backend computes in, where its tensors live, and the moves
/// between the host and that memory.
template <class B>
concept backend_memory_ops = parameter_backend<B> && requires(const shape& s) {
  { B::kind } -> std::convertible_to<device_kind>;
  { B::name } -> std::convertible_to<const char*>;
  { B::zeros(s) } -> std::same_as<typename B::tensor_type>;
};

/// Convolutions and transposed convolutions: forward, input gradient, parameter gradients. Grouped and
/// depthwise convolutions are conv2d with conv_args::groups > 1 (weight Cout x Cin/groups x KH x KW).
template <class B>
concept backend_conv_ops = requires(const typename B::tensor_type& x, const typename B::tensor_type* bias,
                                    typename B::tensor_type& dw, typename B::tensor_type* db, const shape& xs,
                                    const typename B::conv_args& ca, const typename B::conv_transpose_args& ta) {
  { ca.groups } -> std::convertible_to<std::int64_t>;
  { B::conv2d(x, x, bias, ca) } -> std::same_as<typename B::tensor_type>;
  { B::conv2d_backward_input(x, x, xs, ca) } -> std::same_as<typename B::tensor_type>;
  B::conv2d_backward_params(x, x, dw, db, ca);
  { B::conv_transpose2d(x, x, bias, ta) } -> std::same_as<typename B::tensor_type>;
  { B::conv_transpose2d_backward_input(x, x, xs, ta) } -> std::same_as<typename B::tensor_type>;
  B::conv_transpose2d_backward_params(x, x, dw, db, ta);
};

/// Instance and batch normalisation with a fused activation; instance norm also with reflection padding
/// fused after the activation (what seq fuses `instance_norm, activation, reflect_pad` into).
template <class B>
concept backend_norm_ops = requires(const typename B::tensor_type& x, const typename B::activation& act, double d,
                                    const typename B::instance_norm_result& in,
                                    const typename B::instance_norm_pad_result& inp, const padding2d& p,
                                    const typename B::batch_norm_result& bn) {
  { B::instance_norm(x, x, x, d, act) } -> std::same_as<typename B::instance_norm_result>;
  { B::instance_norm_backward(x, x, in, x, x, x) } -> std::same_as<typename B::tensor_type>;
  { B::instance_norm_pad(x, x, x, d, act, p) } -> std::same_as<typename B::instance_norm_pad_result>;
  { inp.y } -> std::convertible_to<typename B::tensor_type>;
  { B::instance_norm_pad_backward(x, x, inp, x, x, x) } -> std::same_as<typename B::tensor_type>;
  { B::batch_norm_train(x, x, x, x, x, d, d, act) } -> std::same_as<typename B::batch_norm_result>;
  { B::batch_norm_eval(x, x, x, x, x, d, act) } -> std::same_as<typename B::batch_norm_result>;
  { B::batch_norm_backward(x, x, bn, x, x, x) } -> std::same_as<typename B::tensor_type>;
};

/// Reflection and zero padding (negative zero padding crops).
template <class B>
concept backend_pad_ops = requires(const typename B::tensor_type& x, const shape& xs, const padding2d& p) {
  { B::reflection_pad2d(x, p) } -> std::same_as<typename B::tensor_type>;
  { B::reflection_pad2d_backward(x, xs, p) } -> std::same_as<typename B::tensor_type>;
  { B::zero_pad2d(x, p) } -> std::same_as<typename B::tensor_type>;
  { B::zero_pad2d_backward(x, xs, p) } -> std::same_as<typename B::tensor_type>;
};

/// Average, max and global mean pooling; nearest-neighbour resampling.
template <class B>
concept backend_pool_ops = requires(const typename B::tensor_type& x, const shape& xs, const padding2d& p,
                                    std::int64_t k, bool flag, const typename B::max_pool_result& mp) {
  { B::avg_pool2d(x, k, k, p, flag) } -> std::same_as<typename B::tensor_type>;
  { B::avg_pool2d_backward(x, xs, k, k, p, flag) } -> std::same_as<typename B::tensor_type>;
  { B::max_pool2d(x, k, k, p) } -> std::same_as<typename B::max_pool_result>;
  { B::max_pool2d_backward(x, xs, mp) } -> std::same_as<typename B::tensor_type>;
  { B::global_avg_pool2d(x) } -> std::same_as<typename B::tensor_type>;
  { B::global_avg_pool2d_backward(x, xs) } -> std::same_as<typename B::tensor_type>;
  { B::upsample_nearest2d(x, k, k) } -> std::same_as<typename B::tensor_type>;
  { B::upsample_nearest2d_backward(x, xs) } -> std::same_as<typename B::tensor_type>;
};

/// Activations (relu, leaky relu, tanh, sigmoid, relu6: B::activation) and elementwise arithmetic.
template <class B>
concept backend_pointwise_ops = requires(const typename B::tensor_type& x, const typename B::activation& act,
                                         typename B::scalar s) {
  { B::activate(x, act) } -> std::same_as<typename B::tensor_type>;
  { B::activation_backward(x, x, act) } -> std::same_as<typename B::tensor_type>;
  { B::add(x, x) } -> std::same_as<typename B::tensor_type>;
  { B::sub(x, x) } -> std::same_as<typename B::tensor_type>;
  { B::mul(x, x) } -> std::same_as<typename B::tensor_type>;
  { B::mul_backward(x, x, x) } -> std::same_as<typename B::binary_grads>;
  B::add_into(x, x);
  B::add_scaled_into(x, x, s);
  { B::scale(x, s) } -> std::same_as<typename B::tensor_type>;
};

/// Concatenation and split along the channel axis; dense (linear) layers.
template <class B>
concept backend_structure_ops = requires(const typename B::tensor_type& x, const typename B::tensor_type* bias,
                                         typename B::tensor_type& dw, typename B::tensor_type* db,
                                         const std::vector<typename B::tensor_type>& parts,
                                         const std::vector<std::int64_t>& sizes) {
  { B::concat_channels(parts) } -> std::same_as<typename B::tensor_type>;
  { B::split_channels(x, sizes) } -> std::same_as<std::vector<typename B::tensor_type>>;
  { B::linear(x, x, bias) } -> std::same_as<typename B::tensor_type>;
  { B::linear_backward(x, x, x, dw, db) } -> std::same_as<typename B::tensor_type>;
};

/// AdaIN in both forms: canonical (MUNIT: style mean/std given) and EGSC-IT's (exemplar statistics,
/// given or computed from the exemplar feature map).
template <class B>
concept backend_adain_ops = requires(const typename B::tensor_type& x, const adain_options& opt, double eps,
                                     const adain_result<typename B::scalar>& a,
                                     const adain_egscit_result<typename B::scalar>& e,
                                     const adain_egscit_exemplar_result<typename B::scalar>& ex) {
  { B::adain(x, x, x, opt) } -> std::same_as<adain_result<typename B::scalar>>;
  { B::adain_backward(x, x, x, a, x) } -> std::same_as<adain_grads<typename B::scalar>>;
  { B::adain_egscit(x, x, x, eps) } -> std::same_as<adain_egscit_result<typename B::scalar>>;
  { B::adain_egscit_backward(x, x, x, e, x) } -> std::same_as<adain_egscit_grads<typename B::scalar>>;
  { B::adain_egscit_from_exemplar(x, x, eps) } -> std::same_as<adain_egscit_exemplar_result<typename B::scalar>>;
  { B::adain_egscit_from_exemplar_backward(x, x, ex, x) }
      -> std::same_as<adain_egscit_exemplar_grads<typename B::scalar>>;
};

/// Ops on label and instance maps (pix2pixHD's input encoding and feature encoder), EGSC-IT's feature
/// mask and spatial L2 normalisation of feature maps, and Gram matrices.
template <class B>
concept backend_map_ops = requires(const typename B::tensor_type& x, std::int64_t n, loss::gram_norm g,
                                   const l2_normalise_result<typename B::scalar>& l2) {
  { B::feature_mask(x) } -> std::same_as<typename B::tensor_type>;
  { B::feature_mask_backward(x, x) } -> std::same_as<typename B::tensor_type>;
  { B::spatial_l2_normalise(x) } -> std::same_as<l2_normalise_result<typename B::scalar>>;
  { B::spatial_l2_normalise_backward(l2, x) } -> std::same_as<typename B::tensor_type>;
  { B::segment_mean(x, x) } -> std::same_as<typename B::tensor_type>;
  { B::segment_mean_backward(x, x) } -> std::same_as<typename B::tensor_type>;
  { B::one_hot(x, n) } -> std::same_as<typename B::tensor_type>;
  { B::boundary_map(x) } -> std::same_as<typename B::tensor_type>;
  { B::gram_matrix(x, g) } -> std::same_as<typename B::tensor_type>;
  { B::gram_matrix_backward(x, x, g) } -> std::same_as<typename B::tensor_type>;
};

/// Whole-tensor reductions (a host double) and element type conversion.
template <class B>
concept backend_reduction_ops = requires(const typename B::tensor_type& x) {
  { B::sum(x) } -> std::same_as<double>;
  { B::mean(x) } -> std::same_as<double>;
  { B::template cast<double>(x) } -> std::same_as<tensor<double>>;
  { B::template cast<float>(x) } -> std::same_as<tensor<float>>;
};

/// Loss kernels: the mean value (a host double) and d value / d prediction on the backend. A new loss
/// kernel adds its line here; its term type goes to loss/types/ (docs/decisions.md, "Losses").
template <class B>
concept backend_loss_ops = requires(const typename B::tensor_type& x, loss::gan_target t,
                                    const loss::cross_entropy_options& ce, loss::style_distance d) {
  { B::lsgan_loss(x, t) } -> std::same_as<loss::loss_value<typename B::scalar>>;
  { B::bce_with_logits_loss(x, t) } -> std::same_as<loss::loss_value<typename B::scalar>>;
  { B::bce_with_logits_loss(x, x) } -> std::same_as<loss::loss_value<typename B::scalar>>;
  { B::l1_loss(x, x) } -> std::same_as<loss::loss_value<typename B::scalar>>;
  { B::mse_loss(x, x) } -> std::same_as<loss::loss_value<typename B::scalar>>;
  { B::kl_loss(x) } -> std::same_as<loss::loss_value<typename B::scalar>>;
  { B::cross_entropy_loss(x, x, ce) } -> std::same_as<loss::loss_value<typename B::scalar>>;
  { B::gram_distance(x, x, d, 1.0) } -> std::same_as<loss::loss_value<typename B::scalar>>;
};

/// Optimizer element updates in place, with the per-step scalars that optim/ computes once per step and
/// group (backend/optimizer_args.hpp): Adam over a list of parameters (optim::adam's group), SGD one
/// parameter at a time.
template <class B>
concept backend_optimizer_ops = requires(const typename B::tensor_type& t, const adam_update_args& a,
                                         std::span<const adam_operands<typename B::tensor_type>> list,
                                         const sgd_update_args& s) {
  B::adam_update(t, t, t, t, a);
  B::adam_update_many(list, a);
  B::sgd_update(t, t, t, s);
};

template <class B>
concept backend = backend_memory_ops<B> && backend_conv_ops<B> && backend_norm_ops<B> && backend_pad_ops<B> &&
                  backend_pool_ops<B> && backend_pointwise_ops<B> && backend_structure_ops<B> &&
                  backend_adain_ops<B> && backend_map_ops<B> && backend_reduction_ops<B> && backend_loss_ops<B> &&
                  backend_optimizer_ops<B>;

}  // namespace i2i
