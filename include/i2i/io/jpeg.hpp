#pragma once
// JPEG through libjpeg(-turbo): 8-bit grey/RGB read, and write (for previews and test fixtures).
// Link i2i::io (libjpeg).
//
// libjpeg stops on errors by calling error_exit, which we turn into a longjmp; as in png.hpp, every
// setjmp sits in a small function with trivially destructible locals. libjpeg only *warns* about a
// truncated file (and pads it with grey); we treat any decoder warning as an error, because a silently
// padded training image is worse than a clear message, and stop at the first one: a truncated file
// claiming a huge image fails at its first missing row instead of being decoded as grey to the end.
//
// Against decompression bombs (io/limits.hpp): the size is checked against max_image_pixels after the
// header and before jpeg_start_decompress (which allocates libjpeg's buffers, for a progressive file
// the coefficients of the whole image), and the pixel buffer grows with the rows actually decoded.
#include <cstdio>  // jpeglib.h needs FILE and size_t first
#include <jpeglib.h>

#include <cerrno>
#include <csetjmp>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

#include "i2i/io/limits.hpp"
#include "i2i/io/pixels.hpp"

namespace i2i::io {

namespace detail {

struct jpeg_errors {
  jpeg_error_mgr mgr;  // first member: libjpeg hands us a pointer to it
  std::jmp_buf jump;
  char text[JMSG_LENGTH_MAX] = "unknown libjpeg error";
  int warnings = 0;
};

[[noreturn]] inline void jpeg_on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<jpeg_errors*>(c->err);
  (*c->err->format_message)(c, e->text);
  std::longjmp(e->jump, 1);
}

/// A decoder's warning (level < 0) is fatal: see the header comment. Trace messages (level >= 0) and
/// the encoder's warnings are ignored.
inline void jpeg_on_message(j_common_ptr c, int level) {
  auto* e = reinterpret_cast<jpeg_errors*>(c->err);
  if (level >= 0 || e->warnings++ > 0) return;
  (*c->err->format_message)(c, e->text);
  if (c->is_decompressor) std::longjmp(e->jump, 1);
}

inline void jpeg_install_errors(jpeg_errors& e) {
  jpeg_std_error(&e.mgr);
  e.mgr.error_exit = jpeg_on_error;
  e.mgr.emit_message = jpeg_on_message;
}

struct jpeg_reader {
  jpeg_decompress_struct cinfo;
  jpeg_errors err;
  std::FILE* file = nullptr;
  bool created = false;
  ~jpeg_reader() {
    if (created) jpeg_destroy_decompress(&cinfo);
    if (file) std::fclose(file);
  }
};

/// Reads the header (image_width/height); nothing proportional to the image is allocated yet.
inline bool jpeg_read_size(jpeg_reader* r, int want_channels) {
  if (setjmp(r->err.jump)) return false;
  jpeg_create_decompress(&r->cinfo);
  r->created = true;
  jpeg_stdio_src(&r->cinfo, r->file);
  jpeg_read_header(&r->cinfo, TRUE);
  const bool grey_file = r->cinfo.jpeg_color_space == JCS_GRAYSCALE;
  r->cinfo.out_color_space = (want_channels == 1 || (want_channels == 0 && grey_file)) ? JCS_GRAYSCALE : JCS_RGB;
  return true;
}

inline bool jpeg_begin_read(jpeg_reader* r) {
  if (setjmp(r->err.jump)) return false;
  jpeg_start_decompress(&r->cinfo);
  return true;
}

/// Decodes the next scanline into `row`; false on an error or a warning (r->err.text says which).
inline bool jpeg_read_row(jpeg_reader* r, unsigned char* row) {
  if (setjmp(r->err.jump)) return false;
  JSAMPROW p = row;
  jpeg_read_scanlines(&r->cinfo, &p, 1);
  return true;
}

inline bool jpeg_finish_read(jpeg_reader* r) {
  if (setjmp(r->err.jump)) return false;
  jpeg_finish_decompress(&r->cinfo);
  return true;
}

struct jpeg_writer {
  jpeg_compress_struct cinfo;
  jpeg_errors err;
  std::FILE* file = nullptr;
  bool created = false;
  ~jpeg_writer() {
    if (created) jpeg_destroy_compress(&cinfo);
    if (file) std::fclose(file);
  }
};

inline bool jpeg_write(jpeg_writer* w, const image* img, int quality) {
  if (setjmp(w->err.jump)) return false;
  jpeg_create_compress(&w->cinfo);
  w->created = true;
  jpeg_stdio_dest(&w->cinfo, w->file);
  w->cinfo.image_width = JDIMENSION(img->width);
  w->cinfo.image_height = JDIMENSION(img->height);
  w->cinfo.input_components = img->channels;
  w->cinfo.in_color_space = img->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&w->cinfo);
  jpeg_set_quality(&w->cinfo, quality, TRUE);
  jpeg_start_compress(&w->cinfo, TRUE);
  const std::size_t row_bytes = std::size_t(img->width) * img->channels;
  while (w->cinfo.next_scanline < w->cinfo.image_height) {
    JSAMPROW row = const_cast<unsigned char*>(img->pixels.data()) + std::size_t(w->cinfo.next_scanline) * row_bytes;
    jpeg_write_scanlines(&w->cinfo, &row, 1);
  }
  jpeg_finish_compress(&w->cinfo);
  return true;
}

}  // namespace detail

/// Reads a JPEG. channels: 0 keeps grey as grey and colour as RGB; 1 or 3 converts. Throws io_error
/// naming the file for a missing, corrupt or truncated file (libjpeg's warnings count as errors).
inline image read_jpeg(const std::string& path, int channels = 0) {
  require<value_error>(channels == 0 || channels == 1 || channels == 3, "read_jpeg: '", path,
                       "': channels must be 0 (as stored), 1 or 3, got ", channels);
  detail::jpeg_reader r;
  errno = 0;
  r.file = std::fopen(path.c_str(), "rb");
  require<io_error>(r.file != nullptr, "read_jpeg: cannot open '", path, "': ", std::strerror(errno));
  unsigned char soi[2] = {};
  require<io_error>(std::fread(soi, 1, 2, r.file) == 2 && soi[0] == 0xFF && soi[1] == 0xD8, "read_jpeg: '", path,
                    "' is not a JPEG file (no start-of-image marker)");
  std::rewind(r.file);
  r.cinfo.err = &r.err.mgr;
  detail::jpeg_install_errors(r.err);
  require<io_error>(detail::jpeg_read_size(&r, channels), "read_jpeg: '", path,
                    "': corrupt or unsupported JPEG header (libjpeg: ", r.err.text, ")");
  detail::check_image_pixels("read_jpeg", path, r.cinfo.image_width, r.cinfo.image_height);
  require<io_error>(detail::jpeg_begin_read(&r), "read_jpeg: '", path, "': corrupt or unsupported JPEG header (libjpeg: ",
                    r.err.text, ")");
  const int w = int(r.cinfo.output_width), h = int(r.cinfo.output_height), c = r.cinfo.output_components;
  require<io_error>(c == 1 || c == 3, "read_jpeg: '", path, "': unsupported ", c, "-component JPEG");
  image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  // Grows with the decoded rows (doubling), starting from what a JPEG of this file size plausibly holds
  // (64:1 is beyond any photograph's ratio), so a small file claiming a large image allocates little.
  const std::size_t row_bytes = std::size_t(w) * c, total = row_bytes * std::size_t(h);
  const std::uint64_t file_bytes = detail::file_size_of(::fileno(r.file));
  img.pixels.resize(file_bytes ? std::size_t(std::min<std::uint64_t>(total, 64 * file_bytes + row_bytes)) : total);
  for (std::size_t y = 0; y < std::size_t(h); ++y) {
    if ((y + 1) * row_bytes > img.pixels.size()) img.pixels.resize(std::min(total, 2 * img.pixels.size() + row_bytes));
    require<io_error>(detail::jpeg_read_row(&r, img.pixels.data() + y * row_bytes), "read_jpeg: '", path,
                      "': corrupt or truncated JPEG at row ", y, " of ", h, " (libjpeg: ", r.err.text, ")");
  }
  require<io_error>(detail::jpeg_finish_read(&r), "read_jpeg: '", path, "': corrupt or truncated JPEG (libjpeg: ",
                    r.err.text, ")");
  return img;
}

/// Writes an 8-bit grey or RGB JPEG with the given quality (1..100).
inline void write_jpeg(const std::string& path, const image& img, int quality = 95) {
  require<value_error>(img.width > 0 && img.height > 0 && (img.channels == 1 || img.channels == 3) &&
                           img.pixels.size() == std::size_t(img.width) * img.height * img.channels,
                       "write_jpeg: '", path, "': image ", img.width, "x", img.height, "x", img.channels,
                       " is not a valid non-empty grey or RGB image");
  require<value_error>(quality >= 1 && quality <= 100, "write_jpeg: quality ", quality, " is outside 1..100");
  detail::jpeg_writer w;
  errno = 0;
  w.file = std::fopen(path.c_str(), "wb");
  require<io_error>(w.file != nullptr, "write_jpeg: cannot create '", path, "': ", std::strerror(errno));
  w.cinfo.err = &w.err.mgr;
  detail::jpeg_install_errors(w.err);
  const bool ok = detail::jpeg_write(&w, &img, quality);
  const bool closed = std::fclose(w.file) == 0;
  w.file = nullptr;
  if (!ok || !closed) {
    const std::string why = ok ? std::string(std::strerror(errno)) : std::string("libjpeg: ") + w.err.text;
    std::remove(path.c_str());
    throw io_error(i2i::detail::concat("write_jpeg: writing '", path, "' failed (", why, ")"));
  }
}

}  // namespace i2i::io
