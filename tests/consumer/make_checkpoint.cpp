// Makes what the embedder program translates, with the installed header-only library: a tiny pix2pixHD
// global generator (label_nc 11 + instance maps) initialised from a seed and saved with the metadata
// pix2pixhd_train writes, and a 64 x 32 label map and instance map.
//
//   make_checkpoint DIR   ->  DIR/G/latest_net_G.safetensors, DIR/label.png, DIR/inst.png
#include <cstdio>
#include <filesystem>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/data/map_io.hpp"
#include "i2i/io/png.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/model/init.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"

int main(int argc, char** argv) try {
  namespace fs = std::filesystem;
  if (argc != 2) return 2;
  const fs::path dir = argv[1];
  fs::create_directories(dir / "G");
  // The tiny preset's global generator with 11 labels + 1 boundary channel (models/pix2pixhd/config.hpp).
  i2i::model<i2i::pix2pixhd::global_generator<12, 3, 8, 2, 1>, i2i::cpu_backend<float>> G;
  i2i::initialize(G, i2i::init_policy::pix2pixhd(), 1);
  i2i::save_model(G, (dir / "G" / "latest_net_G.safetensors").string(),
                  {{"i2i.model", "pix2pixhd"}, {"preset", "tiny"}, {"netG", "global"}, {"label_nc", "11"},
                   {"no_instance", "0"}, {"instance_feat", "0"}, {"epoch", "1"}});
  i2i::io::image16 label(64, 32, 1), inst(64, 32, 1);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 64; ++x) {
      label.at(y, x) = std::uint16_t((x / 16 + 4 * (y / 16)) % 11);
      inst.at(y, x) = std::uint16_t(label.at(y, x) * 1000 + x / 32);
    }
  i2i::data::write_label_map((dir / "label.png").string(), label);
  i2i::io::write_png((dir / "inst.png").string(), inst);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "make_checkpoint: %s\n", e.what());
  return 1;
}
