// read_idx (raw or gzip), with and without expected item dimensions, then the tensor/label views.
#include <array>

#include "fuzz_support.hpp"
#include "i2i/io/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  i2i::fuzz::set_fuzz_limits();
  static i2i::fuzz::memory_file file("fuzz-idx-ubyte");
  const std::string& path = file.hold(data, size);
  i2i::fuzz::expect_only_i2i_errors([&] {
    const auto r = i2i::io::read_idx(path);
    if (r.dims.size() == 3) (void)i2i::io::idx_images(r, 0, std::min<std::size_t>(r.count(), 4));
    if (r.dims.size() == 1) (void)i2i::io::idx_labels(r);
  });
  i2i::fuzz::expect_only_i2i_errors([&] {
    constexpr std::array<std::uint32_t, 2> mnist{28, 28};
    (void)i2i::io::read_idx(path, mnist);
  });
  return 0;
}
