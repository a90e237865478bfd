#pragma once
// The ONNX exporters of the combinators (include/i2i/compose/): they emit nothing of their own but the
// merges (Add for residual and parallel<sum>, Concat for parallel<concat>) and multiscale's pyramid
// (AveragePool 3, stride 2, pad 1, count_include_pad 0), and walk their elements with emit_spec, so the
// element types are visited at compile time. Names: nodes are named after the layer paths, so the
// graph reads like the state_dict.
//
// multiscale adds every scale's output as a graph output named by its tap key ("scale1.out"), because a
// multi-scale discriminator's result is all of them; the model's own output is the full-resolution one.
#include <tuple>
#include <utility>

#include "i2i/compose/multiscale.hpp"
#include "i2i/compose/named.hpp"
#include "i2i/compose/parallel.hpp"
#include "i2i/compose/repeat.hpp"
#include "i2i/compose/residual.hpp"
#include "i2i/compose/seq.hpp"
#include "i2i/compose/shared.hpp"
#include "i2i/compose/tap.hpp"
#include "i2i/onnx/emit.hpp"

namespace i2i::onnx {

namespace combinator_detail {
/// F...: the elements the instance runs, which are the written ones or fused_norm in place of some
/// (compose/fuse.hpp); fused_norm's exporter emits the nodes of the elements it replaces.
template <compose_detail::naming Mode, int In, class B, class... F, std::size_t... I>
value emit_sequence(graph_builder& g, const compose_detail::sequence_instance<Mode, In, B, F...>& inst, value x,
                    std::index_sequence<I...>) {
  using inst_t = compose_detail::sequence_instance<Mode, In, B, F...>;
  ((x = emit_spec<F, inst_t::chain[I], B>(g, std::get<I>(inst.children), x)), ...);
  return x;
}
}  // namespace combinator_detail

template <int In, class B, compose_detail::naming Mode, class... S>
value emit(at<In, B>, const compose_detail::sequence_spec<Mode, S...>*, graph_builder& g,
           const typename compose_detail::sequence_spec<Mode, S...>::template instance<In, B>& inst, const value& x) {
  return combinator_detail::emit_sequence(g, inst, x, std::make_index_sequence<std::remove_cvref_t<decltype(inst)>::n>{});
}

template <int In, class B, int N, class X>
value emit(at<In, B>, const repeat<N, X>*, graph_builder& g, const typename repeat<N, X>::template instance<In, B>& inst,
           const value& x) {
  value y = x;
  for (const auto& item : inst.items) y = emit_spec<X, In, B>(g, item, y);
  return y;
}

template <int In, class B, class Body, fixed_string Name>
value emit(at<In, B>, const residual<Body, Name>*, graph_builder& g,
           const typename residual<Body, Name>::template instance<In, B>& inst, const value& x) {
  const value body = emit_spec<Body, In, B>(g, inst.body, x);
  return g.node("Add", {x.name, body.name}, x.dims, "residual");
}

template <int In, class B, class Merge, class... Paths>
value emit(at<In, B>, const parallel<Merge, Paths...>*, graph_builder& g,
           const typename parallel<Merge, Paths...>::template instance<In, B>& inst, const value& x) {
  std::vector<value> ys;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (ys.push_back(emit_spec<Paths, In, B>(g, std::get<I>(inst.paths), x)), ...);
  }(std::index_sequence_for<Paths...>{});
  if constexpr (std::is_same_v<Merge, concat>) {
    std::vector<std::string> names;
    shape out = ys[0].dims;
    out[1] = 0;
    for (const auto& y : ys) names.push_back(y.name), out[1] += y.dims[1];
    return g.node("Concat", names, out, "concat", {attr("axis", 1)});
  } else {
    value y = g.node("Add", {ys[0].name, ys[1].name}, ys[0].dims, "sum");
    for (std::size_t k = 2; k < ys.size(); ++k) y = g.node("Add", {y.name, ys[k].name}, y.dims, "sum");
    return y;
  }
}

template <int In, class B, fixed_string Name, class X, int Index, fixed_string Suffix>
value emit(at<In, B>, const named<Name, X, Index, Suffix>*, graph_builder& g,
           const typename named<Name, X, Index, Suffix>::template instance<In, B>& inst, const value& x) {
  return emit_spec<X, In, B>(g, static_cast<const compose_detail::instance_of<X, In, B>&>(inst), x);
}

template <int In, class B, fixed_string Name, class X, int Index>
value emit(at<In, B>, const tap<Name, X, Index>*, graph_builder& g,
           const typename tap<Name, X, Index>::template instance<In, B>& inst, const value& x) {
  return g.offer_tap(inst.key, emit_spec<X, In, B>(g, inst.inner, x));
}

template <int In, class B, fixed_string Tag, class X>
value emit(at<In, B>, const shared<Tag, X>*, graph_builder& g,
           const typename shared<Tag, X>::template instance<In, B>& inst, const value& x) {
  return emit_spec<X, In, B>(g, *inst.block, x);
}

template <int In, class B, int N, class D, fixed_string Join>
value emit(at<In, B>, const multiscale<N, D, Join>*, graph_builder& g,
           const typename multiscale<N, D, Join>::template instance<In, B>& inst, const value& x) {
  using M = multiscale<N, D, Join>;
  value level = x, first;
  for (int i = 0; i < N; ++i) {
    // output() renames the value to its key, so keep what it returns.
    const value y = g.output(inst.out_keys[std::size_t(i)],
                             emit_spec<D, In, B>(g, inst.copies[std::size_t(M::name_index(i))], level));
    if (i == 0) first = y;
    if (i + 1 < N) {
      const shape down = shape::nchw(level.dims[0], level.dims[1], (level.dims[2] - 1) / 2 + 1, (level.dims[3] - 1) / 2 + 1);
      level = g.node("AveragePool", {level.name}, down, M::scope(i + 1) + ".downsample",
                     {attr("kernel_shape", std::vector<std::int64_t>{3, 3}), attr("strides", std::vector<std::int64_t>{2, 2}),
                      attr("pads", std::vector<std::int64_t>{1, 1, 1, 1}), attr("count_include_pad", 0)});
    }
  }
  return first;
}

}  // namespace i2i::onnx
