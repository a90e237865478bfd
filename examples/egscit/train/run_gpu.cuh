#pragma once
// egscit_train --gpu's body (nvcc TUs only): run.hpp's train over cuda_backend<float>.
#include <iostream>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "run_gpu_decl.hpp"

namespace egscit_train {

template <class Cfg, class Dis>
int train_gpu(const args& a, const train_options& o, const image_source& src_a, const image_source& src_b, int device) {
  i2i::cuda::set_device(device);  // device_error "no CUDA device visible (...)" without one
  std::cout << "Training on CUDA device " << device << "\n";
  return train<i2i::cuda_backend<float>, Cfg, Dis>(a, o, src_a, src_b);
}

}  // namespace egscit_train
