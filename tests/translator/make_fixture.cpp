// translator_fixture DIR: the checkpoint and maps of the `translator_cli` test (run_cli.cmake):
//   DIR/cpu_global/latest_net_G.safetensors   cpu preset, global G, label_nc 11 + instance maps
//   DIR/data/test_{label,inst}/{a,b,c}.png     64 x 32 maps
//   DIR/bad_range/test_{label,inst}/x.png      a label 11 (>= label_nc)
//   DIR/bad_size/test_{label,inst}/y.png       60 x 36 (not a multiple of 8)
#include <cstdio>
#include <exception>
#include <filesystem>

#include "fixture.hpp"

int main(int argc, char** argv) try {
  if (argc != 2) {
    std::fprintf(stderr, "usage: translator_fixture DIR\n");
    return 2;
  }
  namespace p = i2i::pix2pixhd;
  const std::filesystem::path dir = argv[1];
  translator_fixture::write_generator<p::config<p::cpu_preset, false, 12, false>>(dir / "cpu_global", 11, 7);
  for (const char* name : {"a", "b", "c"})
    translator_fixture::write_maps(dir / "data", name, 64, 32, 11, std::uint32_t(name[0]));
  translator_fixture::write_maps(dir / "bad_range", "x", 64, 32, 11, 1, 11);
  translator_fixture::write_maps(dir / "bad_size", "y", 60, 36, 11, 2);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "translator_fixture: %s\n", e.what());
  return 1;
}
