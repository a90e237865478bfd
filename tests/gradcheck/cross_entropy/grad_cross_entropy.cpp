// Softmax cross-entropy's returned gradient against central differences of its value, in float64,
// plain, with an ignored class and with class weights.
#include <boost/test/unit_test.hpp>

#include <random>

#include "i2i/backend/cpu/losses_cross_entropy.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(gradcheck_cross_entropy)

BOOST_AUTO_TEST_CASE(logits_gradient) {
  auto x = test::random_tensor<double>({2, 4, 3, 5}, -2, 2);
  auto y = tensor<double>::empty({2, 1, 3, 5});
  std::mt19937 r(5);
  for (auto& v : y.values()) v = double(r() % 4u);
  const loss::cross_entropy_options cases[] = {
      {}, {.ignore_index = 1}, {.ignore_index = -1, .class_weights = {0.3, 2, 1, 0.7}},
      {.ignore_index = 3, .class_weights = {1.5, 0, 1, 4}}};
  for (const auto& o : cases)
    test::expect_gradient("cross_entropy_loss", x, [&] { return cpu::cross_entropy_loss(x, y, o).value; },
                          cpu::cross_entropy_loss(x, y, o).grad);
}

BOOST_AUTO_TEST_SUITE_END()
