#pragma once
// Per-call state of a forward or backward pass: train/eval mode, the tapped features recorded by
// forward, and the gradients a caller injects at taps for backward.
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"
#include "i2i/model/parameter.hpp"

namespace i2i {

/// Named tensors in the order they were recorded (feature matching walks them in layer order).
template <class T>
class tap_list {
 public:
  void put(const std::string& key, const tensor<T>& t) {
    for (auto& [k, v] : items_)
      require<value_error>(k != key, "tap '", key, "' was recorded twice in one forward pass; tap names must be unique");
    items_.emplace_back(key, t);
  }
  const tensor<T>* find(const std::string& key) const {
    for (const auto& [k, v] : items_)
      if (k == key) return &v;
    return nullptr;
  }
  const tensor<T>& at(const std::string& key) const {
    if (const auto* t = find(key)) return *t;
    std::string known;
    for (const auto& [k, v] : items_) known += (known.empty() ? "" : ", ") + k;
    throw value_error(detail::concat("no tap named '", key, "'; this forward pass recorded: ",
                                     known.empty() ? "none" : known));
  }
  const std::vector<std::pair<std::string, tensor<T>>>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }

 private:
  std::vector<std::pair<std::string, tensor<T>>> items_;
};

template <class T>
struct run_state {
  bool training = true;
  tap_list<T>* taps = nullptr;            ///< forward: where taps record their features
  const tap_list<T>* tap_grads = nullptr;  ///< backward: gradients injected at taps (may be null)
  /// false for inference (model::operator()): the combinators run each child with a scratch context
  /// and drop it as soon as the child returns, so no activation outlives the layer that needs it and
  /// peak memory is about one layer's input and output instead of the whole network's activations.
  bool keep_backward_state = true;
  /// backward: told that parameters [first, last) of `registry` have their final gradients of this
  /// backward call (a seq signals each child once its backward is done; model::backward routes it to
  /// the model's gradients-ready hook). Null, as always without a hook: no call and no cost.
  const std::function<void(const std::vector<std::shared_ptr<parameter<T>>>& registry, std::size_t first,
                           std::size_t last)>* params_ready = nullptr;
  /// Synchronised batch norm (model::set_batch_norm_group): adds per-channel values up over the process
  /// group, in place, in forward (statistics) and backward (gradient sums). Null: per-process statistics.
  const std::function<void(std::span<double>)>* batch_norm_group = nullptr;
};

}  // namespace i2i
