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
#include <cstdint>
#include <span>
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

  /// One update of every parameter from its current gradient.
  void step() {
    const std::int64_t t = ++this->t_;
    const auto& params = this->params();
    std::vector<adam_operands<tensor<T>>> list;
    for (const auto& g : this->groups()) {
      const auto a = adam_update_args::at_step(t, g.lr, opt_.beta1, opt_.beta2, opt_.eps, opt_.weight_decay);
      list.clear();
      for (std::size_t i = g.begin; i < g.end; ++i)
        list.push_back({params[i].value, params[i].grad, state_[i].m, state_[i].v});
      B::adam_update_many(std::span<const adam_operands<tensor<T>>>(list), a);
    }
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
};

}  // namespace i2i::optim
