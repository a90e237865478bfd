#pragma once
// Fusion of a sequence's element list: `instance_norm<A, E>, Act` and `instance_norm<A, E>, Act,
// reflect_pad<P>` become one fused_norm (spec/fused_norm.hpp) where the backend has the fused ops.
//
// Why in the composition and not in the models: every network written with seq gets it (pix2pixHD's
// down/up groups and residual blocks, its discriminators' IN + LeakyReLU, EGSC-IT's, users'), and the
// spec a user writes stays the paper's module list, so names, indices and checkpoints cannot change.
// Only activations whose fused result equals the separate layers bit for bit are fused (relu,
// leaky_relu, relu6; see cpu/instance_norm_pad.hpp for tanh and sigmoid), so a model's numbers do not
// depend on the fusion. A backend opts out with `static constexpr bool fuse_layers = false` (tests and
// benchmarks compare both); a backend without them is never fused.
//
// Compile time: one pass over the pack, only for lists that contain an instance_norm; the others keep
// their type list as written.
#include <concepts>
#include <type_traits>

#include "i2i/spec/fused_norm.hpp"

namespace i2i::compose_detail {

template <class... S>
struct type_list {};

template <class S>
inline constexpr bool is_instance_norm = false;
template <bool A, real_constant E>
inline constexpr bool is_instance_norm<instance_norm<A, E>> = true;

/// Activation specs that seq fuses after a norm.
template <class S>
inline constexpr bool exact_fused_activation = std::same_as<S, relu> || std::same_as<S, relu6>;
template <real_constant Slope>
inline constexpr bool exact_fused_activation<leaky_relu<Slope>> = true;

/// A backend with the fused ops that has not opted out.
template <class B>
concept fusing_backend = requires { typename B::instance_norm_pad_result; } &&
                         !requires { requires !B::fuse_layers; };

/// fuse_list<type_list<done...>, rest...>::type: the rewritten list.
template <class Done, class... Rest>
struct fuse_list;
template <class... D>
struct fuse_list<type_list<D...>> {
  using type = type_list<D...>;
};
template <class... D, class S0, class... R>
struct fuse_list<type_list<D...>, S0, R...> : fuse_list<type_list<D..., S0>, R...> {};
template <class... D, bool A, real_constant E, class Act, class... R>
  requires exact_fused_activation<Act>
struct fuse_list<type_list<D...>, instance_norm<A, E>, Act, R...>
    : fuse_list<type_list<D..., fused_norm<instance_norm<A, E>, Act>>, R...> {};
template <class... D, bool A, real_constant E, class Act, int P, class... R>
  requires exact_fused_activation<Act>
struct fuse_list<type_list<D...>, instance_norm<A, E>, Act, reflect_pad<P>, R...>
    : fuse_list<type_list<D..., fused_norm<instance_norm<A, E>, Act, P>>, R...> {};

template <bool Fuse, class... S>
struct fused_elements {
  using type = type_list<S...>;
};
template <class... S>
struct fused_elements<true, S...> {
  using type = typename fuse_list<type_list<>, S...>::type;
};

/// The element list a sequence of S... runs on backend B.
template <class B, class... S>
using elements_for = typename fused_elements<fusing_backend<B> && (is_instance_norm<S> || ...), S...>::type;

}  // namespace i2i::compose_detail
