#pragma once
// repeat<N, X>: N independent instances of X applied in sequence. It stores N instances of one type,
// so its type (and compile time) does not grow with N. Inside a seq it takes N index positions, as
// pix2pixHD's "model += [ResnetBlock(...)] * n" does ("model.16" ... "model.24").
#include <string>
#include <vector>

#include "i2i/compose/build.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i {

template <int N, class X>
struct repeat {
  static_assert(N >= 1, "i2i::repeat<N, X>: N must be at least 1");
  static constexpr bool splices = true;
  static constexpr int span = N * index_span_v<X>;
  static constexpr int in_channels = X::in_channels;
  static constexpr int out_channels(int in) { return X::out_channels(in); }

  template <int In, class B>
  struct instance {
    static_assert(diag::residual_changes_channels<In, X::out_channels(In)>::ok,
                  "repeat<N, X>: X must keep the channel count so that copies can follow each other");
    using T = typename B::scalar;
    using item_type = compose_detail::instance_of<X, In, B>;
    struct context {
      std::vector<typename item_type::context> items;
    };
    std::vector<item_type> items;

    instance(const build_context<T>& bc, int first) {
      items.reserve(N);
      for (int j = 0; j < N; ++j) {
        const int index = first + j * index_span_v<X>;
        items.push_back(compose_detail::build<X, In, B>(bc.child_tap_scope(std::to_string(index)), index));
      }
    }

    tensor<T> forward(tensor<T> x, context& c, run_state<T>& rs) const {
      if (!rs.keep_backward_state) {  // inference: each copy's context dies when the copy has run
        for (int j = 0; j < N; ++j) {
          typename item_type::context scratch;
          x = items[j].forward(x, scratch, rs);
        }
        return x;
      }
      c.items.resize(N);
      for (int j = 0; j < N; ++j) x = items[j].forward(x, c.items[j], rs);
      return x;
    }
    tensor<T> backward(const context& c, tensor<T> dy, run_state<T>& rs, bool need_dx) {
      for (int j = N - 1; j >= 0; --j) dy = items[j].backward(c.items[j], dy, rs, j == 0 ? need_dx : true);
      return dy;
    }
    shape trace(shape s, double& flops) const {
      for (const auto& it : items) s = it.trace(s, flops);
      return s;
    }
  };
};

}  // namespace i2i
