#pragma once
// PNG through libpng: 8-bit grey/RGB read and write, 16-bit grey read and write (instance maps keep
// their ids: no gamma or scaling is ever applied). Link i2i::io (libpng, zlib).
//
// libpng reports errors by longjmp. Jumping over C++ destructors is undefined, so every setjmp sits in
// a small function whose locals are trivially destructible; the RAII owners live in the callers, which
// turn a failed phase into an io_error naming the file and libpng's message.
#include <png.h>

#include <bit>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "i2i/io/limits.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::io {

namespace detail {

struct png_message {
  char text[256] = "unknown libpng error";
};

[[noreturn]] inline void png_on_error(png_structp png, png_const_charp msg) {
  auto* m = static_cast<png_message*>(png_get_error_ptr(png));
  std::snprintf(m->text, sizeof m->text, "%s", msg ? msg : "?");
  png_longjmp(png, 1);
}
inline void png_on_warning(png_structp, png_const_charp) {}  // benign (e.g. unknown ancillary chunks)

/// Owns the FILE and the libpng structs of one read or write.
struct png_handle {
  std::FILE* file = nullptr;
  png_structp png = nullptr;
  png_infop info = nullptr;
  bool reading = true;
  png_message message;

  png_handle(const std::string& path, bool read) : reading(read) {
    errno = 0;
    file = std::fopen(path.c_str(), read ? "rb" : "wb");
    require<io_error>(file != nullptr, read ? "read_png: cannot open '" : "write_png: cannot create '", path, "': ",
                      std::strerror(errno));
    png = read ? png_create_read_struct(PNG_LIBPNG_VER_STRING, &message, png_on_error, png_on_warning)
               : png_create_write_struct(PNG_LIBPNG_VER_STRING, &message, png_on_error, png_on_warning);
    if (png) info = png_create_info_struct(png);
    require<io_error>(png && info, "png: out of memory creating libpng structures for '", path, "'");
  }
  png_handle(const png_handle&) = delete;
  png_handle& operator=(const png_handle&) = delete;
  ~png_handle() {
    if (reading)
      png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    else
      png_destroy_write_struct(&png, info ? &info : nullptr);
    if (file) std::fclose(file);
  }
};

struct png_layout {
  png_uint_32 width = 0, height = 0;
  int channels = 0, bit_depth = 0;
  int file_bits_per_pixel = 0;  ///< as stored, before any transform
  bool colour = false;          ///< the file stores colour (RGB or palette) samples
};

/// Reads the header (no pixel memory is allocated yet, so the caller can check the promised size).
inline bool png_read_header(png_structp png, png_infop info, std::FILE* f, png_layout* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, f);
  png_set_sig_bytes(png, 8);
  png_read_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->file_bits_per_pixel = png_get_bit_depth(png, info) * png_get_channels(png, info);
  out->colour = (png_get_color_type(png, info) & PNG_COLOR_MASK_COLOR) != 0;
  return true;
}

/// Sets up the transforms: palette -> RGB, low-bit grey -> 8 bits, alpha dropped, 16 bits scaled to 8
/// unless `keep16`, grey <-> RGB to reach `want_channels` (0 keeps the file's).
inline bool png_begin_read(png_structp png, png_infop info, int want_channels, bool keep16, png_layout* out) {
  if (setjmp(png_jmpbuf(png))) return false;
  const int depth = png_get_bit_depth(png, info), type = png_get_color_type(png, info);
  if (type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  // Expanding a palette or grey file also turns a tRNS chunk into alpha; drop it like a real alpha channel.
  if ((type & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
  if (depth == 16) {
    if (!keep16)
      png_set_scale_16(png);
    else if constexpr (std::endian::native == std::endian::little)
      png_set_swap(png);  // PNG stores 16-bit samples big-endian
  }
  if (want_channels == 1 && out->colour) png_set_rgb_to_gray_fixed(png, 1, -1, -1);
  if (want_channels == 3 && !out->colour) png_set_gray_to_rgb(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->channels = png_get_channels(png, info);
  out->bit_depth = png_get_bit_depth(png, info);
  return true;
}

inline bool png_finish_read(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

inline bool png_write(png_structp png, png_infop info, std::FILE* f, png_uint_32 w, png_uint_32 h, int colour_type,
                      int depth, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_init_io(png, f);
  png_set_IHDR(png, info, w, h, depth, colour_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if constexpr (std::endian::native == std::endian::little)
    if (depth == 16) png_set_swap(png);
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

template <class T>
basic_image<T> read_png_as(const std::string& path, const char* fn, int want_channels, bool keep16) {
  require<value_error>(want_channels == 0 || want_channels == 1 || want_channels == 3, fn, ": '", path,
                       "': channels must be 0 (as stored), 1 or 3, got ", want_channels);
  png_handle h(path, true);
  unsigned char sig[8] = {};
  const std::size_t got = std::fread(sig, 1, 8, h.file);
  require<io_error>(got == 8 && png_sig_cmp(sig, 0, 8) == 0, fn, ": '", path, "' is not a PNG file",
                    got < 8 ? " (shorter than the 8-byte signature)" : " (bad signature)");
  png_layout lay;
  require<io_error>(png_read_header(h.png, h.info, h.file, &lay), fn, ": '", path, "': corrupt PNG header (libpng: ",
                    h.message.text, ")");
  // Before any pixel memory: the limit, then what the file's deflate stream could possibly inflate to.
  check_image_pixels(fn, path, lay.width, lay.height);
  if (const std::uint64_t file_bytes = file_size_of(::fileno(h.file)))
    check_deflate_bound(i2i::detail::concat(fn, ": '", path, "' (", lay.width, "x", lay.height, ", ",
                                            lay.file_bits_per_pixel, " bits per pixel)"),
                        std::uint64_t(lay.width) * lay.height * std::uint64_t(lay.file_bits_per_pixel) / 8, file_bytes);
  require<io_error>(png_begin_read(h.png, h.info, want_channels, keep16, &lay), fn, ": '", path,
                    "': corrupt PNG header (libpng: ", h.message.text, ")");
  require<io_error>(lay.channels == 1 || lay.channels == 3, fn, ": '", path, "': unexpected ", lay.channels,
                    " channels after conversion");
  basic_image<T> img(int(lay.width), int(lay.height), lay.channels);
  // An 8-bit file read into 16-bit samples is decoded into a byte buffer and widened without scaling.
  const bool widen = sizeof(T) == 2 && lay.bit_depth == 8;
  std::vector<std::uint8_t> bytes;
  if (widen) bytes.resize(img.pixels.size());
  std::vector<png_bytep> rows(lay.height);
  const std::size_t row_bytes = std::size_t(lay.width) * lay.channels * (widen ? 1 : sizeof(T));
  auto* base = widen ? bytes.data() : reinterpret_cast<std::uint8_t*>(img.pixels.data());
  for (png_uint_32 y = 0; y < lay.height; ++y) rows[y] = base + y * row_bytes;
  require<io_error>(png_finish_read(h.png, rows.data()), fn, ": '", path, "': corrupt or truncated PNG (libpng: ",
                    h.message.text, ")");
  if (widen) std::copy(bytes.begin(), bytes.end(), img.pixels.begin());
  return img;
}

template <class T>
void write_png_as(const std::string& path, const basic_image<T>& img) {
  require<value_error>(img.width > 0 && img.height > 0 && (img.channels == 1 || img.channels == 3) &&
                           img.pixels.size() == std::size_t(img.width) * img.height * img.channels,
                       "write_png: '", path, "': image ", img.width, "x", img.height, "x", img.channels, " with ",
                       img.pixels.size(), " samples is not a valid non-empty grey or RGB image");
  png_handle h(path, false);
  std::vector<png_bytep> rows(img.height);
  const std::size_t row_bytes = std::size_t(img.width) * img.channels * sizeof(T);
  auto* base = reinterpret_cast<std::uint8_t*>(const_cast<T*>(img.pixels.data()));  // libpng does not write to it
  for (int y = 0; y < img.height; ++y) rows[y] = base + y * row_bytes;
  const bool ok = png_write(h.png, h.info, h.file, png_uint_32(img.width), png_uint_32(img.height),
                            img.channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, int(8 * sizeof(T)),
                            rows.data());
  const bool closed = std::fclose(h.file) == 0;
  h.file = nullptr;
  if (!ok || !closed) {
    const std::string why = ok ? std::string(std::strerror(errno)) : std::string("libpng: ") + h.message.text;
    std::remove(path.c_str());  // no half-written file left behind
    throw io_error(i2i::detail::concat("write_png: writing '", path, "' failed (", why, ")"));
  }
}

}  // namespace detail

/// Reads an 8-bit PNG. channels: 0 keeps grey as grey and colour as RGB; 1 or 3 converts. Alpha is
/// dropped, palettes expanded and 16-bit files scaled to 8 bits. Throws io_error naming the file.
inline image read_png(const std::string& path, int channels = 0) {
  return detail::read_png_as<std::uint8_t>(path, "read_png", channels, false);
}

/// Reads a grey PNG (8- or 16-bit) into 16-bit samples without scaling: an instance map's ids survive.
/// A colour file is an error, not a silent conversion of ids.
inline image16 read_png16(const std::string& path) {
  image16 img = detail::read_png_as<std::uint16_t>(path, "read_png16", 0, true);
  require<io_error>(img.channels == 1, "read_png16: '", path, "' is a colour PNG; instance maps must be grey");
  return img;
}

/// Writes an 8-bit grey or RGB PNG.
inline void write_png(const std::string& path, const image& img) { detail::write_png_as(path, img); }
/// Writes a 16-bit grey (or RGB) PNG.
inline void write_png(const std::string& path, const image16& img) { detail::write_png_as(path, img); }

}  // namespace i2i::io
