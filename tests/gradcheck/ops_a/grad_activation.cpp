// Finite-difference checks of the activations' backward (given the forward output y).
#include <boost/test/unit_test.hpp>

#include "i2i/backend/cpu/activation.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(activation_gradients)

BOOST_AUTO_TEST_CASE(every_activation_from_its_output) {
  const shape s{2, 3, 5, 7};
  const cpu::activation acts[] = {cpu::activation::identity(), cpu::activation::relu(),
                                  cpu::activation::leaky_relu(0.2), cpu::activation::leaky_relu(1.7),
                                  cpu::activation::tanh(), cpu::activation::sigmoid()};
  for (auto a : acts) {
    // Keep clear of the kink at 0, where finite differences are meaningless.
    auto x = test::random_tensor_away_from(s, {0.0}, 0.05, -3, 3);
    auto r = test::random_tensor<double>(s);
    auto y = cpu::activate(x, a);
    test::expect_gradient("activation dx", x, [&] { return test::dot(r, cpu::activate(x, a)); },
                          cpu::activation_backward(r, y, a));
  }
}

BOOST_AUTO_TEST_CASE(relu6_from_its_output) {
  // Inputs on both sides of both kinks (0 and 6), kept clear of them.
  const shape s{2, 3, 6, 7};
  const auto a = cpu::activation::relu6();
  auto x = test::random_tensor_away_from(s, {0.0, 6.0}, 0.05, -2, 8);
  auto r = test::random_tensor<double>(s);
  auto y = cpu::activate(x, a);
  test::expect_gradient("relu6 dx", x, [&] { return test::dot(r, cpu::activate(x, a)); },
                        cpu::activation_backward(r, y, a));
}

BOOST_AUTO_TEST_CASE(named_functions) {
  const shape s{3, 2, 4, 5};
  auto x = test::random_tensor_away_from(s, {0.0}, 0.05, -3, 3);
  auto r = test::random_tensor<double>(s);
  test::expect_gradient("relu dx", x, [&] { return test::dot(r, cpu::relu(x)); }, cpu::relu_backward(r, cpu::relu(x)));
  // relu and leaky_relu also accept the input in place of the output.
  test::expect_gradient("relu dx (from x)", x, [&] { return test::dot(r, cpu::relu(x)); }, cpu::relu_backward(r, x));
  test::expect_gradient("leaky_relu dx", x, [&] { return test::dot(r, cpu::leaky_relu(x, 0.2)); },
                        cpu::leaky_relu_backward(r, x, 0.2));
  test::expect_gradient("tanh dx", x, [&] { return test::dot(r, cpu::tanh(x)); }, cpu::tanh_backward(r, cpu::tanh(x)));
  test::expect_gradient("sigmoid dx", x, [&] { return test::dot(r, cpu::sigmoid(x)); },
                        cpu::sigmoid_backward(r, cpu::sigmoid(x)));
}

BOOST_AUTO_TEST_SUITE_END()
