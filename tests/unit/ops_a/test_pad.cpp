// Forward values and argument errors of reflection_pad2d / zero_pad2d (gradients: gradcheck/ops_a).
#include <boost/test/unit_test.hpp>

#include <vector>

#include "i2i/backend/cpu/pad.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

// Naive reflection: walk from the edge back and forth, one step at a time.
std::int64_t mirror(std::int64_t i, std::int64_t n) {
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

template <class T>
tensor<double> reference_reflect(const tensor<T>& x, padding2d p) {
  auto y = tensor<double>::zeros(shape::nchw(x.n(), x.c(), x.h() + p.top + p.bottom, x.w() + p.left + p.right));
  for (std::int64_t n = 0; n < y.n(); ++n)
    for (std::int64_t c = 0; c < y.c(); ++c)
      for (std::int64_t i = 0; i < y.h(); ++i)
        for (std::int64_t j = 0; j < y.w(); ++j)
          y.at(n, c, i, j) = x.at(n, c, mirror(i - p.top, x.h()), mirror(j - p.left, x.w()));
  return y;
}

template <class T>
tensor<double> reference_zero(const tensor<T>& x, padding2d p) {
  auto y = tensor<double>::zeros(shape::nchw(x.n(), x.c(), x.h() + p.top + p.bottom, x.w() + p.left + p.right));
  for (std::int64_t n = 0; n < y.n(); ++n)
    for (std::int64_t c = 0; c < y.c(); ++c)
      for (std::int64_t i = 0; i < y.h(); ++i)
        for (std::int64_t j = 0; j < y.w(); ++j) {
          const std::int64_t si = i - p.top, sj = j - p.left;
          if (si >= 0 && si < x.h() && sj >= 0 && sj < x.w()) y.at(n, c, i, j) = x.at(n, c, si, sj);
        }
  return y;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pad)

BOOST_AUTO_TEST_CASE(reflection_known_values) {
  auto x = tensor<float>::from({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  auto y = cpu::reflection_pad2d(x, padding2d::uniform(1));
  BOOST_REQUIRE(y.shape() == shape({1, 1, 5, 5}));
  const std::vector<float> expected{5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 8, 7, 8, 9, 8, 5, 4, 5, 6, 5};
  for (std::int64_t i = 0; i < 25; ++i) BOOST_TEST(y[i] == expected[std::size_t(i)], "element " << i);
}

BOOST_AUTO_TEST_CASE(reflection_matches_reference) {
  const std::vector<std::pair<shape, padding2d>> cases{
      {{2, 3, 5, 7}, {2, 1, 3, 0}}, {{3, 2, 4, 4}, {3, 3, 3, 3}}, {{1, 5, 9, 2}, {0, 4, 1, 1}},
      {{2, 1, 1, 6}, {0, 0, 5, 2}}, {{2, 4, 33, 17}, {3, 3, 3, 3}}};
  for (auto [s, p] : cases) {
    auto xf = test::random_tensor<float>(s);
    auto xd = xf.cast<double>();
    BOOST_TEST_CONTEXT("shape " << s << " padding " << p) {
      BOOST_TEST(test::max_abs_diff(cpu::reflection_pad2d(xf, p), reference_reflect(xf, p)) == 0.0);
      BOOST_TEST(test::max_abs_diff(cpu::reflection_pad2d(xd, p), reference_reflect(xd, p)) == 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(zero_pad_and_crop_match_reference) {
  const std::vector<std::pair<shape, padding2d>> cases{{{2, 3, 5, 7}, {2, 1, 3, 0}},
                                                       {{3, 2, 4, 6}, {0, -1, 0, -1}},  // TF-SAME transposed crop
                                                       {{1, 2, 6, 5}, {-2, 3, 1, -4}},
                                                       {{2, 1, 3, 3}, {-3, 4, 0, 0}}};  // rows all cropped away
  for (auto [s, p] : cases) {
    auto x = test::random_tensor<float>(s);
    BOOST_TEST_CONTEXT("shape " << s << " padding " << p) {
      BOOST_TEST(test::max_abs_diff(cpu::zero_pad2d(x, p), reference_zero(x, p)) == 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(backward_adds_every_copy) {
  // All-ones dy: dx counts how many output positions copy each input pixel.
  auto dy = tensor<double>::filled({1, 1, 5, 5}, 1.0);
  auto dx = cpu::reflection_pad2d_backward(dy, shape{1, 1, 3, 3}, padding2d::uniform(1));
  const std::vector<double> counts{1, 3, 1, 3, 9, 3, 1, 3, 1};  // row 1 is copied by output rows 0, 2, 4
  for (std::int64_t i = 0; i < 9; ++i) BOOST_TEST(dx[i] == counts[std::size_t(i)], "element " << i);
}

BOOST_AUTO_TEST_CASE(errors_name_op_and_shapes) {
  auto x = tensor<float>::zeros({2, 3, 3, 4});
  test::expect_error<value_error>([&] { cpu::reflection_pad2d(x, padding2d{3, 0, 0, 0}); },
                                  {"reflection_pad2d", "top 3", "2x3x3x4"});
  test::expect_error<value_error>([&] { cpu::reflection_pad2d(x, padding2d{0, 0, 0, 4}); },
                                  {"reflection_pad2d", "right 4", "2x3x3x4"});
  test::expect_error<value_error>([&] { cpu::reflection_pad2d(x, padding2d{-1, 0, 0, 0}); },
                                  {"reflection_pad2d", "negative"});
  test::expect_error<shape_error>([&] { cpu::reflection_pad2d(tensor<float>::zeros({3, 4}), padding2d::uniform(1)); },
                                  {"reflection_pad2d", "3x4", "rank 4"});
  test::expect_error<shape_error>(
      [&] { cpu::reflection_pad2d_backward(tensor<float>::zeros({2, 3, 5, 5}), x.shape(), padding2d::uniform(1)); },
      {"reflection_pad2d_backward", "2x3x5x5", "2x3x5x6"});
  test::expect_error<shape_error>(
      [&] { cpu::zero_pad2d_backward(tensor<float>::zeros({2, 3, 4, 4}), x.shape(), padding2d::uniform(1)); },
      {"zero_pad2d_backward", "2x3x4x4", "2x3x5x6"});
  test::expect_error<shape_error>([&] { cpu::zero_pad2d(x, padding2d{-2, -1, 0, 0}); }, {"zero_pad2d", "2x3x3x4"});
}

BOOST_AUTO_TEST_SUITE_END()
