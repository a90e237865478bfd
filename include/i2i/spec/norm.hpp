#pragma once
// Normalisation specs. Eps and Momentum are std::ratio types (spec/ratio.hpp: clang before 18 has no
// floating-point template parameters); the defaults below are exactly the doubles 1e-5 and 0.1.
//
//   instance_norm<Affine = false, Eps = ratio<1, 100000>>
//                        per sample and channel, at train and test time
//                        (pix2pixHD's InstanceNorm2d(affine=False) has no parameters)
//   batch_norm<Momentum = ratio<1, 10>, Eps = ratio<1, 100000>>
//                        affine; running statistics as buffers, PyTorch semantics; synchronised over a
//                        process group (SyncBatchNorm) when the model has one (model::set_batch_norm_group)
//   frozen_batch_norm<Eps = ratio<1, 100000>, Act = void>
//                        batch norm in evaluation mode always (the running statistics, never updated,
//                        whatever run_state::training says), with an activation spec fused after it
//                        (void: none); for pretrained feature networks (torchvision's FrozenBatchNorm2d)
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "i2i/spec/layer_base.hpp"
#include "i2i/spec/ratio.hpp"

namespace i2i {

/// PyTorch's default epsilon for instance and batch norm.
using default_norm_eps = std::ratio<1, 100000>;

template <bool Affine = false, real_constant Eps = default_norm_eps>
struct instance_norm {
  static constexpr double eps = ratio_value<Eps>;
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
      c.fwd = B::instance_norm(x, w ? w->value : tensor<T>{}, b ? b->value : tensor<T>{}, eps,
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

namespace spec_detail {
/// A backend with synchronised batch norm's halves (the CPU backend; see cpu/batch_norm.hpp).
template <class B>
concept synchronisable_batch_norm =
    requires(const tensor<typename B::scalar>& t, const typename B::batch_norm_result& f) {
      B::batch_norm_sums(t);
      B::batch_norm_backward_sums(t, t, f);
    };
}  // namespace spec_detail

template <real_constant Momentum = std::ratio<1, 10>, real_constant Eps = default_norm_eps>
struct batch_norm {
  static constexpr double momentum = ratio_value<Momentum>;
  static constexpr double eps = ratio_value<Eps>;
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  template <int In, class B>
  struct instance : spec_detail::shape_preserving {
    using T = typename B::scalar;
    struct context {
      tensor<T> x;
      typename B::batch_norm_result fwd;
      bool training = true;
      std::int64_t group_count = 0;  ///< synchronised: the elements per channel over the group; 0: not
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
      if (rs.training && rs.batch_norm_group) return synchronised_forward(x, c, *rs.batch_norm_group);
      c.fwd = rs.training ? B::batch_norm_train(x, w->value, b->value, running_mean->value, running_var->value,
                                                momentum, eps, typename B::activation{})
                          : B::batch_norm_eval(x, w->value, b->value, running_mean->value, running_var->value, eps,
                                               typename B::activation{});
      return c.fwd.y;
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>& rs, bool) {
      const tensor<T> dw = w->frozen ? tensor<T>{} : w->grad, db = b->frozen ? tensor<T>{} : b->grad;
      if (c.group_count == 0) return B::batch_norm_backward(dy, c.x, c.fwd, w->value, dw, db);
      if constexpr (synchronisable) {
        require<value_error>(rs.batch_norm_group != nullptr, spec_detail::where(path, "batch_norm"),
                             ": a synchronised forward needs a synchronised backward (the model's batch-norm group)");
        // dweight/dbias take this process's sums (data-parallel averaging adds the others'), dx the group's.
        std::vector<double> sums = B::batch_norm_backward_sums(dy, c.x, c.fwd);
        (*rs.batch_norm_group)(std::span<double>(sums));
        return B::batch_norm_backward_with_sums(dy, c.x, c.fwd, w->value, dw, db, sums, c.group_count);
      }
      return {};
    }

   private:
    static constexpr bool synchronisable = spec_detail::synchronisable_batch_norm<B>;

    /// SyncBatchNorm: the group's sum, sum of squares and count per channel make the statistics.
    tensor<T> synchronised_forward(const tensor<T>& x, context& c, const std::function<void(std::span<double>)>& sum) const {
      if constexpr (!synchronisable) {
        throw value_error(detail::concat(spec_detail::where(path, "batch_norm"), ": synchronised batch norm is not "
                                         "implemented on this backend (its batch_norm_sums / batch_norm_backward_sums)"));
      } else {
        std::vector<double> sums = B::batch_norm_sums(x);  // [sum x per channel..., sum x^2 per channel...]
        sums.push_back(double(x.n() * x.h() * x.w()));
        sum(std::span<double>(sums));
        const std::int64_t count = std::int64_t(sums.back());
        std::vector<double> mean(In), var(In);
        for (std::size_t k = 0; k < std::size_t(In); ++k) {
          mean[k] = sums[k] / double(count);
          var[k] = std::max(sums[In + k] / double(count) - mean[k] * mean[k], 0.0);
        }
        c.group_count = count;
        c.fwd = B::batch_norm_train_with_stats(x, w->value, b->value, running_mean->value, running_var->value, momentum,
                                               eps, typename B::activation{}, mean, var, count);
        return c.fwd.y;
      }
    }
  };
};

template <real_constant Eps = default_norm_eps, class Act = void>
struct frozen_batch_norm {
  static constexpr double eps = ratio_value<Eps>;
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) { return in; }

  /// batch_norm's parameters, buffers, context and backward; only the forward differs.
  template <int In, class B>
  struct instance : batch_norm<std::ratio<1, 10>, Eps>::template instance<In, B> {
    using base = typename batch_norm<std::ratio<1, 10>, Eps>::template instance<In, B>;
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
                                 this->running_var->value, eps, act());
      return c.fwd.y;
    }
  };
};

}  // namespace i2i
