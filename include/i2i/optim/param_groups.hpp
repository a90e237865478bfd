#pragma once
// Parameter groups as PyTorch's param_groups: the optimizer's parameters in order, cut into groups that
// each have their own learning rate (the other options are the optimizer's). Adam and SGD own one, so
// adding a group, setting every group's rate (pix2pixHD's linear decay) or one group's is written once.
#include <cstddef>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/optim/param.hpp"

namespace i2i::optim {

template <class T>
class param_groups {
 public:
  struct group {
    std::size_t begin, end;  ///< the group's parameters: [begin, end) of params()
    double lr;
  };

  /// Group 0: `params` at learning rate lr. `who` names the optimizer in errors.
  param_groups(const char* who, std::vector<param_ref<T>> params, double lr) : who_(who), params_(std::move(params)) {
    check_params(who_, params_);
    require<value_error>(lr >= 0, who_, ": negative learning rate ", lr);
    groups_.push_back({0, params_.size(), lr});
  }

  /// Appends a group; a parameter may belong to one group only. Returns the index of its first parameter.
  std::size_t add(std::vector<param_ref<T>> params, double lr) {
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

  /// Group 0's learning rate.
  double lr() const { return groups_[0].lr; }
  /// Sets the learning rate of every group.
  void set_lr(double lr) {
    require<value_error>(lr >= 0, who_, ": negative learning rate ", lr);
    for (auto& g : groups_) g.lr = lr;
  }
  std::size_t count() const { return groups_.size(); }
  double group_lr(std::size_t g) const { return groups_.at(g).lr; }
  void set_group_lr(std::size_t g, double lr) {
    require<value_error>(g < groups_.size() && lr >= 0, who_, "::set_group_lr: group ", g, " of ", groups_.size(),
                         ", learning rate ", lr);
    groups_[g].lr = lr;
  }

  const std::vector<group>& groups() const { return groups_; }
  const std::vector<param_ref<T>>& params() const { return params_; }

 private:
  const char* who_;
  std::vector<param_ref<T>> params_;
  std::vector<group> groups_;
};

}  // namespace i2i::optim
