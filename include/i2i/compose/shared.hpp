#pragma once
// shared<"tag", X>: one instance of X used wherever this tag appears, in one model or in several models
// built with the same shared_registry (EGSC-IT's encoders end in one shared block, its generators start
// with one). Its parameters are named "<tag>.…" wherever it is used, appear once in every model that
// uses it, and accumulate the gradients of every path (contexts stay per call, so both paths can run
// before either backward).
#include <memory>
#include <vector>

#include "i2i/compose/build.hpp"
#include "i2i/core/fixed_string.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i {

template <fixed_string Tag, class X>
struct shared {
  static constexpr bool self_naming = true;
  static constexpr int span = 1;
  static constexpr int in_channels = X::in_channels;
  static constexpr int out_channels(int in) { return X::out_channels(in); }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    using inner_type = compose_detail::instance_of<X, In, B>;
    using context = typename inner_type::context;
    struct entry {
      std::shared_ptr<inner_type> block;
      std::vector<std::shared_ptr<parameter<T>>> params;
    };
    std::shared_ptr<inner_type> block;

    explicit instance(const build_context<T>& bc) {
      auto made = bc.shared->template get_or_make<entry>(Tag.str(), [&] {
        auto e = std::make_shared<entry>();
        build_context<T> own{Tag.str(), bc.tap_key(Tag.str()), &e->params, bc.shared};
        e->block = std::make_shared<inner_type>(compose_detail::build<X, In, B>(own, -1));
        return e;
      });
      block = made->block;
      for (const auto& p : made->params) bc.params->push_back(p);
    }

    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>& rs) const { return block->forward(x, c, rs); }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>& rs, bool need_dx) {
      return block->backward(c, dy, rs, need_dx);
    }
    shape trace(const shape& in, double& flops) const { return block->trace(in, flops); }
  };
};

}  // namespace i2i
