#pragma once
// Activation specs: relu, leaky_relu<Slope>, tanh_, sigmoid. Each keeps only its output for backward.
#include "i2i/spec/layer_base.hpp"

namespace i2i {
namespace spec_detail {

template <class Derived>
struct activation_spec {
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance : shape_preserving {
    using T = typename B::scalar;
    struct context {
      tensor<T> y;
    };
    std::string path;
    explicit instance(const build_context<T>& bc) : path(bc.path) {}
    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      c.y = B::activate(x, Derived::template act<B>());
      return c.y;
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      return B::activation_backward(dy, c.y, Derived::template act<B>());
    }
  };
};

}  // namespace spec_detail

struct relu : spec_detail::activation_spec<relu> {
  template <class B>
  static auto act() { return B::activation::relu(); }
};

template <double Slope = 0.2>
struct leaky_relu : spec_detail::activation_spec<leaky_relu<Slope>> {
  template <class B>
  static auto act() { return B::activation::leaky_relu(Slope); }
};

/// tanh as a layer (the trailing underscore keeps it apart from std::tanh).
struct tanh_ : spec_detail::activation_spec<tanh_> {
  template <class B>
  static auto act() { return B::activation::tanh(); }
};

struct sigmoid : spec_detail::activation_spec<sigmoid> {
  template <class B>
  static auto act() { return B::activation::sigmoid(); }
};

}  // namespace i2i
