// safetensors_reader: the header (JSON included), then every tensor as float and as double.
#include "fuzz_support.hpp"
#include "i2i/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  i2i::fuzz::set_fuzz_limits();
  static i2i::fuzz::memory_file file("fuzz.safetensors");
  const std::string& path = file.hold(data, size);
  i2i::fuzz::expect_only_i2i_errors([&] {
    const i2i::io::safetensors_reader r(path);
    for (const auto& e : r.entries()) {
      i2i::fuzz::expect_only_i2i_errors([&] { (void)r.read<float>(e.name); });
      i2i::fuzz::expect_only_i2i_errors([&] { (void)r.read<double>(e.name); });
    }
  });
  return 0;
}
