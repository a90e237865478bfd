// Finite-difference checks of upsample_nearest2d / resize_bilinear2d backward.
#include <boost/test/unit_test.hpp>

#include <tuple>
#include <vector>

#include "i2i/backend/cpu/resample.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {
using sizes = std::tuple<shape, std::int64_t, std::int64_t>;
const std::vector<sizes> cases{sizes{{2, 3, 4, 5}, 8, 10}, sizes{{2, 2, 5, 7}, 9, 4}, sizes{{1, 3, 6, 6}, 3, 13},
                               sizes{{2, 1, 1, 3}, 4, 1}};
}  // namespace

BOOST_AUTO_TEST_SUITE(resample_gradients)

BOOST_AUTO_TEST_CASE(upsample_nearest2d_input) {
  for (auto [s, oh, ow] : cases) {
    auto x = test::random_tensor<double>(s);
    auto r = test::random_tensor<double>(shape::nchw(s[0], s[1], oh, ow));
    test::expect_gradient("upsample_nearest2d dx", x, [&] { return test::dot(r, cpu::upsample_nearest2d(x, oh, ow)); },
                          cpu::upsample_nearest2d_backward(r, s));
  }
}

BOOST_AUTO_TEST_CASE(resize_bilinear2d_input) {
  for (auto [s, oh, ow] : cases)
    for (bool align : {false, true}) {
      auto x = test::random_tensor<double>(s);
      auto r = test::random_tensor<double>(shape::nchw(s[0], s[1], oh, ow));
      test::expect_gradient("resize_bilinear2d dx", x,
                            [&] { return test::dot(r, cpu::resize_bilinear2d(x, oh, ow, align)); },
                            cpu::resize_bilinear2d_backward(r, s, align));
    }
}

BOOST_AUTO_TEST_SUITE_END()
