// Parity of the CUDA activations, pointwise arithmetic, concat/split, reductions and padding with the
// CPU ops, in float and double, forward and backward.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "compare.hpp"
#include "i2i/backend/cpu/activation.hpp"
#include "i2i/backend/cpu/concat.hpp"
#include "i2i/backend/cpu/pad.hpp"
#include "i2i/backend/cpu/pointwise.hpp"

using namespace i2i;
using namespace i2i::parity;
using real_types = std::tuple<float, double>;

BOOST_AUTO_TEST_SUITE(parity_elementwise, *boost::unit_test::precondition(device_present()))

BOOST_AUTO_TEST_CASE_TEMPLATE(activations_forward_and_backward, T, real_types) {
  for (const shape s : {shape::nchw(2, 3, 7, 5), shape::nchw(1, 1, 1, 1), shape{3, 11}}) {
    for (const act_arg a : all_acts) {
      const std::string what = std::string(act_name(a)) + " " + s.str();
      const bool relu6 = a.kind == 5;
      auto x = random<T>(s, -2, relu6 ? 8 : 2);  // relu6: both sides of 6 too
      x[0] = T(0);  // the kink: relu passes 0 / leaky passes slope in backward
      if (x.numel() > 2) x[1] = std::numeric_limits<T>::quiet_NaN();
      if (x.numel() > 3) x[2] = T(6);  // relu6's upper kink
      const auto y = cpu::activate(x, cpu_act(a));
      const auto gy = gpu::activate(x, a);
      // relu, leaky_relu, relu6 and identity are comparisons or one product: bit-identical.
      if (a.kind <= 2 || relu6)
        expect_equal(what + " forward", gy, y);
      else
        expect_close(what + " forward", gy, y, tol<T>());
      expect_close(what + " inplace", gpu::activate_inplace(x, a), y, tol<T>());
      const auto dy = random<T>(s);
      expect_close(what + " backward", gpu::activation_backward(dy, y, a), cpu::activation_backward(dy, y, cpu_act(a)),
                   tol<T>());
    }
  }
}

BOOST_AUTO_TEST_CASE(activation_errors_match) {
  const auto x = random<float>(shape::nchw(1, 2, 3, 3)), y = random<float>(shape::nchw(1, 2, 3, 4));
  expect_same_error<value_error>(
      "negative slope", [&] { (void)cpu::activate(x, cpu::activation::leaky_relu(-0.1)); },
      [&] { (void)gpu::activate(x, act_arg{2, -0.1}); });
  expect_same_error<shape_error>(
      "backward shapes", [&] { (void)cpu::activation_backward(x, y, cpu::activation::relu()); },
      [&] { (void)gpu::activation_backward(x, y, act_arg{1, 0}); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(pointwise_arithmetic, T, real_types) {
  const shape s = shape::nchw(2, 5, 9, 7);
  const auto a = random<T>(s), b = random<T>(s), dy = random<T>(s);
  // Single IEEE operations: bit-identical.
  expect_equal("add", gpu::add(a, b), cpu::add(a, b));
  expect_equal("sub", gpu::sub(a, b), cpu::sub(a, b));
  expect_equal("mul", gpu::mul(a, b), cpu::mul(a, b));
  const auto g = gpu::mul_backward(a, b, dy);
  const auto c = cpu::mul_backward(a, b, dy);
  expect_equal("mul_backward da", g.first, c.da);
  expect_equal("mul_backward db", g.second, c.db);
  expect_equal("scale", gpu::scale(a, -0.37), cpu::scale(a, T(-0.37)));
  auto dst = a.clone();
  cpu::add_into(dst, b);
  expect_equal("add_into", gpu::add_into(a, b), dst);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(channel_bias_rank4_and_rank2, T, real_types) {
  for (const shape s : {shape::nchw(3, 4, 5, 7), shape{6, 4}}) {
    const auto x = random<T>(s), bias = random<T>(shape{4});
    expect_equal("add_channel_bias " + s.str(), gpu::add_channel_bias(x, bias), cpu::add_channel_bias(x, bias));
    const auto dy = random<T>(s), db0 = random<T>(shape{4});
    auto db = db0.clone();
    cpu::add_channel_bias_backward(dy, db);
    expect_close("add_channel_bias_backward " + s.str(), gpu::add_channel_bias_backward(dy, db0), db, tol<T>());
  }
  const auto x = random<T>(shape::nchw(1, 3, 2, 2)), bad = random<T>(shape{4});
  expect_same_error<shape_error>(
      "bias shape", [&] { (void)cpu::add_channel_bias(x, bad); }, [&] { (void)gpu::add_channel_bias(x, bad); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concat_and_split, T, real_types) {
  for (const bool rank4 : {true, false}) {
    auto sh = [&](std::int64_t c) { return rank4 ? shape::nchw(3, c, 5, 7) : shape{3, c}; };
    const std::vector<tensor<T>> parts{random<T>(sh(2)), random<T>(sh(0)), random<T>(sh(5)), random<T>(sh(1))};
    const auto cat = cpu::concat_channels(parts);
    expect_equal("concat_channels", gpu::concat_channels(parts), cat);
    const std::vector<std::int64_t> sizes{1, 4, 0, 3};
    const auto cs = cpu::split_channels(cat, sizes);
    const auto gs = gpu::split_channels(cat, sizes);
    BOOST_TEST_REQUIRE(gs.size() == cs.size());
    for (std::size_t i = 0; i < cs.size(); ++i) expect_equal("split part " + std::to_string(i), gs[i], cs[i]);
  }
  const std::vector<tensor<T>> bad{random<T>(shape::nchw(2, 1, 3, 3)), random<T>(shape::nchw(2, 1, 3, 4))};
  expect_same_error<shape_error>(
      "concat mismatch", [&] { (void)cpu::concat_channels(bad); }, [&] { (void)gpu::concat_channels(bad); });
  const auto x = random<T>(shape::nchw(2, 4, 3, 3));
  expect_same_error<shape_error>(
      "split sum", [&] { (void)cpu::split_channels(x, {1, 2}); },
      [&] { (void)gpu::split_channels(x, std::vector<std::int64_t>{1, 2}); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reductions_in_double, T, real_types) {
  const auto x = random<T>(shape::nchw(3, 7, 33, 65), -3, 2);
  double s = 0, a = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    s += double(x[i]);
    a += std::abs(double(x[i]));
  }
  const auto r = gpu::reduce(x);
  expect_close_value("sum", r.sum, s, 1e-12 * a / std::max(std::abs(s), 1e-300));
  expect_close_value("mean", r.mean, s / double(x.numel()), 1e-12 * a / std::max(std::abs(s), 1e-300));
  expect_close_value("abs_sum", r.abs_sum, a, 1e-12);
  BOOST_TEST(r.finite);
  auto y = x.clone();
  y[y.numel() / 2] = std::numeric_limits<T>::infinity();
  BOOST_TEST(!gpu::reduce(y).finite);
  y[y.numel() / 2] = std::numeric_limits<T>::quiet_NaN();
  BOOST_TEST(!gpu::reduce(y).finite);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(reflection_pad_bit_identical, T, real_types) {
  // Symmetric, asymmetric, and pads of dim - 1 where one pixel receives three reflections per axis.
  const std::vector<std::pair<shape, padding2d>> cases{
      {shape::nchw(2, 3, 9, 7), padding2d::uniform(3)},
      {shape::nchw(1, 2, 6, 11), padding2d{1, 2, 0, 3}},
      {shape::nchw(2, 1, 3, 3), padding2d::uniform(2)},
      {shape::nchw(1, 1, 1, 5), padding2d{0, 0, 4, 1}},
  };
  for (const auto& [s, p] : cases) {
    const std::string what = s.str();
    const auto x = random<T>(s);
    const auto y = cpu::reflection_pad2d(x, p);
    expect_equal("reflection_pad2d " + what, gpu::reflection_pad2d(x, p), y);
    const auto dy = random<T>(y.shape());
    // The gather visits contributions in the CPU's order: same float sums.
    expect_equal("reflection_pad2d_backward " + what, gpu::reflection_pad2d_backward(dy, s, p),
                 cpu::reflection_pad2d_backward(dy, s, p));
  }
  const auto x = random<T>(shape::nchw(1, 1, 3, 3));
  expect_same_error<value_error>(
      "pad too large", [&] { (void)cpu::reflection_pad2d(x, padding2d::uniform(3)); },
      [&] { (void)gpu::reflection_pad2d(x, padding2d::uniform(3)); });
  const auto dy = random<T>(shape::nchw(1, 1, 5, 6));
  expect_same_error<shape_error>(
      "backward shape", [&] { (void)cpu::reflection_pad2d_backward(dy, x.shape(), padding2d::uniform(1)); },
      [&] { (void)gpu::reflection_pad2d_backward(dy, x.shape(), padding2d::uniform(1)); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(zero_pad_and_crop, T, real_types) {
  const std::vector<std::pair<shape, padding2d>> cases{
      {shape::nchw(2, 3, 5, 7), padding2d::uniform(2)},
      {shape::nchw(1, 2, 6, 5), padding2d{1, 2, 0, 3}},
      {shape::nchw(2, 2, 7, 8), padding2d{0, -1, 0, -1}},  // TF-SAME transposed conv crop
      {shape::nchw(1, 1, 6, 6), padding2d{-2, 1, 3, -4}},
  };
  for (const auto& [s, p] : cases) {
    const auto x = random<T>(s);
    const auto y = cpu::zero_pad2d(x, p);
    expect_equal("zero_pad2d " + s.str(), gpu::zero_pad2d(x, p), y);
    const auto dy = random<T>(y.shape());
    expect_equal("zero_pad2d_backward " + s.str(), gpu::zero_pad2d_backward(dy, s, p),
                 cpu::zero_pad2d_backward(dy, s, p));
  }
  const auto x = random<T>(shape::nchw(1, 1, 2, 2));
  expect_same_error<shape_error>(
      "crop everything", [&] { (void)cpu::zero_pad2d(x, padding2d{-1, -1, 0, 0}); },
      [&] { (void)gpu::zero_pad2d(x, padding2d{-1, -1, 0, 0}); });
}

BOOST_AUTO_TEST_SUITE_END()
