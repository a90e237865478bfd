#pragma once
// Saving and loading a model's parameters (and buffers) by name: the glue between model<> and the
// safetensors state_dict functions of io/checkpoint.hpp.
//
//   i2i::save_model(G, "G.safetensors", {{"iteration", "1200"}});       // atomic
//   auto report = i2i::load_model(G, "G.safetensors");                   // strict: throws listing every key
//   auto r = i2i::load_model(local, "global.safetensors", io::load_mode::partial, {{"model.", "model.model."}});
//
// The state_dict views the model's host storage directly on the CPU backend; for a device backend the
// values are staged through host copies, so the same calls work for every backend.
#include <map>
#include <string>

#include "i2i/io/checkpoint.hpp"

namespace i2i {

/// Every parameter and buffer of `m` in definition order, as host tensors (aliases on the CPU).
template <class Model>
state_dict<typename Model::T> state_dict_of(const Model& m) {
  state_dict<typename Model::T> sd;
  for (const auto& p : m.all_parameters()) sd.push_back({p->name, Model::backend::to_host(p->value)});
  return sd;
}

template <class Model>
void save_model(const Model& m, const std::string& path, std::map<std::string, std::string> metadata = {}) {
  io::save_state_dict(state_dict_of(m), path, std::move(metadata));
}

/// Loads `path` into `m` (strict: every key, no extra, equal shapes — else checkpoint_mismatch listing all).
template <class Model>
io::load_report load_model(Model& m, const std::string& path, io::load_mode mode = io::load_mode::strict,
                           const io::key_map& map = {}) {
  auto sd = state_dict_of(m);
  auto report = io::load_state_dict(sd, path, mode, map);
  const auto& params = m.all_parameters();
  for (std::size_t i = 0; i < params.size(); ++i) Model::backend::assign_from_host(params[i]->value, sd[i].value);
  return report;
}

}  // namespace i2i
