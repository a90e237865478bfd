#pragma once
// NumPy .npz archives (np.savez / np.savez_compressed): a zip file whose members "<name>.npy" are .npy
// arrays, stored or deflated. Link i2i::io (zlib).
//
// The zip reader covers what numpy writes and nothing more exotic: the central directory (zip64 records
// and extra fields included: numpy forces zip64 on every member), methods 0 (stored) and 8 (deflate), no
// encryption, one disk. Every size and offset is bounds-checked against the file, and each member's
// CRC-32 is verified, so a corrupted or truncated archive is an io_error naming the file and member.
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/io/limits.hpp"
#include "i2i/io/npy.hpp"

namespace i2i::io {

class npz_reader {
 public:
  struct member {
    std::string name;  // as stored, e.g. "conv1_1.weight.npy"
    std::uint16_t method = 0, flags = 0;
    std::uint32_t crc = 0;
    std::uint64_t compressed = 0, size = 0, local_offset = 0;
  };

  explicit npz_reader(std::string path) : path_(std::move(path)), file_(nullptr, &std::fclose) {
    errno = 0;
    file_.reset(std::fopen(path_.c_str(), "rb"));
    if (!file_) fail(i2i::detail::concat("cannot open: ", std::strerror(errno)));
    if (::fseeko(file_.get(), 0, SEEK_END) != 0) fail("cannot seek");
    size_ = std::uint64_t(::ftello(file_.get()));
    read_directory();
  }

  const std::string& path() const { return path_; }
  const std::vector<member>& members() const { return members_; }
  /// Array names: member names without the ".npy" suffix, in archive order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& m : members_) out.push_back(array_name(m.name));
    return out;
  }
  bool contains(const std::string& array) const { return index_.count(array) != 0; }

  /// One array, converted to T.
  template <cpu_scalar T>
  tensor<T> read(const std::string& array) const {
    auto it = index_.find(array);
    if (it == index_.end()) fail(i2i::detail::concat("no array named '", array, "'"));
    const member& m = members_[it->second];
    const auto bytes = extract(m);
    return parse_npy<T>(bytes.data(), bytes.size(), i2i::detail::concat("npz '", path_, "' member '", m.name, "'"));
  }

  [[noreturn]] void fail(const std::string& why) const { throw io_error(i2i::detail::concat("npz '", path_, "': ", why)); }

 private:
  static std::string array_name(const std::string& n) {
    return n.size() > 4 && n.compare(n.size() - 4, 4, ".npy") == 0 ? n.substr(0, n.size() - 4) : n;
  }
  static std::uint64_t le(const unsigned char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }

  void read_at(std::uint64_t offset, void* dst, std::size_t bytes, const char* what) const {
    if (bytes == 0) return;
    if (offset > size_ || bytes > size_ - offset)
      fail(i2i::detail::concat(what, " (", bytes, " bytes at offset ", offset, ") lies past the end of the file (",
                               size_, " bytes): truncated or corrupt"));
    if (::fseeko(file_.get(), off_t(offset), SEEK_SET) != 0 || std::fread(dst, 1, bytes, file_.get()) != bytes)
      fail(i2i::detail::concat("cannot read ", what));
  }

  void read_directory() {
    // The end-of-central-directory record (22 bytes + a comment of up to 65535) is at the very end.
    const std::uint64_t tail_len = std::min<std::uint64_t>(size_, 22 + 65535);
    if (size_ < 22) fail(i2i::detail::concat("file is ", size_, " bytes: not a zip archive"));
    std::vector<unsigned char> tail(static_cast<std::size_t>(tail_len));
    read_at(size_ - tail_len, tail.data(), tail.size(), "the end of the archive");
    std::int64_t eocd = -1;
    for (std::int64_t i = std::int64_t(tail.size()) - 22; i >= 0; --i)
      if (le(&tail[std::size_t(i)], 4) == 0x06054b50 &&
          std::uint64_t(i) + 22 + le(&tail[std::size_t(i) + 20], 2) == tail.size()) {
        eocd = i;
        break;
      }
    if (eocd < 0) fail("no end-of-central-directory record: not a zip archive, or truncated");
    const unsigned char* e = &tail[std::size_t(eocd)];
    const std::uint64_t eocd_pos = size_ - tail_len + std::uint64_t(eocd);
    std::uint64_t disk = le(e + 4, 2), cd_disk = le(e + 6, 2), count = le(e + 10, 2), cd_size = le(e + 12, 4),
                  cd_offset = le(e + 16, 4);
    if (count == 0xFFFF || cd_size == 0xFFFFFFFF || cd_offset == 0xFFFFFFFF) {
      // zip64: a locator (20 bytes) right before the EOCD points at the zip64 EOCD record.
      if (eocd_pos < 20) fail("zip64 locator missing");
      unsigned char loc[20];
      read_at(eocd_pos - 20, loc, 20, "the zip64 locator");
      if (le(loc, 4) != 0x07064b50) fail("zip64 locator missing");
      unsigned char z[56];
      read_at(le(loc + 8, 8), z, 56, "the zip64 end-of-central-directory record");
      if (le(z, 4) != 0x06064b50) fail("bad zip64 end-of-central-directory signature");
      disk = le(z + 16, 4);
      cd_disk = le(z + 20, 4);
      count = le(z + 32, 8);
      cd_size = le(z + 40, 8);
      cd_offset = le(z + 48, 8);
    }
    if (disk != 0 || cd_disk != 0) fail("multi-disk archives are not supported");
    if (cd_offset > size_ || cd_size > size_ - cd_offset) fail("central directory lies past the end of the file");
    if (count > cd_size / 46) fail(i2i::detail::concat("central directory of ", cd_size, " bytes cannot hold ", count, " entries"));
    std::vector<unsigned char> cd(static_cast<std::size_t>(cd_size));
    read_at(cd_offset, cd.data(), cd.size(), "the central directory");

    std::size_t p = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
      if (p + 46 > cd.size() || le(&cd[p], 4) != 0x02014b50) fail(i2i::detail::concat("central directory entry ", i, " is corrupt"));
      const unsigned char* c = &cd[p];
      member m;
      m.flags = std::uint16_t(le(c + 8, 2));
      m.method = std::uint16_t(le(c + 10, 2));
      m.crc = std::uint32_t(le(c + 16, 4));
      m.compressed = le(c + 20, 4);
      m.size = le(c + 24, 4);
      const std::size_t name_len = le(c + 28, 2), extra_len = le(c + 30, 2), comment_len = le(c + 32, 2);
      m.local_offset = le(c + 42, 4);
      if (p + 46 + name_len + extra_len + comment_len > cd.size())
        fail(i2i::detail::concat("central directory entry ", i, " runs past the directory"));
      m.name.assign(reinterpret_cast<const char*>(c + 46), name_len);
      // zip64 extra field (id 1): the 64-bit values of exactly those fields that are 0xFFFFFFFF.
      const unsigned char* x = c + 46 + name_len;
      for (std::size_t q = 0; q + 4 <= extra_len;) {
        const std::size_t id = le(x + q, 2), len = le(x + q + 2, 2);
        if (q + 4 + len > extra_len) fail("member '" + m.name + "' has a malformed extra field");
        if (id == 1) {
          std::size_t r = q + 4;
          const auto take = [&](std::uint64_t& field) {
            if (field != 0xFFFFFFFF) return;
            if (r + 8 > q + 4 + len) fail("member '" + m.name + "' has a short zip64 extra field");
            field = le(x + r, 8);
            r += 8;
          };
          take(m.size);
          take(m.compressed);
          take(m.local_offset);
        }
        q += 4 + len;
      }
      if (m.flags & 1) fail("member '" + m.name + "' is encrypted");
      if (m.method != 0 && m.method != 8)
        fail(i2i::detail::concat("member '", m.name, "' uses compression method ", m.method, " (only stored and deflate)"));
      if (m.method == 0 && m.compressed != m.size) fail("member '" + m.name + "' is stored but its sizes differ");
      // Deflate cannot expand by more than ~1032:1; a larger claim is a corrupt (or hostile) header.
      if (m.method == 8 && m.size / 1032 > m.compressed + 1)
        fail("member '" + m.name + "' claims an impossible uncompressed size");
      if (!index_.emplace(array_name(m.name), members_.size()).second) fail("duplicate member '" + m.name + "'");
      members_.push_back(std::move(m));
      p += 46 + name_len + extra_len + comment_len;
    }
  }

  std::vector<unsigned char> extract(const member& m) const {
    unsigned char lh[30];
    read_at(m.local_offset, lh, 30, "a local file header");
    if (le(lh, 4) != 0x04034b50) fail("member '" + m.name + "': bad local header signature");
    const std::uint64_t data_at = m.local_offset + 30 + le(lh + 26, 2) + le(lh + 28, 2);
    if (data_at > size_ || m.compressed > size_ - data_at)
      fail(i2i::detail::concat("member '", m.name, "': its ", m.compressed, " bytes run past the end of the file"));
    if (m.size > std::uint64_t(std::numeric_limits<std::size_t>::max() / 2)) fail("member '" + m.name + "' is too large");
    if (m.size > max_array_bytes())
      fail(i2i::detail::concat("member '", m.name, "' inflates to ", m.size, " bytes, above the limit of ",
                               max_array_bytes(), " bytes (set_max_array_bytes or I2I_MAX_ARRAY_BYTES raise it)"));
    std::vector<unsigned char> raw(std::size_t(m.compressed));
    read_at(data_at, raw.data(), raw.size(), "member data");
    std::vector<unsigned char> out;
    if (m.method == 0) {
      out = std::move(raw);
    } else {
      out.resize(std::size_t(m.size));
      z_stream z{};
      if (inflateInit2(&z, -MAX_WBITS) != Z_OK) fail("zlib inflateInit2 failed");
      std::size_t in_done = 0, out_done = 0;
      int rc = Z_OK;
      // zlib counts in uInt; feed and drain in pieces below 4 GiB.
      constexpr std::size_t piece = std::size_t(1) << 30;
      while (rc == Z_OK) {
        z.next_in = raw.data() + in_done;
        z.avail_in = uInt(std::min(piece, raw.size() - in_done));
        z.next_out = out.data() + out_done;
        z.avail_out = uInt(std::min(piece, out.size() - out_done));
        const std::size_t in_before = z.avail_in, out_before = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        in_done += in_before - z.avail_in;
        out_done += out_before - z.avail_out;
        if (rc == Z_OK && in_before == z.avail_in && out_before == z.avail_out) rc = Z_BUF_ERROR;  // no progress
      }
      const std::string zmsg = z.msg ? z.msg : "size mismatch";
      inflateEnd(&z);
      if (rc != Z_STREAM_END || out_done != out.size())
        fail(i2i::detail::concat("member '", m.name, "': deflate data is corrupt (zlib: ", zmsg, ")"));
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (std::size_t done = 0; done < out.size();) {
      const std::size_t n = std::min<std::size_t>(out.size() - done, std::size_t(1) << 30);
      crc = crc32(crc, out.data() + done, uInt(n));
      done += n;
    }
    if (std::uint32_t(crc) != m.crc) fail("member '" + m.name + "': CRC-32 mismatch (corrupt data)");
    return out;
  }

  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::uint64_t size_ = 0;
  std::vector<member> members_;
  std::unordered_map<std::string, std::size_t> index_;
};

/// Every array of an .npz as a state_dict<T> (archive order), e.g. a converted vgg19.npz.
template <cpu_scalar T>
state_dict<T> read_npz(const std::string& path) {
  const npz_reader z(path);
  state_dict<T> out;
  for (const auto& n : z.names()) out.push_back({n, z.read<T>(n)});
  return out;
}

}  // namespace i2i::io
