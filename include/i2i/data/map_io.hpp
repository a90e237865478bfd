#pragma once
// Reading label and instance maps as the ids they store, and RGBA PNGs (photo cut-outs with their masks).
//
// io::read_png converts palettes to colours, which is right for photos but wrong for label maps: PIL
// opens a palette PNG in mode 'P' and pix2pixHD's ToTensor then sees the palette *indices*. So maps are
// read here with no conversion at all: grey samples (8- or 16-bit) and palette indices come back as they
// are stored; low-bit grey is expanded to 8 bits as PIL's 'L' mode does (0..255). A colour (RGB) map
// is an error naming the file, because no class id can be read from it without a colour table.
//
// Like png.hpp, each setjmp lives in a function whose locals are trivially destructible.
#include <png.h>

#include <bit>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "i2i/io/image.hpp"
#include "i2i/io/png.hpp"

namespace i2i::data {

/// An RGB image and its alpha channel (0 transparent .. 255 opaque), both width x height.
struct rgba_image {
  io::image rgb;    ///< 3 channels
  io::image alpha;  ///< 1 channel
};

namespace detail {

enum class png_read_kind { raw_map, rgba };

struct png_raw_layout {
  png_uint_32 width = 0, height = 0;
  int channels = 0, bit_depth = 0, colour_type = 0;
};

inline bool png_begin_raw(png_structp png, png_infop info, std::FILE* f, png_read_kind kind, png_raw_layout* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, f);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  const int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
  out->colour_type = type;
  if (kind == png_read_kind::raw_map) {
    if (type == PNG_COLOR_TYPE_PALETTE && depth < 8) png_set_packing(png);               // indices, unscaled
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);   // PIL 'L' scaling
    if (type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);                            // grey + alpha
    if (depth == 16 && std::endian::native == std::endian::little) png_set_swap(png);
  } else {
    png_set_expand(png);  // palette -> RGB, low-bit grey -> 8 bits, tRNS -> alpha
    if (depth == 16) png_set_scale_16(png);
    if (!(type & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    if (!(type & PNG_COLOR_MASK_ALPHA) && !png_get_valid(png, info, PNG_INFO_tRNS))
      png_set_filler(png, 0xFF, PNG_FILLER_AFTER);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->channels = png_get_channels(png, info);
  out->bit_depth = png_get_bit_depth(png, info);
  return true;
}

/// Decodes a PNG into bytes: `kind` raw_map gives 1 channel of 8 or 16 bits (or 3 for a colour file,
/// reported as an error by the caller), rgba gives 4 channels of 8 bits.
inline std::vector<std::uint8_t> png_decode(const std::string& path, const char* fn, png_read_kind kind,
                                            png_raw_layout& lay) {
  io::detail::png_handle h(path, true);
  unsigned char sig[8] = {};
  const std::size_t got = std::fread(sig, 1, 8, h.file);
  require<io_error>(got == 8 && png_sig_cmp(sig, 0, 8) == 0, fn, ": '", path, "' is not a PNG file",
                    got < 8 ? " (shorter than the 8-byte signature)" : " (bad signature)");
  require<io_error>(png_begin_raw(h.png, h.info, h.file, kind, &lay), fn, ": '", path,
                    "': corrupt PNG header (libpng: ", h.message.text, ")");
  require<io_error>(std::uint64_t(lay.width) * lay.height <= (std::uint64_t(1) << 30), fn, ": '", path, "': ",
                    lay.width, "x", lay.height, " is too large");
  const std::size_t row_bytes = std::size_t(lay.width) * lay.channels * (lay.bit_depth == 16 ? 2 : 1);
  std::vector<std::uint8_t> bytes(row_bytes * lay.height);
  std::vector<png_bytep> rows(lay.height);
  for (png_uint_32 y = 0; y < lay.height; ++y) rows[y] = bytes.data() + y * row_bytes;
  require<io_error>(io::detail::png_finish_read(h.png, rows.data()), fn, ": '", path,
                    "': corrupt or truncated PNG (libpng: ", h.message.text, ")");
  return bytes;
}

inline bool is_png(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  unsigned char head[8] = {};
  const std::size_t n = std::fread(head, 1, sizeof head, f);
  std::fclose(f);
  return n == 8 && png_sig_cmp(head, 0, 8) == 0;
}

}  // namespace detail

/// Reads a label or instance map as stored: grey 8/16-bit samples or palette indices, 1 channel, no
/// scaling. A JPEG map is read as grey (lossy: ids may be wrong, but that is what the file holds).
/// Throws io_error naming the file for a missing, corrupt or colour file.
inline io::image16 read_map(const std::string& path) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  require<io_error>(f != nullptr, "read_map: cannot open '", path, "': ", std::strerror(errno));
  std::fclose(f);
  if (!detail::is_png(path)) {
    const io::image g = io::read_image(path, 1);  // JPEG (or an io_error naming the file)
    io::image16 out(g.width, g.height, 1);
    std::copy(g.pixels.begin(), g.pixels.end(), out.pixels.begin());
    return out;
  }
  detail::png_raw_layout lay;
  const auto bytes = detail::png_decode(path, "read_map", detail::png_read_kind::raw_map, lay);
  require<io_error>(lay.channels == 1, "read_map: '", path, "' is a colour (RGB) PNG; label and instance maps must be ",
                    "single-channel ids (grey or palette PNG)");
  io::image16 out(int(lay.width), int(lay.height), 1);
  if (lay.bit_depth == 16)
    std::memcpy(out.pixels.data(), bytes.data(), bytes.size());
  else
    std::copy(bytes.begin(), bytes.end(), out.pixels.begin());
  return out;
}

/// Reads any PNG as RGB + alpha (opaque where the file has no alpha). Throws io_error naming the file.
inline rgba_image read_png_rgba(const std::string& path) {
  detail::png_raw_layout lay;
  const auto bytes = detail::png_decode(path, "read_png_rgba", detail::png_read_kind::rgba, lay);
  require<io_error>(lay.channels == 4 && lay.bit_depth == 8, "read_png_rgba: '", path, "': unexpected ", lay.channels,
                    " channels of ", lay.bit_depth, " bits after conversion");
  rgba_image out{io::image(int(lay.width), int(lay.height), 3), io::image(int(lay.width), int(lay.height), 1)};
  const std::size_t n = std::size_t(lay.width) * lay.height;
  for (std::size_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) out.rgb.pixels[i * 3 + c] = bytes[i * 4 + c];
    out.alpha.pixels[i] = bytes[i * 4 + 3];
  }
  return out;
}

/// Writes an 8-bit grey label map; every id must fit in 8 bits (value_error naming the file otherwise).
inline void write_label_map(const std::string& path, const io::image16& label) {
  io::image g(label.width, label.height, 1);
  for (std::size_t i = 0; i < label.pixels.size(); ++i) {
    require<value_error>(label.pixels[i] <= 255, "write_label_map: '", path, "': id ", label.pixels[i],
                         " does not fit an 8-bit label map");
    g.pixels[i] = std::uint8_t(label.pixels[i]);
  }
  io::write_png(path, g);
}

}  // namespace i2i::data
