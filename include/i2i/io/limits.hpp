#pragma once
// Limits every reader checks BEFORE it allocates what a file's header promises (issue 18): a 69-byte
// PNG may claim 32768 x 32768 pixels, an IDX header 1 TiB. A violation is an io_error naming the file,
// the promised size and the limit, never std::bad_alloc.
//
// Two kinds of check, both in overflow-safe 64-bit arithmetic:
//   - consistency with the file: raw formats (npy, safetensors, uncompressed IDX) must hold exactly the
//     bytes their header promises; deflate-compressed data (PNG, gzip IDX, npz members) cannot expand
//     by more than 1032:1, so a promise above 1032 x the file's size is a lie told before any inflate;
//   - configurable ceilings, for what the file size cannot bound (a JPEG's progressive end-of-band runs
//     encode any number of flat blocks in a few bytes) and for a caller that wants less:
//       max_image_pixels  per decoded image (default 2^26 = 67,108,864 = 8192 x 8192: 32 times a
//                         2048 x 1024 Cityscapes frame; Pillow's MAX_IMAGE_PIXELS is 89,478,485);
//       max_array_bytes   per decoded array or tensor, after conversion to the element type asked for
//                         (default 2^32 = 4 GiB: ten times VGG19's largest layer, fc6 at 411 MB).
//     The environment variables I2I_MAX_IMAGE_PIXELS and I2I_MAX_ARRAY_BYTES set them at the first
//     read; set_max_image_pixels / set_max_array_bytes change them at run time (thread-safe).
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "i2i/core/error.hpp"

namespace i2i::io {

inline constexpr std::uint64_t default_max_image_pixels = std::uint64_t(1) << 26;
inline constexpr std::uint64_t default_max_array_bytes = std::uint64_t(1) << 32;
/// Deflate's largest expansion: a 258-byte match costs at least 2 bits (a length and a distance code).
inline constexpr std::uint64_t deflate_max_ratio = 1032;

namespace detail {

/// A positive decimal from the environment, or `fallback` when the variable is unset. A malformed value
/// is an error rather than a silently ignored setting.
inline std::uint64_t limit_from_env(const char* var, std::uint64_t fallback) {
  const char* s = std::getenv(var);
  if (!s) return fallback;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  require<value_error>(*s >= '0' && *s <= '9' && end && *end == '\0' && errno == 0 && v > 0, var, "='", s,
                       "' is not a positive integer");
  return std::uint64_t(v);
}

inline std::atomic<std::uint64_t>& image_pixels_limit() {
  static std::atomic<std::uint64_t> v{limit_from_env("I2I_MAX_IMAGE_PIXELS", default_max_image_pixels)};
  return v;
}
inline std::atomic<std::uint64_t>& array_bytes_limit() {
  static std::atomic<std::uint64_t> v{limit_from_env("I2I_MAX_ARRAY_BYTES", default_max_array_bytes)};
  return v;
}

}  // namespace detail

/// The largest image (width x height) a reader decodes.
inline std::uint64_t max_image_pixels() { return detail::image_pixels_limit().load(std::memory_order_relaxed); }
inline void set_max_image_pixels(std::uint64_t n) {
  require<value_error>(n > 0, "set_max_image_pixels: the limit must be positive");
  detail::image_pixels_limit().store(n, std::memory_order_relaxed);
}

/// The largest array a reader decodes, in bytes of the element type it converts to.
inline std::uint64_t max_array_bytes() { return detail::array_bytes_limit().load(std::memory_order_relaxed); }
inline void set_max_array_bytes(std::uint64_t n) {
  require<value_error>(n > 0, "set_max_array_bytes: the limit must be positive");
  detail::array_bytes_limit().store(n, std::memory_order_relaxed);
}

namespace detail {

/// a * b, or false when it does not fit in 64 bits.
inline bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
  return !__builtin_mul_overflow(a, b, &out);
}

/// The size of an open file, or 0 when it cannot be found (a pipe): callers then skip the file check.
inline std::uint64_t file_size_of(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? std::uint64_t(st.st_size) : 0;
}

/// The size of the regular file at `path`, or 0 (for readers that hold no descriptor, e.g. gzopen's).
inline std::uint64_t file_size_at(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? std::uint64_t(st.st_size) : 0;
}

/// Throws io_error("<who>: '<path>': W x H image (N pixels) exceeds the limit of L pixels ...").
inline void check_image_pixels(const char* who, const std::string& path, std::uint64_t width, std::uint64_t height) {
  std::uint64_t px = 0;
  const bool fits = checked_mul(width, height, px);
  const std::uint64_t limit = max_image_pixels();
  if (!fits || px > limit)
    throw io_error(i2i::detail::concat(who, ": '", path, "': header promises a ", width, "x", height, " image (",
                          fits ? std::to_string(px) : std::string("more than 2^64"), " pixels), above the limit of ",
                          limit, " pixels (set_max_image_pixels or I2I_MAX_IMAGE_PIXELS raise it)"));
}

/// Element count of `dims` as the int64 a shape holds, or io_error when some partial product of the
/// non-zero dimensions overflows it (shape::numel would, e.g. for (2^62, 2, 0)).
template <class Dims>
std::uint64_t checked_numel(const std::string& what, const Dims& dims) {
  std::uint64_t nonzero = 1;
  bool any_zero = false;
  for (auto d : dims) {
    if (d == 0) {
      any_zero = true;
      continue;
    }
    if (!checked_mul(nonzero, std::uint64_t(d), nonzero) || nonzero > std::uint64_t(INT64_MAX))
      throw io_error(i2i::detail::concat(what, ": shape's element count overflows 64 bits (corrupt header)"));
  }
  return any_zero ? 0 : nonzero;
}

/// io_error unless `count` elements of `element_bytes` each stay within max_array_bytes.
inline void check_array_bytes(const std::string& what, std::uint64_t count, std::uint64_t element_bytes) {
  std::uint64_t bytes = 0;
  const bool fits = checked_mul(count, element_bytes, bytes);
  const std::uint64_t limit = max_array_bytes();
  if (!fits || bytes > limit)
    throw io_error(i2i::detail::concat(what, ": ", count, " elements of ", element_bytes, " bytes (",
                          fits ? std::to_string(bytes) : std::string("more than 2^64"),
                          " bytes) exceed the limit of ", limit,
                          " bytes (set_max_array_bytes or I2I_MAX_ARRAY_BYTES raise it)"));
}

/// io_error unless `bytes` of inflated data could come out of `compressed` bytes of deflate stream.
inline void check_deflate_bound(const std::string& what, std::uint64_t bytes, std::uint64_t compressed) {
  std::uint64_t most = 0;
  if (!checked_mul(compressed, deflate_max_ratio, most)) return;  // a file over 2^54 bytes bounds nothing
  if (bytes > most)
    throw io_error(i2i::detail::concat(what, ": header promises ", bytes, " bytes of data, but ", compressed,
                          " compressed bytes inflate to at most ", most, " (deflate expands at most ",
                          deflate_max_ratio, ":1): corrupt header or a decompression bomb"));
}

}  // namespace detail
}  // namespace i2i::io
