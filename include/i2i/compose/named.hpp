#pragma once
// named<"name", X>: X under its own name instead of an index (PyTorch attributes such as "model",
// "model1_1", "conv_block"). A named element of a seq takes no index position.
#include "i2i/compose/build.hpp"
#include "i2i/core/fixed_string.hpp"

namespace i2i {

template <fixed_string Name, class X>
struct named {
  static constexpr bool self_naming = true;
  static constexpr int span = 0;
  static constexpr int in_channels = X::in_channels;
  static constexpr int out_channels(int in) { return X::out_channels(in); }

  template <int In, class B>
  struct instance : compose_detail::instance_of<X, In, B> {
    using base = compose_detail::instance_of<X, In, B>;
    explicit instance(const build_context<typename B::scalar>& bc)
        : base(compose_detail::build<X, In, B>(bc.child(Name.str()), -1)) {}
  };
};

}  // namespace i2i
