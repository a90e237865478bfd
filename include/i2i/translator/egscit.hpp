#pragma once
// A trained EGSC-IT-family model (EGSC-IT, UNIT, CycleGAN, MUNIT; egscit_train's checkpoint folder)
// behind one call, on the CPU or a CUDA device chosen at run time:
//
//   auto t = i2i::egscit::load_translator("runs/egscit", i2i::device::cpu());
//   i2i::io::image y = t.translate(source, exemplar);   // source (domain A) in the exemplar's style
//
// Wraps the header-only loader of i2i/recipes/egscit/load.hpp (whose API stays as it is) in the
// compiled i2i::translator library, so this header pulls in neither Eigen nor CUDA nor the networks.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "i2i/core/device.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/pixels.hpp"
#include "i2i/models/egscit/domain.hpp"

namespace i2i::egscit {

/// What the checkpoint folder says about its model.
struct model_info {
  std::filesystem::path dir, file;  ///< the folder, and the file the metadata came from
  std::string kind;                 ///< egscit, unit, cyclegan or munit
  std::string config;               ///< mnist, street, small or medium
  std::int64_t iteration = 0;
  int channels = 3;                 ///< image channels the networks take
};

class exemplar_translator {
 public:
  /// content and exemplar N x C x H x W in [-1, 1] (host memory) -> N x C x H x W in [-1, 1].
  using function = std::function<tensor<float>(const tensor<float>& content, domain from,
                                               const tensor<float>& exemplar, std::uint64_t noise_seed)>;

  exemplar_translator(model_info info, i2i::device where, function f)
      : info_(std::move(info)), where_(where), f_(std::move(f)) {}

  const model_info& info() const { return info_; }
  i2i::device where() const { return where_; }

  /// `source` (of domain `from`) translated to the other domain in `exemplar`'s style (UNIT and
  /// CycleGAN ignore the exemplar); noise_seed picks the test-time latent noise where the model has it.
  io::image translate(const io::image& source, const io::image& exemplar, domain from = domain::A,
                      std::uint64_t noise_seed = 0) const;
  tensor<float> translate(const tensor<float>& source, const tensor<float>& exemplar, domain from = domain::A,
                          std::uint64_t noise_seed = 0) const;

 private:
  model_info info_;
  i2i::device where_;
  function f_;
};

/// Loads the model of checkpoint folder `dir` (its metadata names kind, configuration and switches)
/// on `where`. Errors as egscit::read_checkpoint_info's, and device_error for CUDA in a build without
/// it or on a machine without that device.
exemplar_translator load_translator(const std::filesystem::path& dir, i2i::device where);

}  // namespace i2i::egscit
