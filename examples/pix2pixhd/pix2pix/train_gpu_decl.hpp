#pragma once
// pix2pix_train --gpu: the declarations main.cpp (a host TU, Eigen) sees; the definitions are in
// train_gpu.cuh, explicitly instantiated per (label_nc, num_downs) pair in generated .cu TUs
// (instantiate_gpu.cu.in). Built only when the CUDA backend is (I2I_WITH_CUDA; I2I_EXAMPLES_WITH_GPU).
#include "i2i/models/pix2pix/networks.hpp"
#include "train_body.hpp"

namespace p2p_train {

/// Trains configuration Cfg on CUDA device `device` (cuda_backend<float>). Throws i2i::device_error
/// when the device is not there.
template <class Cfg>
void train_gpu(const options& o, int device);

#define P2P_DECLARE_GPU(L, D, KW) \
  KW template void p2p_train::train_gpu<i2i::pix2pix::config<L, D>>(const p2p_train::options&, int);

}  // namespace p2p_train
