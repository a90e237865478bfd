#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "i2i/backend/cpu/concat.hpp"
#include "i2i/backend/cpu/linear.hpp"
#include "i2i/backend/cpu/pointwise.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(ops_b_pointwise)

// Large enough ({2, 8, 64, 65} = 66560 elements) to take the parallel path, plus an odd small shape.
static const shape pointwise_shapes[] = {{3, 5, 7, 9}, {2, 8, 64, 65}, {4, 3}};

BOOST_AUTO_TEST_CASE(binary_ops_match_reference) {
  for (const auto& s : pointwise_shapes) {
    auto a = test::random_tensor<float>(s), b = test::random_tensor<float>(s), dy = test::random_tensor<float>(s);
    auto sum = cpu::add(a, b), diff = cpu::sub(a, b), prod = cpu::mul(a, b), scaled = cpu::scale(a, 2.5f);
    auto g = cpu::mul_backward(a, b, dy);
    auto acc = a.clone();
    cpu::add_into(acc, b);
    int bad = 0;
    for (std::int64_t i = 0; i < a.numel(); ++i) {
      bad += sum[i] != a[i] + b[i];
      bad += diff[i] != a[i] - b[i];
      bad += prod[i] != a[i] * b[i];
      bad += scaled[i] != 2.5f * a[i];
      bad += g.da[i] != dy[i] * b[i];
      bad += g.db[i] != dy[i] * a[i];
      bad += acc[i] != a[i] + b[i];
    }
    BOOST_TEST(bad == 0, s << ": " << bad << " mismatches");
    BOOST_TEST((sum.shape() == s));
  }
}

BOOST_AUTO_TEST_CASE(channel_bias_matches_reference) {
  for (const auto& s : {shape{3, 5, 7, 9}, shape{2, 8, 64, 65}, shape{4, 6}}) {
    auto x = test::random_tensor<double>(s);
    const std::int64_t c = s[1], inner = s.numel() / (s[0] * c);
    auto bias = test::random_tensor<double>({c});
    auto y = cpu::add_channel_bias(x, bias);
    double err = 0;
    for (std::int64_t i = 0; i < x.numel(); ++i) err = std::max(err, std::abs(y[i] - (x[i] + bias[(i / inner) % c])));
    BOOST_TEST(err == 0.0);
    auto dbias = tensor<double>::filled({c}, 1.0);  // accumulates onto what is there
    cpu::add_channel_bias_backward(y, dbias);
    std::vector<double> ref(std::size_t(c), 1.0);
    for (std::int64_t i = 0; i < y.numel(); ++i) ref[std::size_t((i / inner) % c)] += y[i];
    for (std::int64_t k = 0; k < c; ++k) BOOST_TEST(dbias[k] == ref[std::size_t(k)], boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(pointwise_errors_name_op_and_shapes) {
  auto a = tensor<float>::zeros({2, 3, 4, 5}), b = tensor<float>::zeros({2, 3, 4, 6});
  test::expect_error<shape_error>([&] { cpu::add(a, b); }, {"add", "2x3x4x6", "2x3x4x5"});
  test::expect_error<shape_error>([&] { cpu::sub(a, b); }, {"sub", "2x3x4x6", "2x3x4x5"});
  test::expect_error<shape_error>([&] { cpu::mul(a, b); }, {"mul", "2x3x4x6", "2x3x4x5"});
  test::expect_error<shape_error>([&] { cpu::mul_backward(a, a, b); }, {"mul_backward", "dy", "2x3x4x6"});
  test::expect_error<shape_error>([&] { cpu::add_into(a, b); }, {"add_into", "2x3x4x6", "2x3x4x5"});
  test::expect_error<value_error>([&] { cpu::add(a, tensor<float>()); }, {"add", "undefined"});
  auto bias = tensor<float>::zeros({4});
  test::expect_error<shape_error>([&] { cpu::add_channel_bias(a, bias); }, {"add_channel_bias", "bias", "4", "2x3x4x5"});
  test::expect_error<shape_error>([&] { cpu::add_channel_bias_backward(a, bias); },
                                  {"add_channel_bias_backward", "dbias", "4", "2x3x4x5"});
  test::expect_error<shape_error>([&] { cpu::add_channel_bias(tensor<float>::zeros({2, 3, 4}), bias); },
                                  {"add_channel_bias", "2x3x4", "rank 2"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ops_b_concat)

BOOST_AUTO_TEST_CASE(concat_and_split_match_reference_and_invert) {
  auto a = test::random_tensor<float>({3, 2, 5, 7}), b = test::random_tensor<float>({3, 1, 5, 7}),
       c = test::random_tensor<float>({3, 4, 5, 7});
  auto y = cpu::concat_channels({a, b, c});
  BOOST_TEST((y.shape() == shape{3, 7, 5, 7}));
  int bad = 0;
  for (std::int64_t n = 0; n < 3; ++n)
    for (std::int64_t ch = 0; ch < 7; ++ch)
      for (std::int64_t h = 0; h < 5; ++h)
        for (std::int64_t w = 0; w < 7; ++w) {
          const float ref = ch < 2 ? a.at(n, ch, h, w) : ch < 3 ? b.at(n, ch - 2, h, w) : c.at(n, ch - 3, h, w);
          bad += y.at(n, ch, h, w) != ref;
        }
  BOOST_TEST(bad == 0);
  auto parts = cpu::split_channels(y, {2, 1, 4});
  BOOST_REQUIRE_EQUAL(parts.size(), 3u);
  BOOST_TEST(test::max_abs_diff(parts[0], a) == 0.0);
  BOOST_TEST(test::max_abs_diff(parts[1], b) == 0.0);
  BOOST_TEST(test::max_abs_diff(parts[2], c) == 0.0);
  // A zero-channel part is allowed and empty.
  auto with_empty = cpu::split_channels(y, std::vector<std::int64_t>{0, 7});
  BOOST_TEST((with_empty[0].shape() == shape{3, 0, 5, 7}));
  BOOST_TEST(test::max_abs_diff(with_empty[1], y) == 0.0);
  // Rank 2 (N x C): the channel axis of a feature vector.
  auto u = test::random_tensor<float>({2, 3}), v = test::random_tensor<float>({2, 2});
  auto uv = cpu::concat_channels(std::vector<tensor<float>>{u, v});
  const float expect[] = {u[0], u[1], u[2], v[0], v[1], u[3], u[4], u[5], v[2], v[3]};
  for (int i = 0; i < 10; ++i) BOOST_TEST(uv[i] == expect[i]);
}

BOOST_AUTO_TEST_CASE(concat_split_errors_name_the_argument) {
  auto a = tensor<float>::zeros({2, 3, 4, 4}), b = tensor<float>::zeros({2, 3, 4, 5});
  test::expect_error<shape_error>([&] { cpu::concat_channels({a, a, b}); },
                                  {"concat_channels", "part 2", "2x3x4x5", "2x3x4x4", "N, H and W"});
  test::expect_error<shape_error>([&] { cpu::concat_channels({a, tensor<float>::zeros({1, 3, 4, 4})}); },
                                  {"part 1", "1x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::concat_channels({a, tensor<float>::zeros({2, 3})}); }, {"part 1", "2x3"});
  test::expect_error<shape_error>([&] { cpu::concat_channels(std::vector<tensor<float>>{}); }, {"concat_channels", "no tensors"});
  test::expect_error<shape_error>([&] { cpu::split_channels(a, {1, 1}); }, {"split_channels", "sum to 2", "2x3x4x4"});
  test::expect_error<value_error>([&] { cpu::split_channels(a, {4, -1}); }, {"split_channels", "part 1", "-1"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ops_b_linear)

BOOST_AUTO_TEST_CASE(linear_matches_reference) {
  const std::int64_t n = 5, in = 13, out = 7;
  auto x = test::random_tensor<double>({n, in}), w = test::random_tensor<double>({out, in}),
       b = test::random_tensor<double>({out});
  auto y = cpu::linear(x, w, &b), y0 = cpu::linear(x, w);
  double err = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t o = 0; o < out; ++o) {
      double s = 0;
      for (std::int64_t k = 0; k < in; ++k) s += x[i * in + k] * w[o * in + k];
      err = std::max({err, std::abs(y[i * out + o] - (s + b[o])), std::abs(y0[i * out + o] - s)});
    }
  BOOST_TEST(err < 1e-12);
  // A rank-4 input is flattened per sample (N x 13 x 1 x 1 here) and gives the same result.
  auto y4 = cpu::linear(x.reshaped({n, in, 1, 1}), w, &b);
  BOOST_TEST((y4.shape() == shape{n, out}));
  BOOST_TEST(test::max_abs_diff(y4, y) == 0.0);

  // Backward: dx = dy W, dW += dy^T x, db += column sums of dy (accumulated onto 1s).
  auto dy = test::random_tensor<double>({n, out});
  auto dw = tensor<double>::filled({out, in}, 1.0), db = tensor<double>::filled({out}, 1.0);
  auto dx = cpu::linear_backward(x.reshaped({n, in, 1, 1}), w, dy, dw, &db);
  BOOST_TEST((dx.shape() == shape{n, in, 1, 1}));
  err = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < in; ++k) {
      double s = 0;
      for (std::int64_t o = 0; o < out; ++o) s += dy[i * out + o] * w[o * in + k];
      err = std::max(err, std::abs(dx[i * in + k] - s));
    }
  for (std::int64_t o = 0; o < out; ++o) {
    double sb = 1;
    for (std::int64_t i = 0; i < n; ++i) sb += dy[i * out + o];
    err = std::max(err, std::abs(db[o] - sb));
    for (std::int64_t k = 0; k < in; ++k) {
      double s = 1;
      for (std::int64_t i = 0; i < n; ++i) s += dy[i * out + o] * x[i * in + k];
      err = std::max(err, std::abs(dw[o * in + k] - s));
    }
  }
  BOOST_TEST(err < 1e-12);
}

BOOST_AUTO_TEST_CASE(linear_errors_name_op_and_shapes) {
  auto x = tensor<float>::zeros({4, 10}), w = tensor<float>::zeros({3, 12}), b = tensor<float>::zeros({4});
  test::expect_error<shape_error>([&] { cpu::linear(x, w); }, {"linear", "4x10", "3x12", "12"});
  auto w_ok = tensor<float>::zeros({3, 10});
  test::expect_error<shape_error>([&] { cpu::linear(x, w_ok, &b); }, {"linear", "bias", "4", "3x10"});
  test::expect_error<shape_error>([&] { cpu::linear(x, tensor<float>::zeros({30})); }, {"linear", "weight", "30", "rank 2"});
  auto dw = tensor<float>::zeros({3, 10});
  test::expect_error<shape_error>([&] { cpu::linear_backward(x, w_ok, tensor<float>::zeros({4, 2}), dw); },
                                  {"linear_backward", "dy", "4x2", "4x3"});
  test::expect_error<shape_error>([&] { cpu::linear_backward(x, w_ok, tensor<float>::zeros({4, 3}), w); },
                                  {"linear_backward", "dweight", "3x12", "3x10"});
}

BOOST_AUTO_TEST_SUITE_END()
