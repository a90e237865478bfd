#pragma once
// ONNX export of a bound network.
//
//   #include "i2i/onnx/export.hpp"                      // link i2i::onnx
//   model<pix2pixhd::global_generator<36>, cpu_backend<float>> G;
//   load_model(G, "latest_net_G.safetensors");
//   onnx::export_model(G, shape::nchw(1, 36, 512, 1024), "G.onnx");
//   onnx::export_model(G, shape::nchw(1, 36, 512, 1024), "G_any.onnx", {.dynamic_batch = true, .dynamic_size = true});
//
// The graph is walked from the spec's type at compile time (onnx/emit.hpp): a spec without an exporter
// does not compile, and a configuration the exporter cannot express (an input too small for a
// reflection pad, say) throws an error naming the layer path. Initializers carry the state_dict names;
// batch_norm exports its running statistics (inference), whatever mode the model is in. The file has
// one input ("input", N x C x H x W float) and one output ("output"), plus each multi-scale
// discriminator scale ("scale0.out", ...) and each tap listed in export_options::taps.
#include <map>
#include <string>

#include "i2i/model/model.hpp"
#include "i2i/onnx/combinators.hpp"
#include "i2i/onnx/layers.hpp"

namespace i2i::onnx {

/// What was written: the count of every op type (docs/onnx.md lists them per network) and of the
/// initializers' elements.
struct export_summary {
  std::map<std::string, int> op_counts;
  std::int64_t initializer_elements = 0;
};

inline export_summary summarise(const graph_builder& g) {
  export_summary s;
  for (const auto& n : g.proto().graph().node()) ++s.op_counts[n.op_type()];
  for (const auto& t : g.proto().graph().initializer()) {
    std::int64_t k = 1;
    for (auto d : t.dims()) k *= d;
    s.initializer_elements += k;
  }
  return s;
}

/// Emits model m on x into g and returns its output value (for graphs that join several models).
template <class Spec, class B, int In>
value emit_model(graph_builder& g, const model<Spec, B, In>& m, const value& x) {
  require<shape_error>(x.dims.rank() == 4 && x.dims[1] == In, m.name().empty() ? "model" : m.name(), ": input ",
                       x.dims, ", expected N x ", In, " x H x W");
  // model<> hands out its root instance only as a mutable reference; the exporter only reads it.
  const auto& root = const_cast<model<Spec, B, In>&>(m).root();
  return emit_spec<Spec, In, B>(g, root, x);
}

/// Writes m as an ONNX file for inputs of `input_shape` (the example shape; see export_options for the
/// dynamic dimensions).
template <class Spec, class B, int In>
export_summary export_model(const model<Spec, B, In>& m, const shape& input_shape, const std::string& path,
                            const export_options& options = {}) {
  graph_builder g(options);
  const value x = g.input(options.input_name, input_shape);
  g.output(options.output_name, emit_model(g, m, x));
  const auto missing = g.missing_taps();
  require<value_error>(missing.empty(), "onnx export: the network has no tap '", missing.empty() ? "" : missing.front(),
                       "' (export_options::taps)");
  g.save(path);
  return summarise(g);
}

}  // namespace i2i::onnx
