#pragma once
// What the CPU side (.cpp, Eigen) and the GPU side (.cu, nvcc) of the parity tests exchange: plain
// declarations over host tensors, and host-only helpers. Nothing here may include Eigen or CUDA headers.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/padding.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/optim/sgd.hpp"  // sgd_options (Eigen-free)

namespace i2i::parity {

/// Uniform [lo, hi) host tensor from a fixed seed (both sides draw the same values).
inline tensor<float> random_host(const shape& s, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  auto t = tensor<float>::empty(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = float(d(rng));
  return t;
}

/// ||a - b|| / max(||b||, floor): the relative L2 error of a against the reference b.
inline double rel_l2(const tensor<float>& a, const tensor<float>& b, double floor = 1e-30) {
  double num = 0, den = 0;
  for (std::int64_t i = 0; i < b.numel(); ++i) {
    const double d = double(a[i]) - double(b[i]);
    num += d * d;
    den += double(b[i]) * double(b[i]);
  }
  return std::sqrt(num) / std::max(std::sqrt(den), floor);
}
inline double l2(const tensor<float>& a) {
  double s = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) s += double(a[i]) * double(a[i]);
  return std::sqrt(s);
}
inline bool all_finite(const tensor<float>& a) {
  for (std::int64_t i = 0; i < a.numel(); ++i)
    if (!std::isfinite(a[i])) return false;
  return true;
}

/// Results of one op's three passes on the CPU. dw/db start from the given values (accumulation).
struct pass_results {
  tensor<float> y, dx, dw, db;
};

pass_results cpu_conv2d_passes(const tensor<float>& x, const tensor<float>& w, const tensor<float>& b,
                               const tensor<float>& dy, const tensor<float>& dw0, const tensor<float>& db0,
                               std::int64_t stride, const padding2d& pad, std::int64_t groups = 1);
pass_results cpu_conv_transpose2d_passes(const tensor<float>& x, const tensor<float>& w, const tensor<float>& b,
                                         const tensor<float>& dy, const tensor<float>& dw0, const tensor<float>& db0,
                                         std::int64_t stride, const padding2d& crop);
pass_results cpu_linear_passes(const tensor<float>& x, const tensor<float>& w, const tensor<float>& b,
                               const tensor<float>& dy, const tensor<float>& dw0, const tensor<float>& db0);

/// Output shapes the CPU computes (so the GPU side draws dy of the right shape).
shape cpu_conv2d_output_shape(const shape& xs, const shape& ws, std::int64_t stride, const padding2d& pad,
                              std::int64_t groups = 1);
shape cpu_conv_transpose2d_output_shape(const shape& xs, const shape& ws, std::int64_t stride, const padding2d& crop);

/// Host losses (loss/*.hpp, Eigen) for the whole-step test: value and d value / d pred.
struct host_loss {
  double value = 0;
  tensor<float> grad;
};
host_loss lsgan_host(const tensor<float>& pred, bool real_target);
host_loss l1_host(const tensor<float>& pred, const tensor<float>& target);

/// optim::adam on cpu_backend: `steps` updates of `values` with the fixed `grads` (copies returned).
std::vector<tensor<float>> cpu_adam_steps(const std::vector<tensor<float>>& values,
                                          const std::vector<tensor<float>>& grads, double lr, double weight_decay,
                                          int steps);

/// optim::sgd on cpu_backend: `steps` updates of `values` with the fixed `grads` (copies returned).
std::vector<tensor<float>> cpu_sgd_steps(const std::vector<tensor<float>>& values,
                                         const std::vector<tensor<float>>& grads, const optim::sgd_options& o, int steps);

/// optim::adam on cpu_backend over parameters p0, p1, ... = `values`, its state loaded from `state_file`
/// (written by another backend), then `steps` updates with `grads`.
std::vector<tensor<float>> cpu_adam_resume(const std::vector<tensor<float>>& values,
                                           const std::vector<tensor<float>>& grads, double lr,
                                           const std::string& state_file, int steps);

/// One pix2pixHD-style training step of a small G/D pair (small_gan.hpp), host copies of everything.
struct named_host {
  std::string name;
  tensor<float> t;
};
struct step_result {
  double loss_d = 0, loss_g = 0;
  tensor<float> fake;
  std::vector<named_host> grad_g, grad_d;        // gradients before the optimizer step
  std::vector<named_host> weight_g, weight_d;    // parameters after the step
  std::vector<named_host> initial_g, initial_d;  // parameters before the step
};
step_result cpu_train_step(std::uint64_t seed);

}  // namespace i2i::parity
