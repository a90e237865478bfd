// The MUNIT baseline's generator step in float64: every weight gradient the step leaves in gen_A and gen_B
// (content and style encoders, the AdaIN-parameter MLP, the AdaIN residual decoder and its up path),
// through the GAN terms, the image, style-code and content-code reconstructions and (when on) the cycle,
// against central differences of the G loss it reports; and the AdaIN decoder alone, for its input and
// its AdaIN-parameter gradients.
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/egscit/munit.hpp"
#include "support/egscit_fixtures.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using namespace i2i::egscit;

namespace {

const auto images = test::egscit_fixtures::uniform_images<double>;

using tiny = config<1, 3, 1>;
using tiny_dis = discriminator<3, 4, 2>;
using tiny_munit = munit_trainer<tiny, cpu_backend<double>, tiny_dis, 5, 4>;

}  // namespace

BOOST_AUTO_TEST_SUITE(munit_step_gradcheck)

BOOST_AUTO_TEST_CASE(generator_step_gradients) {
  for (const double cyc : {0.0, 10.0}) {
    train_options o;
    munit_weights w;
    w.recon_x_cyc = cyc;
    tiny_munit t(o, [](const std::string&) {}, w);
    // PyTorch's default init (non-zero biases, weights ~ 1/sqrt(fan_in)) instead of N(0, 0.02): the
    // MLP then predicts AdaIN stds of order 1, so the residual branches carry visible gradients.
    t.gen_A.init(init_policy::pytorch(), 3);
    t.gen_B.init(init_policy::pytorch(), 4);
    const auto xa = images(1), xb = images(2);
    auto loss = [&] {
      std::mt19937_64 rng(11);
      return t.generator_gradients(xa, xb, rng).g;
    };
    std::mt19937_64 rng0(11);
    const auto r = t.generator_gradients(xa, xb, rng0);
    BOOST_TEST(r.content > 0);
    BOOST_TEST(r.style > 0);
    BOOST_TEST((cyc > 0) == (r.cycle > 0));
    const std::string tag = cyc > 0 ? "cycle on" : "cycle off";
    std::size_t checked = 0;
    bool mlp = false, style = false, dec = false, up = false;
    for (const auto* g : {&t.gen_A, &t.gen_B})
      for (const auto& p : g->all_parameters()) {
        if (p->name.find("weight") == std::string::npos) continue;
        loss();  // the analytic gradients at the unperturbed weights
        const auto analytic = p->grad.clone();
        // Kinks (L1, ReLU, LReLU on D's logit) lie close together at this size: a 1e-7 step stays
        // inside one piece.
        test::expect_gradient(tag + ": " + p->name, p->value, loss, analytic, 1e-7, 1e-5, 1e-4, 10);
        ++checked;
        mlp |= p->name.find(".mlp.") != std::string::npos;
        style |= p->name.find(".enc_style.") != std::string::npos;
        dec |= p->name.find(".dec.0.5.") != std::string::npos;
        up |= p->name.find(".dec_up.") != std::string::npos;
      }
    BOOST_TEST(checked == t.gen_A.all_parameters().size());  // every weight, both domains
    BOOST_TEST((mlp && style && dec && up));
  }
}

BOOST_AUTO_TEST_CASE(adain_decoder_input_and_parameter_gradients) {
  using arch = munit_arch<config<1, 3, 2>, 4, 5>;
  munit_decoder<arch, cpu_backend<double>> dec("gen_A");
  dec.init(init_policy::pytorch(), 7);
  auto c = test::random_tensor<double>(shape::nchw(2, 3, 5, 6));
  auto params = test::random_tensor<double>(shape::nchw(2, arch::n_adain_params, 1, 1), -1.5, 1.5);
  const auto proj = test::random_tensor<double>(shape::nchw(2, 3, 5, 6));
  auto loss = [&] { return test::dot(dec(c, params), proj); };
  auto ctx = dec.forward(c, params);
  dec.zero_grad();
  const auto g = dec.backward(ctx, proj);
  test::expect_gradient("decoder d content", c, loss, g.dx, 1e-6, 1e-7, 1e-5);
  test::expect_gradient("decoder d AdaIN params", params, loss, g.dparams, 1e-6, 1e-7, 1e-5);
  for (const auto& p : dec.all_parameters()) test::expect_gradient(p->name, p->value, loss, p->grad.clone(), 1e-6, 1e-7, 1e-5, 40);
}

BOOST_AUTO_TEST_SUITE_END()
