// loss/backend_terms.hpp on cpu_backend<float>. The GAN term and feature matching are checked against
// pix2pixHD's formulas written out here (per-scale LSGAN / BCE on the "scale<k>.out" taps; lambda_feat /
// num_D * 4 / (n_layers + 1) * mean |fake - real| on the intermediate taps), and the host API
// (loss::gan_loss, loss::feature_matching, which are these terms on the CPU) for forwarding its fields.
// The VGG L1 term must equal the host loss::vgg_perceptual bit for bit (same operations, same order).
// The GPU trainer uses these terms on cuda_backend; tests/parity/test_trainer_parity.cu compares that.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/loss/backend_terms.hpp"
#include "i2i/loss/types/all.hpp"
#include "i2i/models/pix2pixhd/networks.hpp"
#include "i2i/models/vgg19.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using B = cpu_backend<float>;

namespace {

tensor<float> uniform(const shape& s, std::uint64_t seed, float lo = -1, float hi = 1) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  auto t = tensor<float>::empty(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = d(rng);
  return t;
}

/// The gradient a term injected at `key` (a tap, or "out" for the output).
template <class Injection>
const tensor<float>& injected(const Injection& g, const std::string& key) {
  if (key == "out") return g.output();
  for (const auto& [k, v] : g.taps())
    if (k == key) return v;
  BOOST_FAIL("no gradient injected at " << key);
  return g.output();
}

double part(const std::vector<std::pair<std::string, double>>& parts, const std::string& key) {
  for (const auto& [k, v] : parts)
    if (k == key) return v;
  BOOST_FAIL("no part named " << key);
  return 0;
}

using small_d = pix2pixhd::multiscale_discriminator<6, 2, 8, 2>;

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_terms)

// small_d: 2 scales of 4 stages (layer0..layer3); layer3 is each scale's output ("scale<k>.out").
BOOST_AUTO_TEST_CASE(the_gan_term_sums_the_scale_outputs) {
  model<small_d, B> D;
  initialize(D, init_policy::pix2pixhd(), 4);
  const auto fake = D.forward(uniform(shape::nchw(2, 6, 32, 64), 1));
  for (auto t : {loss::gan_target::real, loss::gan_target::fake})
    for (bool vanilla : {false, true}) {
      const auto r = loss::on_backend::gan<B>(fake, t, vanilla, 2.0);
      BOOST_TEST_REQUIRE(r.parts.size() == 2u);
      double sum = 0;
      for (const std::string key : {"scale0.out", "scale1.out"}) {
        const auto l = vanilla ? loss::bce_with_logits_loss(fake.tap(key), t) : loss::lsgan_loss(fake.tap(key), t);
        sum += 2 * l.value;
        BOOST_TEST(part(r.parts, key) == 2 * l.value);
        const auto& g = injected(r.grad, key);
        for (std::int64_t i = 0; i < g.numel(); ++i) BOOST_TEST_REQUIRE(g[i] == 2 * l.grad[i]);
      }
      BOOST_TEST(r.value == sum, boost::test_tools::tolerance(1e-12));
      BOOST_TEST(!r.grad.output().defined());
    }
  // The host API is this term: its mode and weight reach it.
  const loss::gan_loss<loss::vanilla> vanilla_twice{.weight = 2.0};
  BOOST_TEST(vanilla_twice(fake, loss::gan_target::real).value ==
             loss::on_backend::gan<B>(fake, loss::gan_target::real, true, 2.0).value);
}

BOOST_AUTO_TEST_CASE(feature_matching_uses_pix2pixhds_weights_on_the_intermediate_taps) {
  model<small_d, B> D;
  initialize(D, init_policy::pix2pixhd(), 4);
  const auto fake = D.forward(uniform(shape::nchw(2, 6, 32, 64), 1));
  const auto real = D.forward(uniform(shape::nchw(2, 6, 32, 64), 2));
  const double w = 10.0 / 2 * 4.0 / 3;  // lambda_feat / num_D * 4 / (n_layers_D + 1), n_layers_D = 2
  const auto r = loss::on_backend::feature_matching<B>{}(fake, real);
  BOOST_TEST_REQUIRE(r.parts.size() == 6u);
  double expected = 0;
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 3; ++j) {
      const std::string key = "scale" + std::to_string(k) + ".layer" + std::to_string(j);
      const auto& f = fake.tap(key);
      const auto& q = real.tap(key);
      double mean = 0;
      for (std::int64_t i = 0; i < f.numel(); ++i) mean += std::abs(double(f[i]) - double(q[i]));
      mean /= double(f.numel());
      expected += w * mean;
      BOOST_TEST(part(r.parts, key) == w * mean, boost::test_tools::tolerance(1e-5));
      const auto& g = injected(r.grad, key);
      for (std::int64_t i = 0; i < g.numel(); ++i) {
        const double sign = f[i] > q[i] ? 1 : f[i] < q[i] ? -1 : 0;
        BOOST_TEST_REQUIRE(std::abs(g[i] - w * sign / double(f.numel())) <= 1e-6 * w / double(f.numel()));
      }
    }
  BOOST_TEST(r.value == expected, boost::test_tools::tolerance(1e-5));
  // The host API is this term: lambda_feat, num_D and n_layers reach it.
  BOOST_TEST(loss::feature_matching{.lambda_feat = 5}(fake, real).value == r.value / 2,
             boost::test_tools::tolerance(1e-12));
  const loss::feature_matching one_scale_three_layers{.num_d = 1, .n_layers = 3};
  BOOST_TEST(one_scale_three_layers(fake, real).value == r.value * 2 * 3 / 4, boost::test_tools::tolerance(1e-6));
  // Summed and scaled as the trainer does (G's GAN + FM into D; 0.5 on loss_D), then D's backward.
  auto gg = loss::on_backend::gan<B>(fake, loss::gan_target::real);
  gg.grad.add(r.grad);
  gg.grad.scale(0.5);
  const auto& g0 = injected(gg.grad, "scale0.layer0");
  const auto& r0 = injected(r.grad, "scale0.layer0");
  for (std::int64_t i = 0; i < g0.numel(); ++i) BOOST_TEST_REQUIRE(g0[i] == 0.5f * r0[i]);
  const auto dx = loss::on_backend::backward(D, fake, gg.grad, true);
  BOOST_TEST(dx.shape() == shape::nchw(2, 6, 32, 64));
  for (std::int64_t i = 0; i < dx.numel(); ++i) BOOST_TEST_REQUIRE(std::isfinite(dx[i]));
}

BOOST_AUTO_TEST_CASE(the_gan_term_without_scale_taps_uses_the_output) {
  model<pix2pixhd::nlayer_discriminator<6, 8, 2>, B> D;
  initialize(D, init_policy::pix2pixhd(), 5);
  const auto c = D.forward(uniform(shape::nchw(1, 6, 32, 32), 3));
  const auto r = loss::on_backend::gan<B>(c, loss::gan_target::fake, false);
  const auto l = loss::lsgan_loss(c.output, loss::gan_target::fake);
  BOOST_TEST(r.value == l.value);
  BOOST_TEST_REQUIRE(r.parts.size() == 1u);
  BOOST_TEST(r.parts[0].first == "out");
  BOOST_TEST(r.grad.taps().empty());
  BOOST_TEST(test::max_abs_diff(r.grad.output(), l.grad) == 0.0);
}

BOOST_AUTO_TEST_CASE(vgg_l1_equals_vgg_perceptual) {
  model<models::vgg19, B> v1, v2;
  initialize(v1, init_policy::pix2pixhd(), 6);
  initialize(v2, init_policy::pix2pixhd(), 6);
  const loss::vgg_perceptual<model<models::vgg19, B>> h(v1, 10);
  const loss::on_backend::vgg_l1<model<models::vgg19, B>> g(v2, 10);
  const auto fake = uniform(shape::nchw(1, 3, 32, 32), 7), real = uniform(shape::nchw(1, 3, 32, 32), 8);
  const auto rh = h(fake, real), rg = g(fake, real);
  BOOST_TEST(rh.value == rg.value);
  BOOST_TEST(test::max_abs_diff(rh.grad, rg.grad) == 0.0);
  for (const auto& p : v2.all_parameters()) BOOST_TEST(p->frozen);
}

BOOST_AUTO_TEST_CASE(errors_name_the_term) {
  model<small_d, B> D;
  initialize(D, init_policy::pix2pixhd(), 4);
  auto x = uniform(shape::nchw(1, 6, 32, 32), 1);
  x[0] = std::numeric_limits<float>::quiet_NaN();
  const auto c = D.forward(x);
  test::expect_error<value_error>([&] { (void)loss::on_backend::gan<B>(c, loss::gan_target::real); },
                                  {"gan_loss<lsgan>", "lsgan_loss"});
}

BOOST_AUTO_TEST_SUITE_END()
