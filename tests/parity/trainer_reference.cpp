// The CPU side of the trainer parity test (test_trainer_parity.cu): pix2pixhd::trainer on cpu_backend.
#include "i2i/loss/bce.hpp"
#include "i2i/models/pix2pixhd/trainer.hpp"
#include "trainer_parity.hpp"

namespace i2i::parity {

trainer_run cpu_trainer_run(const std::string& checkpoints, int steps, int first_batch, bool resume, int save_after) {
  return run_trainer<cpu_backend<float>>(checkpoints, steps, first_batch, resume, save_after);
}

host_loss bce_host(const tensor<float>& logits, bool real_target) {
  auto l = loss::bce_with_logits_loss(logits, real_target ? loss::gan_target::real : loss::gan_target::fake);
  return {l.value, l.grad};
}

}  // namespace i2i::parity
