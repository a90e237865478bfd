// EGSC-IT's networks: parameter counts and GFLOP against research/egscit.md §10 (full size, shape-only),
// names, output shapes of small configurations on the CPU, and the shared blocks: one parameter set for
// both domains that accumulates the gradients of both encoders.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <set>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/models/egscit/translator.hpp"
#include "reference.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using test::counting;
using test::expect_gflop;
using test::shape_of;

BOOST_AUTO_TEST_SUITE(egscit_networks)

BOOST_AUTO_TEST_CASE(mnist_translator_counts_and_flops) {
  egscit::translator_networks<egscit::mnist, counting> t;
  // E_A + E_B (231,040 each) + shared encoder block + shared generator block (73,856 each, once) +
  // G_A + G_B (221,763 each).
  BOOST_TEST(t.trainable_parameter_count() == 1053318);
  BOOST_TEST(t.E_A.parameter_count() == 231040 + 73856);
  BOOST_TEST(t.S.parameter_count() == 73856);
  BOOST_TEST(t.G_A.parameter_count() == 221763);
  BOOST_TEST(t.F_A.parameter_count() + t.F_B.parameter_count() == 462080);
  BOOST_TEST(t.generator_parameters().size() == t.trainable().size());
  const auto img = shape::nchw(1, 3, 28, 28);
  BOOST_TEST(t.latent_shape(img) == shape::nchw(1, 64, 28, 28));
  expect_gflop("translator 28x28", t.translator_flops(img), 0.940, 3);
  expect_gflop("F 28x28", t.feature_mask_flops(img), 0.362, 3);
  expect_gflop("one translation incl. F_A + F_B", t.translator_flops(img) + 2 * t.feature_mask_flops(img), 1.663, 3);
  expect_gflop("E_A", t.E_A.flops(img) - t.S.flops(t.latent_shape(img)), 0.362, 3);
  expect_gflop("shared enc + gen", 2 * t.S.flops(t.latent_shape(img)), 0.231, 3);
  expect_gflop("G_B", t.G_B.flops(t.latent_shape(img)), 0.347, 3);
  BOOST_TEST(t.G_B.output_shape(t.latent_shape(img)) == img);

  model<egscit::discriminator<>, counting> Dm;
  BOOST_TEST(Dm.parameter_count() == 2758849);
  expect_gflop("D 28x28", Dm.flops(img), 0.048, 3);
  BOOST_TEST(Dm.output_shape(img) == shape::nchw(1, 1, 2, 2));
}

BOOST_AUTO_TEST_CASE(street_translator_counts_and_flops) {
  egscit::translator_networks<egscit::street, counting> t;
  BOOST_TEST(t.trainable_parameter_count() == 18017286);
  BOOST_TEST(t.F_A.parameter_count() == 3918976);
  BOOST_TEST(t.G_B.parameter_count() == 3909507);
  const auto street = shape::nchw(1, 3, 256, 512);
  BOOST_TEST(t.latent_shape(street) == shape::nchw(1, 256, 64, 128));
  BOOST_TEST(t.G_B.output_shape(t.latent_shape(street)) == street);
  expect_gflop("translator 256x512", t.translator_flops(street), 176.46, 2);
  expect_gflop("F 256x512", t.feature_mask_flops(street), 70.11, 2);
  expect_gflop("one translation 256x512", t.translator_flops(street) + 2 * t.feature_mask_flops(street), 316.69, 2);
  expect_gflop("translator 112x112", t.translator_flops(shape::nchw(1, 3, 112, 112)), 16.89, 2);
  expect_gflop("F 112x112", t.feature_mask_flops(shape::nchw(1, 3, 112, 112)), 6.71, 2);
  expect_gflop("translator 128x128", t.translator_flops(shape::nchw(1, 3, 128, 128)), 22.06, 2);
  expect_gflop("F 128x128", t.feature_mask_flops(shape::nchw(1, 3, 128, 128)), 8.76, 2);

  model<egscit::discriminator<>, counting> Dm;
  expect_gflop("D 256x512", Dm.flops(street), 6.64, 2);
  BOOST_TEST(Dm.output_shape(street) == shape::nchw(1, 1, 16, 32));
  BOOST_TEST(Dm.output_shape(shape::nchw(1, 3, 112, 112)) == shape::nchw(1, 1, 7, 7));
}

BOOST_AUTO_TEST_CASE(names) {
  egscit::translator_networks<egscit::street, counting> t;
  BOOST_TEST(shape_of(t.E_A, "E_A.enc.1.weight") == "64x3x7x7");
  BOOST_TEST(shape_of(t.E_A, "E_A.enc.4.weight") == "128x64x3x3");  // after reflect_pad at 3
  BOOST_TEST(shape_of(t.E_A, "E_A.enc.7.weight") == "256x128x3x3");
  BOOST_TEST(shape_of(t.E_A, "E_A.enc.9.1.weight") == "256x256x3x3");
  BOOST_TEST(shape_of(t.E_A, "E_A.enc.11.4.bias") == "256");
  BOOST_TEST(shape_of(t.E_B, "enc_shared.1.weight") == "256x256x3x3");
  BOOST_TEST(shape_of(t.S, "gen_shared.4.weight") == "256x256x3x3");
  BOOST_TEST(shape_of(t.G_A, "G_A.dec.2.4.weight") == "256x256x3x3");
  BOOST_TEST(shape_of(t.G_A, "G_A.dec.3.weight") == "256x128x3x3");  // transposed: Cin x Cout
  BOOST_TEST(shape_of(t.G_A, "G_A.dec.5.weight") == "128x64x3x3");
  BOOST_TEST(shape_of(t.G_A, "G_A.dec.7.weight") == "64x3x1x1");
  BOOST_TEST(shape_of(t.F_B, "F_B.enc.1.weight") == "64x3x7x7");
  for (const auto& p : t.F_A.all_parameters()) BOOST_TEST(p->frozen);

  // The whole-generator form has the split form's names (and count).
  model<egscit::generator<egscit::street>, counting> G("G_A");
  BOOST_TEST(G.parameter_count() == 3909507 + 2 * 590080);  // decoder + the shared block's two convs
  BOOST_TEST(shape_of(G, "gen_shared.1.weight") == "256x256x3x3");
  BOOST_TEST(shape_of(G, "G_A.dec.7.weight") == "64x3x1x1");

  model<egscit::discriminator<>, counting> Dm("D_A");
  BOOST_TEST(shape_of(Dm, "D_A.dis.0.weight") == "64x3x4x4");
  BOOST_TEST(shape_of(Dm, "D_A.dis.5.weight") == "128");  // affine instance norm of conv_1
  BOOST_TEST(shape_of(Dm, "D_A.dis.15.weight") == "1x512x1x1");
}

BOOST_AUTO_TEST_CASE(small_street_configuration_runs) {
  using cfg = egscit::config<3, 4, 1>;  // two stride-2 convs, latent 16 channels at 1/4, one block
  egscit::translator_networks<cfg, cpu_backend<double>> t;  // double only: one set of kernels
  initialize(t.E_A, init_policy::egscit(), 1);
  initialize(t.G_B, init_policy::egscit(), 2);
  initialize(t.S, init_policy::egscit(), 3);
  auto x = test::random_tensor<double>(shape::nchw(2, 3, 20, 28));
  auto e = t.E_A.forward(x);
  BOOST_TEST(e.output.shape() == shape::nchw(2, 16, 5, 7));
  auto c = t.S.forward(e.output);
  auto g = t.G_B.forward(c.output);
  BOOST_TEST(g.output.shape() == shape::nchw(2, 3, 20, 28));
  auto dc = t.G_B.backward(g, test::random_tensor<double>(g.output.shape()));
  auto dz = t.S.backward(c, dc);
  auto dx = t.E_A.backward(e, dz);
  BOOST_TEST(dx.shape() == x.shape());

  model<egscit::discriminator<3, 8>, cpu_backend<double>> Dm;
  initialize(Dm, init_policy::glorot(), 4);
  auto d = Dm.forward(test::random_tensor<double>(shape::nchw(2, 3, 28, 28)));
  BOOST_TEST(d.output.shape() == shape::nchw(2, 1, 2, 2));
}

BOOST_AUTO_TEST_CASE(shared_blocks_appear_once_and_accumulate_both_encoders) {
  using cfg = egscit::config<1, 3, 1>;  // MNIST layout, 3 channels, one block
  using B = cpu_backend<double>;
  egscit::translator_networks<cfg, B> t;
  initialize(t.E_A, init_policy::egscit(), 1);
  initialize(t.E_B, init_policy::egscit(), 2);  // also re-draws the shared block: same object
  auto& shared_w = t.E_A.parameter_named("enc_shared.1.weight");
  BOOST_TEST(&shared_w == &t.E_B.parameter_named("enc_shared.1.weight"));

  std::set<std::string> seen;
  for (const auto& p : t.trainable()) BOOST_TEST(seen.insert(p->name).second, p->name << " listed twice");
  BOOST_TEST(seen.count("enc_shared.1.weight") == 1u);
  BOOST_TEST(seen.count("gen_shared.4.bias") == 1u);

  auto xa = test::random_tensor<double>(shape::nchw(2, 3, 9, 9));
  auto xb = test::random_tensor<double>(shape::nchw(2, 3, 9, 9));
  auto ra = test::random_tensor<double>(shape::nchw(2, 3, 9, 9));
  auto rb = test::random_tensor<double>(shape::nchw(2, 3, 9, 9));
  auto grad_from = [&](auto& E, const tensor<double>& x, const tensor<double>& r) {
    t.zero_grad();
    E.backward(E.forward(x), r, {}, false);
    return shared_w.grad.clone();
  };
  const auto ga = grad_from(t.E_A, xa, ra), gb = grad_from(t.E_B, xb, rb);

  // Both forwards first, then both backwards: the shared block keeps one context per call.
  t.zero_grad();
  auto ca = t.E_A.forward(xa);
  auto cb = t.E_B.forward(xb);
  t.E_B.backward(cb, rb, {}, false);
  t.E_A.backward(ca, ra, {}, false);
  double worst = 0, size = 0;
  for (std::int64_t i = 0; i < ga.numel(); ++i) {
    worst = std::max(worst, std::abs(shared_w.grad[i] - (ga[i] + gb[i])));
    size = std::max(size, std::abs(ga[i]) + std::abs(gb[i]));
  }
  BOOST_TEST(size > 0);
  BOOST_TEST(worst < 1e-12 * std::max(1.0, size));
  BOOST_TEST(test::max_abs_diff(ga, gb) > 1e-6);  // two different contributions

  // And the shared weight's gradient is the derivative of the summed loss.
  auto loss = [&] { return test::dot(t.E_A(xa), ra) + test::dot(t.E_B(xb), rb); };
  test::expect_gradient("shared block weight", shared_w.value, loss, shared_w.grad.clone(), 1e-6, 1e-6, 1e-4, 40);
}

BOOST_AUTO_TEST_SUITE_END()
