#pragma once
// residual<Body, Name = "">: y = x + Body(x), no activation after the sum (pix2pixHD's and EGSC-IT's
// ResnetBlock). The body is named Name under the block ("conv_block" in pix2pixHD), or sits at the
// block's own path when Name is empty.
#include "i2i/compose/build.hpp"
#include "i2i/core/fixed_string.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i {

template <class Body, fixed_string Name = "">
struct residual {
  static constexpr int in_channels = Body::in_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance {
    static_assert(diag::residual_changes_channels<In, Body::out_channels(In)>::ok);
    using T = typename B::scalar;
    using body_type = compose_detail::instance_of<Body, In, B>;
    struct context {
      typename body_type::context body;
    };
    body_type body;

    explicit instance(const build_context<T>& bc)
        : body(compose_detail::build<Body, In, B>(Name.empty() ? bc : bc.child(Name.str()), -1)) {}

    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>& rs) const {
      return B::add(x, body.forward(x, c.body, rs));
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>& rs, bool need_dx) {
      auto dbody = body.backward(c.body, dy, rs, need_dx);
      return need_dx ? B::add(dy, dbody) : tensor<T>{};
    }
    shape trace(const shape& in, double& flops) const { return body.trace(in, flops); }
  };
};

}  // namespace i2i
