#pragma once
// A small JSON reader and string quoter for the safetensors header (and nothing else): no dependency,
// hardened against hostile input. Limits: nesting depth 64; strings must be valid UTF-8 (no overlong
// forms, no surrogates, nothing above U+10FFFF) and may not hold raw control characters; duplicate keys
// in one object are an error (JSON leaves them undefined, and a checkpoint with two values for one name
// is corrupt); numbers are kept as their text and converted on demand, so a 20-digit offset is never
// rounded through a double.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i::io::json {

struct value {
  enum class kind { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool boolean = false;
  std::string text;                // the string's contents, or a number's literal text
  std::vector<std::string> keys;   // object keys, in file order (parallel to items)
  std::vector<value> items;        // array elements or object values

  bool is_object() const { return type == kind::object; }
  bool is_array() const { return type == kind::array; }
  bool is_string() const { return type == kind::string; }
  bool is_number() const { return type == kind::number; }

  /// The member named `key`, or nullptr.
  const value* find(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &items[i];
    return nullptr;
  }
  /// A number that is a non-negative integer fitting in 64 bits (no sign, fraction or exponent).
  bool as_u64(std::uint64_t& out) const {
    if (type != kind::number || text.empty() || text[0] == '-') return false;
    std::uint64_t v = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return false;
      const std::uint64_t d = std::uint64_t(c - '0');
      if (v > (UINT64_MAX - d) / 10) return false;
      v = v * 10 + d;
    }
    out = v;
    return true;
  }
};

inline const char* kind_name(value::kind k) {
  switch (k) {
    case value::kind::null: return "null";
    case value::kind::boolean: return "a boolean";
    case value::kind::number: return "a number";
    case value::kind::string: return "a string";
    case value::kind::array: return "an array";
    case value::kind::object: return "an object";
  }
  return "?";
}

namespace detail {

/// Length of the UTF-8 sequence starting at s[i] (1..4), or 0 when it is not valid UTF-8.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr std::uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

class parser {
 public:
  parser(std::string_view text, std::string_view context) : s_(text), context_(context) {}

  value parse_document() {
    skip_ws();
    value v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected data after the JSON value");
    return v;
  }

 private:
  static constexpr int max_depth = 64;

  [[noreturn]] void fail(std::string_view why) const {
    throw io_error(i2i::detail::concat(context_, ": invalid JSON at byte ", pos_, ": ", why));
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void skip_ws() {
    while (!at_end() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  void need_more() const {
    if (at_end()) fail("unexpected end of input");
  }
  void expect(char c) {
    need_more();
    if (peek() != c) fail(i2i::detail::concat("expected '", c, "'"));
    ++pos_;
  }

  value parse_value(int depth) {
    if (depth > max_depth) fail("nesting deeper than 64 levels");
    if (at_end()) fail("unexpected end of input");
    const char c = s_[pos_];
    value v;
    if (c == '{') {
      v.type = value::kind::object;
      ++pos_;
      skip_ws();
      if (peek() == '}' && !at_end()) {
        ++pos_;
        return v;
      }
      for (;;) {
        skip_ws();
        need_more();
        if (peek() != '"') fail("expected a string key");
        std::string key = parse_string();
        for (const auto& k : v.keys)
          if (k == key) fail(i2i::detail::concat("duplicate key \"", key, "\""));
        skip_ws();
        expect(':');
        skip_ws();
        v.items.push_back(parse_value(depth + 1));
        v.keys.push_back(std::move(key));
        skip_ws();
        if (peek() == ',' && !at_end()) {
          ++pos_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.type = value::kind::array;
      ++pos_;
      skip_ws();
      if (peek() == ']' && !at_end()) {
        ++pos_;
        return v;
      }
      for (;;) {
        skip_ws();
        v.items.push_back(parse_value(depth + 1));
        skip_ws();
        if (peek() == ',' && !at_end()) {
          ++pos_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.type = value::kind::string;
      v.text = parse_string();
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.type = value::kind::number;
      v.text = parse_number();
      return v;
    }
    if (s_.substr(pos_, 4) == "true") {
      pos_ += 4;
      v.type = value::kind::boolean;
      v.boolean = true;
      return v;
    }
    if (s_.substr(pos_, 5) == "false") {
      pos_ += 5;
      v.type = value::kind::boolean;
      return v;
    }
    if (s_.substr(pos_, 4) == "null") {
      pos_ += 4;
      return v;
    }
    fail("expected a value");
  }

  std::string parse_number() {
    const std::size_t start = pos_;
    const auto digits = [&] {
      const std::size_t b = pos_;
      while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - b;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0' && !at_end()) {
      ++pos_;
    } else if (digits() == 0) {
      fail("malformed number");
    }
    if (peek() == '.' && !at_end()) {
      ++pos_;
      if (digits() == 0) fail("malformed number");
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      ++pos_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++pos_;
      if (digits() == 0) fail("malformed number");
    }
    return std::string(s_.substr(start, pos_ - start));
  }

  unsigned hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= unsigned(h - '0');
      else if (h >= 'a' && h <= 'f') v |= unsigned(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F') v |= unsigned(h - 'A' + 10);
      else fail("bad hex digit in \\u escape");
    }
    return v;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    for (;;) {
      if (at_end()) fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) fail("raw control character in a string");
      if (c == '\\') {
        ++pos_;
        if (at_end()) fail("unterminated escape");
        const char e = s_[pos_++];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            std::uint32_t cp = hex4();
            if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate in \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
              if (s_.substr(pos_, 2) != "\\u") fail("high surrogate not followed by a low surrogate");
              pos_ += 2;
              const std::uint32_t lo = hex4();
              if (lo < 0xDC00 || lo > 0xDFFF) fail("high surrogate not followed by a low surrogate");
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            append_utf8(out, cp);
            break;
          }
          default: fail(i2i::detail::concat("unknown escape \\", e));
        }
        continue;
      }
      const std::size_t n = utf8_sequence(s_, pos_);
      if (n == 0) fail("invalid UTF-8 in a string");
      out.append(s_.substr(pos_, n));
      pos_ += n;
    }
  }

  std::string_view s_;
  std::string_view context_;
  std::size_t pos_ = 0;
};

}  // namespace detail

/// Parses a whole JSON document; errors are io_errors starting with `context` (e.g. the file name).
inline value parse(std::string_view text, std::string_view context) { return detail::parser(text, context).parse_document(); }

/// True when `s` is valid UTF-8.
inline bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = detail::utf8_sequence(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

/// `s` as a JSON string literal (quotes included); `s` must be valid UTF-8 (checked by the caller).
inline std::string quote(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace i2i::io::json
