// The CPU backend's time for one pix2pixHD training step (pix2pixhd_step.hpp: train::gan_step) on
// cpu_backend<float>.
// A separate C++ TU: Eigen must not reach the nvcc-compiled gpu_bench.cu.
#include <chrono>

#include "i2i/backend/cpu/backend.hpp"
#include "pix2pixhd_step.hpp"

namespace i2i::bench {

/// Milliseconds of one step at h x w (after building and initialising the models, which is not timed).
double cpu_step_ms(std::int64_t h, std::int64_t w) {
  p2p_trainer<cpu_backend<float>> t(1);
  auto x = tensor<float>::filled(shape::nchw(1, 36, h, w), 0.0f);
  for (std::int64_t i = 0; i < x.numel(); ++i) x[i] = float((i * 7919) % 1000) / 1000.0f;
  auto real = tensor<float>::filled(shape::nchw(1, 3, h, w), 0.25f);
  const auto t0 = std::chrono::steady_clock::now();
  t.step(x, real);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace i2i::bench
