#pragma once
// egscit_train --gpu's body (nvcc TUs only): run.hpp's train over cuda_backend<float>.
#include <iostream>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/dist/device_world.cuh"
#include "i2i/dist/launch.hpp"
#include "run_gpu_decl.hpp"

namespace egscit_train {

template <class Cfg, class Dis>
int train_gpu(const run_args& a, const train_options& o, const image_source& src_a, const image_source& src_b, int device) {
  const auto host = i2i::dist::world();
  device = i2i::dist::rank_device(device, *host);  // one GPU per local rank under mpirun
  i2i::cuda::set_device(device);  // device_error "no CUDA device visible (...)" without one
  std::cout << "Training on CUDA device " << device
            << (host->world_size() > 1 ? " (rank " + std::to_string(host->rank()) + ")" : std::string()) << "\n";
  return train<i2i::cuda_backend<float>, Cfg, Dis>(a, o, src_a, src_b, i2i::dist::device_world(host, device));
}

}  // namespace egscit_train
