#pragma once
// named<"name", X>: X under its own name instead of an index (PyTorch attributes such as "model",
// "conv_block"). A named element of a seq takes no index position.
//
// named<"model", X, N, "_1"> is "model" + N + "_1" ("model1_1"): names generated from an index in a
// pack expansion. The name is composed at run time, because nvcc 13 cannot use a fixed_string computed
// at compile time from another one as a template argument.
#include "i2i/compose/build.hpp"
#include <string>
#include <string_view>

#include "i2i/core/fixed_string.hpp"

namespace i2i {

/// name + index (when >= 0) + suffix. A plain function: nvcc 13 misreads class-type template
/// parameters of a function template as `const char*`.
inline std::string composed_name(std::string_view name, int index = -1, std::string_view suffix = {}) {
  return std::string(name) + (index >= 0 ? std::to_string(index) : std::string()) + std::string(suffix);
}

template <fixed_string Name, class X, int Index = -1, fixed_string Suffix = "">
struct named {
  static constexpr bool self_naming = true;
  static constexpr int span = 0;
  static constexpr int in_channels = X::in_channels;
  static constexpr int out_channels(int in) { return X::out_channels(in); }

  template <int In, class B>
  struct instance : compose_detail::instance_of<X, In, B> {
    using base = compose_detail::instance_of<X, In, B>;
    explicit instance(const build_context<typename B::scalar>& bc)
        : base(compose_detail::build<X, In, B>(bc.child(composed_name(Name.view(), Index, Suffix.view())), -1)) {}
  };
};

}  // namespace i2i
