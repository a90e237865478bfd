#pragma once
// egscit_train --gpu: the declarations main.cpp (a host TU, Eigen) sees; the definitions are in
// run_gpu.cuh, explicitly instantiated per configuration in generated .cu TUs (instantiate_gpu.cu.in).
// Built only when the CUDA backend is (I2I_WITH_CUDA; I2I_EXAMPLES_WITH_GPU).
#include "egscit_gpu_configs.hpp"
#include "i2i/recipes/egscit/load.hpp"
#include "run.hpp"

namespace egscit_train {

/// run.hpp's train on cuda_backend<float> (the backend's default precision, TF32 convolutions) on CUDA
/// device `device`. Throws i2i::device_error when that device is not there.
template <class Cfg, class Dis>
int train_gpu(const run_args& a, const train_options& o, const image_source& src_a, const image_source& src_b, int device);

/// Whether this build has a GPU TU for configuration Cfg (I2I_EGSCIT_GPU_CONFIGS).
template <class Cfg>
inline constexpr bool gpu_built = false;
#define EGSCIT_GPU_BUILT(CFG) \
  template <>             \
  inline constexpr bool gpu_built<CFG> = true;
EGSCIT_GPU_CONFIGS(EGSCIT_GPU_BUILT)
#undef EGSCIT_GPU_BUILT

#define EGSCIT_DECLARE_GPU(CFG, DIS, KW)                                                                      \
  KW template int train_gpu<CFG, DIS>(const run_args&, const train_options&, const image_source&, const image_source&, \
                                      int);

}  // namespace egscit_train
