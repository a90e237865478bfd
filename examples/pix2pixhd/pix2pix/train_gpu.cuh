#pragma once
// pix2pix_train --gpu's body (nvcc TUs only): the CPU program's loop (train_body.hpp) over
// cuda_backend<float>. Batches are loaded and decoded on the host, uploaded once per step.
#include <iostream>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/dist/device_world.cuh"
#include "i2i/dist/launch.hpp"
#include "train_body.hpp"
#include "train_gpu_decl.hpp"

namespace p2p_train {

template <class Cfg>
void train_gpu(const options& o, int device) {
  const auto host = i2i::dist::world();
  device = i2i::dist::rank_device(device, *host);  // one GPU per local rank under mpirun
  i2i::cuda::set_device(device);  // device_error "no CUDA device visible (...)" without one
  i2i::cuda::set_cudnn_benchmark(true);
  std::cout << "Training on CUDA device " << device
            << (host->world_size() > 1 ? " (rank " + std::to_string(host->rank()) + ")" : std::string()) << "\n";
  train<Cfg, i2i::cuda_backend<float>>(o, i2i::dist::device_world(host, device));
}

}  // namespace p2p_train
