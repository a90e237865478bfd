// i2i::translator's host side: reading checkpoint metadata, choosing the backend's factory for the
// requested device, and the checks a loaded generator applies to its inputs. No Eigen, no CUDA here.
#include <filesystem>
#include <string>
#include <vector>

#include "factories.hpp"
#include "i2i/core/error.hpp"
#include "i2i/data/map_tensor.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/models/pix2pixhd/config.hpp"
#include "i2i/translator/egscit.hpp"
#include "i2i/translator/pix2pixhd.hpp"
#include "translator_configs.hpp"

namespace i2i {
namespace {

namespace fs = std::filesystem;

/// Re-throws an i2i error of the translation with `where` (the checkpoint) in front of its message,
/// keeping its type (value_error for a label out of range, shape_error for sizes, ...).
template <class F>
auto naming(const std::string& where, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const shape_error& e) {
    throw shape_error(where + ": " + e.what());
  } catch (const value_error& e) {
    throw value_error(where + ": " + e.what());
  } catch (const device_error& e) {
    throw device_error(where + ": " + e.what());
  }
}

#ifndef I2I_TRANSLATOR_WITH_CUDA
[[noreturn]] void no_cuda_build(device where) {
  throw device_error(detail::concat("device ", where, ": this i2i::translator library was built without the CUDA ",
                                    "backend (configure i2i with -DI2I_WITH_CUDA=ON on a machine with CUDA and ",
                                    "cuDNN); there is no CPU fallback"));
}
#endif

const std::string& meta_text(const std::map<std::string, std::string>& m, const char* key, const fs::path& file) {
  const auto it = m.find(key);
  require<io_error>(it != m.end(), "pix2pixhd translator: '", file.string(), "' has no metadata '", key,
                    "' (not a generator written by pix2pixhd_train?)");
  return it->second;
}

template <class P>
void fill_from_preset(pix2pixhd::generator_info& info) {
  namespace p = pix2pixhd;
  const bool local = info.netG == "local";
  info.feature_channels = info.instance_feat ? P::feat_num : 0;
  info.n_downsample_global = P::n_downsample_global;
  info.n_local_enhancers = local ? P::n_local_enhancers : 0;
  if (local && info.instance_feat) info.size_multiple = p::config<P, true, 1, true>::size_multiple;
  else if (local) info.size_multiple = p::config<P, true, 1, false>::size_multiple;
  else if (info.instance_feat) info.size_multiple = p::config<P, false, 1, true>::size_multiple;
  else info.size_multiple = p::config<P, false, 1, false>::size_multiple;
}

}  // namespace

namespace pix2pixhd {

generator_info read_generator_info(const fs::path& path) {
  generator_info info;
  info.file = fs::is_directory(path) ? path / "latest_net_G.safetensors" : path;
  require<io_error>(fs::is_regular_file(info.file), "pix2pixhd translator: '", info.file.string(), "' does not exist",
                    fs::is_directory(path) ? " (the folder holds no latest_net_G.safetensors; name the file)" : "");
  const auto meta = io::read_checkpoint_metadata(info.file.string());
  const auto& model = meta_text(meta, "i2i.model", info.file);
  require<io_error>(model == "pix2pixhd", "pix2pixhd translator: '", info.file.string(), "' holds a '", model,
                    "' model, not a pix2pixHD generator");
  info.preset = meta_text(meta, "preset", info.file);
  info.netG = meta_text(meta, "netG", info.file);
  info.label_nc = int(io::metadata_number<std::int64_t>(meta, "label_nc", info.file.string()));
  info.instance_maps = meta_text(meta, "no_instance", info.file) != "1";
  info.instance_feat = meta_text(meta, "instance_feat", info.file) == "1";
  if (const auto it = meta.find("epoch"); it != meta.end()) info.epoch = it->second;
  require<io_error>(info.netG == "global" || info.netG == "local", "pix2pixhd translator: '", info.file.string(),
                    "': netG '", info.netG, "' is not global or local");
  require<io_error>(info.label_nc >= 0, "pix2pixhd translator: '", info.file.string(), "': label_nc ", info.label_nc);
  if (info.preset == "tiny") fill_from_preset<tiny_preset>(info);
  else if (info.preset == "cpu") fill_from_preset<cpu_preset>(info);
  else if (info.preset == "full") fill_from_preset<full_preset>(info);
  else
    throw io_error(i2i::detail::concat("pix2pixhd translator: '", info.file.string(), "': unknown preset '", info.preset,
                                  "' (tiny, cpu, full)"));
  return info;
}

std::string compiled_configurations(bool cuda_devices) {
  std::string s;
#define I2I_TRANSLATOR_DESCRIBE(P, L) s += std::string(s.empty() ? "" : ", ") + P::name + "/" #L;
  if (cuda_devices) {
#ifdef I2I_TRANSLATOR_WITH_CUDA
    I2I_TRANSLATOR_P2PHD_CUDA_CONFIGS(I2I_TRANSLATOR_DESCRIBE)
#endif
  } else {
    I2I_TRANSLATOR_P2PHD_CONFIGS(I2I_TRANSLATOR_DESCRIBE)
  }
#undef I2I_TRANSLATOR_DESCRIBE
  return s;
}

translator load_translator(const fs::path& path, device where) {
  generator_info info = read_generator_info(path);
  std::shared_ptr<const translator::model> m;
  if (where.is_cpu()) {
    m = i2i::translator_detail::make_pix2pixhd_cpu(info);
  } else {
#ifdef I2I_TRANSLATOR_WITH_CUDA
    m = naming("pix2pixhd translator on " + where.str(),
               [&] { return i2i::translator_detail::make_pix2pixhd_cuda(info, where.index); });
#else
    no_cuda_build(where);
#endif
  }
  const int channels = pix2pixhd::label_channels_of(info.label_nc, info.instance_maps);
  require<value_error>(m != nullptr, "pix2pixhd translator: '", info.file.string(), "' is preset ", info.preset,
                       ", netG ", info.netG, " with ", channels, " label channels (label_nc ", info.label_nc,
                       info.instance_maps ? " + 1 boundary map" : ", no instance map",
                       "), which this library was not built for", where.is_cpu() ? "" : " on CUDA devices",
                       "; it has (preset/label channels, each global and local, with and without features): ",
                       compiled_configurations(!where.is_cpu()), ". Add the pair to the CMake cache variable ",
                       where.is_cpu() ? "I2I_TRANSLATOR_PIX2PIXHD_CONFIGS" : "I2I_TRANSLATOR_CUDA_PIX2PIXHD_CONFIGS",
                       " and rebuild");
  return translator(std::move(info), where, std::move(m));
}

tensor<float> translator::translate(const tensor<float>& label, const tensor<float>& inst,
                                    const tensor<float>& features) const {
  const std::string where = "pix2pixhd translator ('" + info_.file.string() + "')";
  require<shape_error>(label.defined() && label.rank() == 4, where, ": label has shape ", label.shape(),
                       ", expected N x 1 x H x W ids");
  const int m = info_.size_multiple;
  require<shape_error>(label.h() % m == 0 && label.w() % m == 0, where, ": the input is ", label.w(), "x", label.h(),
                       " (WxH); this generator (preset ", info_.preset, ", netG ", info_.netG,
                       ") needs both sides to be multiples of ", m, " (resize or pad the maps)");
  require<value_error>(!info_.instance_maps || inst.defined(), where,
                       ": this generator was trained with instance maps; pass the instance map too");
  if (info_.instance_feat) {
    require<value_error>(features.defined(), where, ": this generator was trained with --instance_feat; pass its ",
                         info_.feature_channels, " feature channels (pix2pixhd_encode_features / edit make them)");
    require<shape_error>(features.rank() == 4 && features.n() == label.n() && features.c() == info_.feature_channels &&
                             features.h() == label.h() && features.w() == label.w(),
                         where, ": features have shape ", features.shape(), ", expected ", label.n(), " x ",
                         info_.feature_channels, " x ", label.h(), " x ", label.w());
  }
  return naming(where, [&] { return model_->translate(label, inst, features); });
}

io::image translator::translate(const io::image16& label_map, const io::image16& instance_map,
                                const tensor<float>& features) const {
  require<value_error>(info_.label_nc > 0, "pix2pixhd translator ('", info_.file.string(),
                       "'): this generator takes an RGB image (label_nc 0); use translate(tensor, ...)");
  const bool has_inst = info_.instance_maps && !instance_map.pixels.empty();  // none: the tensor path says so
  require<shape_error>(!has_inst || (instance_map.width == label_map.width && instance_map.height == label_map.height),
                       "pix2pixhd translator ('", info_.file.string(), "'): the label map is ", label_map.width, "x",
                       label_map.height, " but the instance map is ", instance_map.width, "x", instance_map.height,
                       " (WxH)");
  const tensor<float> inst = has_inst ? data::map_to_tensor(instance_map) : tensor<float>{};
  return io::to_image(translate(data::map_to_tensor(label_map), inst, features));
}

}  // namespace pix2pixhd

namespace egscit {

exemplar_translator load_translator(const fs::path& dir, device where) {
  model_info info;
  exemplar_translator::function f;
  if (where.is_cpu()) {
    f = i2i::translator_detail::make_egscit_cpu(dir, info);
  } else {
#ifdef I2I_TRANSLATOR_WITH_CUDA
    f = naming("egscit translator on " + where.str(),
               [&] { return i2i::translator_detail::make_egscit_cuda(dir, info, where.index); });
#else
    no_cuda_build(where);
#endif
  }
  return exemplar_translator(std::move(info), where, std::move(f));
}

tensor<float> exemplar_translator::translate(const tensor<float>& source, const tensor<float>& exemplar,
                                             domain from, std::uint64_t noise_seed) const {
  return naming("egscit translator ('" + info_.dir.string() + "')",
                [&] { return f_(source, from, exemplar, noise_seed); });
}

io::image exemplar_translator::translate(const io::image& source, const io::image& exemplar, domain from,
                                         std::uint64_t noise_seed) const {
  return io::to_image(translate(io::to_tensor(source), io::to_tensor(exemplar), from, noise_seed));
}

}  // namespace egscit
}  // namespace i2i
