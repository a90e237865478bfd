#pragma once
// Compile-time helpers the reference networks share: packs of blocks generated from an index sequence (pix2pixHD's "for i in
// range(n_downsampling)" loops become one inlined<...> of n elements).
#include <cstddef>
#include <utility>

#include "i2i/compose/seq.hpp"
#include "i2i/core/fixed_string.hpp"

namespace i2i::models {

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
