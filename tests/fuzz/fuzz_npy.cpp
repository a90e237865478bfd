// read_npy as float and as double, and parse_npy on the same bytes in memory.
#include "fuzz_support.hpp"
#include "i2i/io/npy.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  i2i::fuzz::set_fuzz_limits();
  static i2i::fuzz::memory_file file("fuzz.npy");
  const std::string& path = file.hold(data, size);
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_npy<float>(path); });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_npy<double>(path); });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::parse_npy<float>(data, size, "fuzz input"); });
  return 0;
}
