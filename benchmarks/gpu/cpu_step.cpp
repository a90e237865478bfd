// The CPU backend's time for one pix2pixHD training step (pix2pixhd_step.hpp) on cpu_backend<float>.
// A separate C++ TU: Eigen must not reach the nvcc-compiled gpu_bench.cu.
#include <chrono>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/optim/adam.hpp"
#include "pix2pixhd_step.hpp"

namespace i2i::bench {

namespace {
struct cpu_hooks {
  static tensor<float> weighted(loss::loss_value<float> l, double w) {
    if (w != 1.0)
      for (std::int64_t i = 0; i < l.grad.numel(); ++i) l.grad[i] = float(l.grad[i] * w);
    return l.grad;
  }
  tensor<float> lsgan(const tensor<float>& p, bool real, double w, const char*) {
    return weighted(cpu_backend<float>::lsgan_loss(p, real ? loss::gan_target::real : loss::gan_target::fake), w);
  }
  tensor<float> l1(const tensor<float>& a, const tensor<float>& b, double w, const char*) {
    return weighted(cpu_backend<float>::l1_loss(a, b), w);
  }
  template <class M>
  static void zero_grad(M& m) {
    m.zero_grad();
  }
};
}  // namespace

/// Milliseconds of one step at h x w (after building and initialising the models, which is not timed).
double cpu_step_ms(std::int64_t h, std::int64_t w) {
  p2p_trainer<cpu_backend<float>, cpu_hooks> t(1);
  auto x = tensor<float>::filled(shape::nchw(1, 36, h, w), 0.0f);
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = float((i * 7919) % 1000) / 1000.0f;
  auto real = tensor<float>::filled(shape::nchw(1, 3, h, w), 0.25f);
  const auto t0 = std::chrono::steady_clock::now();
  t.step(x, real);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace i2i::bench
