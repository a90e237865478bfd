#pragma once
// Sequences of layers.
//
//   seq<S...>     an nn.Sequential: element k is named by its index ("0", "1", ...) under the seq's path
//   inlined<S...>  elements laid inline into the enclosing seq's indices (pix2pixHD's "model += [...]")
//   chain<S...>   a sequence that adds no name level: only named<> elements add names
//
// The pack is flat: a seq's type lists its elements, never "everything below it" (dlib's nesting costs
// 5-7x compile time). Channels are folded at compile time; a mismatch instantiates
// diag::channel_mismatch<index, expected, got>, so the compiler's message carries the numbers.
//
// On a backend with fused ops, `instance_norm, activation[, reflect_pad]` runs as one fused_norm layer
// (compose/fuse.hpp); names, indices and parameters are those of the elements as written.
#include <array>
#include <cstddef>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "i2i/compose/build.hpp"
#include "i2i/compose/fuse.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i {
namespace compose_detail {

/// c[0] = In, c[k+1] = channels after element k.
template <int In, class... S>
constexpr std::array<int, sizeof...(S) + 1> channel_chain() {
  std::array<int, sizeof...(S) + 1> c{};
  c[0] = In;
  std::size_t k = 0;
  ((c[k + 1] = S::out_channels(c[k]), ++k), ...);
  return c;
}

/// Position of each element in the index sequence (prefix sums of the spans).
template <class... S>
constexpr std::array<int, sizeof...(S)> index_offsets() {
  std::array<int, sizeof...(S)> o{};
  int at = 0;
  std::size_t k = 0;
  ((o[k++] = at, at += index_span_v<S>), ...);
  return o;
}

template <int In, class... S, std::size_t... I>
constexpr bool check_chain(std::index_sequence<I...>) {
  constexpr auto c = channel_chain<In, S...>();
  return (check_channels<int(I), S::in_channels, c[I]>() && ...);
}

enum class naming { indexed, spliced, unindexed };

template <naming Mode, int In, class B, class... S>
struct sequence_instance {
  using T = typename B::scalar;
  static constexpr auto chain = channel_chain<In, S...>();
  static constexpr auto offsets = index_offsets<S...>();
  static constexpr std::size_t n = sizeof...(S);

  template <class Seq>
  struct types_of;
  template <std::size_t... I>
  struct types_of<std::index_sequence<I...>> {
    using children = std::tuple<instance_of<S, chain[I], B>...>;
    using contexts = std::tuple<typename instance_of<S, chain[I], B>::context...>;
  };
  using children_type = typename types_of<std::index_sequence_for<S...>>::children;
  using context = typename types_of<std::index_sequence_for<S...>>::contexts;

  /// Where each child's parameters sit in the registry they were added to (declared before `children`,
  /// whose construction fills it): backward tells run_state::params_ready about them child by child.
  const std::vector<std::shared_ptr<parameter<T>>>* registry = nullptr;
  std::array<std::pair<std::size_t, std::size_t>, n> param_ranges{};
  children_type children;

  explicit sequence_instance(const build_context<T>& bc, int first = 0)
      : registry(bc.params), children(make(bc, first, std::index_sequence_for<S...>{})) {}

  tensor<T> forward(tensor<T> x, context& c, run_state<T>& rs) const {
    return forward_all(std::move(x), c, rs, std::make_index_sequence<n>{});
  }
  tensor<T> backward(const context& c, tensor<T> dy, run_state<T>& rs, bool need_dx) {
    return backward_all(c, std::move(dy), rs, need_dx, std::make_index_sequence<n>{});
  }
  shape trace(shape s, double& flops) const { return trace_all(s, flops, std::make_index_sequence<n>{}); }

 private:
  template <std::size_t... I>
  children_type make(const build_context<T>& bc, int first, std::index_sequence<I...>) {
    // Braced initialisation evaluates left to right, so parameters register in definition order.
    return children_type{build_child<I>(bc, Mode == naming::unindexed ? -1 : first + offsets[I])...};
  }
  template <std::size_t I>
  std::tuple_element_t<I, children_type> build_child(const build_context<T>& bc, int index) {
    const std::size_t before = bc.params->size();
    auto child = build<std::tuple_element_t<I, std::tuple<S...>>, chain[I], B>(bc, index);
    param_ranges[I] = {before, bc.params->size()};
    return child;
  }
  template <std::size_t... I>
  tensor<T> forward_all(tensor<T> x, context& c, run_state<T>& rs, std::index_sequence<I...>) const {
    if (rs.keep_backward_state) ((x = std::get<I>(children).forward(x, std::get<I>(c), rs)), ...);
    else ((x = forward_and_forget<I>(x, rs)), ...);
    return x;
  }
  /// Child I with a context that dies on return (inference: nothing is kept for a backward pass).
  template <std::size_t I>
  tensor<T> forward_and_forget(const tensor<T>& x, run_state<T>& rs) const {
    std::tuple_element_t<I, context> scratch;
    return std::get<I>(children).forward(x, scratch, rs);
  }
  template <std::size_t... I>
  tensor<T> backward_all(const context& c, tensor<T> dy, run_state<T>& rs, bool need_dx, std::index_sequence<I...>) {
    ((dy = std::get<n - 1 - I>(children).backward(std::get<n - 1 - I>(c), dy, rs, n - 1 - I == 0 ? need_dx : true),
      signal_ready(n - 1 - I, rs)),
     ...);
    return dy;
  }
  /// Child k's parameters have their gradients (data-parallel training starts their all-reduce).
  void signal_ready(std::size_t k, const run_state<T>& rs) const {
    if (rs.params_ready && param_ranges[k].first < param_ranges[k].second)
      (*rs.params_ready)(*registry, param_ranges[k].first, param_ranges[k].second);
  }
  template <std::size_t... I>
  shape trace_all(shape s, double& flops, std::index_sequence<I...>) const {
    ((s = std::get<I>(children).trace(s, flops)), ...);
    return s;
  }
};

template <class... S>
struct first_in_channels {
  static constexpr int value = any_channels;
};
template <class S0, class... S>
struct first_in_channels<S0, S...> {
  static constexpr int value = S0::in_channels;
};

/// The instance of a sequence of S... on B: channels checked on the elements as written (so a mismatch
/// names the written index), then run on the elements the backend fuses them into.
template <naming Mode, int In, class B, class Elements>
struct sequence_instance_of;
template <naming Mode, int In, class B, class... F>
struct sequence_instance_of<Mode, In, B, type_list<F...>> {
  using type = sequence_instance<Mode, In, B, F...>;
};
template <naming Mode, int In, class B, class... S>
struct checked_sequence {
  static_assert(check_chain<In, S...>(std::index_sequence_for<S...>{}));
  using type = typename sequence_instance_of<Mode, In, B, elements_for<B, S...>>::type;
};

template <naming Mode, class... S>
struct sequence_spec {
  static_assert(sizeof...(S) > 0, "i2i::seq/inlined/chain: a sequence needs at least one element");
  static_assert((layer_spec<S> && ...), "i2i::seq: every element must be a layer spec (see concept i2i::layer_spec)");
  static constexpr int in_channels = first_in_channels<S...>::value;
  static constexpr int out_channels(int in) {
    int c = in;
    ((c = S::out_channels(c)), ...);
    return c;
  }

  template <int In, class B>
  using instance = typename checked_sequence<Mode, In, B, S...>::type;
};

}  // namespace compose_detail

template <class... S>
struct seq : compose_detail::sequence_spec<compose_detail::naming::indexed, S...> {};

template <class... S>
struct inlined : compose_detail::sequence_spec<compose_detail::naming::spliced, S...> {
  static constexpr bool splices = true;
  static constexpr int span = (index_span_v<S> + ...);
};

template <class... S>
struct chain : compose_detail::sequence_spec<compose_detail::naming::unindexed, S...> {};

}  // namespace i2i
