#pragma once
// A string usable as a template argument (C++20 class-type NTTP): tap<"relu3_1", X>, named<"model", X>.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace i2i {

template <std::size_t N>
struct fixed_string {
  char chars[N]{};
  constexpr fixed_string(const char (&s)[N]) { std::copy_n(s, N, chars); }
  constexpr std::string_view view() const { return {chars, N - 1}; }
  std::string str() const { return std::string(view()); }
  constexpr bool empty() const { return N <= 1; }
};

}  // namespace i2i
