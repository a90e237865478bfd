// The CPU side of the EGSC-IT family's trainer parity test (test_egscit_trainer_parity.cu).
#include "i2i/backend/cpu/backend.hpp"
#include "egscit_trainer_parity.hpp"

namespace i2i::parity::egscit_parity {

run_result cpu_run(trainer_kind k, const std::filesystem::path& dir, int iterations,
                   const std::filesystem::path& stage1_dir, const std::filesystem::path& resume_from) {
  return run<cpu_backend<float>>(k, dir, iterations, stage1_dir, resume_from);
}

}  // namespace i2i::parity::egscit_parity
