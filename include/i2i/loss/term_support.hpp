#pragma once
// What every loss term shares, on every backend: error messages prefixed with the term's name, the
// weight check, and the names of a multiscale discriminator's taps. Eigen-free, so that the host terms
// (loss/types/term.hpp) and the backend-generic ones (loss/backend_terms.hpp, compiled by nvcc too) use
// the same code.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "i2i/core/error.hpp"

namespace i2i::loss::term_detail {

/// Calls f and prefixes the message of any i2i error it throws with the term's name, keeping the type.
template <class F>
decltype(auto) named(const std::string& term, F&& f) {
  try {
    return std::forward<F>(f)();
  } catch (const shape_error& e) {
    throw shape_error(term + ": " + e.what());
  } catch (const value_error& e) {
    throw value_error(term + ": " + e.what());
  } catch (const io_error& e) {
    throw io_error(term + ": " + e.what());
  } catch (const device_error& e) {
    throw device_error(term + ": " + e.what());
  } catch (const error& e) {
    throw error(term + ": " + e.what());
  }
}

inline void require_weight(const std::string& term, double w) {
  require<value_error>(std::isfinite(w), term, ": weight ", w, " is not finite");
}

/// True for "scale<k>" (k one or more digits).
inline bool is_scale_part(const std::string& part) {
  bool ok = part.size() > 5 && part.compare(0, 5, "scale") == 0;
  for (std::size_t i = 5; ok && i < part.size(); ++i) ok = part[i] >= '0' && part[i] <= '9';
  return ok;
}

/// True when `key` is a multiscale scale output, "scale<k>.out", possibly under a tap scope ("x.scale1.out").
inline bool is_scale_output(const std::string& key) {
  const std::string suffix = ".out";
  if (key.size() <= suffix.size() || key.compare(key.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  const std::string head = key.substr(0, key.size() - suffix.size());
  const auto dot = head.rfind('.');
  return is_scale_part(dot == std::string::npos ? head : head.substr(dot + 1));
}

/// The scale a tap belongs to: the key up to and including its last "scale<k>" component ("" if none).
inline std::string scale_scope(const std::string& key) {
  std::string scope;
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto end = std::min(key.find('.', start), key.size());
    if (is_scale_part(key.substr(start, end - start)) && end < key.size()) scope = key.substr(0, end);
    start = end + 1;
  }
  return scope;
}

}  // namespace i2i::loss::term_detail
