#pragma once
// Adam with PyTorch's semantics (torch.optim.Adam, amsgrad off), over any backend:
//   g <- g + weight_decay * p                (L2 penalty added to the gradient, not decoupled)
//   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//
//   optim::adam<cpu_backend<float>> opt(G.parameters(), {.lr = 2e-4, .beta1 = 0.5});
//   optim::adam<cuda_backend<>> opt_gpu(G_gpu.parameters());   // same class, device tensors
//
// The element update is the backend's op B::adam_update_many (backend/optimizer_args.hpp), one call per
// group (on CUDA a few launches for all of its parameters, not one per tensor): the optimizer keeps the
// schedule of scalars (t, bias corrections, groups) once for every backend, the backend keeps the
// arithmetic. Defaults are pix2pixHD's (lr 2e-4, betas 0.5/0.999). The moments are the optimizer's
// state, in B's memory; io/optimizer_state.hpp saves and restores them on any backend.
//
// Parameter groups (PyTorch's param_groups): the constructor's parameters are group 0;
// add_param_group(params, lr) appends a group with its own learning rate. set_lr sets every group (what
// pix2pixHD's linear decay does); set_group_lr sets one.
//
// Live scalars (for a step a CUDA graph replays: cuda/graphed_step.cuh): a replay re-launches the update
// kernels with the arguments of the capture, so the per-step scalars (bias corrections, learning rate)
// must come from memory instead. After use_live_scalars(), prepare_step() advances t and writes each
// group's {step_size, inv_sqrt_bc2} into a small tensor in B's memory (a host-to-backend copy, made
// outside any capture), and step() only launches the updates, which read them when they run; an optional
// flag skips them (a non-finite loss). The arithmetic is the same: float scalars rounded once, so a run
// with live scalars equals one without, bit for bit (unit_optim).
#include <cstdint>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "i2i/backend/optimizer_args.hpp"
#include "i2i/optim/optimizer_base.hpp"
#include "i2i/optim/param.hpp"

namespace i2i::optim {

struct adam_options {
  double lr = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

template <update_backend B>
class adam : public optimizer_base<B> {
  using base = optimizer_base<B>;

 public:
  using typename base::T;
  struct state {
    tensor<T> m, v;  ///< exp_avg, exp_avg_sq (PyTorch's names), in B's memory
  };

  adam(std::vector<param_ref<T>> params, adam_options opt = {}) : base("adam", std::move(params), opt.lr), opt_(opt) {
    require<value_error>(opt.lr >= 0 && opt.eps >= 0 && opt.beta1 >= 0 && opt.beta1 < 1 && opt.beta2 >= 0 &&
                             opt.beta2 < 1,
                         "adam: invalid options (lr ", opt.lr, ", betas ", opt.beta1, "/", opt.beta2, ", eps ", opt.eps,
                         ")");
    add_state(0);
  }

  /// Appends a group of parameters updated with learning rate `lr` (the other options are shared).
  void add_param_group(std::vector<param_ref<T>> params, double lr) { add_state(this->add_group(std::move(params), lr)); }

  /// One update of every parameter from its current gradient (with live scalars: the step that
  /// prepare_step() announced).
  void step() {
    const std::int64_t t = live_ ? this->t_ : ++this->t_;
    require<value_error>(!live_ || prepared_, "adam::step: live scalars are on but prepare_step() was not called");
    const auto& params = this->params();
    std::vector<adam_operands<tensor<T>>> list;
    const auto& groups = this->groups();
    for (std::size_t k = 0; k < groups.size(); ++k) {
      const auto& g = groups[k];
      auto a = adam_update_args::at_step(t, g.lr, opt_.beta1, opt_.beta2, opt_.eps, opt_.weight_decay);
      if (live_) {
        a.live_scalars = reinterpret_cast<const float*>(live_values_.data()) + 2 * k;
        a.skip_if = skip_if_.defined() ? reinterpret_cast<const float*>(skip_if_.data()) : nullptr;
      }
      list.clear();
      for (std::size_t i = g.begin; i < g.end; ++i)
        list.push_back({params[i].value, params[i].grad, state_[i].m, state_[i].v});
      B::adam_update_many(std::span<const adam_operands<tensor<T>>>(list), a);
    }
  }

  /// Turns live scalars on (see the top of this file); `skip_if`, when defined, is one element in B's
  /// memory whose non-zero value at run time makes the updates do nothing.
  void use_live_scalars(tensor<T> skip_if = {}) {
    static_assert(std::is_same_v<T, float>, "adam: live scalars are floats (the backends' kernels read them as such)");
    require<shape_error>(!skip_if.defined() || skip_if.numel() == 1, "adam::use_live_scalars: skip_if has shape ",
                         skip_if.shape(), ", expected one element");
    live_ = true;
    prepared_ = false;
    skip_if_ = std::move(skip_if);
  }
  /// Back to scalars passed by value (the live tensor is kept for a later use_live_scalars).
  void use_host_scalars() {
    live_ = false;
    skip_if_ = {};
  }
  bool live_scalars() const noexcept { return live_; }
  /// With live scalars: advances the step count and writes the next step's scalars for every group.
  void prepare_step() {
    require<value_error>(live_, "adam::prepare_step: live scalars are off (use_live_scalars)");
    const std::int64_t t = ++this->t_;
    const auto& groups = this->groups();
    auto host = tensor<T>::zeros(shape{std::int64_t(2 * groups.size())});
    for (std::size_t k = 0; k < groups.size(); ++k) {
      const auto a = adam_update_args::at_step(t, groups[k].lr, opt_.beta1, opt_.beta2, opt_.eps, opt_.weight_decay);
      host[std::int64_t(2 * k)] = T(a.step_size);
      host[std::int64_t(2 * k + 1)] = T(a.inv_sqrt_bc2);
    }
    // The same tensor every step: a captured update keeps reading this address.
    if (live_values_.defined() && live_values_.numel() == host.numel()) B::assign_from_host(live_values_, host);
    else live_values_ = B::to_backend(host);
    prepared_ = true;
  }

  /// The options, with group 0's current learning rate.
  adam_options options() const {
    adam_options o = opt_;
    o.lr = this->lr();
    return o;
  }
  std::vector<state>& moments() { return state_; }
  const std::vector<state>& moments() const { return state_; }

 private:
  /// Zero moments for the parameters from `begin` on (a new group's).
  void add_state(std::size_t begin) {
    const auto& params = this->params();
    for (std::size_t i = begin; i < params.size(); ++i)
      state_.push_back({B::zeros(params[i].value.shape()), B::zeros(params[i].value.shape())});
  }

  std::vector<state> state_;
  adam_options opt_;
  bool live_ = false, prepared_ = false;
  tensor<T> live_values_, skip_if_;  // in B's memory: {step_size, inv_sqrt_bc2} per group; the skip flag
};

}  // namespace i2i::optim
