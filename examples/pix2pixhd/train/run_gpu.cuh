#pragma once
// pix2pixhd_train --gpu's body (nvcc TUs only): the CPU program's loop (run_body.hpp) over
// trainer<Cfg, cuda_backend<float>>. Batches are loaded and decoded on the host, uploaded once per step.
#include <iostream>
#include <optional>

#include "i2i/backend/cuda/stream.cuh"
#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/graphed_step.cuh"
#include "i2i/backend/cuda/kernels/segment_mean.cuh"  // B::segment_mean for --instance_feat (see backend.cuh)
#include "i2i/dist/device_world.cuh"
#include "i2i/recipes/pix2pixhd/trainer.hpp"
#include "run_body.hpp"
#include "run_gpu_decl.hpp"

namespace p2phd_train {

template <class Cfg>
void run_training_gpu(i2i::pix2pixhd::train_options o, int device, std::shared_ptr<i2i::dist::communicator> job) {
  device = i2i::dist::rank_device(device, *job);  // one GPU per local rank
  i2i::cuda::set_device(device);  // device_error "no CUDA device visible (...)" without one
  i2i::cuda::set_cudnn_benchmark(true);  // pix2pixHD sets torch.backends.cudnn.benchmark
  std::cout << "Training on CUDA device " << device
            << (job->world_size() > 1 ? " (rank " + std::to_string(job->rank()) + ")" : std::string()) << std::endl;
  auto device_job = i2i::dist::device_world(job, device);  // alone: no NCCL, the single-GPU path
  using trainer = i2i::pix2pixhd::trainer<Cfg, i2i::cuda_backend<float>>;
  trainer t(o);
  // --cuda_graphs: the trainer's steps go through a graph of its gan_step (captured after one eager step,
  // then replayed; eager with the reason printed once when the step cannot be captured).
  std::optional<i2i::cuda::graphed_step<typename trainer::step_type>> graphed;
  if (o.cuda_graphs && o.instance_feat) {
    std::cerr << "i2i: the training step runs without a CUDA graph: --instance_feat trains E through the "
                 "instance pooling, whose backward reads segment counts on the host" << std::endl;
  } else if (o.cuda_graphs) {
    graphed.emplace(t.gan_step());
    t.set_step_runner([&](typename trainer::step_type&, const i2i::tensor<float>& in, const i2i::tensor<float>& real,
                          const i2i::tensor<float>& cond) { return graphed->step(in, real, cond); });
  }
  run_loop(t, std::move(device_job));
}

}  // namespace p2phd_train
