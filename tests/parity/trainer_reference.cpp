// The CPU side of the trainer parity tests (test_trainer_parity.cu): pix2pixhd::trainer and pix2pix's step
// on cpu_backend.
#include <cmath>
#include <random>

#include "i2i/backend/cpu/losses.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"
#include "trainer_parity.hpp"

namespace i2i::parity {

trainer_run cpu_trainer_run(const std::string& checkpoints, int steps, int first_batch, bool resume, int save_after,
                            const std::string& vgg_weights) {
  return run_trainer<cpu_backend<float>>(checkpoints, steps, first_batch, resume, save_after, vgg_weights);
}

trainer_run cpu_pix2pix_run(int steps) { return run_pix2pix<cpu_backend<float>>(steps); }

void write_vgg_weights(const std::string& path) {
  model<models::vgg19, cpu_backend<float>> vgg;
  initialize(vgg, init_policy::pix2pixhd(), 5);
  // He-normal conv weights, N(0, sqrt(2 / fan_in)): N(0, 0.02) would shrink the features ~10x per layer
  // and leave the VGG term (and its gradient into G) negligible next to the GAN terms.
  std::mt19937_64 rng(5);
  for (const auto& p : vgg.all_parameters())
    if (p->role == param_role::conv_weight) {
      std::normal_distribution<double> n(0.0, std::sqrt(2.0 / double(p->fan_in)));
      for (std::int64_t i = 0; i < p->value.numel(); ++i) p->value[i] = float(n(rng));
    }
  save_model(vgg, path);
}

host_loss bce_host(const tensor<float>& logits, bool real_target) {
  auto l = cpu::bce_with_logits_loss(logits, real_target ? loss::gan_target::real : loss::gan_target::fake);
  return {l.value, l.grad};
}

}  // namespace i2i::parity
