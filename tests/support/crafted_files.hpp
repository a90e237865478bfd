#pragma once
// Hostile files for the loaders' limits (issue 18): small files whose headers promise huge contents.
// Shared by the unit test of the limits and the fuzz targets' seed generator, which commits them to
// the regression corpus.
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace i2i::test {

using bytes = std::vector<unsigned char>;

inline void put_be32(bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<unsigned char>(v >> s));
}

/// A PNG chunk: length, type, data, CRC-32 of type + data.
inline void png_chunk(bytes& out, const char* type, const bytes& data) {
  put_be32(out, std::uint32_t(data.size()));
  const std::size_t start = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  put_be32(out, std::uint32_t(crc32(0L, out.data() + start, uInt(out.size() - start))));
}

/// A valid-looking PNG header promising width x height (colour type 2 = RGB, 0 = grey) followed by a
/// few bytes of deflate data: 69 bytes for an 8-bit RGB image of any size.
inline bytes png_bomb(std::uint32_t width, std::uint32_t height, int colour_type = 2, int depth = 8) {
  bytes out{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  bytes ihdr;
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr.insert(ihdr.end(), {static_cast<unsigned char>(depth), static_cast<unsigned char>(colour_type), 0, 0, 0});
  png_chunk(out, "IHDR", ihdr);
  png_chunk(out, "IDAT", {0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01});  // zlib of 2 zero bytes
  png_chunk(out, "IEND", {});
  return out;
}

/// `jpeg` (a real baseline or progressive JPEG) with the size in its SOFn header replaced.
inline bytes jpeg_with_size(bytes jpeg, std::uint16_t width, std::uint16_t height) {
  for (std::size_t i = 2; i + 9 < jpeg.size(); ++i)
    if (jpeg[i] == 0xFF && (jpeg[i + 1] == 0xC0 || jpeg[i + 1] == 0xC1 || jpeg[i + 1] == 0xC2)) {
      jpeg[i + 5] = static_cast<unsigned char>(height >> 8);
      jpeg[i + 6] = static_cast<unsigned char>(height);
      jpeg[i + 7] = static_cast<unsigned char>(width >> 8);
      jpeg[i + 8] = static_cast<unsigned char>(width);
      break;
    }
  return jpeg;
}

/// An IDX header of unsigned bytes with these dimensions and `data_bytes` bytes of data.
inline bytes idx_bomb(const std::vector<std::uint32_t>& dims, std::size_t data_bytes = 16) {
  bytes out{0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  for (auto d : dims) put_be32(out, d);
  out.resize(out.size() + data_bytes, 0);
  return out;
}

/// A version 1.0 .npy with the given header dict and `data_bytes` zero bytes of data.
inline bytes npy_with_header(const std::string& dict, std::size_t data_bytes = 0) {
  std::string h = dict;
  h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
  h += '\n';
  const unsigned char prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(h.size() & 0xFF),
                                    static_cast<unsigned char>(h.size() >> 8)};
  bytes out(10 + h.size() + data_bytes, 0);  // sized once: g++ 12 misreads an insert after a short list (-Warray-bounds)
  std::memcpy(out.data(), prefix, 10);
  std::memcpy(out.data() + 10, h.data(), h.size());
  return out;
}

/// A safetensors file with the given JSON header and `data_bytes` zero bytes of data.
inline bytes safetensors_with_header(const std::string& json, std::size_t data_bytes = 0) {
  bytes out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<unsigned char>(std::uint64_t(json.size()) >> (8 * i)));
  out.insert(out.end(), json.begin(), json.end());
  out.resize(out.size() + data_bytes, 0);
  return out;
}

}  // namespace i2i::test
