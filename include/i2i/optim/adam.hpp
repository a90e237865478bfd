#pragma once
// Adam with PyTorch's semantics (torch.optim.Adam, amsgrad off):
//   g <- g + weight_decay * p                (L2 penalty added to the gradient, not decoupled)
//   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Defaults are pix2pixHD's (lr 2e-4, betas 0.5/0.999). The moments are the optimizer's state; they are
// exposed so that checkpoints can save and restore them.
#include <cmath>
#include <cstdint>
#include <vector>

#include "i2i/backend/cpu/eigen_map.hpp"
#include "i2i/optim/param.hpp"

namespace i2i::optim {

struct adam_options {
  double lr = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
};

template <cpu_scalar T>
class adam {
 public:
  struct state {
    tensor<T> m, v;
  };

  adam(std::vector<param_ref<T>> params, adam_options opt = {}) : params_(std::move(params)), opt_(opt) {
    check_params("adam", params_);
    require<value_error>(opt.lr >= 0 && opt.eps >= 0 && opt.beta1 >= 0 && opt.beta1 < 1 && opt.beta2 >= 0 &&
                             opt.beta2 < 1,
                         "adam: invalid options (lr ", opt.lr, ", betas ", opt.beta1, "/", opt.beta2, ", eps ", opt.eps,
                         ")");
    for (const auto& p : params_) state_.push_back({tensor<T>::zeros(p.value.shape()), tensor<T>::zeros(p.value.shape())});
  }

  /// One update of every parameter from its current gradient.
  void step() {
    ++t_;
    const double bc1 = 1 - std::pow(opt_.beta1, double(t_));
    const double bc2 = 1 - std::pow(opt_.beta2, double(t_));
    const T step_size = T(opt_.lr / bc1);
    const T inv_sqrt_bc2 = T(1 / std::sqrt(bc2));
    const T b1 = T(opt_.beta1), b2 = T(opt_.beta2), eps = T(opt_.eps), wd = T(opt_.weight_decay);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      auto p = cpu::flat(params_[i].value);
      auto g = cpu::flat(params_[i].grad);
      auto m = cpu::flat(state_[i].m);
      auto v = cpu::flat(state_[i].v);
      if (opt_.weight_decay != 0) {
        m = b1 * m + (1 - b1) * (g + wd * p);
        v = b2 * v + (1 - b2) * (g + wd * p).square();
      } else {
        m = b1 * m + (1 - b1) * g;
        v = b2 * v + (1 - b2) * g.square();
      }
      p -= step_size * m / (v.sqrt() * inv_sqrt_bc2 + eps);
    }
  }

  void zero_grad() { optim::zero_grad(params_); }

  double lr() const { return opt_.lr; }
  void set_lr(double lr) {
    require<value_error>(lr >= 0, "adam: negative learning rate ", lr);
    opt_.lr = lr;
  }
  const adam_options& options() const { return opt_; }
  /// Number of steps taken (t in the bias corrections); restored together with the moments.
  std::int64_t steps() const { return t_; }
  void set_steps(std::int64_t t) { t_ = t; }
  const std::vector<param_ref<T>>& params() const { return params_; }
  std::vector<state>& moments() { return state_; }
  const std::vector<state>& moments() const { return state_; }

 private:
  std::vector<param_ref<T>> params_;
  std::vector<state> state_;
  adam_options opt_;
  std::int64_t t_ = 0;
};

}  // namespace i2i::optim
