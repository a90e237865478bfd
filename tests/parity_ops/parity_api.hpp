#pragma once
// The seam between the two halves of the parity tests. The test cases and the CPU references live in
// .cpp files (g++, Eigen); the GPU side lives in .cu files (nvcc, no Eigen). They meet here through
// plain declarations over HOST tensors: each gpu:: function uploads its inputs, runs the CUDA op (or a
// forward + backward pair), and downloads every result. Errors thrown by the CUDA ops pass through.
//
// The templates are defined and explicitly instantiated for float and double in the .cu files.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/padding.hpp"
#include "i2i/core/shape.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/loss/loss_types.hpp"

namespace i2i::parity {

/// Empty when a CUDA device is visible, else why not (the runtime's words).
std::string device_missing();

/// An activation by kind (the order of cpu::activation_kind and cuda::activation_kind) and slope.
struct act_arg {
  int kind = 0;  ///< 0 identity, 1 relu, 2 leaky_relu, 3 tanh, 4 sigmoid, 5 relu6
  double slope = 0;
};

/// The 16-bit storage formats of the mixed-precision path.
enum class half_format { bf16, f16 };

template <class T>
struct norm_out {
  tensor<T> y, mean, inv_std;
};
template <class T>
struct norm_grads {
  tensor<T> dx, dweight, dbias;
};
template <class T>
struct bn_out {
  tensor<T> y, mean, inv_std, running_mean, running_var;
};
/// Synchronised batch norm's four halves on one process (the group's sums are this process's).
template <class T>
struct bn_sync_out {
  std::vector<double> sums;           ///< batch_norm_sums(x)
  bn_out<T> train;                    ///< batch_norm_train_with_stats with the statistics of `sums`
  std::vector<double> backward_sums;  ///< batch_norm_backward_sums(dy, x, train)
  norm_grads<T> grads;                ///< batch_norm_backward_with_sums with `group`
};
template <class T>
struct pool_out {
  tensor<T> y;
  tensor<std::int32_t> argmax;
};
template <class T>
struct loss_out {
  double value = 0;
  tensor<T> grad;
};
struct reductions {
  double sum = 0, mean = 0, abs_sum = 0;
  bool finite = true;
};

namespace gpu {

// Activations and pointwise arithmetic.
template <class T> tensor<T> activate(const tensor<T>& x, act_arg a);
template <class T> tensor<T> activate_inplace(const tensor<T>& x, act_arg a);  ///< returns the overwritten tensor
template <class T> tensor<T> activation_backward(const tensor<T>& dy, const tensor<T>& y, act_arg a);
template <class T> tensor<T> add(const tensor<T>& a, const tensor<T>& b);
template <class T> tensor<T> sub(const tensor<T>& a, const tensor<T>& b);
template <class T> tensor<T> mul(const tensor<T>& a, const tensor<T>& b);
template <class T> std::pair<tensor<T>, tensor<T>> mul_backward(const tensor<T>& a, const tensor<T>& b, const tensor<T>& dy);
template <class T> tensor<T> scale(const tensor<T>& x, double s);
template <class T> tensor<T> add_into(const tensor<T>& dst, const tensor<T>& src);  ///< returns dst + src
template <class T> tensor<T> add_channel_bias(const tensor<T>& x, const tensor<T>& bias);
template <class T> tensor<T> add_channel_bias_backward(const tensor<T>& dy, const tensor<T>& dbias);  ///< dbias after
template <class T> tensor<T> concat_channels(const std::vector<tensor<T>>& parts);
template <class T> std::vector<tensor<T>> split_channels(const tensor<T>& x, const std::vector<std::int64_t>& sizes);
template <class T> reductions reduce(const tensor<T>& x);

// Padding.
template <class T> tensor<T> reflection_pad2d(const tensor<T>& x, const padding2d& p);
template <class T> tensor<T> reflection_pad2d_backward(const tensor<T>& dy, const shape& xs, const padding2d& p);
template <class T> tensor<T> zero_pad2d(const tensor<T>& x, const padding2d& p);
template <class T> tensor<T> zero_pad2d_backward(const tensor<T>& dy, const shape& xs, const padding2d& p);

// Normalisation: forward, and forward + backward on the device (dweight/dbias start from the given values;
// undefined weight/bias/dweight/dbias are passed on as undefined).
template <class T>
norm_out<T> instance_norm(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, double eps, act_arg a);
template <class T>
norm_grads<T> instance_norm_backward(const tensor<T>& dy, const tensor<T>& x, const tensor<T>& w, const tensor<T>& b,
                                     double eps, act_arg a, const tensor<T>& dweight, const tensor<T>& dbias);
/// instance_norm_pad forward (y padded by p, mean, inv_std) and forward + backward on the device.
template <class T>
norm_out<T> instance_norm_pad(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, double eps, act_arg a,
                              const padding2d& p);
template <class T>
norm_grads<T> instance_norm_pad_backward(const tensor<T>& dy, const tensor<T>& x, const tensor<T>& w,
                                         const tensor<T>& b, double eps, act_arg a, const padding2d& p,
                                         const tensor<T>& dweight, const tensor<T>& dbias);
template <class T>
bn_out<T> batch_norm(bool training, const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, const tensor<T>& rm,
                     const tensor<T>& rv, double momentum, double eps, act_arg a);
template <class T>
norm_grads<T> batch_norm_backward(bool training, const tensor<T>& dy, const tensor<T>& x, const tensor<T>& w,
                                  const tensor<T>& b, const tensor<T>& rm, const tensor<T>& rv, double eps, act_arg a,
                                  const tensor<T>& dweight, const tensor<T>& dbias);
/// The synchronised halves: train with (mean, var) over `count` elements, backward with the `group` sums.
template <class T>
bn_sync_out<T> batch_norm_synchronised(const tensor<T>& x, const tensor<T>& w, const tensor<T>& b, const tensor<T>& rm,
                                       const tensor<T>& rv, double momentum, double eps, act_arg a,
                                       const std::vector<double>& mean, const std::vector<double>& var,
                                       std::int64_t count, const tensor<T>& dy, const tensor<T>& dweight,
                                       const tensor<T>& dbias, const std::vector<double>& group);

// AdaIN (forward outputs and, for the given dy, the backward's outputs).
template <class T>
std::vector<tensor<T>> channel_moments(const tensor<T>& x, bool unbiased, const tensor<T>& dmean,
                                       const tensor<T>& dvar);  ///< {mean, var, dx}
template <class T>
std::vector<tensor<T>> adain(const tensor<T>& x, const tensor<T>& style_mean, const tensor<T>& style_std, double eps,
                             bool unbiased, const tensor<T>& dy);  ///< {y, mean, rstd, dx, dstyle_mean, dstyle_std}
template <class T>
std::vector<tensor<T>> adain_from_style(const tensor<T>& x, const tensor<T>& s, double eps, bool unbiased,
                                        const tensor<T>& dy);  ///< {y, dx, dstyle}
template <class T>
std::vector<tensor<T>> adain_egscit(const tensor<T>& x, const tensor<T>& em, const tensor<T>& ev, double eps,
                                    const tensor<T>& dy);  ///< {y, mean, inv_var, dx, dexemplar_mean, dexemplar_var}
template <class T>
std::vector<tensor<T>> adain_egscit_from_exemplar(const tensor<T>& x, const tensor<T>& fe, double eps,
                                                  const tensor<T>& dy);  ///< {y, dx, dexemplar}

// Pooling and resampling.
template <class T>
tensor<T> avg_pool2d(const tensor<T>& x, std::int64_t k, std::int64_t s, const padding2d& p, bool include_pad);
template <class T>
tensor<T> avg_pool2d_backward(const tensor<T>& dy, const shape& xs, std::int64_t k, std::int64_t s, const padding2d& p,
                              bool include_pad);
template <class T> pool_out<T> max_pool2d(const tensor<T>& x, std::int64_t k, std::int64_t s, const padding2d& p);
template <class T> tensor<T> global_avg_pool2d(const tensor<T>& x);
template <class T> tensor<T> global_avg_pool2d_backward(const tensor<T>& dy, const shape& xs);
template <class T>
tensor<T> max_pool2d_backward(const tensor<T>& dy, const shape& xs, const tensor<std::int32_t>& argmax);
template <class T> tensor<T> upsample_nearest2d(const tensor<T>& x, std::int64_t h, std::int64_t w);
template <class T> tensor<T> upsample_nearest2d_backward(const tensor<T>& dy, const shape& xs);
template <class T> tensor<T> resize_bilinear2d(const tensor<T>& x, std::int64_t h, std::int64_t w, bool align_corners);
template <class T> tensor<T> resize_bilinear2d_backward(const tensor<T>& dy, const shape& xs, bool align_corners);

// Label maps and segments.
template <class T> tensor<T> segment_mean(const tensor<T>& x, const tensor<T>& ids);
template <class T> tensor<T> segment_mean_backward(const tensor<T>& dy, const tensor<T>& ids);
template <class T> std::int64_t segment_count(const tensor<T>& ids);  ///< segments of the index over all samples
template <class T> tensor<T> one_hot(const tensor<T>& labels, std::int64_t label_nc);
template <class T> tensor<T> boundary_map(const tensor<T>& inst);

// Losses (the gradient comes back to the host).
template <class T> loss_out<T> l1_loss(const tensor<T>& pred, const tensor<T>& target);
template <class T> loss_out<T> mse_loss(const tensor<T>& pred, const tensor<T>& target);
template <class T> loss_out<T> lsgan_loss(const tensor<T>& pred, bool real);
template <class T> loss_out<T> bce_with_logits_loss(const tensor<T>& logits, bool real);
template <class T> loss_out<T> bce_with_logits_loss(const tensor<T>& logits, const tensor<T>& target);
template <class T> loss_out<T> kl_loss(const tensor<T>& z);
template <class T> tensor<T> gram_matrix(const tensor<T>& f, bool chw);
template <class T> tensor<T> gram_matrix_backward(const tensor<T>& f, const tensor<T>& dg, bool chw);
template <class T> loss_out<T> gram_style_loss(const tensor<T>& pred, const tensor<T>& target, bool l1, bool chw);
template <class T> loss_out<T> gram_distance(const tensor<T>& gp, const tensor<T>& gt, bool l1, double weight);
template <class T>
loss_out<T> cross_entropy_loss(const tensor<T>& logits, const tensor<T>& labels, const loss::cross_entropy_options& opt);

// 16-bit storage: float inputs are cast to the format on the device, the op runs on 16-bit tensors
// (parameters of the norm stay float), the result is cast back to float.
tensor<float> round_trip(const tensor<float>& x, half_format f);  ///< float -> 16-bit -> float
tensor<float> activate16(const tensor<float>& x, act_arg a, half_format f);
tensor<float> activation_backward16(const tensor<float>& dy, const tensor<float>& y, act_arg a, half_format f);
tensor<float> add16(const tensor<float>& a, const tensor<float>& b, half_format f);
tensor<float> mul16(const tensor<float>& a, const tensor<float>& b, half_format f);
tensor<float> scale16(const tensor<float>& x, double s, half_format f);
tensor<float> add_into16(const tensor<float>& dst, const tensor<float>& src, half_format f);
tensor<float> add_channel_bias16(const tensor<float>& x, const tensor<float>& bias, half_format f);
tensor<float> reflection_pad2d16(const tensor<float>& x, const padding2d& p, half_format f);
tensor<float> instance_norm16(const tensor<float>& x, const tensor<float>& w, const tensor<float>& b, act_arg a,
                              half_format f);  ///< y
reductions reduce16(const tensor<float>& x, half_format f);

}  // namespace gpu
}  // namespace i2i::parity
