#pragma once
// The ONNX exporters of the layer specs (include/i2i/spec/): each emits the standard ops that compute
// what the spec's forward computes at inference time (batch_norm with its running statistics).
//
//   conv<Out, K, S, P, Bias, G>   Conv (TF-SAME: explicit asymmetric pads, or auto_pad SAME_UPPER when
//                                 the size is dynamic; pad_bottom_right: pads 0 before, 1 after; group G)
//   depthwise_conv<K, S, P, Bias, M>  Conv with group = input channels
//   conv_transpose<Out, K, S, P, OP>  ConvTranspose with pads and output_padding; TF-SAME (which crops
//                                 the full output asymmetrically) as ConvTranspose + Slice
//   reflect_pad<P>, zero_pad<P>   Pad (mode reflect / constant)
//   instance_norm<Affine, Eps>    InstanceNormalization (scale 1 and bias 0 written out when not affine)
//   fused_norm<N, Act, P>         the nodes of the elements it stands for (N, Act, and Pad when P >= 0)
//   batch_norm<M, Eps>            BatchNormalization with the running statistics
//   frozen_batch_norm<Eps, Act>   BatchNormalization, then its fused activation's op (none, Relu, Clip)
//   relu, leaky_relu<a>, tanh_, sigmoid   Relu, LeakyRelu, Tanh, Sigmoid
//   relu6                         Clip with min 0 and max 6 as scalar inputs (opset 11 and later)
//   avg_pool<K, S, P, Inc>        AveragePool (count_include_pad 0), or Pad + AveragePool when the padding
//                                 counts (count_include_pad 1, which OpenCV 4.6 ignores)
//   max_pool<K, S, P>             MaxPool
//   upsample_nearest<S>           Resize (nearest, asymmetric coordinates, floor: pixel i reads i / S)
//   linear<Out>                   Flatten, Gemm (transB), Reshape back to N x Out x 1 x 1
//   channels<C>                   nothing (a compile-time statement)
#include <limits>
#include <type_traits>

#include "i2i/backend/op_args.hpp"
#include "i2i/onnx/emit.hpp"
#include "i2i/spec/activation.hpp"
#include "i2i/spec/conv.hpp"
#include "i2i/spec/fused_norm.hpp"
#include "i2i/spec/linear.hpp"
#include "i2i/spec/norm.hpp"
#include "i2i/spec/pad.hpp"
#include "i2i/spec/pool.hpp"

namespace i2i::onnx {

namespace layer_detail {
template <class Inst>
shape traced(const Inst& inst, const shape& in) {
  double flops = 0;
  return inst.trace(in, flops);
}
/// ONNX orders pads as all begins, then all ends: [top, left, bottom, right].
inline std::vector<std::int64_t> onnx_pads(const padding2d& p) { return {p.top, p.left, p.bottom, p.right}; }

/// TF-SAME padding for a k x k window with stride s on the example input.
inline padding2d same_tf(int k, int s, const shape& in) { return conv2d_args::same_tf(k, s, in[2], in[3]).pad; }

template <class B, class T>
std::string param(graph_builder& g, const std::shared_ptr<parameter<T>>& p) {
  return g.parameter(p, B::to_host(p->value));
}
}  // namespace layer_detail

namespace layer_detail {
/// The Conv node of conv and depthwise_conv (G groups; G = In for depthwise).
template <int K, int S, int P, bool Bias, int G, class B, class Inst>
value conv_node(graph_builder& g, const Inst& inst, const value& x) {
  std::vector<std::string> ins{x.name, param<B>(g, inst.w)};
  if constexpr (Bias) ins.push_back(param<B>(g, inst.b));
  const shape out = traced(inst, x.dims);
  const std::string where = layer_name(inst.path, "conv");
  const std::vector<std::int64_t> kernel{K, K}, strides{S, S};
  // The attributes in the order they always had; a grouped conv adds "group" last.
  const auto node = [&](attribute pads) {
    if constexpr (G != 1)
      return g.node("Conv", ins, out, where,
                    {attr("kernel_shape", kernel), attr("strides", strides), std::move(pads), attr("group", G)});
    else
      return g.node("Conv", ins, out, where, {attr("kernel_shape", kernel), attr("strides", strides), std::move(pads)});
  };
  if constexpr (P == tf_same) {
    if (g.options().dynamic_size) return node(attr("auto_pad", "SAME_UPPER"));
    return node(attr("pads", onnx_pads(same_tf(K, S, x.dims))));
  } else if constexpr (P == pad_bottom_right) {
    return node(attr("pads", onnx_pads(padding2d{0, 1, 0, 1})));
  } else {
    return node(attr("pads", std::vector<std::int64_t>(4, P)));
  }
}
}  // namespace layer_detail

template <int In, class B, int Out, int K, int S, int P, bool Bias, int G>
value emit(at<In, B>, const conv<Out, K, S, P, Bias, G>*, graph_builder& g,
           const typename conv<Out, K, S, P, Bias, G>::template instance<In, B>& inst, const value& x) {
  return layer_detail::conv_node<K, S, P, Bias, G, B>(g, inst, x);
}

template <int In, class B, int K, int S, int P, bool Bias, int M>
value emit(at<In, B>, const depthwise_conv<K, S, P, Bias, M>*, graph_builder& g,
           const typename depthwise_conv<K, S, P, Bias, M>::template instance<In, B>& inst, const value& x) {
  return layer_detail::conv_node<K, S, P, Bias, In, B>(g, inst, x);
}

template <int In, class B, int Out, int K, int S, int P, int OP, bool Bias>
value emit(at<In, B>, const conv_transpose<Out, K, S, P, OP, Bias>*, graph_builder& g,
           const typename conv_transpose<Out, K, S, P, OP, Bias>::template instance<In, B>& inst, const value& x) {
  std::vector<std::string> ins{x.name, layer_detail::param<B>(g, inst.w)};
  if constexpr (Bias) ins.push_back(layer_detail::param<B>(g, inst.b));
  const shape out = layer_detail::traced(inst, x.dims);
  const std::string where = layer_name(inst.path, "conv_transpose");
  const std::vector<std::int64_t> kernel{K, K}, strides{S, S};
  // The full output ((H-1) S + K) cropped by crop.top before and crop.bottom after (negative: extended).
  const padding2d crop = P == tf_same ? conv_transpose2d_args::tf_same(S, K).crop
                                      : conv_transpose2d_args::pytorch(S, P, OP).crop;
  const std::int64_t before = crop.top, extra = crop.top - crop.bottom;  // extra = output_padding
  if (before >= 0 && extra >= 0 && extra < S) {
    // PyTorch's form: symmetric pads and output_padding (every runtime reads these).
    return g.node("ConvTranspose", ins, out, where,
                  {attr("kernel_shape", kernel), attr("strides", strides),
                   attr("pads", std::vector<std::int64_t>(4, before)),
                   attr("output_padding", std::vector<std::int64_t>{extra, extra})});
  }
  // TF-SAME with K > S crops more after than before (K = 3, S = 2: 0 before, 1 after), which
  // ConvTranspose can express only with asymmetric pads that OpenCV 4.6 rejects: crop with Slice.
  require<value_error>(before >= 0 && crop.bottom >= 0, where, ": this transposed convolution's geometry (crop ",
                       crop, ") has no ONNX form here");
  shape full = out;
  full[2] = (x.dims[2] - 1) * S + K;
  full[3] = (x.dims[3] - 1) * S + K;
  auto y = g.node("ConvTranspose", ins, full, where, {attr("kernel_shape", kernel), attr("strides", strides)});
  // Slice ends count from the end (negative), so the same graph serves every input size.
  const std::int64_t end = crop.bottom == 0 ? std::numeric_limits<std::int64_t>::max() : -crop.bottom;
  return g.node("Slice",
                {y.name, g.int64s("slice_starts", {before, before}), g.int64s("slice_ends", {end, end}),
                 g.int64s("axes_hw", {2, 3})},
                out, where);
}

template <int In, class B, int P, bool Reflect>
value emit(at<In, B>, const spec_detail::pad_spec<P, Reflect>*, graph_builder& g,
           const typename spec_detail::pad_spec<P, Reflect>::template instance<In, B>& inst, const value& x) {
  const std::string where = layer_name(inst.path, Reflect ? "reflect_pad" : "zero_pad");
  if constexpr (Reflect)
    require<shape_error>(x.dims[2] > P && x.dims[3] > P, where, ": input ", x.dims,
                         " is too small for reflection padding ", P, " (each side must exceed the padding)");
  return g.node("Pad", {x.name, g.int64s("pads", {0, 0, P, P, 0, 0, P, P})}, layer_detail::traced(inst, x.dims), where,
                {attr("mode", Reflect ? "reflect" : "constant")});
}

template <int In, class B, bool Affine, class Eps>
value emit(at<In, B>, const instance_norm<Affine, Eps>*, graph_builder& g,
           const typename instance_norm<Affine, Eps>::template instance<In, B>& inst, const value& x) {
  const std::int64_t c = x.dims[1];
  std::string scale, bias;
  if constexpr (Affine) {
    scale = layer_detail::param<B>(g, inst.w);
    bias = layer_detail::param<B>(g, inst.b);
  } else {
    scale = g.constant("ones", shape{c}, std::vector<float>(std::size_t(c), 1.0f));
    bias = g.constant("zeros", shape{c}, std::vector<float>(std::size_t(c), 0.0f));
  }
  return g.node("InstanceNormalization", {x.name, scale, bias}, x.dims, layer_name(inst.path, "instance_norm"),
                {attr("epsilon", instance_norm<Affine, Eps>::eps)});
}

/// The elements a fused_norm stands for, each with its own exporter and name: ONNX sees the network as
/// written (InstanceNormalization, the activation, Pad).
template <int In, class B, class Norm, class Act, int P>
value emit(at<In, B>, const fused_norm<Norm, Act, P>*, graph_builder& g,
           const typename fused_norm<Norm, Act, P>::template instance<In, B>& inst, const value& x) {
  const value y = emit_spec<Act, In, B>(g, inst.act, emit_spec<Norm, In, B>(g, inst.norm, x));
  if constexpr (P >= 0) return emit_spec<reflect_pad<P>, In, B>(g, inst.pad, y);
  else return y;
}

template <int In, class B, class Momentum, class Eps>
value emit(at<In, B>, const batch_norm<Momentum, Eps>*, graph_builder& g,
           const typename batch_norm<Momentum, Eps>::template instance<In, B>& inst, const value& x) {
  using layer_detail::param;
  return g.node("BatchNormalization",
                {x.name, param<B>(g, inst.w), param<B>(g, inst.b), param<B>(g, inst.running_mean),
                 param<B>(g, inst.running_var)},
                x.dims, layer_name(inst.path, "batch_norm"), {attr("epsilon", batch_norm<Momentum, Eps>::eps),
                 attr("momentum", 1.0 - batch_norm<Momentum, Eps>::momentum)});
}

namespace layer_detail {
/// ReLU6 as ONNX Clip(x, 0, 6): since opset 11 the bounds are inputs, not attributes.
inline value relu6_node(graph_builder& g, const value& x, const std::string& where) {
  return g.node("Clip", {x.name, g.scalar(0.0f), g.scalar(6.0f)}, x.dims, where);
}
/// The op of an activation spec fused after a norm (frozen_batch_norm's Act); void: none.
template <class Act>
value fused_activation(graph_builder& g, const value& x, const std::string& path) {
  if constexpr (std::is_void_v<Act>) return x;
  else if constexpr (std::is_same_v<Act, relu>) return g.node("Relu", {x.name}, x.dims, layer_name(path, "relu"));
  else if constexpr (std::is_same_v<Act, relu6>) return relu6_node(g, x, layer_name(path, "relu6"));
  else static_assert(std::is_void_v<Act>, "onnx export: frozen_batch_norm fuses an activation with no exporter here");
}
}  // namespace layer_detail

template <int In, class B, class Eps, class Act>
value emit(at<In, B>, const frozen_batch_norm<Eps, Act>*, graph_builder& g,
           const typename frozen_batch_norm<Eps, Act>::template instance<In, B>& inst, const value& x) {
  using layer_detail::param;
  const value y = g.node("BatchNormalization",
                         {x.name, param<B>(g, inst.w), param<B>(g, inst.b), param<B>(g, inst.running_mean),
                          param<B>(g, inst.running_var)},
                         x.dims, layer_name(inst.path, "batch_norm"),
                         {attr("epsilon", frozen_batch_norm<Eps, Act>::eps)});
  return layer_detail::fused_activation<Act>(g, y, inst.path);
}

template <int In, class B>
value emit(at<In, B>, const relu*, graph_builder& g, const typename relu::template instance<In, B>& inst, const value& x) {
  return g.node("Relu", {x.name}, x.dims, layer_name(inst.path, "relu"));
}

template <int In, class B>
value emit(at<In, B>, const relu6*, graph_builder& g, const typename relu6::template instance<In, B>& inst,
           const value& x) {
  return layer_detail::relu6_node(g, x, layer_name(inst.path, "relu6"));
}
template <int In, class B, class Slope>
value emit(at<In, B>, const leaky_relu<Slope>*, graph_builder& g,
           const typename leaky_relu<Slope>::template instance<In, B>& inst, const value& x) {
  return g.node("LeakyRelu", {x.name}, x.dims, layer_name(inst.path, "leaky_relu"),
                {attr("alpha", leaky_relu<Slope>::slope)});
}
template <int In, class B>
value emit(at<In, B>, const tanh_*, graph_builder& g, const typename tanh_::template instance<In, B>& inst,
           const value& x) {
  return g.node("Tanh", {x.name}, x.dims, layer_name(inst.path, "tanh"));
}
template <int In, class B>
value emit(at<In, B>, const sigmoid*, graph_builder& g, const typename sigmoid::template instance<In, B>& inst,
           const value& x) {
  return g.node("Sigmoid", {x.name}, x.dims, layer_name(inst.path, "sigmoid"));
}

template <int In, class B, int K, int S, int P, bool CountIncludePad>
value emit(at<In, B>, const avg_pool<K, S, P, CountIncludePad>*, graph_builder& g,
           const typename avg_pool<K, S, P, CountIncludePad>::template instance<In, B>& inst, const value& x) {
  const std::string where = layer_name(inst.path, "avg_pool");
  const shape out = layer_detail::traced(inst, x.dims);
  const std::vector<std::int64_t> kernel{K, K}, strides{S, S};
  if constexpr (CountIncludePad && P > 0) {
    // Counting the padding as zeros is zero-padding first: OpenCV 4.6 ignores count_include_pad = 1
    // (it divides by the pixels inside only), and every runtime reads Pad + AveragePool alike.
    const shape padded = shape::nchw(x.dims[0], x.dims[1], x.dims[2] + 2 * P, x.dims[3] + 2 * P);
    const value p = g.node("Pad", {x.name, g.int64s("pads", {0, 0, P, P, 0, 0, P, P})}, padded, where,
                           {attr("mode", "constant")});
    return g.node("AveragePool", {p.name}, out, where, {attr("kernel_shape", kernel), attr("strides", strides)});
  } else {
    return g.node("AveragePool", {x.name}, out, where,
                  {attr("kernel_shape", kernel), attr("strides", strides), attr("pads", std::vector<std::int64_t>(4, P)),
                   attr("count_include_pad", 0)});
  }
}

template <int In, class B, int K, int S, int P>
value emit(at<In, B>, const max_pool<K, S, P>*, graph_builder& g,
           const typename max_pool<K, S, P>::template instance<In, B>& inst, const value& x) {
  const std::vector<std::int64_t> kernel{K, K}, strides{S, S};
  const shape out = layer_detail::traced(inst, x.dims);
  const std::string where = layer_name(inst.path, "max_pool");
  if (P == tf_same && g.options().dynamic_size)
    return g.node("MaxPool", {x.name}, out, where,
                  {attr("kernel_shape", kernel), attr("strides", strides), attr("auto_pad", "SAME_UPPER")});
  return g.node("MaxPool", {x.name}, out, where,
                {attr("kernel_shape", kernel), attr("strides", strides),
                 attr("pads", layer_detail::onnx_pads(inst.pad(x.dims)))});
}

template <int In, class B, int Scale>
value emit(at<In, B>, const upsample_nearest<Scale>*, graph_builder& g,
           const typename upsample_nearest<Scale>::template instance<In, B>& inst, const value& x) {
  const float s = float(Scale);
  return g.node("Resize", {x.name, "", g.constant("scales", shape{4}, {1.0f, 1.0f, s, s})},
                layer_detail::traced(inst, x.dims), layer_name(inst.path, "upsample_nearest"),
                {attr("mode", "nearest"), attr("coordinate_transformation_mode", "asymmetric"),
                 attr("nearest_mode", "floor")});
}

template <int In, class B, int Out, bool Bias>
value emit(at<In, B>, const linear<Out, Bias>*, graph_builder& g,
           const typename linear<Out, Bias>::template instance<In, B>& inst, const value& x) {
  const std::string where = layer_name(inst.path, "linear");
  require<shape_error>(x.dims[2] == 1 && x.dims[3] == 1, where, ": input ", x.dims, ", expected N x ", In, " x 1 x 1");
  auto flat = g.node("Flatten", {x.name}, shape{x.dims[0], In}, where, {attr("axis", 1)});
  std::vector<std::string> ins{flat.name, layer_detail::param<B>(g, inst.w)};
  if constexpr (Bias) ins.push_back(layer_detail::param<B>(g, inst.b));
  auto y = g.node("Gemm", ins, shape{x.dims[0], Out}, where, {attr("transB", 1)});
  return g.node("Reshape", {y.name, g.int64s("shape_nc11", {0, Out, 1, 1})}, shape::nchw(x.dims[0], Out, 1, 1), where);
}

template <int In, class B, int C>
value emit(at<In, B>, const channels<C>*, graph_builder&, const typename channels<C>::template instance<In, B>& inst,
           const value& x) {
  require<shape_error>(x.dims[1] == C, layer_name(inst.path, "channels"), ": input ", x.dims, ", expected ", C,
                       " channels");
  return x;
}

}  // namespace i2i::onnx
