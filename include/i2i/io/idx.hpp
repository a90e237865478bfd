#pragma once
// IDX files (MNIST, Fashion-MNIST): a 4-byte magic {0, 0, type, ndims}, ndims big-endian u32 sizes,
// then the elements in row-major order. Only unsigned bytes (type 0x08) are supported: every dataset
// we use stores pixels and labels as u8.
//
// zlib's gzread passes non-gzip files through unchanged, so one reader takes both Debian's
// *.gz files and npm's uncompressed MNIST. Link i2i::io (zlib).
//
// Before any allocation the header's size is checked (io/limits.hpp) against max_array_bytes and the
// file: an uncompressed file must hold exactly the promised bytes, a gzip file at most 1032 times its
// size; the data buffer then grows with the bytes actually inflated.
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/limits.hpp"

namespace i2i::io {

/// The contents of an IDX file of unsigned bytes.
struct idx_data {
  std::vector<std::uint32_t> dims;  ///< e.g. {60000, 28, 28} for MNIST images, {60000} for labels
  std::vector<std::uint8_t> data;   ///< product(dims) bytes, row-major

  /// Number of items (the first dimension).
  std::size_t count() const { return dims.empty() ? 0 : dims[0]; }
  /// Bytes per item (the product of the other dimensions).
  std::size_t item_size() const {
    std::size_t n = 1;
    for (std::size_t i = 1; i < dims.size(); ++i) n *= dims[i];
    return n;
  }
};

namespace detail {

/// RAII for a gzFile so that every error path closes it.
struct gz_file {
  gzFile f = nullptr;
  explicit gz_file(gzFile g) : f(g) {}
  gz_file(const gz_file&) = delete;
  gz_file& operator=(const gz_file&) = delete;
  ~gz_file() {
    if (f) gzclose(f);
  }
};

/// Reads up to n bytes; returns how many were read. gzread takes an unsigned count, so read in chunks.
inline std::size_t gz_read_all(gzFile f, void* dst, std::size_t n, const std::string& path) {
  auto* p = static_cast<unsigned char*>(dst);
  std::size_t done = 0;
  while (done < n) {
    const unsigned chunk = unsigned(std::min<std::size_t>(n - done, std::size_t(1) << 30));
    const int got = gzread(f, p + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      throw io_error(i2i::detail::concat("read_idx: '", path, "': corrupt file (zlib: ", msg ? msg : "?", ")"));
    }
    if (got == 0) break;
    done += std::size_t(got);
  }
  return done;
}

inline const char* idx_type_name(unsigned t) {
  switch (t) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return "unknown";
  }
}

}  // namespace detail

/// Reads an IDX file of unsigned bytes (gzip-compressed or not). Throws io_error naming the file for a
/// missing file, a bad magic, an unsupported element type, zero or absurd sizes, truncated data and
/// trailing bytes. `expected_item_dims`, when given, must equal dims[1..] (e.g. {28, 28}).
inline idx_data read_idx(const std::string& path, std::span<const std::uint32_t> expected_item_dims = {}) {
  errno = 0;
  detail::gz_file file(gzopen(path.c_str(), "rb"));
  require<io_error>(file.f != nullptr, "read_idx: cannot open '", path, "': ",
                    errno ? std::strerror(errno) : "gzopen failed");
  unsigned char magic[4];
  const std::size_t got = detail::gz_read_all(file.f, magic, 4, path);
  require<io_error>(got == 4, "read_idx: '", path, "' is truncated: ", got, " bytes, shorter than the 4-byte IDX magic");
  require<io_error>(magic[0] == 0 && magic[1] == 0, "read_idx: '", path, "' is not an IDX file (magic starts with ",
                    int(magic[0]), " ", int(magic[1]), ", expected 0 0)");
  require<io_error>(magic[2] == 0x08, "read_idx: '", path, "' holds ", detail::idx_type_name(magic[2]), " elements (type 0x",
                    std::hex, int(magic[2]), std::dec, "); only unsigned byte (0x08) IDX files are supported");
  const unsigned ndims = magic[3];
  require<io_error>(ndims >= 1 && ndims <= 4, "read_idx: '", path, "' declares ", ndims,
                    " dimensions; expected 1 to 4");

  idx_data r;
  std::uint64_t total = 1;
  for (unsigned i = 0; i < ndims; ++i) {
    unsigned char d[4];
    const std::size_t n = detail::gz_read_all(file.f, d, 4, path);
    require<io_error>(n == 4, "read_idx: '", path, "' is truncated inside its header (dimension ", i, ")");
    const std::uint32_t v = std::uint32_t(d[0]) << 24 | std::uint32_t(d[1]) << 16 | std::uint32_t(d[2]) << 8 | d[3];
    require<io_error>(v > 0, "read_idx: '", path, "': dimension ", i, " is 0");
    // 2^40 bytes is far beyond any real IDX file; a larger product means a corrupt header.
    require<io_error>(total <= (std::uint64_t(1) << 40) / v, "read_idx: '", path,
                      "': header declares an absurd size (corrupt header?)");
    total *= v;
    r.dims.push_back(v);
  }
  if (!expected_item_dims.empty()) {
    const bool match = r.dims.size() == expected_item_dims.size() + 1 &&
                       std::equal(expected_item_dims.begin(), expected_item_dims.end(), r.dims.begin() + 1);
    if (!match) {
      std::string have, want;
      // Appended piecewise: "x" + to_string(...) trips a false -Wrestrict in g++ 12.
      for (std::size_t i = 1; i < r.dims.size(); ++i) {
        if (i > 1) have += 'x';
        have += std::to_string(r.dims[i]);
      }
      for (std::size_t i = 0; i < expected_item_dims.size(); ++i) {
        if (i) want += 'x';
        want += std::to_string(expected_item_dims[i]);
      }
      throw io_error(i2i::detail::concat("read_idx: '", path, "' holds items of ", have.empty() ? "scalar" : have,
                                         ", expected ", want));
    }
  }

  const std::string what = "read_idx: '" + path + "'";
  detail::check_array_bytes(what, total, 1);
  const std::uint64_t header_bytes = 4 + 4 * std::uint64_t(ndims);
  if (const std::uint64_t file_bytes = detail::file_size_at(path)) {
    if (gzdirect(file.f))
      require<io_error>(total <= file_bytes - header_bytes, what, " is truncated: header promises ", total,
                        " bytes of data, found ", file_bytes - header_bytes);
    else
      detail::check_deflate_bound(what, total, file_bytes);
  }
  // In pieces, so that memory follows the bytes really there, not the header's promise.
  constexpr std::size_t piece = std::size_t(64) << 20;
  std::size_t n = 0;
  while (n < total) {
    const std::size_t want = std::size_t(std::min<std::uint64_t>(piece, total - n));
    r.data.resize(n + want);
    const std::size_t got = detail::gz_read_all(file.f, r.data.data() + n, want, path);
    n += got;
    if (got < want) break;
  }
  require<io_error>(n == total, "read_idx: '", path, "' is truncated: header promises ", total, " bytes of data, found ", n);
  unsigned char extra;
  require<io_error>(detail::gz_read_all(file.f, &extra, 1, path) == 0, "read_idx: '", path,
                    "' has bytes after the ", total, " bytes its header declares (corrupt or not IDX)");
  return r;
}

/// Writes an uncompressed IDX file of unsigned bytes (for fixtures and dataset subsets).
inline void write_idx(const std::string& path, std::span<const std::uint32_t> dims, std::span<const std::uint8_t> data) {
  require<value_error>(!dims.empty() && dims.size() <= 4, "write_idx: '", path, "': ", dims.size(),
                       " dimensions, expected 1 to 4");
  std::size_t total = 1;
  for (auto d : dims) total *= d;
  require<value_error>(total == data.size(), "write_idx: '", path, "': dims hold ", total, " bytes but ", data.size(),
                       " were given");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  require<io_error>(f != nullptr, "write_idx: cannot create '", path, "': ", std::strerror(errno));
  std::vector<unsigned char> header{0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  for (auto d : dims)
    for (int s = 24; s >= 0; s -= 8) header.push_back(static_cast<unsigned char>(d >> s));
  bool ok = std::fwrite(header.data(), 1, header.size(), f) == header.size();
  ok = ok && (data.empty() || std::fwrite(data.data(), 1, data.size(), f) == data.size());
  ok = (std::fclose(f) == 0) && ok;
  require<io_error>(ok, "write_idx: writing '", path, "' failed: ", std::strerror(errno));
}

/// Items [first, first + count) of an N x H x W image set as an N x 1 x H x W tensor in [-1, 1]
/// (x / 127.5 - 1, the pix2pixHD / EGSC-IT normalisation). count = 0 means "to the end".
inline tensor<float> idx_images(const idx_data& idx, std::size_t first = 0, std::size_t count = 0) {
  require<shape_error>(idx.dims.size() == 3, "idx_images: expected N x H x W image data, got ", idx.dims.size(),
                       " dimensions");
  require<value_error>(first <= idx.count(), "idx_images: first item ", first, " is past the ", idx.count(), " items");
  if (count == 0) count = idx.count() - first;
  require<value_error>(count <= idx.count() - first, "idx_images: items ", first, "..", first + count,
                       " exceed the ", idx.count(), " items");
  const std::size_t hw = idx.item_size();
  auto t = tensor<float>::empty(shape::nchw(std::int64_t(count), 1, idx.dims[1], idx.dims[2]));
  const std::uint8_t* src = idx.data.data() + first * hw;
  float* dst = t.data();
  for (std::size_t i = 0; i < count * hw; ++i) dst[i] = float(src[i]) / 127.5f - 1.0f;
  return t;
}

/// The labels of a one-dimensional IDX file.
inline std::vector<std::int32_t> idx_labels(const idx_data& idx) {
  require<shape_error>(idx.dims.size() == 1, "idx_labels: expected a 1-dimensional label file, got ",
                       idx.dims.size(), " dimensions");
  return {idx.data.begin(), idx.data.end()};
}

}  // namespace i2i::io
