// The pix2pix baseline: U-Net G and PatchGAN D shapes, names and parameter counts; a few gan_step
// iterations with pix2pix's objective (vanilla GAN + 100 L1) reduce G's L1 on a tiny set.
#include <boost/test/unit_test.hpp>

#include <random>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/label_maps.hpp"
#include "i2i/models/pix2pix/networks.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using B = cpu_backend<float>;

BOOST_AUTO_TEST_SUITE(pix2pix_networks)

BOOST_AUTO_TEST_CASE(unet_generator_shapes_and_names) {
  model<pix2pix::unet_generator<12, 3, 7, 8>, B> G;
  initialize(G, init_policy::pix2pixhd(), 1);
  const auto y = G(test::random_tensor<float>({1, 12, 128, 256}));
  BOOST_TEST(y.shape() == (shape{1, 3, 128, 256}));
  for (auto v : y.values()) BOOST_TEST_REQUIRE((v >= -1 && v <= 1));  // tanh
  // The reference's state_dict keys: outermost down conv, the next level's conv, the last ConvT.
  BOOST_TEST(G.parameter_named("model.model.0.weight").value.shape() == (shape{8, 12, 4, 4}));
  BOOST_TEST(G.parameter_named("model.model.1.model.1.weight").value.shape() == (shape{16, 8, 4, 4}));
  BOOST_TEST(G.parameter_named("model.model.3.weight").value.shape() == (shape{16, 3, 4, 4}));  // ConvT: in x out
  // The innermost block (level 6 of 7): model.model.1 + 5 x .model.3, its down conv 64 -> 64 (8 * 8).
  BOOST_TEST(G.parameter_named("model.model.1.model.3.model.3.model.3.model.3.model.3.model.1.weight").value.shape() ==
             (shape{64, 64, 4, 4}));
  // 7 levels need sides divisible by 128.
  BOOST_CHECK_THROW(G(test::random_tensor<float>({1, 12, 64, 256})), i2i::error);
}

BOOST_AUTO_TEST_CASE(unet_256_parameter_count) {
  // pix2pix's unet_256 (ngf 64, 3 -> 3) prints 54.414 M with batch norm: 54,413,955 = convs without bias
  // (except the outermost ConvT) + 2 C per BatchNorm. With --norm instance every conv has a bias and the
  // norms have no parameters: - 2 (2432 + 2496) + (3008 + 2496) = 54,409,603.
  model<pix2pix::unet_generator<3, 3, 8, 64>, B> G;
  BOOST_TEST(G.parameter_count() == 54409603);
}

BOOST_AUTO_TEST_CASE(patch_discriminator_shapes_names_count) {
  // pix2pix's basic D (ndf 64, n_layers 3) on A|B (6 channels) prints 2.769 M with batch norm
  // (2,768,705); with instance norm the 3 normed convs get biases instead: 2,767,809.
  model<pix2pix::patch_discriminator<6, 64, 3>, B> D;
  BOOST_TEST(D.parameter_count() == 2767809);
  for (const char* k : {"model.0.weight", "model.2.weight", "model.5.weight", "model.8.weight", "model.11.weight"})
    BOOST_CHECK_NO_THROW(D.parameter_named(k));
  BOOST_TEST(D.output_shape(shape{1, 6, 128, 256}) == (shape{1, 1, 14, 30}));
  BOOST_TEST(D.output_shape(shape{1, 6, 256, 256}) == (shape{1, 1, 30, 30}));  // the 70x70 PatchGAN's 30x30 map
}

BOOST_AUTO_TEST_CASE(gan_steps_reduce_l1) {
  // 4 label maps (3 classes: vertical bands at random positions) and images coloured by class.
  const int n = 4, h = 16, w = 32;
  std::mt19937 r(2);
  auto labels = tensor<float>::empty({n, 1, h, w});
  auto real = tensor<float>::empty({n, 3, h, w});
  const float colour[3][3] = {{-0.8f, 0.2f, 0.9f}, {0.7f, 0.7f, -0.6f}, {0.1f, -0.9f, 0.3f}};
  for (int s = 0; s < n; ++s) {
    const int a = 4 + int(r() % 10u), b = a + 4 + int(r() % 10u);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const int c = x < a ? 0 : (x < b ? 1 : 2);
        labels.at(s, 0, y, x) = float(c);
        for (int k = 0; k < 3; ++k) real.at(s, k, y, x) = colour[c][k];
      }
  }
  const auto input = cpu::one_hot(labels, 3);
  using cfg = pix2pix::config<3, 3, 8, 8, 2>;
  model<cfg::generator, B> G;
  model<cfg::discriminator, B> D;
  initialize(G, init_policy::pix2pixhd(), 5);
  initialize(D, init_policy::pix2pixhd(), 6);
  auto step = pix2pix::make_step(G, D, loss::gan_loss<loss::vanilla>{}, 100.0, {.lr = 2e-3, .beta1 = 0.5});
  double first = 0, last = 0;
  for (int it = 0; it < 40; ++it) {
    const auto rec = step.step(input, real);
    BOOST_TEST_REQUIRE(rec.contains("G_GAN"));
    BOOST_TEST_REQUIRE(rec.contains("D_real"));
    BOOST_TEST_REQUIRE(!rec.contains("G_GAN_Feat"));  // no feature matching in pix2pix
    if (it == 0) first = rec["G_l1"];
    last = rec["G_l1"];
  }
  BOOST_TEST_MESSAGE("G_l1 (x100): " << first << " -> " << last);
  BOOST_TEST(last < 0.5 * first);
}

BOOST_AUTO_TEST_SUITE_END()
