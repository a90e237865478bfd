#pragma once
// graph_builder: an ONNX graph under construction, in the protobuf classes that protoc generates from
// ONNX's own onnx.proto (target i2i::onnx; its package is renamed i2i_onnx_pb, see cmake/onnx.cmake). The exporters of the specs (onnx/layers.hpp,
// onnx/combinators.hpp) and the composite ops (onnx/adain.hpp) add nodes through it; export_model
// (onnx/export.hpp) wraps one around a bound model.
//
//   onnx::graph_builder g(options);
//   onnx::value x = g.input("input", shape::nchw(1, 3, 64, 64));
//   onnx::value y = g.node("Relu", {x.name}, x.dims, "G.model.3");
//   g.output("output", y);
//   g.save("G.onnx");
//
// A value is a tensor's name in the graph and its shape for the example input; the exporters compute
// static attributes (TF-SAME paddings, reflection-padding checks) from those shapes. Initializers carry
// the parameters' state_dict names; a parameter reached twice (a shared<> block) is written once.
#include <i2i_onnx_pb/onnx.pb.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/shape.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/io/atomic_file.hpp"
#include "i2i/model/parameter.hpp"

namespace i2i::onnx {

/// What export writes besides the network. ONNX operator set 13 is what OpenCV 4.6, onnxruntime and
/// TensorRT 8 all read; Pad, Resize and Split take their sizes as inputs there.
struct export_options {
  std::string input_name = "input";
  std::string output_name = "output";
  bool dynamic_batch = false;  ///< the batch dimension is the symbol "N" instead of the example's
  bool dynamic_size = false;   ///< height and width are the symbols "H", "W"; TF-SAME pads become auto_pad
  std::vector<std::string> taps;  ///< tap keys (tap<"name", X>) exported as extra outputs of that name
  std::string producer = "i2i";
};

inline constexpr std::int64_t opset_version = 13;
/// IR version 7 is the one that introduced opset 13 (ONNX 1.8); every reader of opset 13 accepts it.
inline constexpr std::int64_t ir_version = 7;

struct value {
  std::string name;
  shape dims;  ///< for the example input; symbolic dimensions keep their example size here
};

/// An attribute of a node; construct with attr("name", v).
struct attribute {
  std::string name;
  enum class kind { i, f, s, ints } type;
  std::int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<std::int64_t> ints;
};
inline attribute attr(std::string name, std::int64_t v) { return {std::move(name), attribute::kind::i, v, 0, {}, {}}; }
inline attribute attr(std::string name, int v) { return attr(std::move(name), std::int64_t(v)); }
inline attribute attr(std::string name, double v) { return {std::move(name), attribute::kind::f, 0, float(v), {}, {}}; }
inline attribute attr(std::string name, const char* v) { return {std::move(name), attribute::kind::s, 0, 0, v, {}}; }
inline attribute attr(std::string name, std::vector<std::int64_t> v) {
  return {std::move(name), attribute::kind::ints, 0, 0, {}, std::move(v)};
}

class graph_builder {
 public:
  explicit graph_builder(export_options options = {}) : options_(std::move(options)) {
    model_.set_ir_version(ir_version);
    model_.set_producer_name(options_.producer);
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset_version);
    graph_ = model_.mutable_graph();
    graph_->set_name("i2i");
  }
  graph_builder(const graph_builder&) = delete;
  graph_builder& operator=(const graph_builder&) = delete;

  const export_options& options() const { return options_; }

  /// A graph input of NCHW float data; `dims` is the example shape (symbols per the options).
  value input(const std::string& name, const shape& dims) {
    require<value_error>(dims.rank() == 4, "onnx export: input '", name, "' has shape ", dims, ", expected NCHW");
    claim(name);
    describe(graph_->add_input(), name, dims, true);
    return {name, dims};
  }

  /// Makes `v` a graph output called `name` (renaming the value, or through Identity when the value is
  /// itself an input or already an output).
  value output(const std::string& name, const value& v) {
    std::string produced = v.name;
    if (produced != name) {
      if (inputs_or_outputs_.count(produced) || !rename(produced, name)) {
        claim(name);
        add("Identity", {produced}, {name}, "output:" + name, {});
      }
      produced = name;
    }
    require<value_error>(!outputs_.count(produced), "onnx export: '", produced, "' is exported twice");
    outputs_.insert(produced);
    inputs_or_outputs_.insert(produced);
    describe(graph_->add_output(), produced, v.dims, false);
    return {produced, v.dims};
  }

  /// Adds a node with one output of shape `out`; `where` (the layer path) names the node.
  value node(const std::string& op, std::vector<std::string> inputs, const shape& out, const std::string& where,
             std::initializer_list<attribute> attrs = {}) {
    const std::string y = fresh(where.empty() ? op : where + "/" + op);
    add(op, std::move(inputs), {y}, y, attrs);
    return {y, out};
  }
  /// Adds a node with several outputs.
  std::vector<value> node(const std::string& op, std::vector<std::string> inputs, const std::vector<shape>& outs,
                          const std::string& where, std::initializer_list<attribute> attrs = {}) {
    std::vector<value> r;
    std::vector<std::string> names;
    for (std::size_t k = 0; k < outs.size(); ++k) {
      names.push_back(fresh((where.empty() ? op : where + "/" + op) + ":" + std::to_string(k)));
      r.push_back({names.back(), outs[k]});
    }
    add(op, std::move(inputs), names, names.front(), attrs);
    return r;
  }

  /// The initializer of a parameter, named by its state_dict name; written once however often used.
  template <class T>
  std::string parameter(const std::shared_ptr<i2i::parameter<T>>& p, const tensor<T>& host_value) {
    require<value_error>(p != nullptr, "onnx export: a layer has no parameter where one is needed");
    auto it = parameters_.find(p.get());
    if (it != parameters_.end()) return it->second;
    require<value_error>(!names_.count(p->name), "onnx export: two different parameters are named '", p->name,
                         "'; give the models distinct names");
    claim(p->name);
    std::vector<float> data(std::size_t(host_value.numel()));
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = float(host_value.data()[i]);
    write_floats(p->name, host_value.shape(), data);
    parameters_.emplace(p.get(), p->name);
    return p->name;
  }

  /// A float constant (initializer) of the given shape; equal constants share one initializer.
  std::string constant(const std::string& hint, const shape& dims, const std::vector<float>& data) {
    std::string key = "f" + to_text(dims) + ":";
    for (float x : data) key += std::to_string(x) + ",";
    return cached(key, hint, [&](const std::string& name) { write_floats(name, dims, data); });
  }
  /// A scalar float constant (shape []), for element-wise ops that broadcast it.
  std::string scalar(float x) { return constant("const", shape{}, {x}); }
  /// A 1-D int64 constant (pads, scales' companions, axes, shapes).
  std::string int64s(const std::string& hint, const std::vector<std::int64_t>& data) {
    std::string key = "i:";
    for (auto x : data) key += std::to_string(x) + ",";
    return cached(key, hint, [&](const std::string& name) {
      auto* t = graph_->add_initializer();
      t->set_name(name);
      t->set_data_type(::i2i_onnx_pb::TensorProto::INT64);
      t->add_dims(std::int64_t(data.size()));
      for (auto x : data) t->add_int64_data(x);
    });
  }

  /// Adds `v` as an extra output named `key` when the options ask for that tap; returns the value under
  /// its (possibly new) name.
  value offer_tap(const std::string& key, const value& v) {
    for (const auto& t : options_.taps)
      if (t == key && tapped_.insert(key).second) return output(key, v);
    return v;
  }
  /// Tap keys that were asked for and never seen (export_model reports them).
  std::vector<std::string> missing_taps() const {
    std::vector<std::string> r;
    for (const auto& t : options_.taps)
      if (!tapped_.count(t)) r.push_back(t);
    return r;
  }

  const ::i2i_onnx_pb::ModelProto& proto() const { return model_; }

  /// Writes the model atomically (io::atomic_file).
  void save(const std::string& path) const {
    std::string bytes;
    require<io_error>(model_.SerializeToString(&bytes), "onnx export: cannot serialise the model for '", path, "'");
    io::atomic_file f(path, "onnx export");
    f.write(bytes.data(), bytes.size());
    f.commit();
  }

 private:
  static std::string to_text(const shape& s) {
    std::string r = "[";
    for (int k = 0; k < s.rank(); ++k) r += std::to_string(s[k]) + ",";
    return r + "]";
  }

  void claim(const std::string& name) {
    require<value_error>(names_.insert(name).second, "onnx export: the name '", name, "' is used twice in the graph");
  }
  std::string fresh(const std::string& hint) {
    std::string name = hint;
    for (int k = 1; names_.count(name); ++k) name = hint + "_" + std::to_string(k);
    names_.insert(name);
    return name;
  }
  template <class Write>
  std::string cached(const std::string& key, const std::string& hint, Write&& write) {
    auto it = constants_.find(key);
    if (it != constants_.end()) return it->second;
    const std::string name = fresh(hint);
    write(name);
    constants_.emplace(key, name);
    return name;
  }
  void write_floats(const std::string& name, const shape& dims, const std::vector<float>& data) {
    auto* t = graph_->add_initializer();
    t->set_name(name);
    t->set_data_type(::i2i_onnx_pb::TensorProto::FLOAT);
    for (int k = 0; k < dims.rank(); ++k) t->add_dims(dims[k]);
    // raw_data is little-endian; every machine this builds on is.
    t->set_raw_data(data.data(), data.size() * sizeof(float));
  }
  void add(const std::string& op, std::vector<std::string> inputs, const std::vector<std::string>& outputs,
           const std::string& name, std::initializer_list<attribute> attrs) {
    auto* n = graph_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto& i : inputs) n->add_input(std::move(i));
    for (const auto& o : outputs) n->add_output(o);
    for (const auto& a : attrs) {
      auto* p = n->add_attribute();
      p->set_name(a.name);
      switch (a.type) {
        case attribute::kind::i: p->set_type(::i2i_onnx_pb::AttributeProto::INT), p->set_i(a.i); break;
        case attribute::kind::f: p->set_type(::i2i_onnx_pb::AttributeProto::FLOAT), p->set_f(a.f); break;
        case attribute::kind::s: p->set_type(::i2i_onnx_pb::AttributeProto::STRING), p->set_s(a.s); break;
        case attribute::kind::ints:
          p->set_type(::i2i_onnx_pb::AttributeProto::INTS);
          for (auto x : a.ints) p->add_ints(x);
          break;
      }
    }
  }
  /// Renames the value `from` (an output of some node) to `to` everywhere; false when no node makes it.
  bool rename(const std::string& from, const std::string& to) {
    bool produced = false;
    for (auto& n : *graph_->mutable_node()) {
      for (auto& o : *n.mutable_output())
        if (o == from) o = to, produced = true;
      for (auto& i : *n.mutable_input())
        if (i == from) i = to;
    }
    if (produced) claim(to);
    return produced;
  }
  void describe(::i2i_onnx_pb::ValueInfoProto* vi, const std::string& name, const shape& dims, bool is_input) {
    inputs_or_outputs_.insert(name);
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(::i2i_onnx_pb::TensorProto::FLOAT);
    auto* sh = tt->mutable_shape();
    for (int k = 0; k < dims.rank(); ++k) {
      auto* d = sh->add_dim();
      if (k == 0 && options_.dynamic_batch) d->set_dim_param("N");
      else if (k >= 2 && options_.dynamic_size) {
        if (is_input) d->set_dim_param(name + (k == 2 ? "_H" : "_W"));  // each input its own size
        // an output's size follows from the input's: left unnamed
      } else d->set_dim_value(dims[k]);
    }
  }

  export_options options_;
  ::i2i_onnx_pb::ModelProto model_;
  ::i2i_onnx_pb::GraphProto* graph_ = nullptr;
  std::set<std::string> names_, outputs_, inputs_or_outputs_, tapped_;
  std::map<const void*, std::string> parameters_;
  std::map<std::string, std::string> constants_;
};

}  // namespace i2i::onnx
