// mnist_edges --gpu: the program (run.hpp) on cuda_backend<float>.
#include <string>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "run_gpu_decl.hpp"

namespace mnist_edges {

int run_gpu(const run_options& r, int device) {
  i2i::cuda::set_device(device);  // device_error "no CUDA device visible (...)" without one
  return run<i2i::cuda_backend<float>>(r, "CUDA device " + std::to_string(device));
}

}  // namespace mnist_edges
