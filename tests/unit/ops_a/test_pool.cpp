// Forward values and errors of avg_pool2d / max_pool2d and TF-SAME padding.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <limits>
#include <tuple>
#include <vector>

#include "i2i/backend/cpu/pool.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

// Naive pooling over the padded frame: every window position, every in-range pixel.
template <class T>
tensor<double> reference_avg(const tensor<T>& x, std::int64_t k, std::int64_t s, padding2d p, bool include_pad) {
  const std::int64_t OH = (x.h() + p.top + p.bottom - k) / s + 1, OW = (x.w() + p.left + p.right - k) / s + 1;
  auto y = tensor<double>::zeros(shape::nchw(x.n(), x.c(), OH, OW));
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (std::int64_t c = 0; c < x.c(); ++c)
      for (std::int64_t i = 0; i < OH; ++i)
        for (std::int64_t j = 0; j < OW; ++j) {
          double sum = 0;
          int count = 0;
          for (std::int64_t a = 0; a < k; ++a)
            for (std::int64_t b = 0; b < k; ++b) {
              const std::int64_t h = i * s - p.top + a, w = j * s - p.left + b;
              if (h >= 0 && h < x.h() && w >= 0 && w < x.w()) {
                sum += x.at(n, c, h, w);
                ++count;
              }
            }
          y.at(n, c, i, j) = sum / (include_pad ? double(k * k) : double(count));
        }
  return y;
}

template <class T>
std::pair<tensor<double>, std::vector<std::int64_t>> reference_max(const tensor<T>& x, std::int64_t k,
                                                                   std::int64_t s, padding2d p) {
  const std::int64_t OH = (x.h() + p.top + p.bottom - k) / s + 1, OW = (x.w() + p.left + p.right - k) / s + 1;
  auto y = tensor<double>::zeros(shape::nchw(x.n(), x.c(), OH, OW));
  std::vector<std::int64_t> idx;
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (std::int64_t c = 0; c < x.c(); ++c)
      for (std::int64_t i = 0; i < OH; ++i)
        for (std::int64_t j = 0; j < OW; ++j) {
          double best = -std::numeric_limits<double>::infinity();
          std::int64_t at = -1;
          for (std::int64_t a = 0; a < k; ++a)
            for (std::int64_t b = 0; b < k; ++b) {
              const std::int64_t h = i * s - p.top + a, w = j * s - p.left + b;
              if (h >= 0 && h < x.h() && w >= 0 && w < x.w() && x.at(n, c, h, w) > best) {
                best = x.at(n, c, h, w);
                at = h * x.w() + w;
              }
            }
          y.at(n, c, i, j) = best;
          idx.push_back(at);
        }
  return {y, idx};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pool)

BOOST_AUTO_TEST_CASE(avg_pool_known_values) {
  auto x = tensor<float>::from({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  // pix2pixHD's downsampler: border windows average only real pixels.
  auto y = cpu::avg_pool2d(x, 3, 2, padding2d::uniform(1), false);
  BOOST_REQUIRE(y.shape() == shape({1, 1, 2, 2}));
  const float expected[] = {3, 4, 6, 7};
  for (int i = 0; i < 4; ++i) BOOST_TEST(y[i] == expected[i]);
  auto z = cpu::avg_pool2d(x, 3, 2, padding2d::uniform(1), true);
  const float with_pad[] = {12.f / 9, 16.f / 9, 24.f / 9, 28.f / 9};
  for (int i = 0; i < 4; ++i) BOOST_TEST(std::abs(z[i] - with_pad[i]) < 1e-6);
}

BOOST_AUTO_TEST_CASE(avg_pool_matches_reference) {
  using c = std::tuple<shape, std::int64_t, std::int64_t, padding2d>;
  const std::vector<c> cases{c{{2, 3, 7, 9}, 3, 2, padding2d::uniform(1)}, c{{2, 2, 8, 6}, 3, 2, padding2d::uniform(1)},
                             c{{3, 2, 6, 7}, 2, 2, padding2d{}}, c{{2, 1, 5, 5}, 2, 2, padding2d{0, 1, 0, 1}},
                             c{{1, 4, 9, 8}, 4, 3, padding2d{1, 2, 2, 0}}, c{{2, 3, 33, 35}, 3, 2, padding2d::uniform(1)}};
  for (auto [s, k, st, p] : cases)
    for (bool include : {false, true}) {
      auto x = test::random_tensor<float>(s);
      BOOST_TEST_CONTEXT("shape " << s << " kernel " << k << " stride " << st << " pad " << p << " include "
                                  << include) {
        auto y = cpu::avg_pool2d(x, k, st, p, include);
        BOOST_TEST(test::max_abs_diff(y, reference_avg(x, k, st, p, include)) < 1e-6);
      }
    }
  // pix2pixHD: the pooled size is ceil(H / 2).
  BOOST_TEST(cpu::avg_pool2d(tensor<float>::zeros({1, 1, 7, 10}), 3, 2, padding2d::uniform(1), false).shape() ==
             shape({1, 1, 4, 5}));
}

BOOST_AUTO_TEST_CASE(max_pool_matches_reference) {
  using c = std::tuple<shape, std::int64_t, std::int64_t, padding2d>;
  const std::vector<c> cases{c{{2, 3, 8, 8}, 2, 2, padding2d{}}, c{{2, 3, 7, 9}, 3, 2, padding2d::uniform(1)},
                             c{{3, 2, 7, 5}, 2, 2, padding2d{0, 1, 0, 1}}, c{{1, 2, 9, 10}, 3, 1, padding2d{1, 0, 0, 1}}};
  for (auto [s, k, st, p] : cases) {
    auto x = test::random_tensor<float>(s);
    BOOST_TEST_CONTEXT("shape " << s << " kernel " << k << " stride " << st << " pad " << p) {
      auto r = cpu::max_pool2d(x, k, st, p);
      auto [ref, idx] = reference_max(x, k, st, p);
      BOOST_TEST(test::max_abs_diff(r.y, ref) == 0.0);
      BOOST_REQUIRE(r.argmax.shape() == r.y.shape());
      int wrong = 0;
      for (std::int64_t i = 0; i < r.argmax.numel(); ++i) wrong += r.argmax[i] != idx[std::size_t(i)];
      BOOST_TEST(wrong == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(tf_same_max_pool_rounds_up_and_padding_never_wins) {
  BOOST_TEST(cpu::same_pool_padding(shape{1, 1, 7, 8}, 2, 2) == (padding2d{0, 1, 0, 0}));
  BOOST_TEST(cpu::same_pool_padding(shape{1, 1, 7, 8}, 3, 2) == (padding2d{1, 1, 0, 1}));
  BOOST_TEST(cpu::same_pool_padding(shape{1, 1, 5, 1}, 3, 1) == (padding2d{1, 1, 1, 1}));
  // All-negative input: a zero pad that took part in the max would show up as 0.
  auto x = test::random_tensor<float>({2, 3, 7, 5}, -3, -1);
  const auto p = cpu::same_pool_padding(x.shape(), 2, 2);
  auto r = cpu::max_pool2d(x, 2, 2, p);
  BOOST_REQUIRE(r.y.shape() == shape({2, 3, 4, 3}));
  for (std::int64_t i = 0; i < r.y.numel(); ++i) BOOST_TEST(r.y[i] < -0.99f);
  BOOST_TEST(r.y.at(1, 2, 3, 2) == x.at(1, 2, 6, 4));  // the corner window holds one real pixel
  BOOST_TEST(r.argmax.at(1, 2, 3, 2) == 6 * 5 + 4);
}

BOOST_AUTO_TEST_CASE(max_pool_first_maximum_wins_and_nan_propagates) {
  auto x = tensor<float>::from({1, 1, 2, 2}, {1, 3, 3, 2});
  auto r = cpu::max_pool2d(x, 2, 2, padding2d{});
  BOOST_TEST(r.y[0] == 3.0f);
  BOOST_TEST(r.argmax[0] == 1);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  BOOST_TEST(std::isnan(cpu::max_pool2d(x, 2, 2, padding2d{}).y[0]));
}

BOOST_AUTO_TEST_CASE(max_pool_backward_routes_to_argmax) {
  auto x = tensor<double>::from({1, 1, 2, 4}, {1, 5, 2, 0, 3, 4, 7, 6});
  auto r = cpu::max_pool2d(x, 2, 2, padding2d{});
  auto dx = cpu::max_pool2d_backward(tensor<double>::from({1, 1, 1, 2}, {10.0, 20.0}), x.shape(), r.argmax);
  const double expected[] = {0, 10, 0, 0, 0, 0, 20, 0};
  for (int i = 0; i < 8; ++i) BOOST_TEST(dx[i] == expected[i]);
}

BOOST_AUTO_TEST_CASE(errors_name_op_and_shapes) {
  auto x = tensor<float>::zeros({2, 3, 4, 5});
  test::expect_error<shape_error>([&] { cpu::avg_pool2d(x, 7, 1, padding2d::uniform(1)); },
                                  {"avg_pool2d", "2x3x4x5", "kernel 7"});
  test::expect_error<value_error>([&] { cpu::max_pool2d(x, 2, 2, padding2d::uniform(2)); },
                                  {"max_pool2d", "2x3x4x5", "half the kernel"});
  test::expect_error<value_error>([&] { cpu::avg_pool2d(x, 3, 0, padding2d{}); }, {"avg_pool2d", "stride 0"});
  test::expect_error<shape_error>([&] { cpu::max_pool2d(tensor<float>::zeros({4, 5}), 2, 2, padding2d{}); },
                                  {"max_pool2d", "4x5", "rank 4"});
  test::expect_error<shape_error>(
      [&] { cpu::avg_pool2d_backward(tensor<float>::zeros({2, 3, 3, 3}), x.shape(), 2, 2, padding2d{}); },
      {"avg_pool2d_backward", "2x3x3x3", "2x3x2x2", "2x3x4x5"});
  auto r = cpu::max_pool2d(x, 2, 2, padding2d{});
  test::expect_error<shape_error>(
      [&] { cpu::max_pool2d_backward(tensor<float>::zeros({2, 3, 2, 3}), x.shape(), r.argmax); },
      {"max_pool2d_backward", "2x3x2x2", "2x3x2x3"});
  test::expect_error<shape_error>(
      [&] { cpu::max_pool2d_backward(tensor<float>::zeros({2, 4, 2, 2}), x.shape(), r.argmax); },
      {"max_pool2d_backward", "2x4x2x2", "2x3x4x5"});
}

BOOST_AUTO_TEST_CASE(global_avg_pool_is_the_plane_mean) {
  const auto x = test::random_tensor<float>(shape::nchw(2, 3, 5, 7));
  const auto y = cpu::global_avg_pool2d(x);
  BOOST_TEST(y.shape() == shape::nchw(2, 3, 1, 1));
  for (std::int64_t p = 0; p < 6; ++p) {
    double s = 0;
    for (std::int64_t i = 0; i < 35; ++i) s += double(x[p * 35 + i]);
    BOOST_TEST(y[p] == float(s / 35.0));  // double sum in pixel order, one rounding
  }
  const auto dy = test::random_tensor<float>(y.shape());
  const auto dx = cpu::global_avg_pool2d_backward(dy, x.shape());
  BOOST_TEST(dx.shape() == x.shape());
  for (std::int64_t i = 0; i < dx.numel(); ++i) BOOST_TEST(dx[i] == float(double(dy[i / 35]) / 35.0));
}

BOOST_AUTO_TEST_CASE(global_avg_pool_errors) {
  const auto x = test::random_tensor<float>(shape::nchw(2, 3, 4, 4));
  BOOST_CHECK_THROW((void)cpu::global_avg_pool2d(test::random_tensor<float>(shape{2, 3})), shape_error);
  BOOST_CHECK_THROW((void)cpu::global_avg_pool2d(tensor<float>::zeros(shape::nchw(1, 2, 0, 3))), shape_error);
  try {
    (void)cpu::global_avg_pool2d_backward(test::random_tensor<float>(shape::nchw(2, 4, 1, 1)), x.shape());
    BOOST_FAIL("expected shape_error");
  } catch (const shape_error& e) {
    BOOST_TEST(std::string(e.what()).find("global_avg_pool2d_backward: output gradient has shape 2x4x1x1, expected "
                                          "2x3x1x1") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
