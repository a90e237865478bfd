#pragma once
// parallel<Merge, Paths...>: every path receives the same input; their outputs are merged.
//
//   parallel<sum, P...>     element-wise sum (pix2pixHD's LocalEnhancer: model1_1(x) + model(down(x)));
//                           all paths must produce the same channels (checked at compile time)
//   parallel<concat, P...>  channel concatenation, in path order
//
// Paths add no name level: name them with named<> (as pix2pixHD names "model1_1" and "model").
#include <array>
#include <tuple>
#include <utility>
#include <vector>

#include "i2i/compose/build.hpp"
#include "i2i/model/run_state.hpp"

namespace i2i {

struct sum {};
struct concat {};

template <class Merge, class... Paths>
struct parallel {
  static_assert(sizeof...(Paths) >= 2, "i2i::parallel: needs at least two paths");
  static_assert(std::is_same_v<Merge, sum> || std::is_same_v<Merge, concat>,
                "i2i::parallel<Merge, ...>: Merge must be i2i::sum or i2i::concat");
  static constexpr int in_channels = any_channels;
  static constexpr int out_channels(int in) {
    if constexpr (std::is_same_v<Merge, concat>) return (Paths::out_channels(in) + ...);
    else return std::get<0>(std::tuple{Paths::out_channels(in)...});
  }

  template <int In, class B>
  struct instance {
    using T = typename B::scalar;
    static constexpr std::array<int, sizeof...(Paths)> outs{Paths::out_channels(In)...};
    template <std::size_t... I>
    static constexpr bool check_sum(std::index_sequence<I...>) {
      if constexpr (std::is_same_v<Merge, sum>) return (diag::sum_path_mismatch<int(I), outs[0], outs[I]>::ok && ...);
      else return true;
    }
    static_assert(check_sum(std::index_sequence_for<Paths...>{}));

    using paths_type = std::tuple<compose_detail::instance_of<Paths, In, B>...>;
    struct context {
      std::tuple<typename compose_detail::instance_of<Paths, In, B>::context...> paths;
    };
    paths_type paths;
    static constexpr std::size_t n = sizeof...(Paths);

    explicit instance(const build_context<T>& bc)
        : paths{compose_detail::build<Paths, In, B>(bc, -1)...} {}

    tensor<T> forward(const tensor<T>& x, context& c, run_state<T>& rs) const {
      return forward_all(x, c, rs, std::make_index_sequence<n>{});
    }
    tensor<T> backward(const context& c, const tensor<T>& dy, run_state<T>& rs, bool need_dx) {
      return backward_all(c, dy, rs, need_dx, std::make_index_sequence<n>{});
    }
    shape trace(const shape& in, double& flops) const {
      shape out;
      std::int64_t channels = 0;
      std::apply([&](const auto&... p) { ((out = p.trace(in, flops), channels += out[1]), ...); }, paths);
      if constexpr (std::is_same_v<Merge, concat>) out[1] = channels;
      return out;
    }

   private:
    template <std::size_t... I>
    tensor<T> forward_all(const tensor<T>& x, context& c, run_state<T>& rs, std::index_sequence<I...>) const {
      std::array<tensor<T>, n> ys{std::get<I>(paths).forward(x, std::get<I>(c.paths), rs)...};
      if constexpr (std::is_same_v<Merge, concat>) {
        return B::concat_channels(std::vector<tensor<T>>(ys.begin(), ys.end()));
      } else {
        tensor<T> y = B::add(ys[0], ys[1]);
        for (std::size_t k = 2; k < n; ++k) B::add_into(y, ys[k]);
        return y;
      }
    }
    template <std::size_t... I>
    tensor<T> backward_all(const context& c, const tensor<T>& dy, run_state<T>& rs, bool need_dx,
                           std::index_sequence<I...>) {
      std::array<tensor<T>, n> dys;
      if constexpr (std::is_same_v<Merge, concat>) {
        auto parts = B::split_channels(dy, std::vector<std::int64_t>{outs[I]...});
        for (std::size_t k = 0; k < n; ++k) dys[k] = parts[k];
      } else {
        dys.fill(dy);
      }
      std::array<tensor<T>, n> dxs{std::get<I>(paths).backward(std::get<I>(c.paths), dys[I], rs, need_dx)...};
      if (!need_dx) return {};
      tensor<T> dx = B::add(dxs[0], dxs[1]);
      for (std::size_t k = 2; k < n; ++k) B::add_into(dx, dxs[k]);
      return dx;
    }
  };
};

}  // namespace i2i
