#pragma once
// What the translator tests translate: a pix2pixHD generator initialised with a seed and saved with the
// metadata pix2pixhd_train writes (so pix2pixhd_test and the translator both accept it), and a small
// dataset in the reference's folder layout (<phase>_label 8-bit ids, <phase>_inst 16-bit ids).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/data/map_io.hpp"
#include "i2i/io/png.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/model/init.hpp"
#include "i2i/models/pix2pixhd/config.hpp"

namespace translator_fixture {

/// The metadata keys pix2pixhd_train stores with G (pix2pixhd::trainer::metadata()).
template <class Cfg>
std::map<std::string, std::string> generator_metadata(int label_nc, bool no_instance, int width) {
  return {{"i2i.model", "pix2pixhd"},
          {"preset", Cfg::preset::name},
          {"netG", Cfg::local ? "local" : "global"},
          {"label_nc", std::to_string(label_nc)},
          {"no_instance", no_instance ? "1" : "0"},
          {"instance_feat", Cfg::feat ? "1" : "0"},
          {"label_channels", std::to_string(Cfg::label_channels)},
          {"epoch", "1"},
          {"epoch_iter", "0"},
          {"total_iterations", "0"},
          {"seed", "0"},
          {"batch_size", "1"},
          {"lr", "0.0002"},
          {"loadSize", std::to_string(width)},
          {"fineSize", std::to_string(width)},
          {"resize_or_crop", "none"}};
}

/// Writes dir/latest_net_G.safetensors: Cfg's generator with pix2pixHD's init drawn from `seed`.
template <class Cfg>
std::filesystem::path write_generator(const std::filesystem::path& dir, int label_nc, std::uint64_t seed,
                                      int width = 64) {
  std::filesystem::create_directories(dir);
  i2i::model<typename Cfg::generator, i2i::cpu_backend<float>> G;
  i2i::initialize(G, i2i::init_policy::pix2pixhd(), seed);
  const auto file = dir / "latest_net_G.safetensors";
  i2i::save_model(G, file.string(), generator_metadata<Cfg>(label_nc, Cfg::label_channels == label_nc, width));
  return file;
}

/// root/<phase>_label/<name>.png (ids in [0, label_nc), or `max_id` when given) and
/// root/<phase>_inst/<name>.png (16-bit instance ids: class * 1000 + k), width x height.
inline void write_maps(const std::filesystem::path& root, const std::string& name, int width, int height, int label_nc,
                       std::uint32_t seed, int max_id = -1, const std::string& phase = "test") {
  namespace fs = std::filesystem;
  fs::create_directories(root / (phase + "_label"));
  fs::create_directories(root / (phase + "_inst"));
  i2i::io::image16 label(width, height, 1), inst(width, height, 1);
  const int blocks = 4;  // blocks of one class, so boundaries and regions both occur
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const int block = (y * blocks / height) * blocks + (x * blocks / width);
      const int c = int((std::uint32_t(block) * 2654435761u + seed) % std::uint32_t(label_nc));
      label.at(y, x, 0) = std::uint16_t(c);
      inst.at(y, x, 0) = std::uint16_t(c * 1000 + (x * 2 / width));
    }
  if (max_id >= 0) label.at(height / 2, width / 3, 0) = std::uint16_t(max_id);
  i2i::data::write_label_map((root / (phase + "_label") / (name + ".png")).string(), label);
  i2i::io::write_png((root / (phase + "_inst") / (name + ".png")).string(), inst);
}

}  // namespace translator_fixture
