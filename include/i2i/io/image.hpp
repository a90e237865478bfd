#pragma once
// Image files: PNG (8-bit grey/RGB read and write, 16-bit grey for instance maps) and JPEG (read, and
// write for previews), conversions between images and NCHW float tensors in [-1, 1], and grids of
// images in one PNG. Link i2i::io (libpng, libjpeg, zlib).
//
//   auto img = i2i::io::read_image("photo.jpg", 3);        // PNG or JPEG, by the file's signature
//   auto x   = i2i::io::to_tensor(img);                    // 1 x 3 x H x W, x / 127.5 - 1
//   i2i::io::write_grid("samples.png", fake_batch, 4);     // N x C x H x W in [-1, 1], 4 per row
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "i2i/io/jpeg.hpp"
#include "i2i/io/pixels.hpp"
#include "i2i/io/png.hpp"

namespace i2i::io {

/// Reads a PNG or a JPEG, chosen by the file's first bytes (not its name). channels as in read_png.
inline image read_image(const std::string& path, int channels = 0) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  require<io_error>(f != nullptr, "read_image: cannot open '", path, "': ", std::strerror(errno));
  unsigned char head[8] = {};
  const std::size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  if (n == 8 && png_sig_cmp(head, 0, 8) == 0) return read_png(path, channels);
  if (n >= 2 && head[0] == 0xFF && head[1] == 0xD8) return read_jpeg(path, channels);
  throw io_error(i2i::detail::concat("read_image: '", path, "' is neither a PNG nor a JPEG file",
                                     n < 8 ? " (it is shorter than 8 bytes)" : ""));
}

/// Writes the images tiled as by make_grid into one PNG.
inline void write_grid(const std::string& path, std::span<const image> images, int cols = 0, int pad = 2) {
  write_png(path, make_grid(images, cols, pad));
}

/// Writes every image of an N x C x H x W batch in [-1, 1] (C = 1 or 3) tiled into one PNG.
inline void write_grid(const std::string& path, const tensor<float>& batch, int cols = 0, int pad = 2) {
  write_png(path, make_grid(batch, cols, pad));
}

}  // namespace i2i::io
