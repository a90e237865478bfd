#pragma once
// NumPy .npy arrays (format versions 1.0, 2.0 and 3.0) into tensor<float>/tensor<double>:
//
//   "\x93NUMPY" | major | minor | header length (u16 for 1.0, u32 for 2.0/3.0, little-endian)
//   | header: a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
//   | raw elements in C order
//
// Accepted element types: floats f2/f4/f8 in either byte order, integers i1..i8/u1..u8 and b1 (converted).
// Refused, with an io_error naming the file and saying what to do:
//   - 'fortran_order': True (re-save with np.ascontiguousarray);
//   - object arrays ('|O'): these are pickles. EGSC-IT's vgg19.npy (machrisaa tensorflow-vgg) is exactly
//     that: np.save of a dict {layer: [weights, biases]}; it must be converted once in Python to .npz or
//     safetensors (docs/checkpoints.md shows the script);
//   - structured dtypes, strings, complex numbers, rank > 4.
// Data shorter or longer than the shape needs is an error. write_npy writes version 1.0 '<f4'/'<f8'.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/atomic_file.hpp"
#include "i2i/io/half.hpp"
#include "i2i/io/limits.hpp"

namespace i2i::io {

/// An element type as a .npy 'descr' names it.
struct npy_dtype {
  char kind = 'f';        // 'f' float, 'i' signed, 'u' unsigned, 'b' bool
  std::size_t size = 4;   // bytes per element
  bool swap = false;      // big-endian data on this (little-endian) host
};

/// A parsed .npy header.
struct npy_header {
  std::string descr;
  npy_dtype dtype;
  bool fortran_order = false;
  std::vector<std::uint64_t> dims;
  std::size_t data_offset = 0;  // where the elements start
  std::uint64_t numel() const {
    std::uint64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
  }
};

namespace detail {

/// Just enough of Python's literal syntax for numpy's header: a dict of strings, booleans and tuples of
/// integers (a structured dtype's list is recognised only to be refused).
class py_literal_parser {
 public:
  py_literal_parser(std::string_view s, const std::string& what) : s_(s), what_(what) {}

  npy_header parse() {
    npy_header h;
    bool have_descr = false, have_order = false, have_shape = false;
    ws();
    expect('{');
    for (;;) {
      ws();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = string_literal();
      ws();
      expect(':');
      ws();
      if (key == "descr") {
        if (peek() == '[') fail("has a structured dtype (a list of fields); only plain numeric arrays are supported");
        h.descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = boolean();
        have_order = true;
      } else if (key == "shape") {
        h.dims = int_tuple();
        have_shape = true;
      } else {
        fail("header has an unknown key '" + key + "'");
      }
      ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      ws();
      expect('}');
      break;
    }
    ws();
    if (pos_ != s_.size()) fail("unexpected text after the header dict");
    if (!have_descr || !have_order || !have_shape) fail("header lacks 'descr', 'fortran_order' or 'shape'");
    return h;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw io_error(i2i::detail::concat(what_, ": ", why));
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void expect(char c) {
    if (peek() != c) fail(i2i::detail::concat("malformed header near byte ", pos_, " (expected '", c, "')"));
    ++pos_;
  }
  std::string string_literal() {
    const char q = peek();
    if (q != '\'' && q != '"') fail(i2i::detail::concat("malformed header near byte ", pos_, " (expected a string)"));
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\\' || static_cast<unsigned char>(s_[pos_]) < 0x20) fail("unsupported character in a header string");
      out += s_[pos_++];
    }
    expect(q);
    return out;
  }
  bool boolean() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    fail(i2i::detail::concat("malformed header near byte ", pos_, " (expected True or False)"));
  }
  std::vector<std::uint64_t> int_tuple() {
    std::vector<std::uint64_t> dims;
    expect('(');
    for (;;) {
      ws();
      if (peek() == ')') {
        ++pos_;
        return dims;
      }
      if (peek() < '0' || peek() > '9') fail(i2i::detail::concat("malformed shape near byte ", pos_));
      std::uint64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (std::uint64_t(1) << 62) / 10) fail("shape dimension is implausibly large");
        v = v * 10 + std::uint64_t(peek() - '0');
        ++pos_;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long literals
      dims.push_back(v);
      if (dims.size() > 32) fail("shape has more than 32 dimensions");
      ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      ws();
      expect(')');
      return dims;
    }
  }

  std::string_view s_;
  const std::string& what_;
  std::size_t pos_ = 0;
};

inline npy_dtype parse_npy_descr(const std::string& d, const std::string& what) {
  const auto refuse = [&](const std::string& why) -> npy_dtype {
    throw io_error(i2i::detail::concat(what, ": dtype '", d, "' ", why));
  };
  if (d.find('O') != std::string::npos)
    refuse(
        "holds Python objects (a pickle, e.g. np.save of a dict such as machrisaa's vgg19.npy); it cannot be read "
        "without Python: convert it to .npz or safetensors first (see docs/checkpoints.md)");
  if (d.size() < 3) refuse("is not supported");
  const char order = d[0], kind = d[1];
  if (order != '<' && order != '>' && order != '|' && order != '=') refuse("has an unknown byte order");
  std::size_t size = 0;
  for (std::size_t i = 2; i < d.size(); ++i) {
    if (d[i] < '0' || d[i] > '9' || size > 64) refuse("is not supported");
    size = size * 10 + std::size_t(d[i] - '0');
  }
  npy_dtype t{kind, size, order == '>' && size > 1};
  const bool ok = (kind == 'f' && (size == 2 || size == 4 || size == 8)) ||
                  ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                  (kind == 'b' && size == 1);
  if (!ok) refuse("is not supported (floats f2/f4/f8, integers i1..i8/u1..u8 and b1 are)");
  return t;
}

inline std::string dims_text(const std::vector<std::uint64_t>& dims) {
  if (dims.empty()) return "scalar";
  std::string s;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(dims[i]);
  }
  return s;
}

template <class U>
U load_scalar(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(U)];
  std::memcpy(b, p, sizeof(U));
  if (swap) std::reverse(b, b + sizeof(U));
  U v;
  std::memcpy(&v, b, sizeof(U));
  return v;
}

/// Converts n elements of `t` at `src` to T.
template <class T>
void convert_npy(const npy_dtype& t, const unsigned char* src, std::size_t n, T* dst) {
  if (n == 0) return;  // an empty tensor's data() is null, and memcpy(nullptr, ..., 0) is undefined
  if (t.kind == 'f' && t.size == sizeof(T) && !t.swap) {
    std::memcpy(dst, src, n * sizeof(T));
    return;
  }
  for (std::size_t i = 0; i < n; ++i, src += t.size) {
    T v;
    if (t.kind == 'f') {
      if (t.size == 2) {
        v = T(half_to_float(load_scalar<std::uint16_t>(src, t.swap)));
      } else if (t.size == 4) {
        v = T(load_scalar<float>(src, t.swap));
      } else {
        v = T(load_scalar<double>(src, t.swap));
      }
    } else if (t.kind == 'i') {
      switch (t.size) {
        case 1: v = T(load_scalar<std::int8_t>(src, false)); break;
        case 2: v = T(load_scalar<std::int16_t>(src, t.swap)); break;
        case 4: v = T(load_scalar<std::int32_t>(src, t.swap)); break;
        default: v = T(load_scalar<std::int64_t>(src, t.swap));
      }
    } else if (t.kind == 'u') {
      switch (t.size) {
        case 1: v = T(load_scalar<std::uint8_t>(src, false)); break;
        case 2: v = T(load_scalar<std::uint16_t>(src, t.swap)); break;
        case 4: v = T(load_scalar<std::uint32_t>(src, t.swap)); break;
        default: v = T(load_scalar<std::uint64_t>(src, t.swap));
      }
    } else {
      v = T(src[0] != 0);
    }
    dst[i] = v;
  }
}

/// Parses the magic, version and header dict from the first bytes of a .npy stream. `available` is how
/// many bytes follow in total (file or zip member), to bound-check the header and data lengths.
inline npy_header parse_npy_prefix(const unsigned char* p, std::size_t have, std::uint64_t available,
                                   const std::string& what) {
  const auto fail = [&](const std::string& why) -> npy_header { throw io_error(i2i::detail::concat(what, ": ", why)); };
  if (available < 10 || have < 10) return fail(i2i::detail::concat("only ", available, " bytes: not a .npy array"));
  if (std::memcmp(p, "\x93NUMPY", 6) != 0) return fail("bad magic (not a .npy array)");
  const unsigned major = p[6], minor = p[7];
  if (major < 1 || major > 3 || minor != 0)
    return fail(i2i::detail::concat("unsupported .npy format version ", major, ".", minor, " (1.0, 2.0 and 3.0 are)"));
  std::size_t prefix = major == 1 ? 10 : 12;
  if (have < prefix || available < prefix) return fail("truncated before the header length");
  const std::uint64_t hlen = major == 1 ? std::uint64_t(p[8]) | std::uint64_t(p[9]) << 8
                                        : std::uint64_t(p[8]) | std::uint64_t(p[9]) << 8 | std::uint64_t(p[10]) << 16 |
                                              std::uint64_t(p[11]) << 24;
  if (hlen > available - prefix)
    return fail(i2i::detail::concat("header length ", hlen, " runs past the end (", available, " bytes)"));
  if (prefix + hlen > have) return fail("internal: header not buffered");
  std::string_view text(reinterpret_cast<const char*>(p + prefix), std::size_t(hlen));
  if (major < 3) {
    for (char c : text)
      if (static_cast<unsigned char>(c) >= 0x80) return fail("non-ASCII header in a version 1/2 file");
  }
  npy_header h = py_literal_parser(text, what).parse();
  h.dtype = parse_npy_descr(h.descr, what);
  h.data_offset = prefix + std::size_t(hlen);
  if (h.fortran_order)
    return fail("is stored in Fortran (column-major) order; re-save it in C order, e.g. "
                "np.save(path, np.ascontiguousarray(a))");
  if (h.dims.size() > std::size_t(shape::max_rank))
    return fail(i2i::detail::concat("has rank ", h.dims.size(), "; i2i tensors have rank <= ", shape::max_rank));
  std::uint64_t bytes = h.dtype.size;
  bool overflow = false;
  for (auto d : h.dims) {
    if (d != 0 && bytes > UINT64_MAX / d) overflow = true;
    bytes *= d;
  }
  const std::uint64_t data = available - h.data_offset;
  if (overflow || bytes != data)
    return fail(i2i::detail::concat("dtype '", h.descr, "' and shape ", dims_text(h.dims), " need ",
                                    overflow ? std::string("more than 2^64") : std::to_string(bytes), " bytes of data but ",
                                    data, " follow the header", bytes > data ? " (truncated)" : ""));
  checked_numel(what, h.dims);  // (2^62, 2, 0) of '|u1' needs 0 bytes, but no i2i::shape holds it
  return h;
}

inline shape to_shape(const std::vector<std::uint64_t>& dims) {
  switch (dims.size()) {
    case 0: return shape{};
    case 1: return shape{std::int64_t(dims[0])};
    case 2: return shape{std::int64_t(dims[0]), std::int64_t(dims[1])};
    case 3: return shape{std::int64_t(dims[0]), std::int64_t(dims[1]), std::int64_t(dims[2])};
    default: return shape{std::int64_t(dims[0]), std::int64_t(dims[1]), std::int64_t(dims[2]), std::int64_t(dims[3])};
  }
}

}  // namespace detail

/// A whole .npy image held in memory (e.g. a member of an .npz); `what` names it in errors.
template <cpu_scalar T>
tensor<T> parse_npy(const unsigned char* bytes, std::size_t size, const std::string& what) {
  const npy_header h = detail::parse_npy_prefix(bytes, size, size, what);
  detail::check_array_bytes(what, h.numel(), sizeof(T));
  auto t = tensor<T>::empty(detail::to_shape(h.dims));
  detail::convert_npy(h.dtype, bytes + h.data_offset, std::size_t(h.numel()), t.data());
  return t;
}

/// Reads a .npy file, converting its elements to T.
template <cpu_scalar T>
tensor<T> read_npy(const std::string& path) {
  const std::string what = "npy '" + path + "'";
  errno = 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  require<io_error>(f != nullptr, what, ": cannot open: ", std::strerror(errno));
  require<io_error>(::fseeko(f.get(), 0, SEEK_END) == 0, what, ": cannot seek");
  const std::uint64_t size = std::uint64_t(::ftello(f.get()));
  std::rewind(f.get());
  // The header is at most 12 + 2^32 bytes by format but a few hundred in practice; read up to 64 KiB
  // first and the rest only when the header says it is longer.
  std::vector<unsigned char> head(std::size_t(std::min<std::uint64_t>(size, 65536)));
  require<io_error>(std::fread(head.data(), 1, head.size(), f.get()) == head.size(), what, ": cannot read the header");
  if (head.size() >= 12 && head[6] >= 2) {
    const std::uint64_t hlen = std::uint64_t(head[8]) | std::uint64_t(head[9]) << 8 | std::uint64_t(head[10]) << 16 |
                               std::uint64_t(head[11]) << 24;
    if (hlen + 12 > head.size() && hlen + 12 <= size) {
      const std::size_t old = head.size();
      head.resize(std::size_t(hlen + 12));
      require<io_error>(std::fread(head.data() + old, 1, head.size() - old, f.get()) == head.size() - old, what,
                        ": cannot read the header");
    }
  }
  const npy_header h = detail::parse_npy_prefix(head.data(), head.size(), size, what);
  detail::check_array_bytes(what, h.numel(), sizeof(T));  // a u1 file read as double is 8 times its size
  auto t = tensor<T>::empty(detail::to_shape(h.dims));
  // Stream the elements through a bounded buffer.
  require<io_error>(::fseeko(f.get(), off_t(h.data_offset), SEEK_SET) == 0, what, ": cannot seek to the data");
  const std::size_t es = h.dtype.size;
  const std::uint64_t n = h.numel();
  constexpr std::size_t chunk = 1 << 16;
  std::vector<unsigned char> buf(std::size_t(std::min<std::uint64_t>(n, chunk)) * es);
  for (std::uint64_t i = 0; i < n; i += chunk) {
    const std::size_t m = std::size_t(std::min<std::uint64_t>(chunk, n - i));
    require<io_error>(std::fread(buf.data(), 1, m * es, f.get()) == m * es, what, ": truncated data (file changed?)");
    detail::convert_npy(h.dtype, buf.data(), m, t.data() + i);
  }
  return t;
}

/// Writes a tensor as a version 1.0 .npy ('<f4' or '<f8', C order), atomically; np.load reads it.
template <cpu_scalar T>
void write_npy(const std::string& path, const tensor<T>& t) {
  std::string h = std::string("{'descr': '") + (sizeof(T) == 4 ? "<f4" : "<f8") + "', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < t.rank(); ++i) h += std::to_string(t.dim(i)) + (t.rank() == 1 || i + 1 < t.rank() ? ", " : "");
  if (t.rank() == 1) h.pop_back();  // "(5,)"
  h += "), }";
  h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');  // total header a multiple of 64, as numpy writes
  h += '\n';
  require<value_error>(h.size() < 65536, "write_npy: header too long");
  unsigned char prefix[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<unsigned char>(h.size() & 0xFF),
                              static_cast<unsigned char>(h.size() >> 8)};
  atomic_file out(path, "write_npy");
  out.write(prefix, 10);
  out.write(h.data(), h.size());
  if (t.numel()) out.write(t.values().data(), std::size_t(t.numel()) * sizeof(T));
  out.commit();
}

}  // namespace i2i::io
