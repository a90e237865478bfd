#pragma once
// Static channel bookkeeping shared by every spec.
//
// A spec S describes a layer without state. It says how many channels it takes (S::in_channels, or
// any_channels when it adapts to its input, as a conv does) and how many it produces for a given input
// (S::out_channels(in)). Combinators fold these at compile time, so a mismatch is a compile error that
// names the element and both numbers (see channel_mismatch).
#include <concepts>

namespace i2i {

/// "Adapts to whatever it is given" for in_channels.
inline constexpr int any_channels = -1;

/// How many index positions a spec occupies inside an indexed seq: 1 for a layer (PyTorch counts every
/// module of a Sequential, parameterless ones included), N for repeat<N, X>, the sum for inlined<...>.
template <class S>
struct index_span {
  static constexpr int value = 1;
};
template <class S>
  requires requires { S::span; }
struct index_span<S> {
  static constexpr int value = S::span;
};
template <class S>
inline constexpr int index_span_v = index_span<S>::value;

/// The requirements every spec meets. A spec S, given input channels In, binds to a backend B as
/// `typename S::template instance<In, B>`.
template <class S>
concept layer_spec = requires {
  { S::in_channels } -> std::convertible_to<int>;
  { S::out_channels(1) } -> std::convertible_to<int>;
};

namespace diag {
/// Instantiated when element `Index` of a seq needs `Expected` input channels but receives `Got`. The
/// compiler prints these numbers in the first line of the error (C++20 static_assert messages cannot).
template <int Index, int Expected, int Got>
struct channel_mismatch {
  static_assert(Expected == Got,
                "i2i::seq: the element at this index expects a different number of input channels than the "
                "previous element produces (see channel_mismatch<index, expected, got>)");
  static constexpr bool ok = Expected == Got;
};

/// Instantiated when a residual body changes the channel count (In != Out).
template <int In, int Out>
struct residual_changes_channels {
  static_assert(In == Out,
                "i2i::residual: the body must produce as many channels as it receives "
                "(see residual_changes_channels<in, out>)");
  static constexpr bool ok = In == Out;
};

/// Instantiated when the paths of a summing parallel produce different channel counts.
template <int Path, int Expected, int Got>
struct sum_path_mismatch {
  static_assert(Expected == Got,
                "i2i::parallel<sum, ...>: every path must produce the same number of channels "
                "(see sum_path_mismatch<path, channels of path 0, channels of this path>)");
  static constexpr bool ok = Expected == Got;
};

/// Instantiated when a model's input channel count is unknown.
template <int In>
struct model_needs_input_channels {
  static_assert(In > 0,
                "i2i::model: the spec does not fix its input channels; give them as model<Spec, Backend, In> "
                "or start the spec with channels<C>");
  static constexpr bool ok = In > 0;
};
}  // namespace diag

/// Checks that a spec given `got` channels accepts them; `Index` is its position for the message.
template <int Index, int Expected, int Got>
constexpr bool check_channels() {
  if constexpr (Expected == any_channels) return true;
  else return diag::channel_mismatch<Index, Expected, Got>::ok;
}

}  // namespace i2i
