#pragma once
// Convolution specs.
//
//   conv<Out, K, Stride = 1, Pad = 0, Bias = true, Groups = 1>   zero padding Pad on every side
//   conv<Out, K, Stride, tf_same>                          TensorFlow SAME (asymmetric when needed)
//   conv<Out, K, Stride, pad_bottom_right>                 Keras ZeroPadding2D(((0, 1), (0, 1))) + VALID
//   depthwise_conv<K, Stride = 1, Pad = 0, Bias = true, Multiplier = 1>
//                                                          groups = In, Out = In * Multiplier (Keras's
//                                                          DepthwiseConv2D, PyTorch's groups = in_channels)
//   conv_transpose<Out, K, Stride, Pad, OutPad, Bias>       PyTorch ConvTranspose2d semantics
//   conv_transpose<Out, K, Stride, tf_same>                TensorFlow conv2d_transpose SAME (out = in * s)
//
// Input channels adapt to the previous layer; weights are Out x In/Groups x K x K for conv (In/Groups
// = 1 for depthwise_conv) and In x Out x K x K for conv_transpose (PyTorch's layouts), so converted
// PyTorch checkpoints load without reshaping. Groups = 1 runs the ungrouped ops exactly as before.
#include <memory>

#include "i2i/spec/layer_base.hpp"

namespace i2i {

/// Padding value that selects TensorFlow's "SAME" alignment.
inline constexpr int tf_same = -1;
/// Padding value for zero padding 0 before and 1 after on both axes, whatever the size: Keras's
/// ZeroPadding2D(((0, 1), (0, 1))) in front of a VALID conv (Keras 2.2.4's MobileNetV2 stride-2 layers).
/// Equals tf_same for K = 3, stride 2 on even sizes; on odd sizes it pads less.
inline constexpr int pad_bottom_right = -2;

namespace spec_detail {

/// The layer of conv and depthwise_conv: Out outputs in Groups groups over In inputs.
template <int In, int Out, int K, int Stride, int Pad, bool Bias, int Groups, class B>
struct conv_layer {
  static_assert(In % Groups == 0 && Out % Groups == 0,
                "i2i::conv: input and output channels must both be divisible by Groups");
  using T = typename B::scalar;
  struct context {
    tensor<T> x;
  };
  std::string path;
  std::shared_ptr<parameter<T>> w, b;

  explicit conv_layer(const build_context<T>& bc) : path(bc.path) {
    // PyTorch's fans: weight dim 1 (In / Groups) and dim 0 (Out) times K*K.
    w = bc.add("weight", shape{Out, In / Groups, K, K}, param_role::conv_weight, In / Groups * K * K, Out * K * K);
    if constexpr (Bias) b = bc.add("bias", shape{Out}, param_role::conv_bias, In / Groups * K * K, Out * K * K);
  }

  static typename B::conv_args args(const shape& in) {
    typename B::conv_args a;
    if constexpr (Pad == tf_same) a = B::conv_args::same_tf(K, Stride, in[2], in[3]);
    else if constexpr (Pad == pad_bottom_right) a = {Stride, Stride, padding2d{0, 1, 0, 1}};
    else a = B::conv_args::make(Stride, Pad);
    a.groups = Groups;
    return a;
  }

  tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
    spec_detail::check_input(path, Groups == 1 ? "conv" : "grouped conv", x, In);
    c.x = x;
    return B::conv2d(x, w->value, b ? &b->value : nullptr, args(x.shape()));
  }

  tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool need_dx) {
    const auto a = args(c.x.shape());
    if (!w->frozen) B::conv2d_backward_params(c.x, dy, w->grad, (b && !b->frozen) ? &b->grad : nullptr, a);
    else if (b && !b->frozen) {  // bias alone: its gradient is dy summed over N, H, W
      auto unused = B::zeros(w->value.shape());
      B::conv2d_backward_params(c.x, dy, unused, &b->grad, a);
    }
    return need_dx ? B::conv2d_backward_input(dy, w->value, c.x.shape(), a) : tensor<T>{};
  }

  shape trace(const shape& in, double& flops) const {
    const auto a = args(in);
    const std::int64_t oh = (in[2] + a.pad.top + a.pad.bottom - K) / Stride + 1;
    const std::int64_t ow = (in[3] + a.pad.left + a.pad.right - K) / Stride + 1;
    flops += 2.0 * double(in[0]) * Out * (In / Groups) * K * K * double(oh * ow);
    return shape::nchw(in[0], Out, oh, ow);
  }
};

template <int Pad>
inline constexpr bool valid_conv_pad = Pad >= 0 || Pad == tf_same || Pad == pad_bottom_right;

}  // namespace spec_detail

template <int Out, int K, int Stride = 1, int Pad = 0, bool Bias = true, int Groups = 1>
struct conv {
  static_assert(Out > 0 && K > 0 && Stride > 0 && Groups > 0 && spec_detail::valid_conv_pad<Pad>,
                "i2i::conv<Out, K, Stride, Pad, Bias, Groups>: sizes must be positive and Pad >= 0 (or tf_same, "
                "pad_bottom_right)");
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int) { return Out; }

  template <int In, class B>
  struct instance : spec_detail::conv_layer<In, Out, K, Stride, Pad, Bias, Groups, B> {
    using spec_detail::conv_layer<In, Out, K, Stride, Pad, Bias, Groups, B>::conv_layer;
  };
};

/// One K x K filter per input channel (times Multiplier): groups = In, Out = In * Multiplier; the weight
/// is Out x 1 x K x K, output channel c * Multiplier + m reading input channel c.
template <int K, int Stride = 1, int Pad = 0, bool Bias = true, int Multiplier = 1>
struct depthwise_conv {
  static_assert(K > 0 && Stride > 0 && Multiplier > 0 && spec_detail::valid_conv_pad<Pad>,
                "i2i::depthwise_conv<K, Stride, Pad, Bias, Multiplier>: sizes must be positive and Pad >= 0 (or "
                "tf_same, pad_bottom_right)");
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in * Multiplier; }

  template <int In, class B>
  struct instance : spec_detail::conv_layer<In, In * Multiplier, K, Stride, Pad, Bias, In, B> {
    using spec_detail::conv_layer<In, In * Multiplier, K, Stride, Pad, Bias, In, B>::conv_layer;
  };
};

template <int Out, int K, int Stride = 1, int Pad = 0, int OutPad = 0, bool Bias = true>
struct conv_transpose {
  static_assert(Out > 0 && K > 0 && Stride > 0 && (Pad >= 0 || Pad == tf_same) && OutPad >= 0,
                "i2i::conv_transpose<Out, K, Stride, Pad, OutPad>: sizes must be positive, paddings >= 0");
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int) { return Out; }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    struct context {
      tensor<T> x;
    };
    std::string path;
    std::shared_ptr<parameter<T>> w, b;

    explicit instance(const build_context<T>& bc) : path(bc.path) {
      // PyTorch computes a transposed conv's fan-in from weight dim 1 (Out) times K*K.
      w = bc.add("weight", shape{In, Out, K, K}, param_role::conv_weight, Out * K * K, In * K * K);
      if constexpr (Bias) b = bc.add("bias", shape{Out}, param_role::conv_bias, Out * K * K, In * K * K);
    }

    static typename B::conv_transpose_args args() {
      if constexpr (Pad == tf_same) return B::conv_transpose_args::tf_same(Stride, K);
      else return B::conv_transpose_args::pytorch(Stride, Pad, OutPad);
    }

    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      spec_detail::check_input(path, "conv_transpose", x, In);
      c.x = x;
      return B::conv_transpose2d(x, w->value, b ? &b->value : nullptr, args());
    }

    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool need_dx) {
      if (!w->frozen) B::conv_transpose2d_backward_params(c.x, dy, w->grad, (b && !b->frozen) ? &b->grad : nullptr, args());
      else if (b && !b->frozen) {
        auto unused = B::zeros(w->value.shape());
        B::conv_transpose2d_backward_params(c.x, dy, unused, &b->grad, args());
      }
      return need_dx ? B::conv_transpose2d_backward_input(dy, w->value, c.x.shape(), args()) : tensor<T>{};
    }

    shape trace(const shape& in, double& flops) const {
      const auto a = args();
      const std::int64_t oh = (in[2] - 1) * Stride + K - a.crop.top - a.crop.bottom;
      const std::int64_t ow = (in[3] - 1) * Stride + K - a.crop.left - a.crop.right;
      flops += 2.0 * double(in[0]) * In * Out * K * K * double(in[2] * in[3]);
      return shape::nchw(in[0], Out, oh, ow);
    }
  };
};

}  // namespace i2i
