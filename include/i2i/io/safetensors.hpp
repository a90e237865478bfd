#pragma once
// The safetensors format (https://github.com/huggingface/safetensors), read and written with no
// dependency but nlohmann/json for the header (through io::parse_json, which keeps the errors ours):
//
//   u64 little-endian N | N bytes of UTF-8 JSON, space-padded | data section (raw little-endian bytes)
//   {"__metadata__": {"key": "value", ...},
//    "<name>": {"dtype": "F32", "shape": [d0, d1, ...], "data_offsets": [begin, end]}, ...}
//
// Offsets are relative to the start of the data section. The reader trusts nothing in the file: every
// violation below is an io_error naming the file, the problem and (where one is involved) the tensor:
//   - file shorter than 8 bytes, header length past the end of the file or above 100 MB, empty header;
//   - JSON that is malformed, not UTF-8, has duplicate keys, or is not an object of the layout above;
//   - an unknown dtype, a negative/non-integer dimension, more than 8 dimensions;
//   - begin > end, end past the data section, a byte count different from prod(shape) * dtype size;
//   - tensors that overlap, leave a hole, or do not cover the data section exactly (the reference Rust
//     implementation rejects all three, so no valid file has them).
// Reading converts F16/BF16/F32/F64 to float or double; writing produces F32 or F64 (the element type
// of the tensor). Writes go through atomic_file.
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/atomic_file.hpp"
#include "i2i/io/half.hpp"
#include "i2i/io/limits.hpp"
#include "i2i/io/parse_json.hpp"

namespace i2i::io {

static_assert(std::endian::native == std::endian::little,
              "i2i checkpoints store little-endian bytes and are read/written by memcpy: big-endian hosts are "
              "not supported");

/// The dtypes safetensors defines (all are accepted in a header; F16, BF16, F32, F64 can be read).
enum class st_dtype { BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

namespace detail {
struct st_dtype_row {
  st_dtype type;
  std::string_view name;
  std::size_t size;
};
inline constexpr st_dtype_row st_dtypes[] = {
    {st_dtype::BOOL, "BOOL", 1},   {st_dtype::U8, "U8", 1},     {st_dtype::I8, "I8", 1},
    {st_dtype::F8_E5M2, "F8_E5M2", 1}, {st_dtype::F8_E4M3, "F8_E4M3", 1}, {st_dtype::I16, "I16", 2},
    {st_dtype::U16, "U16", 2},     {st_dtype::F16, "F16", 2},   {st_dtype::BF16, "BF16", 2},
    {st_dtype::I32, "I32", 4},     {st_dtype::U32, "U32", 4},   {st_dtype::F32, "F32", 4},
    {st_dtype::F64, "F64", 8},     {st_dtype::I64, "I64", 8},   {st_dtype::U64, "U64", 8},
};

}  // namespace detail

inline std::string_view name(st_dtype t) {
  for (const auto& r : detail::st_dtypes)
    if (r.type == t) return r.name;
  return "?";
}
inline std::size_t size_of(st_dtype t) {
  for (const auto& r : detail::st_dtypes)
    if (r.type == t) return r.size;
  return 0;
}
inline bool parse_st_dtype(std::string_view s, st_dtype& out) {
  for (const auto& r : detail::st_dtypes)
    if (r.name == s) {
      out = r.type;
      return true;
    }
  return false;
}
template <class T>
constexpr st_dtype st_dtype_of() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "safetensors: only float and double");
  return std::is_same_v<T, float> ? st_dtype::F32 : st_dtype::F64;
}

/// "64x3x7x7", or "scalar" for rank 0 (the same spelling as i2i::shape).
inline std::string dims_string(const std::vector<std::uint64_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

/// One tensor as the header describes it.
struct safetensors_entry {
  std::string name;
  st_dtype dtype = st_dtype::F32;
  std::vector<std::uint64_t> dims;
  std::uint64_t begin = 0, end = 0;  // within the data section

  std::string shape_string() const { return dims_string(dims); }
  std::uint64_t numel() const {
    std::uint64_t n = 1;
    for (auto d : dims) n *= d;  // validated against the byte count when the header was read
    return n;
  }
  /// True when the shape is the i2i::shape `s` (same rank and dimensions).
  bool has_shape(const shape& s) const {
    if (dims.size() != std::size_t(s.rank())) return false;
    for (int i = 0; i < s.rank(); ++i)
      if (dims[std::size_t(i)] != std::uint64_t(s[i])) return false;
    return true;
  }
};

/// An open safetensors file: the header is parsed and validated on construction; tensors are read on
/// demand (so a 700 MB generator is never held twice in memory).
class safetensors_reader {
 public:
  static constexpr std::uint64_t max_header_bytes = 100'000'000;  // the reference implementation's limit
  static constexpr std::size_t max_rank = 8;

  explicit safetensors_reader(std::string path) : path_(std::move(path)), file_(nullptr, &std::fclose) {
    errno = 0;
    file_.reset(std::fopen(path_.c_str(), "rb"));
    if (!file_) fail(i2i::detail::concat("cannot open: ", std::strerror(errno)));
    struct stat st {};
    if (::fstat(::fileno(file_.get()), &st) != 0 || !S_ISREG(st.st_mode)) fail("not a regular file");
    const std::uint64_t file_size = std::uint64_t(st.st_size);
    if (file_size < 8) fail(i2i::detail::concat("file is ", file_size, " bytes, too short for the 8-byte header length"));
    unsigned char len_bytes[8];
    read_at(0, len_bytes, 8, "the header length");
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
    if (n == 0) fail("header length is 0");
    if (n > file_size - 8)
      fail(i2i::detail::concat("header length ", n, " runs past the end of the file (", file_size,
                               " bytes): truncated or not a safetensors file"));
    if (n > max_header_bytes) fail(i2i::detail::concat("header length ", n, " exceeds the limit of ", max_header_bytes));
    std::string header(std::size_t(n), '\0');
    read_at(8, header.data(), header.size(), "the header");
    data_start_ = 8 + n;
    data_size_ = file_size - data_start_;
    parse_header(header);
  }

  const std::string& path() const { return path_; }
  /// Tensors in header order.
  const std::vector<safetensors_entry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const safetensors_entry* find(std::string_view key) const {
    auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second];
  }
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  const safetensors_entry& at(std::string_view key) const {
    const auto* e = find(key);
    if (!e) fail(i2i::detail::concat("no tensor named '", key, "'"));
    return *e;
  }

  /// True when the entry's dtype converts to float/double (F16, BF16, F32, F64).
  static bool readable(st_dtype t) {
    return t == st_dtype::F16 || t == st_dtype::BF16 || t == st_dtype::F32 || t == st_dtype::F64;
  }

  /// Reads a tensor into a new host tensor<T>; the file's rank must be <= 4.
  template <class T>
  tensor<T> read(std::string_view key) const {
    const auto& e = at(key);
    if (e.dims.size() > std::size_t(shape::max_rank))
      fail(i2i::detail::concat("tensor '", e.name, "' has rank ", e.dims.size(), " (", e.shape_string(),
                               "); i2i tensors have rank <= ", shape::max_rank));
    detail::check_array_bytes(i2i::detail::concat("safetensors '", path_, "': tensor '", e.name, "'"), e.numel(),
                              sizeof(T));  // F16 read as double is 4 times the bytes in the file
    shape s;
    for (std::size_t i = 0; i < e.dims.size(); ++i) s = append_dim(s, std::int64_t(e.dims[i]));
    auto t = tensor<T>::empty(s);
    read_into(e, t.data());
    return t;
  }

  /// Reads the entry's elements, converted to T, into `dst` (room for e.numel() elements).
  template <class T>
  void read_into(const safetensors_entry& e, T* dst) const {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>);
    if (!readable(e.dtype))
      fail(i2i::detail::concat("tensor '", e.name, "' has dtype ", name(e.dtype),
                               "; only F16, BF16, F32 and F64 can be read as floating-point tensors"));
    const std::uint64_t count = e.numel();
    const std::size_t es = size_of(e.dtype);
    if (e.dtype == st_dtype_of<T>()) {
      read_at(data_start_ + e.begin, dst, std::size_t(count) * sizeof(T), "tensor '" + e.name + "'");
      return;
    }
    // Convert through a bounded buffer.
    constexpr std::size_t chunk = 1 << 16;
    std::vector<unsigned char> buf(std::min<std::uint64_t>(count, chunk) * es);
    for (std::uint64_t i = 0; i < count; i += chunk) {
      const std::size_t m = std::size_t(std::min<std::uint64_t>(chunk, count - i));
      read_at(data_start_ + e.begin + i * es, buf.data(), m * es, "tensor '" + e.name + "'");
      const unsigned char* b = buf.data();
      for (std::size_t k = 0; k < m; ++k, b += es) {
        switch (e.dtype) {
          case st_dtype::F16: {
            std::uint16_t h;
            std::memcpy(&h, b, 2);
            dst[i + k] = T(detail::half_to_float(h));
            break;
          }
          case st_dtype::BF16: {
            std::uint16_t h;
            std::memcpy(&h, b, 2);
            dst[i + k] = T(detail::bf16_to_float(h));
            break;
          }
          case st_dtype::F32: {
            float f;
            std::memcpy(&f, b, 4);
            dst[i + k] = T(f);
            break;
          }
          default: {
            double d;
            std::memcpy(&d, b, 8);
            dst[i + k] = T(d);
          }
        }
      }
    }
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw io_error(i2i::detail::concat("safetensors '", path_, "': ", why));
  }

 private:
  static shape append_dim(const shape& s, std::int64_t d) {
    switch (s.rank()) {
      case 0: return shape{d};
      case 1: return shape{s[0], d};
      case 2: return shape{s[0], s[1], d};
      default: return shape{s[0], s[1], s[2], d};
    }
  }

  void read_at(std::uint64_t offset, void* dst, std::size_t bytes, const std::string& what) const {
    if (bytes == 0) return;
    if (::fseeko(file_.get(), off_t(offset), SEEK_SET) != 0 || std::fread(dst, 1, bytes, file_.get()) != bytes)
      fail(i2i::detail::concat("cannot read ", what, " (", bytes, " bytes at offset ", offset,
                               "): the file is truncated or was changed while open"));
  }

  void parse_header(const std::string& header) {
    const json root = parse_json(header, i2i::detail::concat("safetensors '", path_, "': header"));
    if (!root.is_object()) fail(i2i::detail::concat("header is ", json_kind_name(root), ", expected an object"));
    for (const auto& [key, v] : root.items()) {
      if (key == "__metadata__") {
        if (!v.is_object()) fail(i2i::detail::concat("\"__metadata__\" is ", json_kind_name(v), ", expected an object"));
        for (const auto& [k, value] : v.items()) {
          if (!value.is_string())
            fail(i2i::detail::concat("metadata '", k, "' is ", json_kind_name(value), ", expected a string"));
          metadata_.emplace(k, value.get<std::string>());
        }
        continue;
      }
      entries_.push_back(parse_entry(key, v));
      index_.emplace(key, entries_.size() - 1);
    }
    check_layout();
  }

  safetensors_entry parse_entry(const std::string& key, const json& v) const {
    const auto bad = [&](const std::string& why) { fail(i2i::detail::concat("tensor '", key, "': ", why)); };
    if (key.empty()) bad("empty tensor name");
    if (!v.is_object()) bad(i2i::detail::concat("entry is ", json_kind_name(v), ", expected an object"));
    safetensors_entry e;
    e.name = key;
    const auto dt = v.find("dtype"), sh = v.find("shape"), off = v.find("data_offsets");
    if (dt == v.end() || !dt->is_string()) bad("missing or non-string \"dtype\"");
    const auto& dtype = dt->get_ref<const std::string&>();
    if (!parse_st_dtype(dtype, e.dtype)) bad(i2i::detail::concat("unknown dtype \"", dtype, "\""));
    if (sh == v.end() || !sh->is_array()) bad("missing or non-array \"shape\"");
    if (sh->size() > max_rank) bad(i2i::detail::concat("shape has ", sh->size(), " dimensions (at most ", max_rank, ")"));
    for (const auto& d : *sh) {
      std::uint64_t x;
      if (!json_u64(d, x)) bad(i2i::detail::concat("shape entry '", d.dump(), "' is not a non-negative integer"));
      if (x > (std::uint64_t(1) << 62)) bad(i2i::detail::concat("shape entry ", x, " is implausibly large"));
      e.dims.push_back(x);
    }
    if (off == v.end() || !off->is_array() || off->size() != 2) bad("\"data_offsets\" must be an array [begin, end]");
    if (!json_u64((*off)[0], e.begin) || !json_u64((*off)[1], e.end)) bad("\"data_offsets\" are not non-negative integers");
    if (e.begin > e.end) bad(i2i::detail::concat("data_offsets [", e.begin, ", ", e.end, "] end before they begin"));
    if (e.end > data_size_)
      bad(i2i::detail::concat("data_offsets [", e.begin, ", ", e.end, "] run past the data section (", data_size_,
                              " bytes): truncated file or corrupt header"));
    // prod(shape) * size without overflow: every factor must fit in the byte range.
    std::uint64_t bytes = size_of(e.dtype);
    bool overflow = false;
    for (auto d : e.dims) {
      if (d != 0 && bytes > UINT64_MAX / d) overflow = true;
      bytes *= d;
    }
    if (overflow || bytes != e.end - e.begin)
      bad(i2i::detail::concat("dtype ", name(e.dtype), " and shape ", e.shape_string(), " need ",
                              overflow ? std::string("more than 2^64") : std::to_string(bytes), " bytes but data_offsets [",
                              e.begin, ", ", e.end, "] hold ", e.end - e.begin));
    // A zero dimension makes the byte count 0 whatever the others are: (2^62, 2, 0) of U8 passes the
    // check above but no i2i::shape holds it.
    detail::checked_numel(i2i::detail::concat("safetensors '", path_, "': tensor '", key, "'"), e.dims);
    return e;
  }

  void check_layout() const {
    std::vector<const safetensors_entry*> order;
    for (const auto& e : entries_) order.push_back(&e);
    std::stable_sort(order.begin(), order.end(), [](auto* a, auto* b) {
      return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    std::uint64_t pos = 0;
    const safetensors_entry* prev = nullptr;
    for (const auto* e : order) {
      if (e->begin < pos)
        fail(i2i::detail::concat("tensors '", prev->name, "' [", prev->begin, ", ", prev->end, ") and '", e->name, "' [",
                                 e->begin, ", ", e->end, ") overlap"));
      if (e->begin > pos)
        fail(i2i::detail::concat("bytes [", pos, ", ", e->begin, ") of the data section belong to no tensor (before '",
                                 e->name, "')"));
      pos = e->end;
      prev = e;
    }
    if (pos != data_size_)
      fail(i2i::detail::concat("the tensors end at byte ", pos, " of the data section but it has ", data_size_,
                               " bytes (trailing garbage or a wrong header)"));
  }

  std::string path_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::uint64_t data_start_ = 0, data_size_ = 0;
  std::vector<safetensors_entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
  std::map<std::string, std::string> metadata_;
};

/// One tensor to write: raw little-endian bytes of `dtype` with shape `dims`.
struct safetensors_blob {
  std::string name;
  st_dtype dtype = st_dtype::F32;
  std::vector<std::uint64_t> dims;
  const void* data = nullptr;
  std::uint64_t bytes = 0;
};

/// A host tensor as a blob (the tensor must outlive the write).
template <class T>
safetensors_blob blob_of(std::string name, const tensor<T>& t) {
  safetensors_blob b;
  b.name = std::move(name);
  b.dtype = st_dtype_of<T>();
  for (int i = 0; i < t.rank(); ++i) b.dims.push_back(std::uint64_t(t.dim(i)));
  b.data = t.numel() ? static_cast<const void*>(t.values().data()) : nullptr;
  b.bytes = std::uint64_t(t.numel()) * sizeof(T);
  return b;
}

/// Writes `blobs` (in the given order) and `metadata` to `path`, atomically. Names must be non-empty,
/// unique, valid UTF-8 and not "__metadata__"; metadata keys and values must be valid UTF-8.
inline void write_safetensors(const std::string& path, const std::vector<safetensors_blob>& blobs,
                              const std::map<std::string, std::string>& metadata = {},
                              const std::string& who = "write_safetensors") {
  std::unordered_map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    const auto& b = blobs[i];
    require<value_error>(!b.name.empty(), who, ": tensor ", i, " has an empty name (writing '", path, "')");
    require<value_error>(b.name != "__metadata__", who, ": '__metadata__' is reserved (writing '", path, "')");
    require<value_error>(valid_utf8(b.name), who, ": tensor name '", b.name, "' is not valid UTF-8");
    require<value_error>(seen.emplace(b.name, i).second, who, ": duplicate tensor name '", b.name, "' (writing '",
                         path, "')");
    std::uint64_t expect = size_of(b.dtype);
    for (auto d : b.dims) expect *= d;
    require<value_error>(expect == b.bytes, who, ": tensor '", b.name, "' has ", b.bytes, " bytes but dtype ",
                         name(b.dtype), " and shape ", dims_string(b.dims), " need ", expect);
  }
  for (const auto& [k, v] : metadata)
    require<value_error>(valid_utf8(k) && valid_utf8(v), who, ": metadata '", k, "' is not valid UTF-8");

  // Compact, in the blobs' order, with the metadata first: the layout of the reference writer.
  json header = json::object();
  if (!metadata.empty()) {
    json& meta = header["__metadata__"] = json::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
  }
  std::uint64_t offset = 0;
  for (const auto& b : blobs) {
    header[b.name] = {{"dtype", std::string(name(b.dtype))},
                      {"shape", b.dims},
                      {"data_offsets", {offset, offset + b.bytes}}};
    offset += b.bytes;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // keeps the data section 8-byte aligned, as the reference does

  atomic_file out(path, who);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(std::uint64_t(h.size()) >> (8 * i));
  out.write(len, 8);
  out.write(h.data(), h.size());
  for (const auto& b : blobs)
    if (b.bytes) out.write(b.data, std::size_t(b.bytes));
  out.commit();
}

}  // namespace i2i::io
