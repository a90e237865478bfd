#pragma once
// How a network is walked at compile time: emit_spec<Spec, In, B>(g, instance, x) emits the ONNX nodes
// of one bound spec (In input channels, backend B) on the value x and returns its output value.
//
// Every spec has its exporter as an overload of
//
//   template <int In, class B, ...> value emit(at<In, B>, const Spec<...>*, graph_builder&,
//                                              const typename Spec<...>::template instance<In, B>&, const value&);
//
// in namespace i2i::onnx (onnx/layers.hpp for spec/, onnx/combinators.hpp for compose/). The pointer
// argument selects the overload, so a network type that derives from a combinator (global_generator
// is a named<"model", seq<...>>) uses its base's exporter. A spec with no overload is a compile-time
// error, diag::no_onnx_exporter<Spec>, whose template argument names it: a network can never be
// exported with a layer silently left out. Another library's spec gets its exporter by declaring such
// an overload in namespace i2i::onnx before it calls export_model.
#include "i2i/onnx/graph.hpp"

namespace i2i::onnx {

/// Tag with the input channels and the backend of the instance being exported; it also brings
/// namespace i2i::onnx into the lookup of emit (argument-dependent lookup).
template <int In, class B>
struct at {};

namespace diag {
template <class>
inline constexpr bool always_false = false;

/// Instantiated for a spec that has no ONNX exporter: the compiler prints Spec in the first line.
template <class Spec>
struct no_onnx_exporter {
  static_assert(always_false<Spec>,
                "i2i::onnx: this spec has no ONNX exporter (see no_onnx_exporter<Spec>); declare "
                "i2i::onnx::emit(at<In, B>, const Spec*, graph_builder&, const instance&, const value&) for it");
  static constexpr bool ok = false;
};
}  // namespace diag

template <class S, int In, class B>
concept exportable_spec = requires(graph_builder& g, const typename S::template instance<In, B>& inst, const value& x) {
  { emit(at<In, B>{}, static_cast<const S*>(nullptr), g, inst, x) } -> std::same_as<value>;
};

template <class S, int In, class B>
value emit_spec(graph_builder& g, const typename S::template instance<In, B>& inst, const value& x) {
  if constexpr (exportable_spec<S, In, B>) {
    return emit(at<In, B>{}, static_cast<const S*>(nullptr), g, inst, x);
  } else {
    static_assert(diag::no_onnx_exporter<S>::ok);
    return x;
  }
}

/// Name for errors and nodes: the layer path, or its kind at the root.
inline std::string layer_name(const std::string& path, const char* kind) { return path.empty() ? kind : path; }

}  // namespace i2i::onnx
