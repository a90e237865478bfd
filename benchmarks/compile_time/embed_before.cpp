// Compile-time probe: the embedder program *without* i2i::translator (issue 13's "before"): the
// configuration's template arguments written out to match the checkpoint, the header-only model, the
// host encoding of the maps. Compare with tests/consumer/embed.cpp (the README's program on the compiled
// translator); docs/embedding.md has both measurements. Built only to be timed (not a target).
#include <cstdio>
#include <exception>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/data/encode.hpp"
#include "i2i/data/map_io.hpp"
#include "i2i/data/map_tensor.hpp"
#include "i2i/io/png.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"

int main(int argc, char** argv) try {
  using B = i2i::cpu_backend<float>;
  // tiny preset, global, label_nc 11 + boundary map: must match the file's metadata, by hand
  i2i::model<i2i::pix2pixhd::global_generator<12, 3, 8, 2, 1>, B> G;
  i2i::load_model(G, argv[1]);
  G.eval();
  const auto label = i2i::data::map_to_tensor(i2i::data::read_map(argv[2]));
  const auto inst = i2i::data::map_to_tensor(i2i::data::read_map(argv[3]));
  const auto x = i2i::data::encode_input(label, inst, 11);
  i2i::io::write_png(argv[4], i2i::io::to_image(G(x)));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s\n", e.what());
  return 1;
}
