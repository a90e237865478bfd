// Learning-rate schedules against hand-computed values and against the reference's own procedure.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "i2i/optim/schedule.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using i2i::optim::constant_then_linear_decay;
using i2i::optim::poly_decay;
using i2i::test::expect_error;

BOOST_AUTO_TEST_SUITE(schedules)

BOOST_AUTO_TEST_CASE(linear_decay_hand_values) {
  // niter 3, niter_decay 4, lr0 0.1: epochs 1..3 constant, epoch 4 still 0.1 (the first decrement
  // happens at its end), then 0.075, 0.05, 0.025 (= lr0/niter_decay, the last epoch), then 0.
  const constant_then_linear_decay s(0.1, 3, 4);
  const double expect[] = {0.1, 0.1, 0.1, 0.1, 0.075, 0.05, 0.025, 0.0, 0.0};
  for (int e = 1; e <= 9; ++e)
    BOOST_TEST(std::abs(s.lr_at(e) - expect[e - 1]) <= 1e-16, "epoch " << e << ": " << s.lr_at(e));
  BOOST_TEST(s.total_epochs() == 7);
}

BOOST_AUTO_TEST_CASE(linear_decay_matches_pix2pixhd_train_loop) {
  // train.py: for epoch in 1..niter+niter_decay: train at old_lr; if epoch > niter: old_lr -= lr0/niter_decay.
  const double lr0 = 2e-4;
  const constant_then_linear_decay s(lr0, 100, 100);
  double old_lr = lr0;
  for (int epoch = 1; epoch <= 200; ++epoch) {
    BOOST_TEST(std::abs(s.lr_at(epoch) - old_lr) < 1e-17, "epoch " << epoch << ": " << s.lr_at(epoch) << " vs " << old_lr);
    if (epoch > 100) old_lr -= lr0 / 100;
  }
  BOOST_TEST(s.lr_at(101) == lr0);
  BOOST_TEST(std::abs(s.lr_at(200) - lr0 / 100) <= 1e-20);
  // The 1024p script's 50 + 50.
  const constant_then_linear_decay t(lr0, 50, 50);
  BOOST_TEST(std::abs(t.lr_at(75) - 2e-4 * 0.52) <= 1e-20);
}

BOOST_AUTO_TEST_CASE(linear_decay_errors) {
  expect_error<value_error>([] { (void)constant_then_linear_decay(0.1, 3, 4).lr_at(0); },
                            {"constant_then_linear_decay", "epoch 0"});
  expect_error<value_error>([] { constant_then_linear_decay(0.1, -1, 4); }, {"niter -1"});
  // niter_decay 0: constant, nothing to decay.
  BOOST_TEST(constant_then_linear_decay(0.1, 5, 0).lr_at(5) == 0.1);
  // Sums and products that overflow 64 bits (fuzz_cli found the int sum in pix2pixhd's options).
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  expect_error<value_error>([&] { constant_then_linear_decay(0.1, max, 1); }, {"do not fit in 64 bits"});
  const constant_then_linear_decay big(0.1, max / 2, max / 2);
  BOOST_TEST(big.total_epochs() == max - 1);
  BOOST_TEST(big.total_iterations(1) == max - 1);
  expect_error<value_error>([&] { (void)big.total_iterations(2); }, {"iterations do not fit in 64 bits"});
  BOOST_TEST(constant_then_linear_decay(0.1, 3, 4).total_iterations(5) == 35);
}

BOOST_AUTO_TEST_CASE(poly_hand_values) {
  // lr0 * (1 - t/T)^0.9 with T = 10; 0.5^0.9 = 0.535886731268146..., 0.1^0.9 = 0.125892541179416...
  const poly_decay p(1e-4, 10);
  BOOST_TEST(p.lr_at(0) == 1e-4);
  BOOST_TEST(std::abs(p.lr_at(5) - 0.5358867312681466e-4) < 1e-18);
  BOOST_TEST(std::abs(p.lr_at(9) - 0.12589254117941673e-4) < 1e-18);
  BOOST_TEST(p.lr_at(10) == 0.0);
  BOOST_TEST(p.lr_at(1000) == 0.0);
  // Monotone decreasing over a long run.
  const poly_decay q(2e-4, 60000);
  for (std::int64_t t = 1; t < 60000; t += 997) BOOST_TEST(q.lr_at(t) < q.lr_at(t - 1));
  // power 1 is linear.
  BOOST_TEST(poly_decay(1.0, 4, 1.0).lr_at(1) == 0.75);
}

BOOST_AUTO_TEST_CASE(poly_errors) {
  expect_error<value_error>([] { (void)poly_decay(1e-4, 10).lr_at(-1); }, {"poly_decay", "negative step -1"});
  expect_error<value_error>([] { poly_decay(1e-4, 0); }, {"poly_decay", "max_steps 0"});
}

BOOST_AUTO_TEST_SUITE_END()
