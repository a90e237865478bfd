// The CPU side of the segmentation trainer's parity test (test_segmentation_trainer_parity.cu).
#include "i2i/backend/cpu/backend.hpp"
#include "segmentation_parity.hpp"

namespace i2i::parity {

segmentation_run cpu_segmentation_run(int steps) { return run_segmentation_trainer<cpu_backend<float>>(steps); }

}  // namespace i2i::parity
