// Loss term types: errors name the term (and the tap or layer), weights apply to value and gradient,
// injections accumulate without writing through the tensors handed to them.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "gradcheck/losses_typed/test_nets.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/loss/types/all.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using namespace i2i::test_nets;
using B = cpu_backend<double>;

BOOST_AUTO_TEST_SUITE(loss_term_errors)

BOOST_AUTO_TEST_CASE(nan_losses_name_the_term) {
  auto x = test::random_tensor<double>({2, 3, 4, 4});
  auto y = test::random_tensor<double>({2, 3, 4, 4});
  x[7] = std::nan("");
  test::expect_error<value_error>([&] { loss::l1_term{.weight = 100, .name = "G_L1"}.apply<B>(x, y); }, {"G_L1", "l1_loss", "nan"});
  test::expect_error<value_error>([&] { loss::kl_term{}.apply<B>(x); }, {"kl", "nan"});
  test::expect_error<value_error>([&] { loss::gan_loss<loss::lsgan>{.name = "D_fake"}.apply<B>(x, loss::gan_target::fake); },
                                  {"D_fake", "nan"});
  test::expect_error<value_error>([&] { loss::gan_loss<loss::vanilla>{}.apply<B>(x, loss::gan_target::real); },
                                  {"gan_loss<vanilla>", "nan"});
  test::expect_error<value_error>([&] { loss::l1_term{.weight = std::nan("")}.apply<B>(y, y); }, {"l1", "weight"});
  test::expect_error<shape_error>([&] { loss::l1_term{.name = "rec"}.apply<B>(y, test::random_tensor<double>({2, 3, 4, 5})); },
                                  {"rec", "2x3x4x5", "2x3x4x4"});
}

BOOST_AUTO_TEST_CASE(weights_scale_value_and_gradient) {
  auto x = test::random_tensor<double>({2, 3, 4, 4});
  auto y = test::random_tensor<double>({2, 3, 4, 4});
  const auto one = loss::l1_term{}.apply<B>(x, y), seven = loss::l1_term{.weight = 7}.apply<B>(x, y);
  BOOST_TEST(seven.value == 7 * one.value, boost::test_tools::tolerance(1e-14));
  for (std::int64_t i = 0; i < x.numel(); ++i) BOOST_TEST(seven.grad[i] == 7 * one.grad[i], boost::test_tools::tolerance(1e-14));
}

BOOST_AUTO_TEST_CASE(feature_matching_errors) {
  model<two_scale_d, B, 5> D;
  initialize(D, init_policy::pytorch(), 1);
  const loss::feature_matching fm{.name = "G_GAN_Feat"};
  auto fake = D.forward(test::random_tensor<double>({1, 5, 12, 12}));
  // Real pass at another size: the tap shapes differ.
  auto small = D.forward(test::random_tensor<double>({1, 5, 10, 10}));
  test::expect_error<shape_error>([&] { fm(fake, small); }, {"G_GAN_Feat", "scale1.layer0", "fake pass", "real pass"});
  // Real pass from a network without those taps.
  using untapped = seq<conv<1, 4, 2, 2>>;
  model<untapped, B, 5> other;
  initialize(other, init_policy::pytorch(), 2);
  auto unrelated = other.forward(test::random_tensor<double>({1, 5, 12, 12}));
  test::expect_error<value_error>([&] { fm(fake, unrelated); }, {"G_GAN_Feat", "no tap 'scale"});
  // A D without intermediate taps cannot do feature matching.
  test::expect_error<value_error>([&] { fm(unrelated, unrelated); }, {"G_GAN_Feat", "no intermediate taps"});
}

BOOST_AUTO_TEST_CASE(perceptual_terms_check_their_taps) {
  model<tiny_vgg, B> vgg;
  initialize(vgg, init_policy::pytorch(), 3);
  loss::vgg_perceptual content(vgg, 10, {{"relu1_1", 1}, {"conv9_9", 1}}, "G_VGG");
  auto a = test::random_tensor<double>({1, 3, 16, 16});
  test::expect_error<value_error>([&] { content(a, a); }, {"G_VGG", "conv9_9", "relu1_1"});
  test::expect_error<shape_error>([&] { content(a, test::random_tensor<double>({1, 3, 16, 8})); }, {"G_VGG", "1x3x16x8"});
  test::expect_error<value_error>([&] { loss::vgg_perceptual(vgg, 10, {{"relu1_1", 1}, {"relu1_1", 2}}); },
                                  {"vgg_perceptual", "relu1_1", "twice"});
  loss::gram_style style(vgg);
  test::expect_error<shape_error>([&] { style(a, test::random_tensor<double>({2, 3, 16, 16})); }, {"gram_style", "relu1_1"});
  // A style image of another size is fine: Gram matrices are C x C.
  BOOST_TEST(std::isfinite(style(a, test::random_tensor<double>({1, 3, 32, 32})).value));
  auto nan_img = a.clone();
  nan_img[0] = std::nan("");
  test::expect_error<value_error>([&] { content(nan_img, a); }, {"G_VGG"});
}

BOOST_AUTO_TEST_CASE(injection_accumulates_without_aliasing) {
  auto g1 = tensor<double>::filled({1, 1, 2, 2}, 1.0);
  auto g2 = tensor<double>::filled({1, 1, 2, 2}, 2.0);
  loss::injection<B> inj;
  inj.add_tap("a", g1);
  inj.add_tap("a", g2);
  inj.add_output(g2);
  inj.scale(0.5);
  BOOST_TEST(inj.taps().size() == 1u);
  BOOST_TEST(inj.taps()[0].second[0] == 1.5);
  BOOST_TEST(inj.output()[3] == 1.0);
  BOOST_TEST(g1[0] == 1.0);  // the tensors handed in are unchanged
  BOOST_TEST(g2[0] == 2.0);
  BOOST_TEST(inj.tap_grads().at("a")[2] == 1.5);
}

BOOST_AUTO_TEST_SUITE_END()
