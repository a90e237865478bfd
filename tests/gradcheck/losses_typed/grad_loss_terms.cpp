// Float64 finite-difference checks of every loss term type, differentiated through a small network:
// the whole loss with respect to the network's INPUT and one of its parameters. Values are also checked
// against naive references written here, so a term that computed the wrong loss consistently (value and
// gradient alike) would still fail.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
#include "i2i/loss/types/all.hpp"
#include "support/gradcheck.hpp"
#include "test_nets.hpp"

using namespace i2i;
using namespace i2i::test_nets;

namespace {

constexpr double step = 1e-6, atol = 1e-7, rtol = 1e-5;

double naive_mean_sq(const tensor<double>& t, double target) {
  double s = 0;
  for (std::int64_t i = 0; i < t.numel(); ++i) s += (t[i] - target) * (t[i] - target);
  return s / double(t.numel());
}
double naive_mean_abs_diff(const tensor<double>& a, const tensor<double>& b) {
  double s = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) s += std::abs(a[i] - b[i]);
  return s / double(a.numel());
}
double naive_bce_logits(const tensor<double>& x, double t) {
  double s = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double p = 1 / (1 + std::exp(-x[i]));
    s -= t * std::log(p) + (1 - t) * std::log(1 - p);
  }
  return s / double(x.numel());
}

/// Checks d loss / d x and d loss / d p for a loss of a model's input x: `grads()` runs forward and
/// backward once (after zeroing the model's gradients) and returns dx; p.grad holds d loss / d p.
template <class M, class Loss, class Grads>
void check_input_and_param(const std::string& what, M& m, const tensor<double>& x, const std::string& param, Loss loss,
                           Grads grads) {
  m.zero_grad();
  auto dx = grads();
  auto& p = m.parameter_named(param);
  auto dp = p.grad.clone();
  test::expect_gradient(what + ": input", x, loss, dx, step, atol, rtol, 120);
  test::expect_gradient(what + ": " + param, p.value, loss, dp, step, atol, rtol, 120);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(loss_terms_gradcheck)

BOOST_AUTO_TEST_CASE(gan_lsgan_over_every_scale_of_a_multiscale_d) {
  model<two_scale_d, cpu_backend<double>, 5> D;
  initialize(D, init_policy::pytorch(), 3);
  auto x = test::random_tensor<double>({2, 5, 12, 11});
  const loss::gan_loss<loss::lsgan> gan{.weight = 1.5};
  for (auto target : {loss::gan_target::real, loss::gan_target::fake}) {
    const double t = loss::target_value(target);
    // Value: the SUM over scales of mean (D_k - t)^2, times the weight.
    auto ctx = D.forward(x);
    auto r = gan(ctx, target);
    BOOST_REQUIRE_EQUAL(r.parts.size(), 2u);
    const double expect = 1.5 * (naive_mean_sq(ctx.tap("scale0.out"), t) + naive_mean_sq(ctx.tap("scale1.out"), t));
    BOOST_TEST(r.value == expect, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(r.grad.taps().size() == 2u);  // both scales get a gradient ...
    BOOST_TEST(!r.grad.output().defined());  // ... as taps (scale 0's output is also a tap)
    check_input_and_param(
        std::string("lsgan target ") + (t > 0 ? "real" : "fake"), D, x, "scale0_layer1.0.weight",
        [&] { return gan(D.forward(x), target).value; },
        [&] {
          auto c = D.forward(x);
          return loss::backward(D, c, gan(c, target).grad, true);
        });
  }
}

BOOST_AUTO_TEST_CASE(gan_vanilla_over_every_scale) {
  model<two_scale_d, cpu_backend<double>, 5> D;
  initialize(D, init_policy::pytorch(), 4);
  auto x = test::random_tensor<double>({2, 5, 10, 10});
  const loss::gan_loss<loss::vanilla> gan;
  auto ctx = D.forward(x);
  const double expect = naive_bce_logits(ctx.tap("scale0.out"), 0) + naive_bce_logits(ctx.tap("scale1.out"), 0);
  BOOST_TEST(gan(ctx, loss::gan_target::fake).value == expect, boost::test_tools::tolerance(1e-12));
  check_input_and_param(
      "vanilla", D, x, "scale1_layer0.0.bias", [&] { return gan(D.forward(x), loss::gan_target::real).value; },
      [&] {
        auto c = D.forward(x);
        return loss::backward(D, c, gan(c, loss::gan_target::real).grad, true);
      });
}

BOOST_AUTO_TEST_CASE(gan_over_a_single_scale_d_uses_its_output) {
  model<patch_d, cpu_backend<double>, 5> D;
  initialize(D, init_policy::pytorch(), 5);
  auto x = test::random_tensor<double>({2, 5, 9, 9});
  const loss::gan_loss<> gan;
  auto ctx = D.forward(x);
  auto r = gan(ctx, loss::gan_target::real);
  BOOST_TEST(r.grad.output().defined());
  BOOST_TEST(r.grad.taps().empty());
  BOOST_TEST(r.value == naive_mean_sq(ctx.output, 1), boost::test_tools::tolerance(1e-12));
  // One prediction tensor: the same value and gradient.
  auto direct = gan.apply<cpu_backend<double>>(ctx.output, loss::gan_target::real);
  BOOST_TEST(direct.value == r.value);
  BOOST_TEST(test::max_abs_diff(direct.grad, r.grad.output()) == 0);
  check_input_and_param(
      "single-scale lsgan", D, x, "layer1.0.weight", [&] { return gan(D.forward(x), loss::gan_target::real).value; },
      [&] {
        auto c = D.forward(x);
        return loss::backward(D, c, gan(c, loss::gan_target::real).grad, true);
      });
}

BOOST_AUTO_TEST_CASE(feature_matching_with_pix2pixhd_weights) {
  model<two_scale_d, cpu_backend<double>, 5> D;
  initialize(D, init_policy::pytorch(), 6);
  auto x_fake = test::random_tensor<double>({2, 5, 12, 12});
  auto x_real = test::random_tensor<double>({2, 5, 12, 12});
  const loss::feature_matching fm;  // lambda_feat 10
  const auto real_ctx = D.forward(x_real);  // computed once: the real features are detached
  auto fake_ctx = D.forward(x_fake);
  auto r = fm(fake_ctx, real_ctx);
  // Matched: layer0 and layer1 of both scales; layer2 is the final output (it aliases scale<k>.out).
  // Weight per tap: lambda 10 * (1/num_D = 1/2) * 4/(n_layers+1 = 2) = 10.
  BOOST_REQUIRE_EQUAL(r.parts.size(), 4u);
  double expect = 0;
  for (const char* key : {"scale0.layer0", "scale0.layer1", "scale1.layer0", "scale1.layer1"})
    expect += 10 * naive_mean_abs_diff(fake_ctx.tap(key), real_ctx.tap(key));
  BOOST_TEST(r.value == expect, boost::test_tools::tolerance(1e-12));
  for (const auto& [k, g] : r.grad.taps()) BOOST_TEST(k.find("layer2") == std::string::npos, k);
  // Explicit pix2pixHD options: num_D 2, n_layers_D 3 -> 10 * 1/2 * 4/4 = 5 per tap.
  const loss::feature_matching fm3{.n_layers = 3};
  BOOST_TEST(fm3(fake_ctx, real_ctx).value == expect / 2, boost::test_tools::tolerance(1e-12));
  // The real context is held fixed while D's parameter moves, which is what "detached" means.
  check_input_and_param(
      "feature matching", D, x_fake, "scale1_layer1.0.weight", [&] { return fm(D.forward(x_fake), real_ctx).value; },
      [&] {
        auto c = D.forward(x_fake);
        return loss::backward(D, c, fm(c, real_ctx).grad, true);
      });
}

BOOST_AUTO_TEST_CASE(gan_plus_feature_matching_injected_together) {
  // The generator's pass through D gets both terms in one backward, as gan_step does.
  model<two_scale_d, cpu_backend<double>, 5> D;
  initialize(D, init_policy::pytorch(), 7);
  auto x = test::random_tensor<double>({1, 5, 12, 12});
  const auto real_ctx = D.forward(test::random_tensor<double>({1, 5, 12, 12}));
  const loss::gan_loss<> gan;
  const loss::feature_matching fm;
  auto total = [&](const auto& c) {
    auto g = gan(c, loss::gan_target::real);
    auto f = fm(c, real_ctx);
    g.grad.add(f.grad);
    return std::pair{g.value + f.value, g.grad};
  };
  check_input_and_param(
      "gan + fm", D, x, "scale0_layer0.0.weight", [&] { return total(D.forward(x)).first; },
      [&] {
        auto c = D.forward(x);
        return loss::backward(D, c, total(c).second, true);
      });
}

BOOST_AUTO_TEST_CASE(l1_and_kl_terms_through_a_network) {
  model<small_g, cpu_backend<double>> G;
  initialize(G, init_policy::pytorch(), 8);
  auto x = test::random_tensor<double>({2, 2, 6, 7});
  auto target = test::random_tensor<double>({2, 3, 6, 7}, -0.9, 0.9);
  const loss::l1_term l1{.weight = 100};
  BOOST_TEST(l1.apply<cpu_backend<double>>(G(x), target).value == 100 * naive_mean_abs_diff(G(x), target), boost::test_tools::tolerance(1e-12));
  check_input_and_param(
      "l1_term", G, x, "0.weight", [&] { return l1.apply<cpu_backend<double>>(G(x), target).value; },
      [&] {
        auto c = G.forward(x);
        return G.backward(c, l1.apply<cpu_backend<double>>(c.output, target).grad);
      });
  const loss::kl_term kl{.weight = 0.1};
  BOOST_TEST(kl.apply<cpu_backend<double>>(G(x)).value == 0.1 * naive_mean_sq(G(x), 0), boost::test_tools::tolerance(1e-12));
  check_input_and_param(
      "kl_term", G, x, "2.bias", [&] { return kl.apply<cpu_backend<double>>(G(x)).value; },
      [&] {
        auto c = G.forward(x);
        return G.backward(c, kl.apply<cpu_backend<double>>(c.output).grad);
      });
}

BOOST_AUTO_TEST_CASE(vgg_perceptual_through_a_generator) {
  model<tiny_vgg, cpu_backend<double>> vgg;
  initialize(vgg, init_policy::pytorch(), 9);
  model<small_g, cpu_backend<double>> G;
  initialize(G, init_policy::pytorch(), 10);
  auto x = test::random_tensor<double>({2, 2, 16, 16});
  auto real = test::random_tensor<double>({2, 3, 16, 16});
  loss::vgg_perceptual perceptual(vgg);  // pix2pixHD: lambda 10, 1/32 .. 1 over relu1_1..relu5_1
  for (const auto& p : vgg.all_parameters()) BOOST_TEST(p->frozen);
  // Value against the definition.
  {
    auto f = vgg.forward(G(x)), r = vgg.forward(real);
    const double w[] = {1. / 32, 1. / 16, 1. / 8, 1. / 4, 1.};
    const char* taps[] = {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"};
    double expect = 0;
    for (int k = 0; k < 5; ++k) expect += 10 * w[k] * naive_mean_abs_diff(f.tap(taps[k]), r.tap(taps[k]));
    BOOST_TEST(perceptual(G(x), real).value == expect, boost::test_tools::tolerance(1e-12));
  }
  check_input_and_param(
      "vgg_perceptual", G, x, "0.weight", [&] { return perceptual(G(x), real).value; },
      [&] {
        auto c = G.forward(x);
        return G.backward(c, perceptual(c.output, real).grad);
      });
  // The frozen feature network collected no parameter gradient.
  for (const auto& p : vgg.all_parameters())
    if (p->grad.defined()) BOOST_TEST(test::max_abs_diff(p->grad, tensor<double>::zeros(p->grad.shape())) == 0);
}

BOOST_AUTO_TEST_CASE(gram_style_through_a_generator) {
  model<tiny_vgg, cpu_backend<double>> vgg;
  initialize(vgg, init_policy::pytorch(), 11);
  model<small_g, cpu_backend<double>> G;
  initialize(G, init_policy::pytorch(), 12);
  auto x = test::random_tensor<double>({2, 2, 16, 16});
  auto style = test::random_tensor<double>({2, 3, 16, 16});
  for (auto dist : {loss::style_distance::mse, loss::style_distance::l1}) {
    loss::gram_style gs(vgg, 2.0, loss::gram_style<decltype(vgg)>::default_layers(), dist);
    // The value equals the weighted sum of the Gram style loss functions.
    {
      auto f = vgg.forward(G(x)), s = vgg.forward(style);
      double expect = 0;
      for (const char* t : {"relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"})
        expect += 2.0 * loss::gram_style_loss<cpu_backend<double>>(f.tap(t), s.tap(t), dist).value;
      BOOST_TEST(gs(G(x), style).value == expect, boost::test_tools::tolerance(1e-12));
    }
    check_input_and_param(
        dist == loss::style_distance::mse ? "gram_style mse" : "gram_style l1", G, x, "0.weight",
        [&] { return gs(G(x), style).value; },
        [&] {
          auto c = G.forward(x);
          return G.backward(c, gs(c.output, style).grad);
        });
  }
}

BOOST_AUTO_TEST_SUITE_END()
