#pragma once
// pix2pixhd_segment train --gpu: the declaration main.cpp (a host TU, Eigen) sees; the definition is
// in train_gpu.cu (an nvcc TU), explicitly instantiated there for every compiled class count. Built only
// when the CUDA backend is (I2I_WITH_CUDA; I2I_EXAMPLES_WITH_GPU).
#include "train_body.hpp"

namespace segment_train {

/// Trains the Classes-class U-Net on CUDA device `device` (cuda_backend<float>). Throws
/// i2i::device_error when the device is not there.
template <int Classes>
void train_gpu(const train_args& a, int device);

#define SEGMENT_DECLARE_GPU(C) extern template void train_gpu<C>(const train_args&, int);

}  // namespace segment_train
