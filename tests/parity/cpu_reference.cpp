// The CPU side of the parity tests (Eigen): reference passes, host losses, host Adam / SGD and the whole
// training step on cpu_backend<float>. Linked into the same executable as the .cu tests.
#include <memory>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/losses.hpp"
#include "i2i/io/optimizer_state.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/optim/sgd.hpp"
#include "parity_host.hpp"
#include "small_gan.hpp"

namespace i2i::parity {

shape cpu_conv2d_output_shape(const shape& xs, const shape& ws, std::int64_t stride, const padding2d& pad,
                              std::int64_t groups) {
  return checks::conv2d_output_shape("conv2d", xs, ws, cpu::conv2d_args{stride, stride, pad, groups});
}
shape cpu_conv_transpose2d_output_shape(const shape& xs, const shape& ws, std::int64_t stride, const padding2d& crop) {
  return checks::conv_transpose2d_output_shape("conv_transpose2d", xs, ws,
                                              cpu::conv_transpose2d_args{stride, stride, crop});
}

pass_results cpu_conv2d_passes(const tensor<float>& x, const tensor<float>& w, const tensor<float>& b,
                               const tensor<float>& dy, const tensor<float>& dw0, const tensor<float>& db0,
                               std::int64_t stride, const padding2d& pad, std::int64_t groups) {
  const cpu::conv2d_args a{stride, stride, pad, groups};
  pass_results r;
  r.y = cpu::conv2d(x, w, &b, a);
  r.dx = cpu::conv2d_backward_input(dy, w, x.shape(), a);
  r.dw = dw0.clone();
  r.db = db0.clone();
  cpu::conv2d_backward_params(x, dy, r.dw, &r.db, a);
  return r;
}

pass_results cpu_conv_transpose2d_passes(const tensor<float>& x, const tensor<float>& w, const tensor<float>& b,
                                         const tensor<float>& dy, const tensor<float>& dw0, const tensor<float>& db0,
                                         std::int64_t stride, const padding2d& crop) {
  const cpu::conv_transpose2d_args a{stride, stride, crop};
  pass_results r;
  r.y = cpu::conv_transpose2d(x, w, &b, a);
  r.dx = cpu::conv_transpose2d_backward_input(dy, w, x.shape(), a);
  r.dw = dw0.clone();
  r.db = db0.clone();
  cpu::conv_transpose2d_backward_params(x, dy, r.dw, &r.db, a);
  return r;
}

pass_results cpu_linear_passes(const tensor<float>& x, const tensor<float>& w, const tensor<float>& b,
                               const tensor<float>& dy, const tensor<float>& dw0, const tensor<float>& db0) {
  pass_results r;
  r.y = cpu::linear(x, w, &b);
  r.dw = dw0.clone();
  r.db = db0.clone();
  r.dx = cpu::linear_backward(x, w, dy, r.dw, &r.db);
  return r;
}

host_loss lsgan_host(const tensor<float>& pred, bool real_target) {
  auto l = cpu::lsgan_loss(pred, real_target ? loss::gan_target::real : loss::gan_target::fake);
  return {l.value, l.grad};
}
host_loss l1_host(const tensor<float>& pred, const tensor<float>& target) {
  auto l = cpu::l1_loss(pred, target);
  return {l.value, l.grad};
}

namespace {
/// Host copies of `values` as parameters named p0, p1, ... with copies of `grads`.
std::vector<optim::param_ref<float>> host_params(const std::vector<tensor<float>>& values,
                                                 const std::vector<tensor<float>>& grads) {
  std::vector<optim::param_ref<float>> params;
  for (std::size_t i = 0; i < values.size(); ++i)
    params.push_back({"p" + std::to_string(i), values[i].clone(), grads[i].clone()});
  return params;
}
std::vector<tensor<float>> values_of(const std::vector<optim::param_ref<float>>& params) {
  std::vector<tensor<float>> out;
  for (const auto& p : params) out.push_back(p.value);
  return out;
}
}  // namespace

std::vector<tensor<float>> cpu_adam_steps(const std::vector<tensor<float>>& values,
                                          const std::vector<tensor<float>>& grads, double lr, double weight_decay,
                                          int steps) {
  const auto params = host_params(values, grads);
  optim::adam_options o;
  o.lr = lr;
  o.weight_decay = weight_decay;
  optim::adam<cpu_backend<float>> opt(params, o);
  for (int s = 0; s < steps; ++s) opt.step();
  return values_of(params);
}

std::vector<tensor<float>> cpu_sgd_steps(const std::vector<tensor<float>>& values,
                                         const std::vector<tensor<float>>& grads, const optim::sgd_options& o, int steps) {
  const auto params = host_params(values, grads);
  optim::sgd<cpu_backend<float>> opt(params, o);
  for (int s = 0; s < steps; ++s) opt.step();
  return values_of(params);
}

std::vector<tensor<float>> cpu_adam_resume(const std::vector<tensor<float>>& values,
                                           const std::vector<tensor<float>>& grads, double lr,
                                           const std::string& state_file, int steps) {
  const auto params = host_params(values, grads);
  optim::adam_options o;
  o.lr = lr;
  optim::adam<cpu_backend<float>> opt(params, o);
  io::load_adam_state(opt, state_file);
  for (int s = 0; s < steps; ++s) opt.step();
  return values_of(params);
}

namespace {
struct cpu_hooks {
  template <class M>
  static void zero_grad(M& m) {
    m.zero_grad();
  }
};
}  // namespace

step_result cpu_train_step(std::uint64_t seed) { return train_step<cpu_backend<float>, cpu_hooks>(seed); }

}  // namespace i2i::parity
