#pragma once
// Activation specs: relu, leaky_relu<Slope>, tanh_, sigmoid, relu6. Each keeps only its output for backward.
// An activation spec also names what a norm spec fuses after itself (frozen_batch_norm<Eps, relu6>).
// leaky_relu's slope is a std::ratio (spec/ratio.hpp): leaky_relu<std::ratio<1, 5>> has slope 0.2.
#include "i2i/spec/layer_base.hpp"
#include "i2i/spec/ratio.hpp"

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

template <real_constant Slope = std::ratio<1, 5>>
struct leaky_relu : spec_detail::activation_spec<leaky_relu<Slope>> {
  static constexpr double slope = ratio_value<Slope>;
  template <class B>
  static auto act() { return B::activation::leaky_relu(slope); }
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

/// min(max(x, 0), 6): MobileNetV2's activation (Keras ReLU(max_value=6), PyTorch ReLU6).
struct relu6 : spec_detail::activation_spec<relu6> {
  template <class B>
  static auto act() { return B::activation::relu6(); }
};

}  // namespace i2i
