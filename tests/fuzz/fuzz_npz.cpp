// npz_reader: the directory, then every member as float; read_npz as double.
#include "fuzz_support.hpp"
#include "i2i/io/npz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  i2i::fuzz::set_fuzz_limits();
  static i2i::fuzz::memory_file file("fuzz.npz");
  const std::string& path = file.hold(data, size);
  i2i::fuzz::expect_only_i2i_errors([&] {
    const i2i::io::npz_reader z(path);
    for (const auto& n : z.names()) i2i::fuzz::expect_only_i2i_errors([&] { (void)z.read<float>(n); });
  });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_npz<double>(path); });
  return 0;
}
