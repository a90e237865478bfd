#pragma once
// How a combinator constructs a child instance, and the traits that decide its name.
//
// Naming follows PyTorch: inside an indexed seq every element takes the next index ("model.16"), a
// repeat<N, X> or inlined<...> takes N positions as if its elements were written inline (pix2pixHD
// builds its Sequential from concatenated lists), named<"x", X> takes its own name, and channels<C>
// takes none.
#include <string>
#include <type_traits>

#include "i2i/model/parameter.hpp"
#include "i2i/spec/channels.hpp"

namespace i2i {

/// Specs that lay their elements into the parent's index sequence (repeat, inlined) and therefore are
/// constructed with the parent's context and their first index.
template <class S>
concept splicing_spec = requires { requires S::splices; };

/// Specs that name themselves (named<...>): the parent passes its own context.
template <class S>
concept self_naming_spec = requires { requires S::self_naming; };

/// Specs that stand for several consecutive elements (fused_norm): constructed with the parent's context
/// and their first index, or -1 where the parent adds no name level, so each part is named as before.
template <class S>
concept positional_spec = requires { requires S::positional; };

namespace compose_detail {

template <class S, int In, class B>
using instance_of = typename S::template instance<In, B>;

/// Builds the instance of spec S (with In input channels) as a child of `bc`. `index` is its position in
/// an indexed parent, or -1 when the parent adds no name level (chain, parallel paths, residual bodies).
template <class S, int In, class B>
instance_of<S, In, B> build(const build_context<typename B::scalar>& bc, int index) {
  using I = instance_of<S, In, B>;
  if constexpr (positional_spec<S>) return I(bc, index);
  else if constexpr (splicing_spec<S>) return I(bc, index < 0 ? 0 : index);
  else if constexpr (self_naming_spec<S> || index_span_v<S> == 0) return I(bc);
  else return index < 0 ? I(bc) : I(bc.child(std::to_string(index)));
}

}  // namespace compose_detail
}  // namespace i2i
