// read_png (as stored, and converted to grey) and read_png16 on arbitrary bytes.
#include "fuzz_support.hpp"
#include "i2i/io/png.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  i2i::fuzz::set_fuzz_limits();
  static i2i::fuzz::memory_file file("fuzz.png");
  const std::string& path = file.hold(data, size);
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_png(path); });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_png(path, 1); });
  i2i::fuzz::expect_only_i2i_errors([&] { (void)i2i::io::read_png16(path); });
  return 0;
}
