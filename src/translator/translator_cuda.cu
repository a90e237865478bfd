// Both papers' translators on the CUDA backend: the only nvcc translation unit of i2i::translator, so
// an embedder's own code never sees CUDA. Every call runs under a device_guard for the device the
// translator was loaded on (device_error when it is not visible).
#include "egscit_model.hpp"
#include "factories.hpp"
#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/kernels/segment_mean.cuh"  // completes cuda_backend's op set (see backend.cuh)
#include "i2i/backend/cuda/stream.cuh"
#include "translator_configs.hpp"
#define I2I_TRANSLATOR_P2PHD_BACKEND_CONFIGS I2I_TRANSLATOR_P2PHD_CUDA_CONFIGS  // CMake's CUDA subset
#include "pix2pixhd_model.hpp"

namespace i2i::translator_detail {
namespace {

/// Runs a model on its device: the translator may be called from a thread whose current device differs.
class on_device final : public pix2pixhd::translator::model {
 public:
  on_device(std::shared_ptr<const pix2pixhd::translator::model> inner, int device)
      : inner_(std::move(inner)), device_(device) {}
  tensor<float> translate(const tensor<float>& label, const tensor<float>& inst,
                          const tensor<float>& features) const override {
    cuda::device_guard on(device_);
    return inner_->translate(label, inst, features);
  }

 private:
  std::shared_ptr<const pix2pixhd::translator::model> inner_;
  int device_;
};

}  // namespace

std::shared_ptr<const pix2pixhd::translator::model> make_pix2pixhd_cuda(const pix2pixhd::generator_info& info,
                                                                        int device) {
  cuda::device_guard on(device);  // device_error "no CUDA device visible ..." before any weight is read
  auto made = pix2pixhd::translator_detail::make_generator<cuda_backend<float>>(info);
  if (!made) return made;
  return std::make_shared<on_device>(std::move(made), device);
}

egscit::exemplar_translator::function make_egscit_cuda(const std::filesystem::path& dir, egscit::model_info& info,
                                                       int device) {
  cuda::device_guard on(device);
  auto f = egscit::translator_detail::make_translator<cuda_backend<float>>(dir, info);
  return [f = std::move(f), device](const tensor<float>& c, egscit::domain from, const tensor<float>& e,
                                    std::uint64_t seed) {
    cuda::device_guard on(device);
    return f(c, from, e, seed);
  };
}

}  // namespace i2i::translator_detail
