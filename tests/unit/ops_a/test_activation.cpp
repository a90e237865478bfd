// Forward values, in-place variants, NaN propagation and errors of the pointwise activations.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <sstream>

#include "i2i/backend/cpu/activation.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

template <class F>
tensor<double> reference(const tensor<float>& x, F f) {
  auto y = tensor<double>::empty(x.shape());
  for (std::int64_t i = 0; i < x.numel(); ++i) y[i] = f(double(x[i]));
  return y;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(activation)

BOOST_AUTO_TEST_CASE(forward_matches_reference) {
  // 3x5x37x41 = 22755 elements: more than one parallel chunk.
  for (const shape& s : {shape{2, 3, 5, 7}, shape{3, 5, 37, 41}}) {
    auto x = test::random_tensor<float>(s, -6, 6);
    BOOST_TEST_CONTEXT("shape " << s) {
      BOOST_TEST(test::max_abs_diff(cpu::relu(x), reference(x, [](double v) { return v > 0 ? v : 0; })) == 0.0);
      BOOST_TEST(test::max_abs_diff(cpu::leaky_relu(x, 0.2),
                                    reference(x, [](double v) { return v > 0 ? v : 0.2 * v; })) < 1e-6);
      BOOST_TEST(test::max_abs_diff(cpu::tanh(x), reference(x, [](double v) { return std::tanh(v); })) < 1e-6);
      BOOST_TEST(test::max_abs_diff(cpu::sigmoid(x), reference(x, [](double v) { return 1 / (1 + std::exp(-v)); })) <
                 1e-6);
    }
  }
}

BOOST_AUTO_TEST_CASE(sigmoid_keeps_relative_accuracy_in_the_tail) {
  auto x = tensor<double>::from({4}, {-30.0, -700.0, 30.0, 0.0});
  auto y = cpu::sigmoid(x);
  BOOST_TEST(std::abs(y[0] / (1 / (1 + std::exp(30.0))) - 1) < 1e-12);
  BOOST_TEST(y[1] >= 0.0);
  BOOST_TEST(y[1] < 1e-300);
  BOOST_TEST(std::abs(y[2] - 1) < 1e-12);
  BOOST_TEST(y[3] == 0.5);
}

BOOST_AUTO_TEST_CASE(backward_values) {
  auto x = tensor<double>::from({1, 1, 1, 5}, {-2.0, -0.5, 0.0, 0.5, 2.0});
  auto dy = tensor<double>::from({1, 1, 1, 5}, {1.0, 2.0, 3.0, 4.0, 5.0});
  auto r = cpu::relu_backward(dy, cpu::relu(x));
  auto l = cpu::leaky_relu_backward(dy, cpu::leaky_relu(x, 0.1), 0.1);
  const double relu_expected[] = {0, 0, 0, 4, 5};
  const double leaky_expected[] = {0.1, 0.2, 0.3, 4, 5};  // at 0 the slope applies (PyTorch)
  for (int i = 0; i < 5; ++i) {
    BOOST_TEST(r[i] == relu_expected[i]);
    BOOST_TEST(std::abs(l[i] - leaky_expected[i]) < 1e-15);
  }
  auto t = cpu::tanh(x);
  auto dt = cpu::tanh_backward(dy, t);
  auto s = cpu::sigmoid(x);
  auto ds = cpu::sigmoid_backward(dy, s);
  for (int i = 0; i < 5; ++i) {
    const double th = std::tanh(x[i]), sg = 1 / (1 + std::exp(-x[i]));
    BOOST_TEST(std::abs(dt[i] - dy[i] * (1 - th * th)) < 1e-14);
    BOOST_TEST(std::abs(ds[i] - dy[i] * sg * (1 - sg)) < 1e-14);
  }
}

BOOST_AUTO_TEST_CASE(relu6_values_kinks_and_nan) {
  // Forward clamps to [0, 6]; backward passes dy only where 0 < y < 6 (0 at both kinks, as PyTorch's
  // ReLU6 and TensorFlow's Relu6Grad); NaN passes through.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto x = tensor<double>::from({1, 1, 1, 7}, {-1.0, 0.0, 0.5, 5.5, 6.0, 7.5, nan});
  auto dy = tensor<double>::from({1, 1, 1, 7}, {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0});
  const auto a = cpu::activation::relu6();
  auto y = cpu::activate(x, a);
  auto dx = cpu::activation_backward(dy, y, a);
  const double y_expected[] = {0, 0, 0.5, 5.5, 6, 6};
  const double dx_expected[] = {0, 0, 3, 4, 0, 0, 0};
  for (int i = 0; i < 6; ++i) BOOST_TEST(y[i] == y_expected[i]);
  BOOST_TEST(std::isnan(y[6]));
  for (int i = 0; i < 7; ++i) BOOST_TEST(dx[i] == dx_expected[i]);
  std::ostringstream os;
  os << a;
  BOOST_TEST(os.str() == "relu6");
}

BOOST_AUTO_TEST_CASE(inplace_variants_write_shared_storage) {
  auto x = test::random_tensor<float>({2, 3, 4, 5}, -2, 2);
  const auto expected = cpu::leaky_relu(x, 0.2);
  auto alias = x;  // shares storage
  cpu::leaky_relu_inplace(x, 0.2);
  BOOST_TEST(test::max_abs_diff(alias, expected) == 0.0);
  auto z = test::random_tensor<float>({2, 3, 4, 5}, -2, 2);
  const auto e2 = cpu::activate(z, cpu::activation::tanh());
  cpu::tanh_inplace(z);
  BOOST_TEST(test::max_abs_diff(z, e2) == 0.0);
  auto w = test::random_tensor<float>({7}, -2, 2);
  const auto e3 = cpu::sigmoid(w);
  cpu::activate_inplace(w, cpu::activation::sigmoid());
  BOOST_TEST(test::max_abs_diff(w, e3) == 0.0);
  cpu::relu_inplace(w);  // sigmoid output is positive: relu is the identity on it
  BOOST_TEST(test::max_abs_diff(w, e3) == 0.0);
}

BOOST_AUTO_TEST_CASE(nan_propagates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto x = tensor<float>::from({3}, {nan, -1.0f, 1.0f});
  BOOST_TEST(std::isnan(cpu::relu(x)[0]));
  BOOST_TEST(std::isnan(cpu::leaky_relu(x, 0.2)[0]));
  BOOST_TEST(std::isnan(cpu::tanh(x)[0]));
  BOOST_TEST(std::isnan(cpu::sigmoid(x)[0]));
}

BOOST_AUTO_TEST_CASE(errors_name_op_and_shapes) {
  auto y = tensor<float>::zeros({2, 3, 4, 4});
  test::expect_error<shape_error>([&] { cpu::relu_backward(tensor<float>::zeros({2, 3, 4, 5}), y); },
                                  {"activation_backward", "2x3x4x5", "2x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::tanh_backward(tensor<float>::zeros({6}), y); },
                                  {"activation_backward", "6", "2x3x4x4"});
  test::expect_error<value_error>([&] { cpu::leaky_relu(y, -0.5); }, {"leaky_relu", "-0.5"});
}

BOOST_AUTO_TEST_SUITE_END()
