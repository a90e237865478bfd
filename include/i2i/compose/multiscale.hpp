#pragma once
// multiscale<N, D, Join = ".">: N independent copies of D applied to an image pyramid (pix2pixHD's
// MultiscaleDiscriminator). Scale i (0 = full resolution) sees the input average-pooled i times with
// AvgPool2d(3, stride 2, padding 1, count_include_pad=False).
//
// Naming follows pix2pixHD's reversed order: the copy that sees scale i is named "scale{N-1-i}", so the
// full-resolution D is the highest-numbered one and a checkpoint with fewer scales warm-starts the
// coarse ones. Join separates that name from D's own names ("_" gives pix2pixHD's "scale0_layer1").
//
// Every scale's output is recorded as the tap "scale{k}.out" (k = the copy's name index); D's own taps
// are keyed "scale{k}.<tap>". forward() returns the full-resolution output; backward takes gradients for
// the other scales' outputs as injected tap gradients, and sums the input gradients through the pyramid.
#include <string>
#include <vector>

#include "i2i/compose/build.hpp"
#include "i2i/core/padding.hpp"
#include "i2i/core/fixed_string.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i {

template <int N, class D, fixed_string Join = ".">
struct multiscale {
  static_assert(N >= 1, "i2i::multiscale<N, D>: N must be at least 1");
  static constexpr int in_channels = D::in_channels;
  static constexpr int out_channels(int in) { return D::out_channels(in); }

  /// Name index of the copy that sees scale i.
  static constexpr int name_index(int scale) { return N - 1 - scale; }
  /// The tap key of scale i's output.
  static std::string output_key(int scale) { return "scale" + std::to_string(name_index(scale)) + ".out"; }
  /// The tap key prefix of scale i's own taps.
  static std::string scope(int scale) { return "scale" + std::to_string(name_index(scale)); }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    using d_type = compose_detail::instance_of<D, In, B>;
    struct context {
      std::vector<typename d_type::context> scales;
      std::vector<shape> inputs;  // shape of each pyramid level
      std::vector<shape> outputs;
    };
    std::vector<d_type> copies;  // copies[k] is named "scale{k}"
    std::vector<std::string> out_keys;

    explicit instance(const build_context<T>& bc) {
      copies.reserve(N);
      for (int k = 0; k < N; ++k) {
        const std::string name = "scale" + std::to_string(k);
        auto sub = bc.child(name).child_tap_scope(name).with_separator(Join.str());
        copies.push_back(compose_detail::build<D, In, B>(sub, -1));
      }
      for (int i = 0; i < N; ++i) out_keys.push_back(join_name(bc.tap_scope, output_key(i)));
    }

    static tensor<T> down(const tensor<T>& x) { return B::avg_pool2d(x, 3, 2, padding2d::uniform(1), false); }

    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>& rs) const {
      c.scales.resize(N);
      c.inputs.clear();
      c.outputs.clear();
      tensor<T> level = x, first;
      for (int i = 0; i < N; ++i) {
        c.inputs.push_back(level.shape());
        auto y = copies[name_index(i)].forward(level, c.scales[i], rs);
        c.outputs.push_back(y.shape());
        if (rs.taps) rs.taps->put(out_keys[i], y);
        if (i == 0) first = y;
        if (i + 1 < N) level = down(level);
      }
      return first;
    }

    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>& rs, bool need_dx) {
      tensor<T> dlevel;  // gradient flowing into the current pyramid level from the coarser ones
      for (int i = N - 1; i >= 0; --i) {
        tensor<T> dout = i == 0 ? dy : tensor<T>{};
        if (const tensor<T>* g = rs.tap_grads ? rs.tap_grads->find(out_keys[i]) : nullptr) {
          require<shape_error>(g->shape() == c.outputs[i], "multiscale tap '", out_keys[i],
                               "': injected gradient has shape ", g->shape(), ", expected ", c.outputs[i]);
          dout = dout.defined() ? B::add(dout, *g) : *g;
        }
        if (!dout.defined()) dout = B::zeros(c.outputs[i]);
        auto dx = copies[name_index(i)].backward(c.scales[i], dout, rs, need_dx);
        if (!need_dx) continue;
        if (dlevel.defined()) B::add_into(dx, dlevel);
        dlevel = i > 0 ? B::avg_pool2d_backward(dx, c.inputs[i - 1], 3, 2, padding2d::uniform(1), false) : dx;
      }
      return need_dx ? dlevel : tensor<T>{};
    }

    shape trace(const shape& in, double& flops) const {
      shape level = in, first;
      for (int i = 0; i < N; ++i) {
        auto out = copies[name_index(i)].trace(level, flops);
        if (i == 0) first = out;
        level = shape::nchw(level[0], level[1], (level[2] - 1) / 2 + 1, (level[3] - 1) / 2 + 1);
      }
      return first;
    }
  };
};

}  // namespace i2i
