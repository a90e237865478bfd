#pragma once
// The compiled side of i2i::pix2pixhd::translator: one generator configuration on one backend B, and the
// dispatch from a checkpoint's metadata to the configurations this library was built with. Included by
// pix2pixhd_cpu.cpp (B = cpu_backend<float>) and pix2pixhd_cuda.cu (B = cuda_backend<float>), so it
// must stay free of backend headers; the list of configurations comes from CMake
// (I2I_TRANSLATOR_PIX2PIXHD_CONFIGS -> translator_configs.hpp).
#include <memory>
#include <string>
#include <vector>

#include "i2i/core/host_allocator.hpp"
#include "i2i/data/encode_on_backend.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/model/model.hpp"
#include "i2i/models/pix2pixhd/config.hpp"
#include "i2i/translator/pix2pixhd.hpp"
#include "translator_configs.hpp"  // I2I_TRANSLATOR_P2PHD_CONFIGS(X): X(preset, label channels) per pair

// The pairs make_generator compiles: the including TU may name its own list (translator_cuda.cu: the CUDA
// subset, I2I_TRANSLATOR_P2PHD_CUDA_CONFIGS); by default all of them.
#ifndef I2I_TRANSLATOR_P2PHD_BACKEND_CONFIGS
#define I2I_TRANSLATOR_P2PHD_BACKEND_CONFIGS I2I_TRANSLATOR_P2PHD_CONFIGS
#endif

namespace i2i::pix2pixhd::translator_detail {

/// Generator of configuration Cfg on backend B, loaded strictly from info.file, in eval mode.
template <class Cfg, class B>
class generator_model final : public translator::model {
 public:
  explicit generator_model(const generator_info& info) : info_(info) {
    load_model(G_, info.file.string());  // strict: every key of this configuration, equal shapes
    G_.eval();
    G_.drop_gradients();  // inference only: no gradient buffers (as much memory as the weights)
    host_allocator::instance().release_cached();  // the freed buffers and the file's staging copies
  }

  tensor<float> translate(const tensor<float>& label, const tensor<float>& inst,
                          const tensor<float>& features) const override {
    const bool no_instance = !info_.instance_maps;
    auto x = data::encode_input_on<B>(B::to_backend(label), no_instance ? tensor<float>{} : B::to_backend(inst),
                                      info_.label_nc, no_instance);
    if constexpr (Cfg::feat) x = B::concat_channels(std::vector<tensor<float>>{x, B::to_backend(features)});
    return B::to_host(G_(x));  // G_(x): inference, no backward state kept
  }

 private:
  generator_info info_;
  i2i::model<typename Cfg::generator, B> G_;  // qualified: `model` alone is the base class here
};

/// The generator of `info` on B, when its configuration is compiled in; null otherwise.
template <class B>
std::shared_ptr<const translator::model> make_generator(const generator_info& info) {
  const config_key key{info.preset, info.netG == "local", label_channels_of(info.label_nc, info.instance_maps),
                       info.instance_feat};
  std::shared_ptr<const translator::model> made;
  auto make = [&]<class Cfg>() { made = std::make_shared<generator_model<Cfg, B>>(info); };
#define I2I_TRANSLATOR_TRY(P, L) \
  if (!made) try_dispatch<P>(key, label_channel_list<L>{}, make);
  I2I_TRANSLATOR_P2PHD_BACKEND_CONFIGS(I2I_TRANSLATOR_TRY)
#undef I2I_TRANSLATOR_TRY
  return made;
}

}  // namespace i2i::pix2pixhd::translator_detail
