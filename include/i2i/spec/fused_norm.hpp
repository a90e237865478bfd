#pragma once
// fused_norm<instance_norm<A, E>, Act, P>: instance_norm<A, E>, the activation spec Act and (P >= 0)
// reflect_pad<P>, as one layer that runs B::instance_norm with Act fused (P < 0) or B::instance_norm_pad
// (P >= 0). Users write the three elements; seq / inlined / chain put this spec in their place where the
// backend can fuse (compose/fuse.hpp), so the activation tensor is written once instead of three times.
//
// From the outside it is the elements it replaces: it takes their index positions (span 2 or 3), holds
// their instances (the norm's parameters register under the norm's own name, the activation's and the
// pad's paths are kept for the ONNX exporter and the error messages), traces like the pad, and fails on
// an input too small for the padding with the pad layer's message.
#include <string>
#include <type_traits>

#include "i2i/spec/activation.hpp"
#include "i2i/spec/layer_base.hpp"
#include "i2i/spec/norm.hpp"
#include "i2i/spec/pad.hpp"

namespace i2i {

template <class Norm, class Act, int P = -1>
struct fused_norm;

template <bool Affine, real_constant Eps, class Act, int P>
struct fused_norm<instance_norm<Affine, Eps>, Act, P> {
  using norm_spec = instance_norm<Affine, Eps>;
  using act_spec = Act;
  static constexpr bool pads = P >= 0;
  /// Built with the parent's context and the first index (-1 where the parent adds no name level), so
  /// each part gets the name it would have had as an element (compose/build.hpp).
  static constexpr bool positional = true;
  static constexpr int span = pads ? 3 : 2;
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    using norm_type = typename norm_spec::template instance<In, B>;
    using act_type = typename Act::template instance<In, B>;
    struct no_pad {
      explicit no_pad(const build_context<T>&) {}
      shape trace(const shape& in, double&) const { return in; }
    };
    using pad_type = std::conditional_t<pads, typename reflect_pad<(pads ? P : 0)>::template instance<In, B>, no_pad>;
    using result = std::conditional_t<pads, typename B::instance_norm_pad_result, typename B::instance_norm_result>;
    struct context {
      tensor<T> x;
      result fwd;
    };
    norm_type norm;
    act_type act;
    pad_type pad;

    instance(const build_context<T>& bc, int index) : norm(part(bc, index, 0)), act(part(bc, index, 1)), pad(part(bc, index, 2)) {}

    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      spec_detail::check_input(norm.path, "instance_norm", x, In);
      c.x = x;
      if constexpr (pads) {
        require<shape_error>(x.h() > P && x.w() > P, spec_detail::where(pad.path, "reflect_pad"), ": input ", x.shape(),
                             " is too small for reflection padding ", P, " (each side must exceed the padding)");
        c.fwd = B::instance_norm_pad(x, weight(), bias(), norm_spec::eps, Act::template act<B>(), padding2d::uniform(P));
      } else {
        c.fwd = B::instance_norm(x, weight(), bias(), norm_spec::eps, Act::template act<B>());
      }
      return c.fwd.y;
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      const tensor<T> dw = (norm.w && !norm.w->frozen) ? norm.w->grad : tensor<T>{};
      const tensor<T> db = (norm.b && !norm.b->frozen) ? norm.b->grad : tensor<T>{};
      if constexpr (pads) return B::instance_norm_pad_backward(dy, c.x, c.fwd, weight(), dw, db);
      else return B::instance_norm_backward(dy, c.x, c.fwd, weight(), dw, db);
    }
    shape trace(const shape& in, double& flops) const { return pad.trace(in, flops); }

   private:
    tensor<T> weight() const { return norm.w ? norm.w->value : tensor<T>{}; }
    tensor<T> bias() const { return norm.b ? norm.b->value : tensor<T>{}; }
    /// Part k's context: the parent's own where it adds no name level, else its child at index + k.
    static build_context<T> part(const build_context<T>& bc, int index, int k) {
      return index < 0 ? bc : bc.child(std::to_string(index + k));
    }
  };
};

}  // namespace i2i
