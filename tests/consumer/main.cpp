// Uses a tensor, a CPU op and the image I/O of an installed i2i; prints "consumer ok" on success.
#include <cstdio>
#include <filesystem>
#include <string>

#include "i2i/backend/cpu/activation.hpp"
#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/image.hpp"

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : ".";
  auto x = i2i::tensor<float>::from(i2i::shape::nchw(1, 1, 2, 2), {-1.0f, -0.5f, 0.25f, 1.0f});
  const auto y = i2i::cpu::relu(x);
  const float sum = i2i::cpu::flat(y).sum();
  if (sum != 1.25f) {
    std::fprintf(stderr, "relu sum %g, expected 1.25\n", double(sum));
    return 1;
  }
  const std::string png = (std::filesystem::path(out) / "consumer.png").string();
  i2i::io::write_png(png, i2i::io::to_image(y));
  const auto back = i2i::io::read_png(png);
  if (back.width != 2 || back.height != 2 || back.pixels[3] != 255) {
    std::fprintf(stderr, "PNG round trip failed\n");
    return 1;
  }
  std::printf("consumer ok\n");
  return 0;
}
