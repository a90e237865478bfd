// Finite-difference checks of reflection_pad2d / zero_pad2d backward.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "i2i/backend/cpu/pad.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(pad_gradients)

BOOST_AUTO_TEST_CASE(reflection_pad2d_input) {
  const std::vector<std::pair<shape, padding2d>> cases{
      {{2, 3, 5, 7}, {2, 1, 3, 0}}, {{2, 2, 4, 4}, {3, 3, 3, 3}}, {{1, 3, 2, 6}, {1, 0, 5, 4}}};
  for (auto [s, p] : cases) {
    auto x = test::random_tensor<double>(s);
    auto r = test::random_tensor<double>(shape::nchw(s[0], s[1], s[2] + p.top + p.bottom, s[3] + p.left + p.right));
    test::expect_gradient("reflection_pad2d dx", x, [&] { return test::dot(r, cpu::reflection_pad2d(x, p)); },
                          cpu::reflection_pad2d_backward(r, s, p));
  }
}

BOOST_AUTO_TEST_CASE(zero_pad2d_input) {
  const std::vector<std::pair<shape, padding2d>> cases{
      {{2, 3, 5, 7}, {2, 1, 3, 0}}, {{2, 2, 4, 6}, {0, -1, 0, -1}}, {{1, 2, 6, 5}, {-2, 3, 1, -4}}};
  for (auto [s, p] : cases) {
    auto x = test::random_tensor<double>(s);
    auto r = test::random_tensor<double>(shape::nchw(s[0], s[1], s[2] + p.top + p.bottom, s[3] + p.left + p.right));
    test::expect_gradient("zero_pad2d dx", x, [&] { return test::dot(r, cpu::zero_pad2d(x, p)); },
                          cpu::zero_pad2d_backward(r, s, p));
  }
}

BOOST_AUTO_TEST_SUITE_END()
