// Checkpoint loading into a small model: a pix2pixHD global generator (3 -> 3 channels, ngf 2, one
// downsampling, one residual block; 1,039 parameters, so that a complete checkpoint is a 5 KiB input) on
// the CPU backend, built from the model headers. Each input is
// loaded strict, partial, and partial through the local enhancer's key map (global.model. -> model.);
// then read_state_dict and the metadata. The model is built once: a load that throws must leave it
// usable for the next input, which the forward pass after each accepted load checks.
#include <cmath>
#include <cstdlib>

#include "fuzz_support.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"

namespace {

using small_generator = i2i::model<i2i::pix2pixhd::global_generator<3, 3, 2, 1, 1>, i2i::cpu_backend<float>>;

small_generator& small_model() {
  static small_generator G;
  return G;
}

/// After an accepted load the model must still run: a 1x3x4x4 input gives a 1x3x4x4 output (values may be
/// anything a file holds, NaN included: loading does not judge weights).
void check_runs(small_generator& G) {
  static const auto x = i2i::tensor<float>::zeros(i2i::shape::nchw(1, 3, 4, 4));
  const auto y = G.forward(x).output;
  if (y.shape() != i2i::shape::nchw(1, 3, 4, 4)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  i2i::fuzz::set_fuzz_limits();
  static i2i::fuzz::memory_file file("fuzz-checkpoint.safetensors");
  const std::string& path = file.hold(data, size);
  auto& G = small_model();
  bool loaded = false;
  i2i::fuzz::expect_only_i2i_errors([&] {
    (void)i2i::load_model(G, path);
    loaded = true;
  });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::load_model(G, path, i2i::io::load_mode::partial); });
  i2i::fuzz::expect_only_i2i_errors([&] {
    (void)i2i::load_model(G, path, i2i::io::load_mode::partial, {{"global.model.", "model."}});
  });
  if (loaded) check_runs(G);
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_state_dict<float>(path); });
  i2i::fuzz::expect_only_i2i_errors([&] {
    const auto meta = i2i::io::read_checkpoint_metadata(path);
    if (meta.count("iteration")) (void)i2i::io::metadata_number<long long>(meta, "iteration", path);
  });
  return 0;
}
