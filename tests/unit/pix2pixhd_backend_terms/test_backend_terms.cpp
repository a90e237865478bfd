// pix2pixHD's loss terms (loss::gan_loss, loss::feature_matching, loss::vgg_perceptual with pix2pixHD's
// layers) on cpu_backend<float>, checked against pix2pixHD's formulas written out here (per-scale LSGAN /
// BCE on the "scale<k>.out" taps; lambda_feat / num_D * 4 / (n_layers + 1) * mean |fake - real| on the
// intermediate taps; lambda * sum_k w_k mean |VGG_k(fake) - VGG_k(real)|, which must match bit for bit
// when written with the same backend ops in the same order), and for forwarding their fields.
// The trainer uses these terms on cuda_backend too; tests/parity/test_trainer_parity.cu compares that.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
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

/// The GAN term with a runtime mode, as pix2pixHD's trainer picks it (--no_lsgan).
template <class Ctx>
loss::term_result<B> gan_term(const Ctx& c, loss::gan_target t, bool vanilla = false, double weight = 1) {
  return vanilla ? loss::gan_loss<loss::vanilla>{.weight = weight}(c, t) : loss::gan_loss<loss::lsgan>{.weight = weight}(c, t);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_terms)

// small_d: 2 scales of 4 stages (layer0..layer3); layer3 is each scale's output ("scale<k>.out").
BOOST_AUTO_TEST_CASE(the_gan_term_sums_the_scale_outputs) {
  model<small_d, B> D;
  initialize(D, init_policy::pix2pixhd(), 4);
  const auto fake = D.forward(uniform(shape::nchw(2, 6, 32, 64), 1));
  for (auto t : {loss::gan_target::real, loss::gan_target::fake})
    for (bool vanilla : {false, true}) {
      const auto r = gan_term(fake, t, vanilla, 2.0);
      BOOST_TEST_REQUIRE(r.parts.size() == 2u);
      double sum = 0;
      for (const std::string key : {"scale0.out", "scale1.out"}) {
        const auto l = vanilla ? cpu::bce_with_logits_loss(fake.tap(key), t) : cpu::lsgan_loss(fake.tap(key), t);
        sum += 2 * l.value;
        BOOST_TEST(part(r.parts, key) == 2 * l.value);
        const auto& g = injected(r.grad, key);
        for (std::int64_t i = 0; i < g.numel(); ++i) BOOST_TEST_REQUIRE(g[i] == 2 * l.grad[i]);
      }
      BOOST_TEST(r.value == sum, boost::test_tools::tolerance(1e-12));
      BOOST_TEST(!r.grad.output().defined());
    }
  // The mode and the weight reach the term.
  const loss::gan_loss<loss::vanilla> vanilla_twice{.weight = 2.0};
  const loss::gan_loss<loss::vanilla> vanilla_once;
  BOOST_TEST(vanilla_twice(fake, loss::gan_target::real).value ==
             2 * vanilla_once(fake, loss::gan_target::real).value);
}

BOOST_AUTO_TEST_CASE(feature_matching_uses_pix2pixhds_weights_on_the_intermediate_taps) {
  model<small_d, B> D;
  initialize(D, init_policy::pix2pixhd(), 4);
  const auto fake = D.forward(uniform(shape::nchw(2, 6, 32, 64), 1));
  const auto real = D.forward(uniform(shape::nchw(2, 6, 32, 64), 2));
  const double w = 10.0 / 2 * 4.0 / 3;  // lambda_feat / num_D * 4 / (n_layers_D + 1), n_layers_D = 2
  const auto r = loss::feature_matching{}(fake, real);
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
  // lambda_feat, num_D and n_layers reach the term.
  BOOST_TEST(loss::feature_matching{.lambda_feat = 5}(fake, real).value == r.value / 2,
             boost::test_tools::tolerance(1e-12));
  const loss::feature_matching one_scale_three_layers{.num_d = 1, .n_layers = 3};
  BOOST_TEST(one_scale_three_layers(fake, real).value == r.value * 2 * 3 / 4, boost::test_tools::tolerance(1e-6));
  // Summed and scaled as the trainer does (G's GAN + FM into D; 0.5 on loss_D), then D's backward.
  auto gg = gan_term(fake, loss::gan_target::real);
  gg.grad.add(r.grad);
  gg.grad.scale(0.5);
  const auto& g0 = injected(gg.grad, "scale0.layer0");
  const auto& r0 = injected(r.grad, "scale0.layer0");
  for (std::int64_t i = 0; i < g0.numel(); ++i) BOOST_TEST_REQUIRE(g0[i] == 0.5f * r0[i]);
  const auto dx = loss::backward(D, fake, gg.grad, true);
  BOOST_TEST(dx.shape() == shape::nchw(2, 6, 32, 64));
  for (std::int64_t i = 0; i < dx.numel(); ++i) BOOST_TEST_REQUIRE(std::isfinite(dx[i]));
}

BOOST_AUTO_TEST_CASE(the_gan_term_without_scale_taps_uses_the_output) {
  model<pix2pixhd::nlayer_discriminator<6, 8, 2>, B> D;
  initialize(D, init_policy::pix2pixhd(), 5);
  const auto c = D.forward(uniform(shape::nchw(1, 6, 32, 32), 3));
  const auto r = gan_term(c, loss::gan_target::fake, false);
  const auto l = cpu::lsgan_loss(c.output, loss::gan_target::fake);
  BOOST_TEST(r.value == l.value);
  BOOST_TEST_REQUIRE(r.parts.size() == 1u);
  BOOST_TEST(r.parts[0].first == "out");
  BOOST_TEST(r.grad.taps().empty());
  BOOST_TEST(test::max_abs_diff(r.grad.output(), l.grad) == 0.0);
}

BOOST_AUTO_TEST_CASE(vgg_perceptual_is_pix2pixhds_vgg_loss) {
  using vgg_t = model<models::vgg19, B>;
  vgg_t v1, v2;
  initialize(v1, init_policy::pix2pixhd(), 6);
  initialize(v2, init_policy::pix2pixhd(), 6);
  const loss::vgg_perceptual<vgg_t> h(v1, 10);  // pix2pixHD's layers by default
  for (const auto& p : v1.all_parameters()) BOOST_TEST(p->frozen);
  for (const auto& p : v2.all_parameters()) p->frozen = true;
  const auto fake = uniform(shape::nchw(1, 3, 32, 32), 7), real = uniform(shape::nchw(1, 3, 32, 32), 8);
  const auto rh = h(fake, real);
  // pix2pixHD's VGGLoss: sum_k w_k L1(VGG_k(fake), VGG_k(real).detach()), times lambda_feat = 10.
  const char* taps[] = {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"};
  const double w[] = {1. / 32, 1. / 16, 1. / 8, 1. / 4, 1.};
  auto cf = v2.forward(fake);
  auto cr = v2.forward(real);
  tap_list<float> grads;
  double value = 0;
  for (int k = 0; k < 5; ++k) {
    const auto l = B::l1_loss(cf.tap(taps[k]), cr.tap(taps[k]));
    value += l.value * (10 * w[k]);
    grads.put(taps[k], B::scale(l.grad, float(10 * w[k])));
  }
  const auto dx = v2.backward(cf, tensor<float>{}, grads, true);
  BOOST_TEST(rh.value == value);
  BOOST_TEST(test::max_abs_diff(rh.grad, dx) == 0.0);
  // The term with pix2pixHD's layers spelt out is the same term.
  const loss::vgg_perceptual<vgg_t> spelt(v1, 10, loss::vgg_perceptual<vgg_t>::pix2pixhd_layers(), "VGG");
  BOOST_TEST(spelt(fake, real).value == rh.value);
}

BOOST_AUTO_TEST_CASE(errors_name_the_term) {
  model<small_d, B> D;
  initialize(D, init_policy::pix2pixhd(), 4);
  auto x = uniform(shape::nchw(1, 6, 32, 32), 1);
  x[0] = std::numeric_limits<float>::quiet_NaN();
  const auto c = D.forward(x);
  test::expect_error<value_error>([&] { (void)gan_term(c, loss::gan_target::real); },
                                  {"gan_loss<lsgan>", "lsgan_loss"});
}

BOOST_AUTO_TEST_SUITE_END()
