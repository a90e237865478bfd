#pragma once
// Pooling and resampling specs.
//
//   avg_pool<K, Stride, Pad, CountIncludePad = true>   pix2pixHD's pyramid: avg_pool<3, 2, 1, false>
//   max_pool<K, Stride, Pad = 0>                       max_pool<2, 2, tf_same>: TF SAME (EGSC-IT's VGG)
//   upsample_nearest<Scale>
#include "i2i/spec/conv.hpp"
#include "i2i/spec/layer_base.hpp"

namespace i2i {

template <int K, int Stride, int Pad = 0, bool CountIncludePad = true>
struct avg_pool {
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
      spec_detail::check_input(path, "avg_pool", x, In);
      c.x_shape = x.shape();
      return B::avg_pool2d(x, K, Stride, padding2d::uniform(Pad), CountIncludePad);
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      return B::avg_pool2d_backward(dy, c.x_shape, K, Stride, padding2d::uniform(Pad), CountIncludePad);
    }
    shape trace(const shape& in, double&) const {
      return shape::nchw(in[0], in[1], (in[2] + 2 * Pad - K) / Stride + 1, (in[3] + 2 * Pad - K) / Stride + 1);
    }
  };
};

template <int K, int Stride, int Pad = 0>
struct max_pool {
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    struct context {
      shape x_shape;
      typename B::max_pool_result fwd;
    };
    std::string path;
    explicit instance(const build_context<T>& bc) : path(bc.path) {}
    static padding2d pad(const shape& in) {
      if constexpr (Pad == tf_same) {
        auto side = [](std::int64_t n) { return std::max<std::int64_t>(((n + Stride - 1) / Stride - 1) * Stride + K - n, 0); };
        const std::int64_t th = side(in[2]), tw = side(in[3]);
        return {th / 2, th - th / 2, tw / 2, tw - tw / 2};
      } else {
        return padding2d::uniform(Pad);
      }
    }
    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      spec_detail::check_input(path, "max_pool", x, In);
      c.x_shape = x.shape();
      c.fwd = B::max_pool2d(x, K, Stride, pad(x.shape()));
      return c.fwd.y;
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      return B::max_pool2d_backward(dy, c.x_shape, c.fwd);
    }
    shape trace(const shape& in, double&) const {
      const auto p = pad(in);
      return shape::nchw(in[0], in[1], (in[2] + p.top + p.bottom - K) / Stride + 1,
                         (in[3] + p.left + p.right - K) / Stride + 1);
    }
  };
};

template <int Scale>
struct upsample_nearest {
  static_assert(Scale >= 1, "i2i::upsample_nearest<Scale>: Scale must be >= 1");
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
      spec_detail::check_input(path, "upsample_nearest", x, In);
      c.x_shape = x.shape();
      return B::upsample_nearest2d(x, x.h() * Scale, x.w() * Scale);
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      return B::upsample_nearest2d_backward(dy, c.x_shape);
    }
    shape trace(const shape& in, double&) const { return shape::nchw(in[0], in[1], in[2] * Scale, in[3] * Scale); }
  };
};

}  // namespace i2i
