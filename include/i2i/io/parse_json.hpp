#pragma once
// The boundary between nlohmann/json and i2i's errors, for JSON read from files (the safetensors header
// of every checkpoint). nlohmann's lexer already rejects what the JSON grammar rejects, invalid UTF-8
// (overlong forms, surrogates, anything above U+10FFFF), lone surrogate escapes and raw control
// characters. On top of it:
//   - every error is an i2i::io_error that starts with the caller's context (the file name), never a
//     nlohmann exception;
//   - nesting deeper than 64 levels is an error (a header is two levels deep; a hostile file is not);
//   - duplicate keys in one object are an error (JSON leaves them undefined, nlohmann keeps the last,
//     and a checkpoint with two values for one tensor name is corrupt);
//   - objects keep their file order (ordered_json), so a header's tensors are listed as written.
// Integers are nlohmann's number_unsigned only when they fit in 64 bits exactly; a 20-digit offset
// becomes a float, which json_u64 refuses, so it is never rounded into a wrong offset.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i::io {

/// A parsed JSON document; objects keep their members in file (or insertion) order.
using json = nlohmann::ordered_json;

inline constexpr int max_json_depth = 64;

namespace json_detail {
[[noreturn]] inline void fail(std::string_view context, std::string_view why) {
  throw io_error(i2i::detail::concat(context, ": invalid JSON: ", why));
}
/// nlohmann's message without its "[json.exception.parse_error.101] " tag.
inline std::string_view message(const nlohmann::json::exception& e) {
  const std::string_view what = e.what();
  const auto tag_end = what.find("] ");
  return tag_end == what.npos ? what : what.substr(tag_end + 2);
}
}  // namespace json_detail

/// Parses a whole JSON document; every error is an io_error starting with `context` (e.g. the file).
inline json parse_json(std::string_view text, std::string_view context) {
  std::vector<std::unordered_set<std::string>> keys_of_open_objects;
  const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        // `depth` counts the containers around this one: the top-level value is at 0.
        if (depth >= max_json_depth) json_detail::fail(context, "nesting deeper than 64 levels");
        if (event == json::parse_event_t::object_start) keys_of_open_objects.emplace_back();
        break;
      case json::parse_event_t::key:
        if (!keys_of_open_objects.back().insert(parsed.get<std::string>()).second)
          json_detail::fail(context, i2i::detail::concat("duplicate key ", parsed.dump()));
        break;
      case json::parse_event_t::object_end: keys_of_open_objects.pop_back(); break;
      default: break;
    }
    return true;
  };
  try {
    return json::parse(text.begin(), text.end(), check);
  } catch (const json::exception& e) {
    // parse_error: "parse error at line 1, column 21: syntax error while parsing object key - ...";
    // out_of_range 406: a number that overflows a double.
    json_detail::fail(context, json_detail::message(e));
  }
}

/// "an object", "a number", ... for messages.
inline const char* json_kind_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "a binary value";
  }
}

/// A number that is a non-negative integer fitting in 64 bits (no sign, fraction or exponent).
inline bool json_u64(const json& v, std::uint64_t& out) {
  if (!v.is_number_unsigned()) return false;
  out = v.get<std::uint64_t>();
  return true;
}

/// True when `s` is valid UTF-8 (what nlohmann's writer and reader accept).
inline bool valid_utf8(std::string_view s) {
  try {
    (void)json(std::string(s)).dump();
    return true;
  } catch (const json::type_error&) {  // 316: invalid UTF-8 byte
    return false;
  }
}

}  // namespace i2i::io
