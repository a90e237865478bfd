// read_jpeg (as stored, and converted to RGB) on arbitrary bytes.
#include "fuzz_support.hpp"
#include "i2i/io/jpeg.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  i2i::fuzz::set_fuzz_limits();
  static i2i::fuzz::memory_file file("fuzz.jpg");
  const std::string& path = file.hold(data, size);
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_jpeg(path); });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_jpeg(path, 3); });
  return 0;
}
