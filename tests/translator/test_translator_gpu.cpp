// The translator's CUDA path (compiled into i2i::translator's nvcc TU): CPU and GPU translations of the
// same checkpoint agree. A plain host program; prints "skipped" and returns 77 without a device.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "fixture.hpp"
#include "i2i/translator.hpp"

int main() try {
  namespace fs = std::filesystem;
  namespace p = i2i::pix2pixhd;
  const fs::path dir = fs::temp_directory_path() / ("i2i_translator_gpu_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  int rc = 0;
  for (bool local : {false, true}) {
    const auto file =
        local ? translator_fixture::write_generator<p::config<p::tiny_preset, true, 12, false>>(dir / "local", 11, 4)
              : translator_fixture::write_generator<p::config<p::tiny_preset, false, 12, false>>(dir / "global", 11, 4);
    translator_fixture::write_maps(dir / "data", "m", 64, 32, 11, 9);
    const auto label = i2i::data::map_to_tensor(i2i::data::read_map((dir / "data/test_label/m.png").string()));
    const auto inst = i2i::data::map_to_tensor(i2i::data::read_map((dir / "data/test_inst/m.png").string()));
    const auto cpu = p::load_translator(file, i2i::device::cpu()).translate(label, inst);
    p::translator gpu_t = [&] {
      try {
        return p::load_translator(file, i2i::device::cuda(0));
      } catch (const i2i::device_error& e) {
        std::printf("skipped: %s\n", e.what());
        fs::remove_all(dir);
        std::exit(77);
      }
    }();
    const auto gpu = gpu_t.translate(label, inst);
    double worst = 0;
    for (std::int64_t i = 0; i < cpu.numel(); ++i) worst = std::max(worst, double(std::fabs(cpu[i] - gpu[i])));
    // TF32 convolutions on the GPU (the backend's default) against float32 on the CPU.
    const bool ok = cpu.shape() == gpu.shape() && worst < 2e-2;
    std::printf("%s: max |cpu - gpu| = %g %s\n", local ? "local" : "global", worst, ok ? "ok" : "FAILED");
    if (!ok) rc = 1;
  }
  fs::remove_all(dir);
  return rc;
} catch (const std::exception& e) {
  std::fprintf(stderr, "translator_gpu: %s\n", e.what());
  return 1;
}
