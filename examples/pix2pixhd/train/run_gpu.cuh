#pragma once
// pix2pixhd_train --gpu's body (nvcc TUs only): the CPU program's loop (run_body.hpp) over
// trainer<Cfg, cuda_backend<float>>. Batches are loaded and decoded on the host, uploaded once per step.
#include <iostream>

#include "i2i/backend/cuda/stream.cuh"
#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/kernels/segment_mean.cuh"  // B::segment_mean for --instance_feat (see backend.cuh)
#include "i2i/models/pix2pixhd/trainer.hpp"
#include "run_body.hpp"
#include "run_gpu_decl.hpp"

namespace p2phd_train {

template <class Cfg>
void run_training_gpu(i2i::pix2pixhd::train_options o, int device) {
  i2i::cuda::set_device(device);  // device_error "no CUDA device visible (...)" without one
  i2i::cuda::set_cudnn_benchmark(true);  // pix2pixHD sets torch.backends.cudnn.benchmark
  std::cout << "Training on CUDA device " << device << "\n";
  i2i::pix2pixhd::trainer<Cfg, i2i::cuda_backend<float>> t(o);
  run_loop(t);
}

}  // namespace p2phd_train
