#include <boost/test/unit_test.hpp>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/pointwise.hpp"
#include "i2i/backend/cpu/losses.hpp"
#include "i2i/backend/cpu/losses_gram.hpp"
#include "i2i/loss/gram_style_loss.hpp"
#include "support/gradcheck.hpp"

// Each loss's returned gradient against central differences of its value, in float64.
using namespace i2i;
using loss::gan_target;
using test::expect_gradient;
using test::random_tensor;

BOOST_AUTO_TEST_SUITE(gradcheck_losses)

BOOST_AUTO_TEST_CASE(pixel_losses) {
  const shape s{2, 3, 4, 5};
  auto t = random_tensor<double>(s);
  // L1 has a kink at pred == target: keep every difference away from 0.
  auto p = cpu::add(t, test::random_tensor_away_from(s, {0.0}, 0.05));
  expect_gradient("l1_loss", p, [&] { return cpu::l1_loss(p, t).value; }, cpu::l1_loss(p, t).grad);
  expect_gradient("mse_loss", p, [&] { return cpu::mse_loss(p, t).value; }, cpu::mse_loss(p, t).grad);
  expect_gradient("kl_loss", p, [&] { return cpu::kl_loss(p).value; }, cpu::kl_loss(p).grad);
  for (auto target : {gan_target::real, gan_target::fake}) {
    expect_gradient("lsgan_loss", p, [&] { return cpu::lsgan_loss(p, target).value; }, cpu::lsgan_loss(p, target).grad);
    expect_gradient("bce_with_logits_loss (gan target)", p, [&] { return cpu::bce_with_logits_loss(p, target).value; },
                    cpu::bce_with_logits_loss(p, target).grad);
  }
  auto soft = random_tensor<double>(s, 0, 1);
  auto logits = random_tensor<double>(s, -4, 4);
  expect_gradient("bce_with_logits_loss (soft target)", logits,
                  [&] { return cpu::bce_with_logits_loss(logits, soft).value; },
                  cpu::bce_with_logits_loss(logits, soft).grad);
}

BOOST_AUTO_TEST_CASE(gram_matrix_and_style_loss) {
  auto f = random_tensor<double>({2, 3, 4, 5}), g = random_tensor<double>({2, 3, 4, 5});
  auto r = random_tensor<double>({2, 3, 3});
  for (auto norm : {loss::gram_norm::hw, loss::gram_norm::chw}) {
    expect_gradient("gram_matrix", f, [&] { return test::dot(r, cpu::gram_matrix(f, norm)); },
                    cpu::gram_matrix_backward(f, r, norm));
    for (auto dist : {loss::style_distance::mse, loss::style_distance::l1})
      expect_gradient("gram_style_loss", f, [&] { return loss::gram_style_loss<cpu_backend<double>>(f, g, dist, norm).value; },
                      loss::gram_style_loss<cpu_backend<double>>(f, g, dist, norm).grad);
  }
}

BOOST_AUTO_TEST_SUITE_END()
