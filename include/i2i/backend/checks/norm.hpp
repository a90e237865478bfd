#pragma once
// Argument checks of instance and batch normalisation with a fused activation (cpu/instance_norm.hpp,
// cpu/instance_norm_pad.hpp, cpu/batch_norm.hpp and their cuda/kernels/ twins), once for both
// backends; P is where the tensors must live (placement.hpp). S is the parameters' type (the compute
// type on CUDA, where storage may be half precision).
#include "i2i/backend/checks/pad.hpp"
#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/checks/tensor_args.hpp"
#include "i2i/backend/op_args.hpp"

namespace i2i::checks {

/// instance_norm's arguments under the name `op` (instance_norm_pad checks the same ones).
template <placement P, class T, class S>
void instance_norm_args(const char* op, const tensor<T>& x, const tensor<S>& weight, const tensor<S>& bias,
                        double eps, const activation& act) {
  require_nchw(op, "input", x);
  check_channel_param<P>(op, "weight", weight, x.shape());
  check_channel_param<P>(op, "bias", bias, x.shape());
  require<value_error>(eps >= 0, op, ": eps ", eps, " is negative (input ", x.shape(), ")");
  // One pixel per plane normalises to exactly 0: almost surely an input too small for the network
  // (PyTorch refuses it as well).
  require<value_error>(x.h() * x.w() > 1, op, ": input ", x.shape(),
                       " has a single pixel per plane; its instance statistics are meaningless");
  check_activation(op, act);
  require_tensor<P>(op, "input", x);
}

template <placement P, class T, class S>
void instance_norm(const tensor<T>& x, const tensor<S>& weight, const tensor<S>& bias, double eps,
                   const activation& act) {
  instance_norm_args<P>("instance_norm", x, weight, bias, eps, act);
}

/// instance_norm followed by reflection padding p (each side >= 0 and smaller than that dimension, as
/// reflection_pad2d); returns the padded output's shape.
template <placement P, class T, class S>
shape instance_norm_pad(const tensor<T>& x, const tensor<S>& weight, const tensor<S>& bias, double eps,
                        const activation& act, const padding2d& p) {
  constexpr const char* op = "instance_norm_pad";
  // Shapes and values before placement, as every check here: the texts do not depend on the machine.
  require_nchw(op, "input", x);
  reflection_padding(op, x.shape(), p);
  instance_norm_args<P>(op, x, weight, bias, eps, act);
  return padded_shape(x.shape(), p);
}

template <placement P, class T, class S>
void batch_norm_forward(const char* op, const tensor<T>& x, const tensor<S>& weight, const tensor<S>& bias,
                        const tensor<S>& running_mean, const tensor<S>& running_var, double eps,
                        const activation& act) {
  require_nchw(op, "input", x);
  check_channel_param<P>(op, "weight", weight, x.shape());
  check_channel_param<P>(op, "bias", bias, x.shape());
  check_channel_param<P>(op, "running_mean", running_mean, x.shape());
  check_channel_param<P>(op, "running_var", running_var, x.shape());
  require<value_error>(eps >= 0, op, ": eps ", eps, " is negative (input ", x.shape(), ")");
  check_activation(op, act);
  require_tensor<P>(op, "input", x);
}

/// batch_norm_train: also the momentum, running statistics given together, more than one value per channel.
template <placement P, class T, class S>
void batch_norm_train(const tensor<T>& x, const tensor<S>& weight, const tensor<S>& bias, const tensor<S>& running_mean,
                      const tensor<S>& running_var, double momentum, double eps, const activation& act) {
  constexpr const char* op = "batch_norm_train";
  batch_norm_forward<P>(op, x, weight, bias, running_mean, running_var, eps, act);
  require<value_error>(momentum >= 0 && momentum <= 1, op, ": momentum ", momentum, " is outside [0, 1] (input ",
                       x.shape(), ")");
  require<shape_error>(running_mean.defined() == running_var.defined(), op,
                       ": running_mean and running_var must both be given or both be omitted (input ", x.shape(),
                       ")");
  // The unbiased variance divides by count - 1 (PyTorch refuses a single value per channel too).
  require<value_error>(x.n() * x.h() * x.w() > 1, op, ": input ", x.shape(),
                       " has a single value per channel; batch statistics need more than one");
}

/// batch_norm_eval: the running statistics are required (their values are checked where they are read).
template <placement P, class T, class S>
void batch_norm_eval(const tensor<T>& x, const tensor<S>& weight, const tensor<S>& bias, const tensor<S>& running_mean,
                     const tensor<S>& running_var, double eps, const activation& act) {
  constexpr const char* op = "batch_norm_eval";
  batch_norm_forward<P>(op, x, weight, bias, running_mean, running_var, eps, act);
  require<shape_error>(running_mean.defined() && running_var.defined(), op,
                       ": evaluation needs running_mean and running_var (input ", x.shape(), ")");
}

/// Backward of either norm: `fwd` is its result (y, mean, inv_std, act), whose statistics have shape `stats`
/// (N x C for instance norm, C for batch norm); dy and y have shape `out` (the input's, or the padded one
/// for instance_norm_pad).
template <placement P, class T, class Result, class S>
void norm_backward(const char* op, const tensor<T>& dy, const tensor<T>& x, const Result& fwd, const shape& stats,
                   const tensor<S>& weight, const tensor<S>& dweight, const tensor<S>& dbias, const shape& out,
                   const char* out_is) {
  require_nchw(op, "input", x);
  require<shape_error>(dy.shape() == out, op, ": output gradient has shape ", dy.shape(), ", expected ", out, " (",
                       out_is, ")");
  require<shape_error>(fwd.y.shape() == out, op, ": saved output has shape ", fwd.y.shape(), ", expected ", out,
                       " (", out_is, ")");
  require<shape_error>(fwd.mean.shape() == stats && fwd.inv_std.shape() == stats, op, ": saved statistics have shape ",
                       fwd.mean.shape(), " and ", fwd.inv_std.shape(), ", expected ", stats, " for input ", x.shape());
  check_channel_param<P>(op, "weight", weight, x.shape());
  check_channel_param<P>(op, "dweight", dweight, x.shape());
  check_channel_param<P>(op, "dbias", dbias, x.shape());
  check_activation(op, fwd.act);
  require_tensor<P>(op, "input", x);
  require_tensor<P>(op, "output gradient", dy);
  require_tensor<P>(op, "saved output", fwd.y);
  require_tensor<P>(op, "saved mean", fwd.mean);
  require_tensor<P>(op, "saved inv_std", fwd.inv_std);
}

template <placement P, class T, class Result, class S>
void norm_backward(const char* op, const tensor<T>& dy, const tensor<T>& x, const Result& fwd, const shape& stats,
                   const tensor<S>& weight, const tensor<S>& dweight, const tensor<S>& dbias) {
  require_nchw(op, "input", x);
  norm_backward<P>(op, dy, x, fwd, stats, weight, dweight, dbias, x.shape(), "the input's");
}

/// instance_norm_pad's backward: dy and the saved y are the padded shape of x by fwd.pad.
template <placement P, class T, class Result, class S>
void instance_norm_pad_backward(const tensor<T>& dy, const tensor<T>& x, const Result& fwd, const tensor<S>& weight,
                                const tensor<S>& dweight, const tensor<S>& dbias) {
  constexpr const char* op = "instance_norm_pad_backward";
  require_nchw(op, "input", x);
  reflection_padding(op, x.shape(), fwd.pad);
  norm_backward<P>(op, dy, x, fwd, shape{x.n(), x.c()}, weight, dweight, dbias, padded_shape(x.shape(), fwd.pad),
                   "the input's, padded");
}

}  // namespace i2i::checks
