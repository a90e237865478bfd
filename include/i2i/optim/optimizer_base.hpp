#pragma once
// What Adam and SGD share, written once: the parameters in PyTorch's param_groups (each group with its
// own learning rate; the other options are the optimizer's), the step count that checkpoints restore, and
// clearing gradients through the backend. An optimizer derives from optimizer_base<B> and adds its state,
// add_param_group (add_group + state for the new parameters) and its step(), whose element update is a
// backend op.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/optim/param.hpp"
#include "i2i/optim/update_backend.hpp"

namespace i2i::optim {

template <update_backend B>
class optimizer_base {
 public:
  using backend = B;
  using T = typename B::scalar;

  /// Sets every gradient to zero (backward passes accumulate).
  void zero_grad() {
    for (const auto& p : params_) B::fill_zero(p.grad);
  }

  /// Group 0's learning rate.
  double lr() const { return groups_[0].lr; }
  /// Sets the learning rate of every group.
  void set_lr(double lr) {
    require<value_error>(lr >= 0, who_, ": negative learning rate ", lr);
    for (auto& g : groups_) g.lr = lr;
  }
  std::size_t group_count() const { return groups_.size(); }
  double group_lr(std::size_t g) const { return groups_.at(g).lr; }
  void set_group_lr(std::size_t g, double lr) {
    require<value_error>(g < groups_.size() && lr >= 0, who_, "::set_group_lr: group ", g, " of ", groups_.size(),
                         ", learning rate ", lr);
    groups_[g].lr = lr;
  }
  /// Number of steps taken; restored from a state file together with the optimizer's state.
  std::int64_t steps() const { return t_; }
  void set_steps(std::int64_t t) { t_ = t; }
  const std::vector<param_ref<T>>& params() const { return params_; }

 protected:
  struct group {
    std::size_t begin, end;  ///< the group's parameters: [begin, end) of params()
    double lr;
  };

  /// Group 0: `params` at learning rate lr. `who` names the optimizer in errors.
  optimizer_base(const char* who, std::vector<param_ref<T>> params, double lr) : who_(who), params_(std::move(params)) {
    check_params(who_, params_);
    groups_.push_back({0, params_.size(), lr});
  }
  /// Appends a group of parameters updated with learning rate `lr` (the other options are shared); a
  /// parameter may belong to one group only. Returns the index of its first parameter.
  std::size_t add_group(std::vector<param_ref<T>> params, double lr) {
    check_params(who_, params);
    require<value_error>(lr >= 0, who_, "::add_param_group: negative learning rate ", lr);
    for (const auto& p : params)
      for (const auto& q : params_)
        require<value_error>(p.value.data() != q.value.data(), who_, "::add_param_group: parameter '", p.name,
                             "' is already optimised (as '", q.name, "')");
    const std::size_t begin = params_.size();
    for (auto& p : params) params_.push_back(std::move(p));
    groups_.push_back({begin, params_.size(), lr});
    return begin;
  }

  const std::vector<group>& groups() const { return groups_; }

  std::int64_t t_ = 0;

 private:
  const char* who_;
  std::vector<param_ref<T>> params_;
  std::vector<group> groups_;
};

}  // namespace i2i::optim
