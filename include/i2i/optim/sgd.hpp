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
#include "i2i/optim/optimizer_base.hpp"
#include "i2i/optim/param.hpp"

namespace i2i::optim {

struct sgd_options {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

template <update_backend B>
class sgd : public optimizer_base<B> {
  using base = optimizer_base<B>;

 public:
  using typename base::T;

  sgd(std::vector<param_ref<T>> params, sgd_options opt = {}) : base("sgd", std::move(params), opt.lr), opt_(opt) {
    require<value_error>(opt.lr >= 0 && opt.momentum >= 0, "sgd: invalid options (lr ", opt.lr, ", momentum ",
                         opt.momentum, ")");
    require<value_error>(!opt.nesterov || (opt.momentum > 0 && opt.dampening == 0),
                         "sgd: nesterov needs momentum > 0 and dampening 0");
    add_buffers(0);
  }

  /// Appends a group of parameters updated with learning rate `lr` (the other options are shared).
  void add_param_group(std::vector<param_ref<T>> params, double lr) {
    add_buffers(this->add_group(std::move(params), lr));
  }

  void step() {
    const auto& params = this->params();
    for (const auto& g : this->groups()) {
      const sgd_update_args a{g.lr, opt_.momentum, opt_.dampening, opt_.weight_decay, opt_.nesterov, this->t_ == 0};
      for (std::size_t i = g.begin; i < g.end; ++i) B::sgd_update(params[i].value, params[i].grad, buffers_[i], a);
    }
    ++this->t_;
  }

  /// The options, with group 0's current learning rate.
  sgd_options options() const {
    sgd_options o = opt_;
    o.lr = this->lr();
    return o;
  }
  /// One buffer per parameter, in B's memory (zeros and unused when momentum is 0). steps() == 0 means
  /// the next step starts them from the gradient.
  std::vector<tensor<T>>& momentum_buffers() { return buffers_; }
  const std::vector<tensor<T>>& momentum_buffers() const { return buffers_; }

 private:
  void add_buffers(std::size_t begin) {
    const auto& params = this->params();
    for (std::size_t i = begin; i < params.size(); ++i) buffers_.push_back(B::zeros(params[i].value.shape()));
  }

  std::vector<tensor<T>> buffers_;
  sgd_options opt_;
};

}  // namespace i2i::optim
