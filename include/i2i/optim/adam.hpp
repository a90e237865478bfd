#pragma once
// Adam with PyTorch's semantics (torch.optim.Adam, amsgrad off):
//   g <- g + weight_decay * p                (L2 penalty added to the gradient, not decoupled)
//   m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// Defaults are pix2pixHD's (lr 2e-4, betas 0.5/0.999). The moments are the optimizer's state; they are
// exposed so that checkpoints can save and restore them.
//
// Parameter groups (PyTorch's param_groups): the constructor's parameters are group 0;
// add_param_group(params, lr) appends a group with its own learning rate. set_lr sets every group (what
// pix2pixHD's linear decay does); set_group_lr sets one.
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
    groups_.push_back({0, params_.size(), opt.lr});
    require<value_error>(opt.lr >= 0 && opt.eps >= 0 && opt.beta1 >= 0 && opt.beta1 < 1 && opt.beta2 >= 0 &&
                             opt.beta2 < 1,
                         "adam: invalid options (lr ", opt.lr, ", betas ", opt.beta1, "/", opt.beta2, ", eps ", opt.eps,
                         ")");
    for (const auto& p : params_) state_.push_back({tensor<T>::zeros(p.value.shape()), tensor<T>::zeros(p.value.shape())});
  }

  /// Appends a group of parameters updated with learning rate `lr` (the other options are shared).
  void add_param_group(std::vector<param_ref<T>> params, double lr) {
    check_params("adam::add_param_group", params);
    require<value_error>(lr >= 0, "adam::add_param_group: negative learning rate ", lr);
    for (const auto& p : params)
      for (const auto& q : params_)
        require<value_error>(p.value.data() != q.value.data(), "adam::add_param_group: parameter '", p.name,
                             "' is already optimised (as '", q.name, "')");
    const std::size_t begin = params_.size();
    for (auto& p : params) {
      state_.push_back({tensor<T>::zeros(p.value.shape()), tensor<T>::zeros(p.value.shape())});
      params_.push_back(std::move(p));
    }
    groups_.push_back({begin, params_.size(), lr});
  }

  /// One update of every parameter from its current gradient.
  void step() {
    ++t_;
    const double bc1 = 1 - std::pow(opt_.beta1, double(t_));
    const double bc2 = 1 - std::pow(opt_.beta2, double(t_));
    const T inv_sqrt_bc2 = T(1 / std::sqrt(bc2));
    const T b1 = T(opt_.beta1), b2 = T(opt_.beta2), eps = T(opt_.eps), wd = T(opt_.weight_decay);
    for (const auto& g : groups_)
      for (std::size_t i = g.begin; i < g.end; ++i) update(i, T(g.lr / bc1), inv_sqrt_bc2, b1, b2, eps, wd);
  }

  void zero_grad() { optim::zero_grad(params_); }

  /// Group 0's learning rate.
  double lr() const { return groups_[0].lr; }
  /// Sets the learning rate of every group.
  void set_lr(double lr) {
    require<value_error>(lr >= 0, "adam: negative learning rate ", lr);
    opt_.lr = lr;
    for (auto& g : groups_) g.lr = lr;
  }
  std::size_t group_count() const { return groups_.size(); }
  double group_lr(std::size_t g) const { return groups_.at(g).lr; }
  void set_group_lr(std::size_t g, double lr) {
    require<value_error>(g < groups_.size() && lr >= 0, "adam::set_group_lr: group ", g, " of ", groups_.size(),
                         ", learning rate ", lr);
    groups_[g].lr = lr;
  }
  const adam_options& options() const { return opt_; }
  /// Number of steps taken (t in the bias corrections); restored together with the moments.
  std::int64_t steps() const { return t_; }
  void set_steps(std::int64_t t) { t_ = t; }
  const std::vector<param_ref<T>>& params() const { return params_; }
  std::vector<state>& moments() { return state_; }
  const std::vector<state>& moments() const { return state_; }

 private:
  struct group {
    std::size_t begin, end;
    double lr;
  };

  void update(std::size_t i, T step_size, T inv_sqrt_bc2, T b1, T b2, T eps, T wd) {
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

  std::vector<param_ref<T>> params_;
  std::vector<group> groups_;
  std::vector<state> state_;
  adam_options opt_;
  std::int64_t t_ = 0;
};

}  // namespace i2i::optim
