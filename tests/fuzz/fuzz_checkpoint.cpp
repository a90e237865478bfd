// Checkpoint loading into a small model's parameters: strict, partial, and through a key map; then
// read_state_dict and the metadata.
//
// The parameters are those of a small pix2pixHD-style generator (conv 3->8 7x7, instance norm, conv
// 8->16 3x3 stride 2, one residual block, transposed conv, conv 8->3), written out as a state_dict
// rather than built from the model headers: clang cannot compile those yet (spec/norm.hpp's double
// template parameters, issue 18 item 2), and libFuzzer needs clang. The loading code is the same.
#include <vector>

#include "fuzz_support.hpp"
#include "i2i/io/checkpoint.hpp"

namespace {

const i2i::state_dict<float>& small_model() {
  static const i2i::state_dict<float> params = [] {
    i2i::state_dict<float> p;
    const auto add = [&](const char* name, i2i::shape s) { p.push_back({name, i2i::tensor<float>::zeros(s)}); };
    add("model.1.weight", {8, 3, 7, 7});
    add("model.1.bias", {8});
    add("model.4.weight", {16, 8, 3, 3});
    add("model.4.bias", {16});
    add("model.7.conv_block.1.weight", {16, 16, 3, 3});
    add("model.7.conv_block.1.bias", {16});
    add("model.8.weight", {16, 8, 3, 3});
    add("model.8.bias", {8});
    add("model.12.weight", {3, 8, 7, 7});
    add("model.12.bias", {3});
    return p;
  }();
  return params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  i2i::fuzz::set_fuzz_limits();
  static i2i::fuzz::memory_file file("fuzz-checkpoint.safetensors");
  const std::string& path = file.hold(data, size);
  const auto& model = small_model();
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::load_state_dict(model, path); });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::load_state_dict(model, path, i2i::io::load_mode::partial); });
  i2i::fuzz::expect_only_i2i_errors([&] {
    (void)i2i::io::load_state_dict(model, path, i2i::io::load_mode::partial, {{"global.model.", "model."}});
  });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_state_dict<float>(path); });
  i2i::fuzz::expect_only_i2i_errors([&] {
    const auto meta = i2i::io::read_checkpoint_metadata(path);
    if (meta.count("iteration")) (void)i2i::io::metadata_number<long long>(meta, "iteration", path);
  });
  return 0;
}
