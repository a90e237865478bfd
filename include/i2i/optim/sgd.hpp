#pragma once
// SGD with momentum, PyTorch semantics (torch.optim.SGD):
//   g <- g + weight_decay * p ;  b <- g on the first step, else momentum * b + (1 - dampening) * g
//   p <- p - lr * (nesterov ? g + momentum * b : b)
#include <vector>

#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/optim/param.hpp"

namespace i2i::optim {

struct sgd_options {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

template <cpu_scalar T>
class sgd {
 public:
  sgd(std::vector<param_ref<T>> params, sgd_options opt = {}) : params_(std::move(params)), opt_(opt) {
    check_params("sgd", params_);
    require<value_error>(opt.lr >= 0 && opt.momentum >= 0, "sgd: invalid options (lr ", opt.lr, ", momentum ",
                         opt.momentum, ")");
    require<value_error>(!opt.nesterov || (opt.momentum > 0 && opt.dampening == 0),
                         "sgd: nesterov needs momentum > 0 and dampening 0");
    for (const auto& p : params_) buffers_.push_back(tensor<T>::zeros(p.value.shape()));
  }

  void step() {
    const T lr = T(opt_.lr), mu = T(opt_.momentum), damp = T(opt_.dampening), wd = T(opt_.weight_decay);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      auto p = cpu::flat(params_[i].value);
      auto g = cpu::flat(params_[i].grad);
      if (opt_.momentum == 0) {
        p -= lr * (g + wd * p);
        continue;
      }
      auto b = cpu::flat(buffers_[i]);
      if (first_) b = g + wd * p;
      else b = mu * b + (1 - damp) * (g + wd * p);
      if (opt_.nesterov) p -= lr * ((g + wd * p) + mu * b);
      else p -= lr * b;
    }
    first_ = false;
  }

  void zero_grad() { optim::zero_grad(params_); }
  void set_lr(double lr) { opt_.lr = lr; }
  double lr() const { return opt_.lr; }
  std::vector<tensor<T>>& momentum_buffers() { return buffers_; }

 private:
  std::vector<param_ref<T>> params_;
  std::vector<tensor<T>> buffers_;
  sgd_options opt_;
  bool first_ = true;
};

}  // namespace i2i::optim
