// Golden tests, discriminator and the first training step: every tap of both scales of our
// multiscale D (loaded STRICTLY from the reference state_dict) equals the reference's on the real and
// on the fake pair, and pix2pixHD's first-step losses (LSGAN D_fake / D_real / G_GAN, feature
// matching with lambda_feat 10, VGG with a small random torchvision-layout VGG) computed with our loss
// terms, and recorded by train::gan_step, equal the reference values; after gan_step's Adam updates,
// G's and D's outputs equal the reference's after its first optimizer steps.
#include "golden.hpp"

#include <vector>

#include "i2i/loss/types/all.hpp"
#include "i2i/train/gan_step.hpp"

using namespace golden;

namespace {

// torchvision's vgg19().features[:30] layout (keys features.{0,2,5,...,28}, taps after relu1_1 ..
// relu5_1) at the narrow widths of make_fixtures.py's SmallVgg19 (4, 8, 8, 8, 8).
template <int C>
using vc = conv<C, 3, 1, 1>;
using small_vgg_body =
    seq<vc<4>, tap<"relu1_1", relu>, vc<4>, relu, max_pool<2, 2, 0>,                       //  0..4
        vc<8>, tap<"relu2_1", relu>, vc<8>, relu, max_pool<2, 2, 0>,                       //  5..9
        vc<8>, tap<"relu3_1", relu>, vc<8>, relu, vc<8>, relu, vc<8>, relu, max_pool<2, 2, 0>,  // 10..18
        vc<8>, tap<"relu4_1", relu>, vc<8>, relu, vc<8>, relu, vc<8>, relu, max_pool<2, 2, 0>,  // 19..27
        vc<8>, tap<"relu5_1", relu>>;                                                       // 28..29
struct small_vgg : chain<channels<3>, named<"features", small_vgg_body>> {};

tensor<T> cat(const tensor<T>& a, const tensor<T>& b) { return cpu::concat_channels(std::vector<tensor<T>>{a, b}); }

std::string tap_key(int k, int j) { return "scale" + std::to_string(k) + ".layer" + std::to_string(j); }

}  // namespace

BOOST_AUTO_TEST_SUITE(golden_pix2pixhd_discriminator_and_losses)

BOOST_AUTO_TEST_CASE(multiscale_discriminator_taps_match_reference) {
  model<d_spec, B> D;
  load_strict(D, "multiscale_D.safetensors");
  const auto label = io_tensor("input_label");
  for (const char* pass : {"D_real", "D_fake"}) {
    const auto image = io_tensor(std::string(pass) == "D_real" ? "real_image" : "global_G.out");
    const auto ctx = D.forward(cat(label, image));
    for (int k = 0; k < num_d; ++k)
      for (int j = 0; j < d_stages; ++j)
        expect_close(std::string(pass) + " " + tap_key(k, j), ctx.tap(tap_key(k, j)),
                     io_tensor(std::string(pass) + "." + tap_key(k, j)));
    // Each scale's output tap is its last stage; the full-resolution D is scale{num_D-1}.
    for (int k = 0; k < num_d; ++k)
      expect_close(std::string(pass) + " scale" + std::to_string(k) + ".out",
                   ctx.tap("scale" + std::to_string(k) + ".out"),
                   io_tensor(std::string(pass) + "." + tap_key(k, d_stages - 1)));
    expect_close(std::string(pass) + " output", ctx.output, io_tensor(std::string(pass) + "." + tap_key(num_d - 1, d_stages - 1)));
  }
}

BOOST_AUTO_TEST_CASE(first_step_losses_from_the_loss_terms_match_reference) {
  model<d_spec, B> D;
  load_strict(D, "multiscale_D.safetensors");
  model<small_vgg, B> vgg;
  load_strict(vgg, "vgg_small.safetensors");
  const auto label = io_tensor("input_label"), real = io_tensor("real_image"), fake = io_tensor("global_G.out");
  const auto c_fake = D.forward(cat(label, fake));
  const auto c_real = D.forward(cat(label, real));
  loss::gan_loss<loss::lsgan> gan;
  loss::feature_matching fm;  // lambda_feat 10; num_D 2 and n_layers_D 3 derived from the taps
  loss::vgg_perceptual perceptual(vgg);
  const double d_fake = gan(c_fake, loss::gan_target::fake).value;
  const double d_real = gan(c_real, loss::gan_target::real).value;
  const double g_gan = gan(c_fake, loss::gan_target::real).value;
  const double g_feat = fm(c_fake, c_real).value;
  const double g_vgg = perceptual(fake, real).value;
  expect_loss("loss_D_fake", d_fake, "loss.D_fake");
  expect_loss("loss_D_real", d_real, "loss.D_real");
  expect_loss("loss_G_GAN", g_gan, "loss.G_GAN");
  expect_loss("loss_G_GAN_Feat", g_feat, "loss.G_GAN_Feat");
  expect_loss("loss_G_VGG", g_vgg, "loss.G_VGG");
  expect_loss("loss_G", g_gan + g_feat + g_vgg, "loss.G");
  expect_loss("loss_D", 0.5 * (d_fake + d_real), "loss.D");
}

BOOST_AUTO_TEST_CASE(first_gan_step_records_the_reference_losses) {
  // The whole iteration on our own GlobalGenerator's fake: G, D input concat (label | image), three D
  // passes, the terms, in train::gan_step. The losses are recorded before either update.
  model<global_spec, B> G;
  load_strict(G, "global_G.safetensors");
  model<d_spec, B> D;
  load_strict(D, "multiscale_D.safetensors");
  model<small_vgg, B> vgg;
  load_strict(vgg, "vgg_small.safetensors");
  loss::vgg_perceptual perceptual(vgg, 10, loss::vgg_perceptual<model<small_vgg, B>>::pix2pixhd_layers(), "VGG");
  train::gan_step step(G, D, {.pool_size = 0}, perceptual);
  const auto rec = step.step(io_tensor("input_label"), io_tensor("real_image"));
  for (const char* k : {"D_fake", "D_real", "G_GAN", "G_GAN_Feat", "G_VGG", "G", "D"})
    expect_loss(std::string("gan_step ") + k, rec[k], std::string("loss.") + k);
  expect_close("gan_step fake", step.last_fake(), io_tensor("global_G.out"));
  // The updates: one Adam(2e-4, 0.5, 0.999) step on G with loss_G, then on D with loss_D, as train.py.
  // Adam's first step moves each weight by about lr * sign(gradient), so this checks the sign of every
  // gradient that matters (biases before an InstanceNorm have a zero true gradient and move by rounding
  // noise in both implementations, but the norm removes them from every output).
  expect_close("G output after the first step", G(io_tensor("input_label")), io_tensor("after_step.global_G.out"));
  const auto after = D.forward(cat(io_tensor("input_label"), io_tensor("real_image")));
  for (int k = 0; k < num_d; ++k)
    expect_close("D scale" + std::to_string(k) + " output after the first step", after.tap(tap_key(k, d_stages - 1)),
                 io_tensor("after_step.D_real." + tap_key(k, d_stages - 1)));
}

BOOST_AUTO_TEST_CASE(a_wrong_loss_weighting_is_detected) {
  // The loss comparison can fail: feature matching with pix2pixHD's num_D forced to 1 doubles the term.
  model<d_spec, B> D;
  load_strict(D, "multiscale_D.safetensors");
  const auto label = io_tensor("input_label");
  const auto c_fake = D.forward(cat(label, io_tensor("global_G.out")));
  const auto c_real = D.forward(cat(label, io_tensor("real_image")));
  loss::feature_matching wrong{.num_d = 1};
  const double ref = io_tensor("loss.G_GAN_Feat")[0];
  BOOST_TEST(std::abs(wrong(c_fake, c_real).value - 2 * ref) <= 1e-4 * ref);
}

BOOST_AUTO_TEST_SUITE_END()
