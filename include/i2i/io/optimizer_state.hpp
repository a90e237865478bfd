#pragma once
// Optimizer state, in a safetensors file of its own (DESIGN §4: weights, optimizer state and trainer
// state are separate, so a model file stays loadable into a model without an optimizer). One format for
// every backend: state in device memory is written from host copies (B::to_host) and read back through
// B::assign_from_host, so a file saved by optim::adam<cuda_backend<>> loads into optim::adam<cpu_backend<>>
// and back (on the CPU both are identities: no copies).
//
// Adam's file:
//   "<param>.exp_avg", "<param>.exp_avg_sq"   first and second moments (PyTorch's state names)
//   metadata "i2i.content" = "adam", "step" (Adam's t), "lr", "beta1", "beta2", "eps", "weight_decay",
//   plus whatever the caller adds (e.g. "epoch", "iteration").
// SGD's file:
//   "<param>.momentum_buffer"                 (PyTorch's state name)
//   metadata "i2i.content" = "sgd", "step", "lr", "momentum", "dampening", "weight_decay", "nesterov",
//   plus the caller's.
// Loading restores the state, the step count and lr, so the next step equals the step the saved run would
// have taken. The other hyper-parameters of the optimizer being loaded into are kept: a mismatch is
// reported through the returned metadata, not forced (a user may change them deliberately).
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "i2i/io/checkpoint.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/optim/sgd.hpp"

namespace i2i::io {

namespace optimizer_state_detail {

/// The state tensors of an optimizer in B's memory, by file name.
template <class T>
using named_state = std::vector<std::pair<std::string, tensor<T>>>;

/// Writes `state` from host copies with the metadata every optimizer file has (content tag, step, lr)
/// besides `meta` (the optimizer's hyper-parameters and the caller's entries).
template <class Opt>
void save(const char* who, const char* content_tag, const Opt& opt,
          const named_state<typename Opt::backend::scalar>& state, const std::string& path,
          std::map<std::string, std::string> meta) {
  using B = typename Opt::backend;
  meta["i2i.content"] = content_tag;
  meta["step"] = std::to_string(opt.steps());
  meta["lr"] = detail::number_text(opt.lr());
  state_dict<typename B::scalar> sd;
  sd.reserve(state.size());
  for (const auto& [name, t] : state) sd.push_back({name, B::to_host(t)});
  detail::check_state_dict(who, sd, path);
  save_state_dict(sd, path, std::move(meta));
}

/// Checks the content tag, loads `state` into host copies of the current state (so what a partial load
/// skips keeps its value) and writes them to B's memory, then restores step and lr. Returns the metadata.
template <class Opt>
std::map<std::string, std::string> load(const char* who, const char* content_tag, const char* what, Opt& opt,
                                        const named_state<typename Opt::backend::scalar>& state,
                                        const std::string& path, load_mode mode, load_report* report) {
  using B = typename Opt::backend;
  auto meta = read_checkpoint_metadata(path);
  auto content = meta.find("i2i.content");
  require<io_error>(content != meta.end() && content->second == content_tag, who, ": '", path, "' is not an ", what,
                    " state file (metadata i2i.content is '",
                    content == meta.end() ? std::string("absent") : content->second, "')");
  const auto step = metadata_number<std::int64_t>(meta, "step", path);
  const auto lr = metadata_number<double>(meta, "lr", path);
  require<io_error>(step >= 0 && lr >= 0, who, ": '", path, "': negative step (", step, ") or lr (", lr, ")");

  state_dict<typename B::scalar> host;
  host.reserve(state.size());
  for (const auto& [name, t] : state) host.push_back({name, B::to_host(t)});
  auto r = load_state_dict(host, path, mode);
  for (std::size_t i = 0; i < state.size(); ++i) B::assign_from_host(state[i].second, host[i].value);
  opt.set_steps(step);
  opt.set_lr(lr);
  if (report) *report = std::move(r);
  return meta;
}

template <class B>
named_state<typename B::scalar> adam_state(const optim::adam<B>& opt) {
  const auto& moments = opt.moments();
  const auto& params = opt.params();
  named_state<typename B::scalar> s;
  s.reserve(2 * params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    s.emplace_back(params[i].name + ".exp_avg", moments[i].m);
    s.emplace_back(params[i].name + ".exp_avg_sq", moments[i].v);
  }
  return s;
}

template <class B>
named_state<typename B::scalar> sgd_state(const optim::sgd<B>& opt) {
  const auto& buffers = opt.momentum_buffers();
  const auto& params = opt.params();
  named_state<typename B::scalar> s;
  s.reserve(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) s.emplace_back(params[i].name + ".momentum_buffer", buffers[i]);
  return s;
}

}  // namespace optimizer_state_detail

/// Saves `opt`'s moments, step count and hyper-parameters; `extra` metadata (epoch, iteration, ...)
/// is stored alongside and returned by load_adam_state.
template <class B>
void save_adam_state(const optim::adam<B>& opt, const std::string& path, std::map<std::string, std::string> extra = {}) {
  const auto o = opt.options();
  extra["beta1"] = detail::number_text(o.beta1);
  extra["beta2"] = detail::number_text(o.beta2);
  extra["eps"] = detail::number_text(o.eps);
  extra["weight_decay"] = detail::number_text(o.weight_decay);
  optimizer_state_detail::save("save_adam_state", "adam", opt, optimizer_state_detail::adam_state(opt), path,
                               std::move(extra));
}

/// Restores moments, step count and learning rate into `opt` (whose parameters must have the names and
/// shapes they had when saved). strict: every parameter's moments present, nothing else; partial:
/// parameters absent from the file keep their current (usually zero) moments, which is what PyTorch does
/// for an optimizer over a larger parameter group. Returns the file's metadata (including "epoch" or
/// anything else the caller saved).
template <class B>
std::map<std::string, std::string> load_adam_state(optim::adam<B>& opt, const std::string& path,
                                                   load_mode mode = load_mode::strict, load_report* report = nullptr) {
  return optimizer_state_detail::load("load_adam_state", "adam", "Adam", opt, optimizer_state_detail::adam_state(opt),
                                      path, mode, report);
}

/// Saves `opt`'s momentum buffers, step count and hyper-parameters (as save_adam_state).
template <class B>
void save_sgd_state(const optim::sgd<B>& opt, const std::string& path, std::map<std::string, std::string> extra = {}) {
  const auto o = opt.options();
  extra["momentum"] = detail::number_text(o.momentum);
  extra["dampening"] = detail::number_text(o.dampening);
  extra["weight_decay"] = detail::number_text(o.weight_decay);
  extra["nesterov"] = o.nesterov ? "1" : "0";
  optimizer_state_detail::save("save_sgd_state", "sgd", opt, optimizer_state_detail::sgd_state(opt), path,
                               std::move(extra));
}

/// Restores momentum buffers, step count and learning rate into `opt` (as load_adam_state).
template <class B>
std::map<std::string, std::string> load_sgd_state(optim::sgd<B>& opt, const std::string& path,
                                                  load_mode mode = load_mode::strict, load_report* report = nullptr) {
  return optimizer_state_detail::load("load_sgd_state", "sgd", "SGD", opt, optimizer_state_detail::sgd_state(opt),
                                      path, mode, report);
}

}  // namespace i2i::io
