#pragma once
// linear<Out, Bias = true>: a dense layer over the channels of an N x C x 1 x 1 tensor (MUNIT's MLP,
// style codes). The weight is Out x In, PyTorch's layout.
#include <memory>

#include "i2i/spec/layer_base.hpp"

namespace i2i {

template <int Out, bool Bias = true>
struct linear {
  static_assert(Out > 0, "i2i::linear<Out>: Out must be positive");
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int) { return Out; }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    struct context {
      tensor<T> x2;  // N x In view of the input
    };
    std::string path;
    std::shared_ptr<parameter<T>> w, b;

    explicit instance(const build_context<T>& bc) : path(bc.path) {
      w = bc.add("weight", shape{Out, In}, param_role::linear_weight, In, Out);
      if constexpr (Bias) b = bc.add("bias", shape{Out}, param_role::linear_bias, In, Out);
    }
    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      spec_detail::check_input(path, "linear", x, In);
      require<shape_error>(x.h() == 1 && x.w() == 1, spec_detail::where(path, "linear"), ": input ", x.shape(),
                           ", expected N x ", In, " x 1 x 1");
      c.x2 = x.reshaped({x.n(), In});
      auto y = B::linear(c.x2, w->value, b ? &b->value : nullptr);
      return y.reshaped(shape::nchw(x.n(), Out, 1, 1));
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool need_dx) {
      auto dy2 = dy.reshaped({c.x2.dim(0), Out});
      auto dw = w->frozen ? B::zeros(w->value.shape()) : w->grad;
      tensor<T> unused_db = (b && b->frozen) ? B::zeros(b->value.shape()) : tensor<T>{};
      auto dx = B::linear_backward(c.x2, w->value, dy2, dw, b ? (b->frozen ? &unused_db : &b->grad) : nullptr);
      return need_dx ? dx.reshaped(shape::nchw(c.x2.dim(0), In, 1, 1)) : tensor<T>{};
    }
    shape trace(const shape& in, double& flops) const {
      flops += 2.0 * double(in[0]) * In * Out;
      return shape::nchw(in[0], Out, 1, 1);
    }
  };
};

/// channels<C>: states that C channels flow here (an identity; it holds no index in a seq). At the start
/// of a spec it fixes the model's input channels; elsewhere it is a compile-time check.
template <int C>
struct channels {
  static_assert(C > 0, "i2i::channels<C>: C must be positive");
  static constexpr int in_channels = C;
  static constexpr int out_channels(int) { return C; }
  static constexpr int span = 0;

  template <int In, class B>
  struct instance : spec_detail::shape_preserving {
    using T = typename B::scalar;
    struct context {};
    std::string path;
    explicit instance(const build_context<T>& bc) : path(bc.path) {}
    tensor<T> forward(const tensor<T>& x, context&, run_state<T>&) const {
      spec_detail::check_input(path, "channels", x, C);
      return x;
    }
    tensor<T> backward(const context&, const tensor<T>& dy, run_state<T>&, bool) { return dy; }
  };
};

}  // namespace i2i
