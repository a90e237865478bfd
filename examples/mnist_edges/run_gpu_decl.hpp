#pragma once
// mnist_edges --gpu: the declaration main.cpp (a host TU) sees; the definition is in run_gpu.cu (an nvcc
// TU, built only with the CUDA backend: I2I_EXAMPLES_WITH_GPU).
#include "run.hpp"

namespace mnist_edges {

/// run<cuda_backend<float>> on CUDA device `device`; throws i2i::device_error when it is not there.
int run_gpu(const run_options& r, int device);

}  // namespace mnist_edges
