// loss/backend_terms.hpp on cpu_backend<float> against the host terms it mirrors (loss/types/): the GAN
// term over a multiscale D (LSGAN and BCE), feature matching with pix2pixHD's weights and the VGG L1
// term must give the same values, parts and gradients, bit for bit (same operations in the same order).
// The GPU trainer uses these terms on cuda_backend; tests/parity/test_trainer_parity.cu compares that.
#include <boost/test/unit_test.hpp>

#include <random>

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

template <class Host, class Generic>
void same_injection(const Host& h, const Generic& g) {
  BOOST_TEST(h.output().defined() == g.output().defined());
  if (h.output().defined()) BOOST_TEST(test::max_abs_diff(h.output(), g.output()) == 0.0);
  BOOST_TEST_REQUIRE(h.taps().size() == g.taps().size());
  for (std::size_t i = 0; i < h.taps().size(); ++i) {
    BOOST_TEST(h.taps()[i].first == g.taps()[i].first);
    BOOST_TEST(test::max_abs_diff(h.taps()[i].second, g.taps()[i].second) == 0.0, h.taps()[i].first);
  }
}

template <class Host, class Generic>
void same_result(const Host& h, const Generic& g) {
  BOOST_TEST(h.value == g.value);
  BOOST_TEST_REQUIRE(h.parts.size() == g.parts.size());
  for (std::size_t i = 0; i < h.parts.size(); ++i) {
    BOOST_TEST(h.parts[i].first == g.parts[i].first);
    BOOST_TEST(h.parts[i].second == g.parts[i].second);
  }
  same_injection(h.grad, g.grad);
}

using small_d = pix2pixhd::multiscale_discriminator<6, 2, 8, 2>;

}  // namespace

BOOST_AUTO_TEST_SUITE(backend_terms)

BOOST_AUTO_TEST_CASE(gan_and_feature_matching_equal_the_host_terms) {
  model<small_d, B> D;
  initialize(D, init_policy::pix2pixhd(), 4);
  const auto fake = D.forward(uniform(shape::nchw(2, 6, 32, 64), 1));
  const auto real = D.forward(uniform(shape::nchw(2, 6, 32, 64), 2));
  for (auto t : {loss::gan_target::real, loss::gan_target::fake}) {
    same_result(loss::gan_loss<loss::lsgan>{}(fake, t), loss::on_backend::gan<B>(fake, t, false));
    same_result(loss::gan_loss<loss::vanilla>{}(fake, t), loss::on_backend::gan<B>(fake, t, true));
  }
  loss::feature_matching h;
  h.lambda_feat = 10;
  h.n_layers = 2;
  h.num_d = 2;
  loss::on_backend::feature_matching<B> g{10, 2, 2};
  same_result(h(fake, real), g(fake, real));
  // Defaults derived from the taps, and another lambda.
  same_result(loss::feature_matching{}(fake, real), loss::on_backend::feature_matching<B>{}(fake, real));
  // An injection summed and scaled as the trainer does (G's GAN + FM into D; 0.5 on loss_D).
  auto hg = loss::gan_loss<loss::lsgan>{}(fake, loss::gan_target::real);
  auto gg = loss::on_backend::gan<B>(fake, loss::gan_target::real);
  hg.grad.add(h(fake, real).grad);
  gg.grad.add(g(fake, real).grad);
  hg.grad.scale(0.5);
  gg.grad.scale(0.5);
  same_injection(hg.grad, gg.grad);
  const auto dh = loss::backward(D, fake, hg.grad, true);
  const auto dg = loss::on_backend::backward(D, fake, gg.grad, true);
  BOOST_TEST(test::max_abs_diff(dh, dg) == 0.0);
}

BOOST_AUTO_TEST_CASE(the_gan_term_without_scale_taps_uses_the_output) {
  model<pix2pixhd::nlayer_discriminator<6, 8, 2>, B> D;
  initialize(D, init_policy::pix2pixhd(), 5);
  const auto c = D.forward(uniform(shape::nchw(1, 6, 32, 32), 3));
  same_result(loss::gan_loss<loss::lsgan>{}(c, loss::gan_target::fake),
              loss::on_backend::gan<B>(c, loss::gan_target::fake, false));
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
