#pragma once
// The error hierarchy (DESIGN §5). Every runtime failure of the library is an i2i::error whose message
// names where it happened (an op or a layer path), what was given and what was expected.
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace i2i {

/// Base of every exception the library throws.
class error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A tensor had the wrong rank, size or channel count for an op or a layer.
class shape_error : public error {
 public:
  using error::error;
};

/// A value was out of its domain: a label >= label_nc, a NaN loss, a negative size.
class value_error : public error {
 public:
  using error::error;
};

/// A file could not be read or written, or its contents are corrupt or truncated.
class io_error : public error {
 public:
  using error::error;
};

/// A device was requested that is not compiled in or not present (never a silent fallback).
class device_error : public error {
 public:
  using error::error;
};

namespace detail {
/// Joins any streamable values into one message; used to build error texts without <format> (g++ 12).
template <class... Args>
std::string concat(Args&&... args) {
  std::ostringstream s;
  (s << ... << std::forward<Args>(args));
  return s.str();
}
}  // namespace detail

/// Throws E with the concatenated message when `cond` is false.
template <class E = error, class... Args>
inline void require(bool cond, Args&&... args) {
  if (!cond) throw E(detail::concat(std::forward<Args>(args)...));
}

}  // namespace i2i
