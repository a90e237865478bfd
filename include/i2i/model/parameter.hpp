#pragma once
// Parameters as a bound network owns them, and what a layer instance is given when it is built.
//
// Every parameter carries its full hierarchical name (equal to the reference PyTorch state_dict key
// where one exists, e.g. "model.16.conv_block.1.weight"), its role and fan-in/fan-out (for init
// policies), its gradient buffer, and a frozen flag. Instances hold shared_ptrs to their parameters;
// the model's registry holds the same pointers in definition order. A shared instance registers its
// parameters once, so both paths through it accumulate into one gradient.
#include <any>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "i2i/core/tensor.hpp"

namespace i2i {

/// What a parameter is for; init policies dispatch on it.
enum class param_role { conv_weight, conv_bias, linear_weight, linear_bias, norm_weight, norm_bias, buffer };

template <class T>
struct parameter {
  std::string name;
  tensor<T> value;
  tensor<T> grad;       ///< undefined for buffers (running statistics), which have no gradient
  param_role role = param_role::conv_weight;
  std::int64_t fan_in = 0, fan_out = 0;
  bool frozen = false;  ///< a frozen parameter keeps its value and gets no gradient

  bool trainable() const { return role != param_role::buffer; }
};

/// Joins two name components with a dot, skipping empty ones.
inline std::string join_name(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "." + b;
}

/// Instances shared between paths or models, by tag (see compose/shared.hpp). Pass one registry to
/// several models to share blocks between them (EGSC-IT's shared encoder and generator blocks).
class shared_registry {
 public:
  template <class Instance, class Make>
  std::shared_ptr<Instance> get_or_make(const std::string& tag, Make&& make) {
    auto it = items_.find(tag);
    if (it != items_.end()) {
      auto* p = std::any_cast<std::shared_ptr<Instance>>(&it->second);
      require<error>(p != nullptr, "shared block '", tag,
                     "' is used with two different specs or channel counts; a tag names one block");
      return *p;
    }
    auto made = make();
    items_.emplace(tag, made);
    return made;
  }

  bool empty() const { return items_.empty(); }

 private:
  std::map<std::string, std::any> items_;
};

/// What an instance is given at construction.
template <class T>
struct build_context {
  std::string path;       ///< parameter-name prefix of this instance ("" at the root)
  std::string tap_scope;  ///< prefix of tap keys (multiscale scale, repeat index), "" at the root
  std::vector<std::shared_ptr<parameter<T>>>* params;
  shared_registry* shared;
  std::string separator = ".";  ///< joins `path` to the next name (pix2pixHD's "scale0_layer1" uses "_")

  std::string name_of(const std::string& name) const {
    if (path.empty()) return name;
    if (name.empty()) return path;
    return path + separator + name;
  }
  build_context child(const std::string& name) const { return {name_of(name), tap_scope, params, shared, "."}; }
  build_context with_separator(const std::string& sep) const { return {path, tap_scope, params, shared, sep}; }
  build_context child_tap_scope(const std::string& scope) const {
    return {path, join_name(tap_scope, scope), params, shared, separator};
  }
  /// The tap key of a tap named `name` here.
  std::string tap_key(const std::string& name) const { return join_name(tap_scope, name); }
  /// Creates, registers and returns a parameter of this instance.
  std::shared_ptr<parameter<T>> add(const std::string& name, const shape& s, param_role role, std::int64_t fan_in,
                                    std::int64_t fan_out) const {
    auto p = std::make_shared<parameter<T>>();
    p->name = name_of(name);
    p->value = tensor<T>::zeros(s);
    if (role != param_role::buffer) p->grad = tensor<T>::zeros(s);
    p->role = role;
    p->fan_in = fan_in;
    p->fan_out = fan_out;
    params->push_back(p);
    return p;
  }
};

}  // namespace i2i
