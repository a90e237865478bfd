#pragma once
// pix2pixhd_train --gpu: the declarations main.cpp (a host TU, Eigen) sees; the definitions are in
// run_gpu.cuh, explicitly instantiated per (preset, label channels) pair in generated .cu TUs
// (instantiate_gpu.cu.in). Built only when the CUDA backend is (I2I_WITH_CUDA; I2I_EXAMPLES_WITH_GPU).
#include <memory>

#include "i2i/dist/communicator.hpp"
#include "i2i/recipes/pix2pixhd/options.hpp"

namespace p2phd_train {

/// Trains configuration Cfg on CUDA device `device` (cuda_backend<float>: TF32 convolutions, as
/// PyTorch's default cuDNN setting) as one rank of `job` (dist::world()); with more than one rank the
/// gradients travel through NCCL (device + local rank is this rank's GPU). Throws i2i::device_error
/// when the device is not there.
template <class Cfg>
void run_training_gpu(i2i::pix2pixhd::train_options o, int device, std::shared_ptr<i2i::dist::communicator> job);

#define P2PHD_DECLARE_GPU_4(P, L, KW)                                                               \
  KW template void run_training_gpu<i2i::pix2pixhd::config<i2i::pix2pixhd::P, false, L, false>>(  \
      i2i::pix2pixhd::train_options, int, std::shared_ptr<i2i::dist::communicator>);                                                        \
  KW template void run_training_gpu<i2i::pix2pixhd::config<i2i::pix2pixhd::P, false, L, true>>(   \
      i2i::pix2pixhd::train_options, int, std::shared_ptr<i2i::dist::communicator>);                                                        \
  KW template void run_training_gpu<i2i::pix2pixhd::config<i2i::pix2pixhd::P, true, L, false>>(   \
      i2i::pix2pixhd::train_options, int, std::shared_ptr<i2i::dist::communicator>);                                                        \
  KW template void run_training_gpu<i2i::pix2pixhd::config<i2i::pix2pixhd::P, true, L, true>>(    \
      i2i::pix2pixhd::train_options, int, std::shared_ptr<i2i::dist::communicator>);

}  // namespace p2phd_train
