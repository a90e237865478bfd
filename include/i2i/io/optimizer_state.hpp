#pragma once
// Optimizer and trainer state, in a safetensors file of its own (DESIGN §4: weights, optimizer state
// and trainer state are separate, so a model file stays loadable into a model without an optimizer).
//
// Adam's file:
//   "<param>.exp_avg", "<param>.exp_avg_sq"   first and second moments (PyTorch's state names)
//   metadata "i2i.content" = "adam", "step" (Adam's t), "lr", "beta1", "beta2", "eps", "weight_decay",
//   plus whatever the caller adds (e.g. "epoch", "iteration").
// Loading restores the moments, t and lr, so the next step equals the step the saved run would have
// taken. The betas, eps and weight decay of the optimizer being loaded into are kept: a mismatch is
// reported through the returned metadata, not forced (a user may change them deliberately).
#include <map>
#include <string>
#include <vector>

#include "i2i/io/checkpoint.hpp"
#include "i2i/optim/adam.hpp"

namespace i2i::io {

/// Saves `opt`'s moments, step count and hyper-parameters; `extra` metadata (epoch, iteration, ...)
/// is stored alongside and returned by load_adam_state.
template <cpu_scalar T>
void save_adam_state(const optim::adam<T>& opt, const std::string& path, std::map<std::string, std::string> extra = {}) {
  const auto& moments = opt.moments();
  const auto& params = opt.params();
  state_dict<T> sd;
  sd.reserve(2 * params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    sd.push_back({params[i].name + ".exp_avg", moments[i].m});
    sd.push_back({params[i].name + ".exp_avg_sq", moments[i].v});
  }
  const auto& o = opt.options();
  extra["i2i.content"] = "adam";
  extra["step"] = std::to_string(opt.steps());
  extra["lr"] = detail::number_text(opt.lr());
  extra["beta1"] = detail::number_text(o.beta1);
  extra["beta2"] = detail::number_text(o.beta2);
  extra["eps"] = detail::number_text(o.eps);
  extra["weight_decay"] = detail::number_text(o.weight_decay);
  detail::check_state_dict("save_adam_state", sd, path);
  save_state_dict(sd, path, std::move(extra));
}

/// Restores moments, step count and learning rate into `opt` (whose parameters must have the names and
/// shapes they had when saved). strict: every parameter's moments present, nothing else; partial:
/// parameters absent from the file keep their current (usually zero) moments, which is what PyTorch does
/// for an optimizer over a larger parameter group. Returns the file's metadata (including "epoch" or
/// anything else the caller saved).
template <cpu_scalar T>
std::map<std::string, std::string> load_adam_state(optim::adam<T>& opt, const std::string& path,
                                                   load_mode mode = load_mode::strict, load_report* report = nullptr) {
  auto meta = read_checkpoint_metadata(path);
  auto content = meta.find("i2i.content");
  require<io_error>(content != meta.end() && content->second == "adam", "load_adam_state: '", path,
                    "' is not an Adam state file (metadata i2i.content is '",
                    content == meta.end() ? std::string("absent") : content->second, "')");
  const auto step = metadata_number<std::int64_t>(meta, "step", path);
  const auto lr = metadata_number<double>(meta, "lr", path);
  require<io_error>(step >= 0 && lr >= 0, "load_adam_state: '", path, "': negative step (", step, ") or lr (", lr, ")");

  auto& moments = opt.moments();
  const auto& params = opt.params();
  state_dict<T> targets;
  for (std::size_t i = 0; i < params.size(); ++i) {
    targets.push_back({params[i].name + ".exp_avg", moments[i].m});
    targets.push_back({params[i].name + ".exp_avg_sq", moments[i].v});
  }
  auto r = load_state_dict(targets, path, mode);
  opt.set_steps(step);
  opt.set_lr(lr);
  if (report) *report = std::move(r);
  return meta;
}

}  // namespace i2i::io
