#pragma once
// tap<"name", X>: X's output is recorded under "name" in the forward context (feature matching,
// perceptual losses), and backward accepts an extra gradient injected there. A tap is transparent to
// naming: tap<"f", conv<...>> at index 3 of a seq is still "3". Inside repeat or multiscale the key is
// prefixed by the copy's scope ("scale1.f"). tap<"layer", X, 2> is keyed "layer2".
#include "i2i/compose/build.hpp"
#include "i2i/compose/named.hpp"
#include "i2i/core/fixed_string.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i {

template <fixed_string Name, class X, int Index = -1>
struct tap {
  static constexpr int span = index_span_v<X>;
  static constexpr bool splices = splicing_spec<X>;
  static constexpr bool self_naming = self_naming_spec<X>;
  static constexpr int in_channels = X::in_channels;
  static constexpr int out_channels(int in) { return X::out_channels(in); }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    using inner_type = compose_detail::instance_of<X, In, B>;
    using context = typename inner_type::context;
    inner_type inner;
    std::string key;

    template <class... First>
    explicit instance(const build_context<T>& bc, First... first)
        : inner(bc, first...), key(bc.tap_key(composed_name(Name.view(), Index))) {}

    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>& rs) const {
      auto y = inner.forward(x, c, rs);
      if (rs.taps) rs.taps->put(key, y);
      return y;
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>& rs, bool need_dx) {
      const tensor<T>* extra = rs.tap_grads ? rs.tap_grads->find(key) : nullptr;
      if (!extra) return inner.backward(c, dy, rs, need_dx);
      require<shape_error>(extra->shape() == dy.shape(), "tap '", key, "': injected gradient has shape ",
                           extra->shape(), ", expected ", dy.shape());
      return inner.backward(c, B::add(dy, *extra), rs, need_dx);
    }
    shape trace(const shape& in, double& flops) const { return inner.trace(in, flops); }
  };
};

}  // namespace i2i
