// golden_check_converted FILE.safetensors: strict-loads FILE (the output of
// examples/pix2pixhd/convert_pth.py on fixtures/local_G.pth) into the golden LocalEnhancer and checks
// its output against the PyTorch reference (fixtures/golden_io.safetensors, "local_G.out") with the
// golden tolerance (1e-4 relative + 1e-5 of the output's range). Exit 0 on a match, 1 otherwise, with
// the reason (the strict loader's message names every missing, unexpected or mis-shaped key).
// Driven by test_convert_pth.py.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/io/safetensors.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/pix2pixhd/local_enhancer.hpp"

int main(int argc, char** argv) {
  using namespace i2i;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CONVERTED.safetensors\n", argv[0]);
    return 2;
  }
  try {
    model<pix2pixhd::local_enhancer<5, 3, 4, 2, 1, 1, 2>, cpu_backend<float>> G;
    load_model(G, argv[1], io::load_mode::strict);
    const io::safetensors_reader io(std::string(I2I_GOLDEN_FIXTURES) + "/golden_io.safetensors");
    const auto ours = G(io.read<float>("input_label"));
    const auto ref = io.read<float>("local_G.out");
    if (ours.shape() != ref.shape()) {
      std::fprintf(stderr, "output shape differs from the reference\n");
      return 1;
    }
    double scale = 0, worst = 0;
    for (std::int64_t i = 0; i < ref.numel(); ++i) scale = std::max(scale, double(std::abs(ref[i])));
    for (std::int64_t i = 0; i < ref.numel(); ++i) {
      const double d = std::abs(double(ours[i]) - double(ref[i]));
      const double r = d / (1e-4 * std::abs(double(ref[i])) + 1e-5 * scale);
      if (!(r <= worst)) worst = std::isnan(r) ? INFINITY : r;
    }
    std::printf("%s: strict load ok, output within %.3g x the tolerance of the reference\n", argv[1], worst);
    return worst <= 1.0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
