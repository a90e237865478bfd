#pragma once
// pix2pixhd::trainer on the GPU: train_ops<cuda_backend<float, P>>, the device pieces of the trainer
// (trainer_core.hpp). Include this header (not trainer.hpp, which brings Eigen) in an nvcc TU:
//
//   #include "i2i/models/pix2pixhd/trainer_cuda.cuh"
//   i2i::pix2pixhd::trainer<Cfg, i2i::cuda_backend<float>> t(options);   // models on the current device
//   t.step(label, inst, image);   // host tensors: uploaded once per step
//
// Inputs are encoded on the device (cuda::one_hot, cuda::boundary_map: exact 0/1 like the CPU), the
// instance-wise feature pooling of --instance_feat is cuda::segment_mean, Adam is optim::adam<B> (its
// update is B::adam_update) and its state file is io/optimizer_state.hpp's on every backend, so a GPU
// checkpoint resumes on the CPU and back. The step's losses come back to the host as one scalar per
// loss call (the device losses' reductions); the fake pool is on the host (one (label | fake) download
// and one upload per step, only when --pool_size > 0). The VGG term (loss::vgg_perceptual over
// model<vgg19, cuda_backend>) runs on the device as well.
#include <string>
#include <vector>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/kernels/label_maps.cuh"
#include "i2i/backend/cuda/kernels/segment_mean.cuh"
#include "i2i/models/pix2pixhd/trainer_core.hpp"

namespace i2i::pix2pixhd {

template <class P>
struct train_ops<cuda_backend<float, P>> {
  using B = cuda_backend<float, P>;
  using record = step_losses;
  using segments = cuda::segment_index;
  // The VGG term is compiled for the GPU. (It used to be left out: cicc stalled on the VGG term's
  // const-qualified local model<vgg19>::context, a 30-element std::tuple; see docs/cuda.md.)
  static constexpr bool has_vgg = true;

  /// data::encode_input on the device: one_hot(label) | boundary_map(inst) (label_nc 0: the RGB input).
  static tensor<float> encode(const tensor<float>& label, const tensor<float>& inst, std::int64_t label_nc,
                              bool no_instance) {
    require<value_error>(label_nc >= 0, "encode_input: label_nc must be >= 0, got ", label_nc);
    require<shape_error>(label.defined() && label.rank() == 4, "encode_input: label has shape ", label.shape(),
                         ", expected N x 1 x H x W (or N x C x H x W with label_nc 0)");
    if (label_nc != 0)
      require<shape_error>(label.c() == 1, "encode_input: label has shape ", label.shape(),
                           ", expected N x 1 x H x W ids for label_nc ", label_nc);
    const tensor<float> lab = label_nc == 0 ? label : cuda::one_hot(label, label_nc);
    if (no_instance) return lab;
    require<shape_error>(inst.defined(), "encode_input: no instance map given; use encode_input(label, label_nc) ",
                         "for no_instance");
    require<shape_error>(inst.rank() == 4 && inst.c() == 1 && label.n() == inst.n() && label.h() == inst.h() &&
                             label.w() == inst.w(),
                         "encode_input: label ", label.shape(), " and instance map ", inst.shape(),
                         " differ in batch or spatial size (the instance map must be N x 1 x H x W like the label)");
    return B::concat_channels({lab, cuda::boundary_map(inst)});
  }

  static segments make_segments(const tensor<float>& ids) {
    return cuda::make_segment_index(ids, "encode_instance_features");
  }
  static tensor<float> segment_mean(const tensor<float>& x, const segments& s) { return cuda::segment_mean(x, s); }
  static tensor<float> segment_mean_backward(const tensor<float>& dy, const segments& s) {
    return cuda::segment_mean_backward(dy, s);
  }
};

}  // namespace i2i::pix2pixhd
