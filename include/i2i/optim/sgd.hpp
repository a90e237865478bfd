#pragma once
// SGD with momentum, PyTorch semantics (torch.optim.SGD), over any backend:
//   g <- g + weight_decay * p ;  b <- g on the first step, else momentum * b + (1 - dampening) * g
//   p <- p - lr * (nesterov ? g + momentum * b : b)
// The element update is the backend's op B::sgd_update (backend/optimizer_args.hpp); parameter groups
// as optim::adam's (add_param_group, set_lr, set_group_lr). The momentum buffers are the state, in B's
// memory; io/optimizer_state.hpp saves them with the step count (which decides "first step").
#include <cstdint>
#include <vector>

#include "i2i/backend/optimizer_args.hpp"
#include "i2i/optim/param.hpp"
#include "i2i/optim/param_groups.hpp"
#include "i2i/optim/update_backend.hpp"

namespace i2i::optim {

struct sgd_options {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

template <update_backend B>
class sgd {
 public:
  using backend = B;
  using T = typename B::scalar;

  sgd(std::vector<param_ref<T>> params, sgd_options opt = {}) : groups_("sgd", std::move(params), 0), opt_(opt) {
    require<value_error>(opt.lr >= 0 && opt.momentum >= 0, "sgd: invalid options (lr ", opt.lr, ", momentum ",
                         opt.momentum, ")");
    require<value_error>(!opt.nesterov || (opt.momentum > 0 && opt.dampening == 0),
                         "sgd: nesterov needs momentum > 0 and dampening 0");
    groups_.set_lr(opt.lr);
    add_buffers(0);
  }

  /// Appends a group of parameters updated with learning rate `lr` (the other options are shared).
  void add_param_group(std::vector<param_ref<T>> params, double lr) { add_buffers(groups_.add(std::move(params), lr)); }

  void step() {
    const auto& params = groups_.params();
    for (const auto& g : groups_.groups()) {
      const sgd_update_args a{g.lr, opt_.momentum, opt_.dampening, opt_.weight_decay, opt_.nesterov, t_ == 0};
      for (std::size_t i = g.begin; i < g.end; ++i) B::sgd_update(params[i].value, params[i].grad, buffers_[i], a);
    }
    ++t_;
  }

  void zero_grad() {
    for (const auto& p : groups_.params()) B::fill_zero(p.grad);
  }

  /// Group 0's learning rate.
  double lr() const { return groups_.lr(); }
  /// Sets the learning rate of every group.
  void set_lr(double lr) {
    groups_.set_lr(lr);
    opt_.lr = lr;
  }
  std::size_t group_count() const { return groups_.count(); }
  double group_lr(std::size_t g) const { return groups_.group_lr(g); }
  void set_group_lr(std::size_t g, double lr) { groups_.set_group_lr(g, lr); }
  const sgd_options& options() const { return opt_; }
  /// Number of steps taken; 0 means the next step starts the momentum buffers (restored with them).
  std::int64_t steps() const { return t_; }
  void set_steps(std::int64_t t) { t_ = t; }
  const std::vector<param_ref<T>>& params() const { return groups_.params(); }
  /// One buffer per parameter, in B's memory (zeros and unused when momentum is 0).
  std::vector<tensor<T>>& momentum_buffers() { return buffers_; }
  const std::vector<tensor<T>>& momentum_buffers() const { return buffers_; }

 private:
  void add_buffers(std::size_t begin) {
    const auto& params = groups_.params();
    for (std::size_t i = begin; i < params.size(); ++i) buffers_.push_back(B::zeros(params[i].value.shape()));
  }

  param_groups<T> groups_;
  std::vector<tensor<T>> buffers_;
  sgd_options opt_;
  std::int64_t t_ = 0;
};

}  // namespace i2i::optim
