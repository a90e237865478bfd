#pragma once
// A trained pix2pixHD generator behind one call, on the CPU or a CUDA device chosen at run time:
//
//   auto t = i2i::pix2pixhd::load_translator("checkpoints/label2city", i2i::device::parse("cuda:0"));
//   i2i::io::image out = t.translate(i2i::data::read_map("label.png"), i2i::data::read_map("inst.png"));
//
// The checkpoint's metadata (written by pix2pixhd_train: preset, netG, label_nc, no_instance,
// instance_feat) picks one of the configurations compiled into the i2i::translator library, so the
// caller writes no template argument and this header pulls in neither Eigen nor CUDA nor the networks.
// Inference keeps no backward state (model::operator()): peak memory is about one layer's input and
// output (docs/embedding.md has the numbers).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "i2i/core/device.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::pix2pixhd {

/// What a generator checkpoint says about its network.
struct generator_info {
  std::filesystem::path file;  ///< the *_net_G.safetensors read
  std::string preset;          ///< tiny, cpu or full
  std::string netG;            ///< global or local
  int label_nc = 0;            ///< label ids 0 .. label_nc - 1 (0: the input is an RGB image)
  bool instance_maps = true;   ///< the generator sees the instance boundary map (not --no_instance)
  bool instance_feat = false;  ///< the generator also takes feature channels (--instance_feat)
  int feature_channels = 0;    ///< those channels (the preset's feat_num) when instance_feat
  int size_multiple = 1;       ///< image sides must be multiples of this
  int n_downsample_global = 0; ///< the global G's downsamplings (the preset's) and
  int n_local_enhancers = 0;   ///< the local enhancers (0 for netG global): what the data loader's
                               ///< resize mode `none` rounds sizes to (data::transform_options)
  std::string epoch;           ///< the metadata's epoch, when it has one
};

/// The loaded generator. Copies share one network; translate may run on one thread at a time.
class translator {
 public:
  /// What a compiled configuration implements (src/translator/pix2pixhd_model.hpp).
  class model {
   public:
    virtual ~model() = default;
    /// label N x 1 x H x W ids (N x 3 x H x W in [-1, 1] for label_nc 0), inst N x 1 x H x W ids or
    /// undefined, features N x feature_channels x H x W or undefined; returns N x 3 x H x W in [-1, 1].
    virtual tensor<float> translate(const tensor<float>& label, const tensor<float>& inst,
                                    const tensor<float>& features) const = 0;
  };

  translator(generator_info info, i2i::device where, std::shared_ptr<const model> m)
      : info_(std::move(info)), where_(where), model_(std::move(m)) {}

  const generator_info& info() const { return info_; }
  i2i::device where() const { return where_; }

  /// One label map (ids), its instance map (ids; ignored by a --no_instance generator, required
  /// otherwise) and, for --instance_feat generators, the 1 x feature_channels x H x W features:
  /// the synthesized RGB image. Errors name the checkpoint: label out of range, sizes that differ or
  /// are not multiples of size_multiple, a missing instance map or features.
  io::image translate(const io::image16& label_map, const io::image16& instance_map = {},
                      const tensor<float>& features = {}) const;
  /// The same on tensors (host memory), for batches and label_nc 0.
  tensor<float> translate(const tensor<float>& label, const tensor<float>& inst,
                          const tensor<float>& features = {}) const;

 private:
  generator_info info_;
  i2i::device where_;
  std::shared_ptr<const model> model_;
};

/// Reads the metadata of `path` (a *_net_G.safetensors file, or a folder holding
/// latest_net_G.safetensors) and loads the generator on `where`. io_error naming the file for a
/// missing file or metadata; value_error when no compiled configuration matches (the message lists
/// them); device_error for CUDA in a build without it or on a machine without that device.
translator load_translator(const std::filesystem::path& path, i2i::device where);

/// Only the metadata (no weights read, nothing instantiated).
generator_info read_generator_info(const std::filesystem::path& path);

/// The configurations this build of the library can load, e.g. "tiny/12, cpu/13, full/36"
/// (preset / label channels; each global and local, with and without features): on the CPU, or with
/// cuda_devices on CUDA devices (CMake's I2I_TRANSLATOR_CUDA_PIX2PIXHD_CONFIGS, a subset; empty in a
/// build without CUDA).
std::string compiled_configurations(bool cuda_devices = false);

}  // namespace i2i::pix2pixhd
