#pragma once
// Normalisation specs.
//
//   instance_norm<Affine = false, Eps = 1e-5>   per sample and channel, at train and test time
//                                               (pix2pixHD's InstanceNorm2d(affine=False) has no parameters)
//   batch_norm<Momentum = 0.1, Eps = 1e-5>      affine; running statistics as buffers, PyTorch semantics
//   frozen_batch_norm<Eps = 1e-5, Act = void>   batch norm in evaluation mode always (the running statistics,
//                                               never updated, whatever run_state::training says), with an
//                                               activation spec fused after it (void: none); for pretrained
//                                               feature networks (torchvision's FrozenBatchNorm2d)
#include <memory>
#include <type_traits>

#include "i2i/spec/layer_base.hpp"

namespace i2i {

template <bool Affine = false, double Eps = 1e-5>
struct instance_norm {
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance : spec_detail::shape_preserving {
    using T = typename B::scalar;
    struct context {
      tensor<T> x;
      typename B::instance_norm_result fwd;
    };
    std::string path;
    std::shared_ptr<parameter<T>> w, b;

    explicit instance(const build_context<T>& bc) : path(bc.path) {
      if constexpr (Affine) {
        w = bc.add("weight", shape{In}, param_role::norm_weight, In, In);
        b = bc.add("bias", shape{In}, param_role::norm_bias, In, In);
        w->value.fill(T(1));
      }
    }
    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      spec_detail::check_input(path, "instance_norm", x, In);
      c.x = x;
      c.fwd = B::instance_norm(x, w ? w->value : tensor<T>{}, b ? b->value : tensor<T>{}, Eps,
                               typename B::activation{});
      return c.fwd.y;
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      return B::instance_norm_backward(dy, c.x, c.fwd, w ? w->value : tensor<T>{},
                                       (w && !w->frozen) ? w->grad : tensor<T>{},
                                       (b && !b->frozen) ? b->grad : tensor<T>{});
    }
  };
};

template <double Momentum = 0.1, double Eps = 1e-5>
struct batch_norm {
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance : spec_detail::shape_preserving {
    using T = typename B::scalar;
    struct context {
      tensor<T> x;
      typename B::batch_norm_result fwd;
      bool training = true;
    };
    std::string path;
    std::shared_ptr<parameter<T>> w, b, running_mean, running_var;

    explicit instance(const build_context<T>& bc) : path(bc.path) {
      w = bc.add("weight", shape{In}, param_role::norm_weight, In, In);
      b = bc.add("bias", shape{In}, param_role::norm_bias, In, In);
      running_mean = bc.add("running_mean", shape{In}, param_role::buffer, In, In);
      running_var = bc.add("running_var", shape{In}, param_role::buffer, In, In);
      w->value.fill(T(1));
      running_var->value.fill(T(1));
    }
    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>& rs) const {
      spec_detail::check_input(path, "batch_norm", x, In);
      c.x = x;
      c.training = rs.training;
      c.fwd = rs.training ? B::batch_norm_train(x, w->value, b->value, running_mean->value, running_var->value,
                                                Momentum, Eps, typename B::activation{})
                          : B::batch_norm_eval(x, w->value, b->value, running_mean->value, running_var->value, Eps,
                                               typename B::activation{});
      return c.fwd.y;
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>&, bool) {
      return B::batch_norm_backward(dy, c.x, c.fwd, w->value, w->frozen ? tensor<T>{} : w->grad,
                                    b->frozen ? tensor<T>{} : b->grad);
    }
  };
};

template <double Eps = 1e-5, class Act = void>
struct frozen_batch_norm {
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  /// batch_norm's parameters, buffers, context and backward; only the forward differs.
  template <int In, class B>
  struct instance : batch_norm<0.1, Eps>::template instance<In, B> {
    using base = typename batch_norm<0.1, Eps>::template instance<In, B>;
    using typename base::T;
    using typename base::context;
    using base::base;

    static typename B::activation act() {
      if constexpr (std::is_void_v<Act>) return typename B::activation{};
      else return Act::template act<B>();
    }
    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>&) const {
      spec_detail::check_input(this->path, "frozen_batch_norm", x, In);
      c.x = x;
      c.training = false;
      c.fwd = B::batch_norm_eval(x, this->w->value, this->b->value, this->running_mean->value,
                                 this->running_var->value, Eps, act());
      return c.fwd.y;
    }
  };
};

}  // namespace i2i
