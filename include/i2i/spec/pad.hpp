#pragma once
// Padding specs: reflect_pad<P> (pix2pixHD's 7x7 convs and residual blocks) and zero_pad<P>.
#include "i2i/spec/layer_base.hpp"

namespace i2i {
namespace spec_detail {

template <int P, bool Reflect>
struct pad_spec {
  static_assert(P >= 0, "i2i::reflect_pad / zero_pad: padding must be >= 0");
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    struct context {
      shape x_shape;
    };
    std::string path;
    explicit instance(const build_context<T>& bc) : path(bc.path) {}
    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      check_input(path, Reflect ? "reflect_pad" : "zero_pad", x, In);
      c.x_shape = x.shape();
      if constexpr (Reflect) {
        require<shape_error>(x.h() > P && x.w() > P, where(path, "reflect_pad"), ": input ", x.shape(),
                             " is too small for reflection padding ", P, " (each side must exceed the padding)");
        return B::reflection_pad2d(x, padding2d::uniform(P));
      } else {
        return B::zero_pad2d(x, padding2d::uniform(P));
      }
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      if constexpr (Reflect) return B::reflection_pad2d_backward(dy, c.x_shape, padding2d::uniform(P));
      else return B::zero_pad2d_backward(dy, c.x_shape, padding2d::uniform(P));
    }
    shape trace(const shape& in, double&) const { return shape::nchw(in[0], in[1], in[2] + 2 * P, in[3] + 2 * P); }
  };
};

}  // namespace spec_detail

template <int P>
struct reflect_pad : spec_detail::pad_spec<P, true> {};
template <int P>
struct zero_pad : spec_detail::pad_spec<P, false> {};

}  // namespace i2i
