// Finite-difference checks of avg_pool2d / max_pool2d backward.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <numeric>
#include <tuple>
#include <vector>

#include "i2i/backend/cpu/pool.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

using config = std::tuple<shape, std::int64_t, std::int64_t, padding2d>;

// Distinct values 0.01 apart in random order: no ties, and a 1e-6 step never changes a window's winner.
tensor<double> distinct_values(const shape& s) {
  std::vector<double> v(std::size_t(s.numel()));
  std::iota(v.begin(), v.end(), 0.0);
  std::shuffle(v.begin(), v.end(), test::rng());
  for (auto& e : v) e = e * 0.01 - 1;
  return tensor<double>::from(s, v);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pool_gradients)

BOOST_AUTO_TEST_CASE(avg_pool2d_input) {
  const std::vector<config> cases{config{{2, 3, 7, 9}, 3, 2, padding2d::uniform(1)},  // pix2pixHD downsampler
                                  config{{2, 2, 6, 6}, 2, 2, padding2d{}},
                                  config{{1, 3, 5, 7}, 4, 3, padding2d{2, 1, 0, 2}}};
  for (auto [s, k, st, p] : cases)
    for (bool include : {false, true}) {
      auto x = test::random_tensor<double>(s);
      auto y = cpu::avg_pool2d(x, k, st, p, include);
      auto r = test::random_tensor<double>(y.shape());
      test::expect_gradient("avg_pool2d dx", x, [&] { return test::dot(r, cpu::avg_pool2d(x, k, st, p, include)); },
                            cpu::avg_pool2d_backward(r, s, k, st, p, include));
    }
}

BOOST_AUTO_TEST_CASE(max_pool2d_input) {
  const std::vector<config> cases{config{{2, 3, 8, 6}, 2, 2, padding2d{}},
                                  config{{2, 2, 7, 5}, 2, 2, cpu::same_pool_padding(shape{2, 2, 7, 5}, 2, 2)},
                                  config{{1, 3, 7, 9}, 3, 2, padding2d::uniform(1)},  // overlapping windows
                                  config{{2, 1, 6, 6}, 3, 1, padding2d{1, 0, 1, 1}}};
  for (auto [s, k, st, p] : cases) {
    auto x = distinct_values(s);
    auto fwd = cpu::max_pool2d(x, k, st, p);
    auto r = test::random_tensor<double>(fwd.y.shape());
    test::expect_gradient("max_pool2d dx", x, [&] { return test::dot(r, cpu::max_pool2d(x, k, st, p).y); },
                          cpu::max_pool2d_backward(r, s, fwd.argmax));
  }
}

BOOST_AUTO_TEST_CASE(global_avg_pool2d_input) {
  for (const auto& s : {shape{2, 3, 5, 7}, shape{1, 2, 1, 1}}) {
    auto x = test::random_tensor<double>(s);
    auto r = test::random_tensor<double>(shape{s[0], s[1], 1, 1});
    test::expect_gradient("global_avg_pool2d dx", x, [&] { return test::dot(r, cpu::global_avg_pool2d(x)); },
                          cpu::global_avg_pool2d_backward(r, s));
  }
}

BOOST_AUTO_TEST_SUITE_END()
