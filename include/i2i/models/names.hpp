#pragma once
// Compile-time helpers the reference networks share: names built from an index ("model1_1",
// "layer3"), and packs of blocks generated from an index sequence (pix2pixHD's "for i in
// range(n_downsampling)" loops become one inlined<...> of n elements).
#include <cstddef>
#include <utility>

#include "i2i/compose/seq.hpp"
#include "i2i/core/fixed_string.hpp"

namespace i2i::models {

/// Prefix + decimal Index + Suffix as a fixed_string, usable as a template argument:
/// indexed_name<"model", 1, "_2">() is "model1_2".
template <fixed_string Prefix, int Index, fixed_string Suffix = "">
constexpr auto indexed_name() {
  static_assert(Index >= 0 && Index < 1000, "i2i::models::indexed_name: index must be in [0, 999]");
  constexpr std::size_t p = Prefix.view().size(), s = Suffix.view().size();
  constexpr std::size_t d = Index < 10 ? 1 : Index < 100 ? 2 : 3;
  char buf[p + d + s + 1]{};
  for (std::size_t i = 0; i < p; ++i) buf[i] = Prefix.chars[i];
  int v = Index;
  for (std::size_t i = 0; i < d; ++i, v /= 10) buf[p + d - 1 - i] = char('0' + v % 10);
  for (std::size_t i = 0; i < s; ++i) buf[p + d + i] = Suffix.chars[i];
  return fixed_string<p + d + s + 1>(buf);
}
template <fixed_string Prefix, int Index, fixed_string Suffix = "">
inline constexpr auto indexed_name_v = indexed_name<Prefix, Index, Suffix>();

namespace names_detail {
template <class F, class Seq>
struct splice_over;
template <class F, int... I>
struct splice_over<F, std::integer_sequence<int, I...>> {
  using type = inlined<typename F::template at<I>...>;
};
}  // namespace names_detail

/// inlined<F::at<0>, ..., F::at<N-1>>: N generated blocks laid inline into the parent seq's indices.
/// N must be at least 1 (an empty inlined is not a spec).
template <class F, int N>
using splice_n = typename names_detail::splice_over<F, std::make_integer_sequence<int, N>>::type;

}  // namespace i2i::models
