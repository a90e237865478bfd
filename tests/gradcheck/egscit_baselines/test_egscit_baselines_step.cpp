// The baselines' whole generator steps in float64 against finite differences of the G loss they report:
// CycleGAN (G_AB and G_BA through both cycles and both GAN terms) and UNIT (stage 2 with mask, AdaIN and
// perceptual terms off, trained without any F network).
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/egscit/cyclegan.hpp"
#include "i2i/recipes/egscit/trainer.hpp"
#include "support/egscit_fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using namespace i2i::egscit;

namespace {

const auto images = test::egscit_fixtures::uniform_images<double>;

using tiny = config<1, 3, 1>;
using tiny_dis = discriminator<3, 4, 2>;

}  // namespace

BOOST_AUTO_TEST_SUITE(egscit_baselines_gradcheck)

BOOST_AUTO_TEST_CASE(cyclegan_generator_step_gradients) {
  cyclegan_trainer<tiny, cpu_backend<double>, tiny_dis> t(with_model(train_options{}, model_kind::cyclegan),
                                                          [](const std::string&) {});
  const auto xa = images(1), xb = images(2);
  auto loss = [&] { return t.generator_gradients(xa, xb).g; };
  const double g0 = loss();  // leaves the analytic gradients
  BOOST_TEST(g0 > 0);
  for (const auto* m : {&t.G_AB.all_parameters(), &t.G_BA.all_parameters()})
    for (const auto& p : *m) {
      // Weights, as the stage-2 check: a bias moves every pixel of its channel at once, so some L1 or
      // (L)ReLU kink lies within any finite step of it and its central difference is off by ~1e-3.
      if (p->name.find("weight") == std::string::npos) continue;
      const auto analytic = p->grad.clone();
      // L1 and LReLU kinks lie close together at this size: a 1e-7 step stays inside one piece.
      test::expect_gradient("cyclegan: " + p->name, p->value, loss, analytic, 1e-7, 1e-5, 1e-4, 12);
    }
}

BOOST_AUTO_TEST_CASE(cyclegan_loss_is_gan_plus_cycle_only) {
  // With the GAN weight 0 the loss is 100 (L1(x_ABA, x_A) + L1(x_BAB, x_B)) exactly: no identity, KL
  // or self-reconstruction term hides in it.
  auto o = with_model(train_options{}, model_kind::cyclegan);
  o.weights.gan = 0;
  cyclegan_trainer<tiny, cpu_backend<double>, tiny_dis> t(o, [](const std::string&) {});
  const auto xa = images(3), xb = images(4);
  const auto r = t.generator_gradients(xa, xb);
  const double want = 100 * (cpu::l1_loss(t.cycle(xa, domain::A), xa).value + cpu::l1_loss(t.cycle(xb, domain::B), xb).value);
  BOOST_TEST(r.g == want, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(unit_generator_step_gradients) {
  auto o = with_model(train_options{}, model_kind::unit);
  stage2_trainer<tiny, cpu_backend<double>, tiny_dis> t(o, [](const std::string&) {});
  BOOST_TEST(!t.uses_feature_masks());
  const auto xa = images(5), xb = images(6);
  auto loss = [&] {
    std::mt19937_64 rng(11);
    return t.generator_gradients(xa, xb, rng).g;
  };
  loss();
  for (const auto* m : {&t.net.E_A.all_parameters(), &t.net.E_B.all_parameters(), &t.net.S.all_parameters(),
                        &t.net.G_A.all_parameters(), &t.net.G_B.all_parameters()})
    for (const auto& p : *m) {
      if (p->name.find("weight") == std::string::npos) continue;
      const auto analytic = p->grad.clone();
      test::expect_gradient("unit: " + p->name, p->value, loss, analytic, 1e-7, 1e-5, 1e-4, 12);
    }
}

BOOST_AUTO_TEST_SUITE_END()
