#pragma once
// GIMP patterns (.pat, Debian gimp-data / gimp-data-extras): tileable textures used as backgrounds.
// Format: big-endian u32 header_size, version (1), width, height, bytes_per_pixel (1 grey, 2 grey+alpha,
// 3 RGB, 4 RGBA), the magic "GPAT", a NUL-terminated name up to header_size, then width * height * bpp
// bytes, row-major (research/data.md §3; all 168 Debian patterns follow it).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::data {

/// Reads a .pat file as RGB (grey is repeated, alpha dropped). Throws io_error naming the file.
inline io::image read_gimp_pattern(const std::string& path) {
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  require<io_error>(f != nullptr, "read_gimp_pattern: cannot open '", path, "': ", std::strerror(errno));
  unsigned char h[24];
  require<io_error>(std::fread(h, 1, 24, f.get()) == 24, "read_gimp_pattern: '", path, "' is shorter than a pattern header");
  auto be32 = [&](int i) { return std::uint32_t(h[i]) << 24 | std::uint32_t(h[i + 1]) << 16 | std::uint32_t(h[i + 2]) << 8 | h[i + 3]; };
  const std::uint32_t header = be32(0), version = be32(4), w = be32(8), hgt = be32(12), bpp = be32(16);
  require<io_error>(std::memcmp(h + 20, "GPAT", 4) == 0 && version == 1, "read_gimp_pattern: '", path,
                    "' is not a GIMP pattern (no GPAT magic or version ", version, " != 1)");
  require<io_error>(bpp >= 1 && bpp <= 4 && w >= 1 && hgt >= 1 && w <= 65536 && hgt <= 65536 && header >= 24 &&
                        header < (1u << 20),
                    "read_gimp_pattern: '", path, "': implausible header (", w, "x", hgt, ", ", bpp,
                    " bytes per pixel, header ", header, " bytes)");
  require<io_error>(std::fseek(f.get(), long(header), SEEK_SET) == 0, "read_gimp_pattern: '", path, "': truncated header");
  std::vector<unsigned char> px(std::size_t(w) * hgt * bpp);
  require<io_error>(std::fread(px.data(), 1, px.size(), f.get()) == px.size(), "read_gimp_pattern: '", path,
                    "': truncated pixel data (", w, "x", hgt, "x", bpp, ")");
  io::image out(int(w), int(hgt), 3);
  const bool colour = bpp >= 3;
  for (std::size_t i = 0; i < std::size_t(w) * hgt; ++i)
    for (int c = 0; c < 3; ++c) out.pixels[i * 3 + c] = px[i * bpp + (colour ? c : 0)];
  return out;
}

}  // namespace i2i::data
