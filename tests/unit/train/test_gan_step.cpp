// gan_step against pix2pixHD's iteration written out by hand with the loss FUNCTIONS (not the term
// types): the recorded losses equal the reference values, the gradients each optimizer stepped with are
// the finite-difference gradients of loss_G (w.r.t. G) and loss_D (w.r.t. D) at the pre-step
// parameters — so D's update contains nothing from the G pass — and each parameter moved by exactly one
// Adam step.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <map>
#include <optional>

#include "gradcheck/losses_typed/test_nets.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/losses.hpp"
#include "i2i/loss/types/all.hpp"
#include "i2i/train/gan_step.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using namespace i2i::test_nets;
using B = cpu_backend<double>;
using G_t = model<small_g, B>;
using D_t = model<two_scale_d, B, 5>;

namespace {

/// pix2pixHD's losses for one batch, from the loss functions, at the models' current parameters.
struct reference {
  G_t& G;
  D_t& D;
  tensor<double> x, real;

  double gan_sum(const D_t::context& c, loss::gan_target t) const {
    return cpu::lsgan_loss(c.tap("scale0.out"), t).value + cpu::lsgan_loss(c.tap("scale1.out"), t).value;
  }
  tensor<double> cat(const tensor<double>& img) const { return cpu::concat_channels({x, img}); }

  /// loss_G parts: G_GAN, G_GAN_Feat (lambda 10, 1/num_D = 1/2, 4/(n_layers+1) = 2), G_l1 (weight 100).
  std::map<std::string, double> g_losses() const {
    const auto fake = G(x);
    const auto c = D.forward(cat(fake)), r = D.forward(cat(real));
    double fm = 0;
    for (const char* k : {"scale0.layer0", "scale0.layer1", "scale1.layer0", "scale1.layer1"})
      fm += 10.0 * cpu::l1_loss(c.tap(k), r.tap(k)).value;
    return {{"G_GAN", gan_sum(c, loss::gan_target::real)}, {"G_GAN_Feat", fm}, {"G_l1", 100 * cpu::l1_loss(fake, real).value}};
  }
  double loss_g() const {
    double s = 0;
    for (const auto& [k, v] : g_losses()) s += v;
    return s;
  }
  /// loss_D = 0.5 (D_fake + D_real) with the fake held fixed (detached).
  double loss_d(const tensor<double>& fake) const {
    return 0.5 * (gan_sum(D.forward(cat(fake)), loss::gan_target::fake) + gan_sum(D.forward(cat(real)), loss::gan_target::real));
  }
};

template <class M>
std::vector<tensor<double>> snapshot(const M& m) {
  std::vector<tensor<double>> v;
  for (const auto& p : m.all_parameters()) v.push_back(p->value.clone());
  return v;
}

/// The largest element difference between two models' parameters.
template <class M>
double max_param_diff(const M& a, const M& b) {
  double worst = 0;
  const auto& pa = a.all_parameters();
  const auto& pb = b.all_parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) worst = std::max(worst, test::max_abs_diff(pa[i]->value, pb[i]->value));
  return worst;
}

/// What one first Adam step (t = 1) does to p with gradient g: p - lr * g / (|g| + eps).
double adam_first_step(double p, double g, const optim::adam_options& o) {
  const double m = g, v = g * g;  // bias-corrected first moments at t = 1
  return p - o.lr * m / (std::sqrt(v) + o.eps);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gan_step_tests)

BOOST_AUTO_TEST_CASE(matches_pix2pixhd_iteration) {
  G_t G1, G2;
  D_t D1, D2;
  initialize(G1, init_policy::pytorch(), 21);
  initialize(G2, init_policy::pytorch(), 21);
  initialize(D1, init_policy::pytorch(), 22);
  initialize(D2, init_policy::pytorch(), 22);
  auto x = test::random_tensor<double>({2, 2, 12, 12});
  auto real = test::random_tensor<double>({2, 3, 12, 12}, -0.9, 0.9);
  const reference ref{G2, D2, x, real};

  train::gan_step step(G1, D1, train::gan_step_options{}, loss::l1_term{.weight = 100});
  const auto g_before = snapshot(G1), d_before = snapshot(D1);
  const auto rec = step.step(x, real);

  // Records: the names and order pix2pixHD prints, and the reference values.
  std::vector<std::string> names;
  for (const auto& [k, v] : rec.items()) names.push_back(k);
  const std::vector<std::string> expected_names{"G_GAN", "G_GAN_Feat", "G_l1", "D_real", "D_fake", "G", "D"};
  BOOST_TEST(names == expected_names, boost::test_tools::per_element());
  const auto tol = boost::test_tools::tolerance(1e-12);
  for (const auto& [k, v] : ref.g_losses()) BOOST_TEST(rec[k] == v, tol);
  BOOST_TEST(rec["G"] == ref.loss_g(), tol);
  const auto fake = G2(x);
  BOOST_TEST(rec["D"] == ref.loss_d(fake), tol);
  BOOST_TEST(rec["D_real"] == ref.gan_sum(D2.forward(ref.cat(real)), loss::gan_target::real), tol);
  BOOST_TEST(test::max_abs_diff(step.last_fake(), fake) == 0);

  // The gradients G's and D's optimizers stepped with (still in .grad) against finite differences of
  // loss_G and loss_D at the pre-step parameters (G2, D2 never stepped).
  for (const char* name : {"0.weight", "2.bias"})
    test::expect_gradient(std::string("loss_G / G.") + name, G2.parameter_named(name).value, [&] { return ref.loss_g(); },
                          G1.parameter_named(name).grad.clone(), 1e-6, 1e-7, 1e-5, 80);
  for (const char* name : {"scale1_layer0.0.weight", "scale0_layer1.0.weight", "scale1_layer2.0.bias"})
    test::expect_gradient(std::string("loss_D / D.") + name, D2.parameter_named(name).value,
                          [&] { return ref.loss_d(fake); }, D1.parameter_named(name).grad.clone(), 1e-6, 1e-7, 1e-5, 80);

  // Each parameter moved by exactly one Adam step on that gradient; nothing stays frozen.
  const optim::adam_options o;
  auto check_moved = [&](const auto& m, const std::vector<tensor<double>>& before) {
    std::size_t i = 0;
    double worst = 0;
    for (const auto& p : m.all_parameters()) {
      BOOST_TEST(!p->frozen, p->name);
      for (std::int64_t e = 0; e < p->value.numel(); ++e)
        worst = std::max(worst, std::abs(p->value[e] - adam_first_step(before[i][e], p->grad[e], o)));
      ++i;
    }
    BOOST_TEST(worst < 1e-12);
  };
  check_moved(G1, g_before);
  check_moved(D1, d_before);
}

BOOST_AUTO_TEST_CASE(user_frozen_parameters_stay_frozen_and_untouched) {
  G_t G;
  D_t D;
  initialize(G, init_policy::pytorch(), 1);
  initialize(D, init_policy::pytorch(), 2);
  D.freeze("scale0_layer0");
  const auto kept = D.parameter_named("scale0_layer0.0.weight").value.clone();
  train::gan_step step(G, D);
  step.step(test::random_tensor<double>({1, 2, 8, 8}), test::random_tensor<double>({1, 3, 8, 8}));
  BOOST_TEST(D.parameter_named("scale0_layer0.0.weight").frozen);
  BOOST_TEST(!D.parameter_named("scale1_layer0.0.weight").frozen);
  BOOST_TEST(test::max_abs_diff(D.parameter_named("scale0_layer0.0.weight").value, kept) == 0);
}

BOOST_AUTO_TEST_CASE(without_feature_matching_and_with_vanilla_gan) {
  G_t G;
  model<patch_d, B, 5> D;  // one scale
  initialize(G, init_policy::pytorch(), 3);
  initialize(D, init_policy::pytorch(), 4);
  train::gan_step step(G, D, loss::gan_loss<loss::vanilla>{}, {.feature_matching = false});
  auto x = test::random_tensor<double>({2, 2, 8, 8});
  auto real = test::random_tensor<double>({2, 3, 8, 8});
  const auto fake = G(x);
  const auto pred_fake = D(cpu::concat_channels({x, fake}));
  const auto rec = step.step(x, real);
  BOOST_TEST(!rec.contains("G_GAN_Feat"));
  BOOST_TEST(rec["G_GAN"] == cpu::bce_with_logits_loss(pred_fake, loss::gan_target::real).value,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(rec["D_fake"] == cpu::bce_with_logits_loss(pred_fake, loss::gan_target::fake).value,
             boost::test_tools::tolerance(1e-12));
  BOOST_TEST(rec["G"] == rec["G_GAN"]);
}

BOOST_AUTO_TEST_CASE(unconditional_d_and_custom_term) {
  G_t G;
  model<two_scale_d, B, 3> D;  // sees the image alone
  initialize(G, init_policy::pytorch(), 5);
  initialize(D, init_policy::pytorch(), 6);
  int calls = 0;
  loss::custom_term<double> mse{"mse", [&](const tensor<double>& f, const tensor<double>& r) {
                                  ++calls;
                                  return cpu::mse_loss(f, r);
                                }};
  train::gan_step step(G, D, {.conditional = false}, mse);
  auto x = test::random_tensor<double>({1, 2, 8, 8});
  auto real = test::random_tensor<double>({1, 3, 8, 8});
  const double expect = cpu::mse_loss(G(x), real).value;
  const auto rec = step.step(x, real);
  BOOST_TEST(calls == 1);
  BOOST_TEST(rec["G_mse"] == expect);
}

BOOST_AUTO_TEST_CASE(caller_condition_input_gradient_hook_and_optional_term) {
  // pix2pixHD with --instance_feat: D's condition is part of G's input (here its first channel), the
  // input gradient goes to a hook, and an optional term is off while empty.
  G_t G;
  model<two_scale_d, B, 4> D;  // condition (1 channel) | image (3)
  initialize(G, init_policy::pytorch(), 11);
  initialize(D, init_policy::pytorch(), 12);
  auto x = test::random_tensor<double>({1, 2, 8, 8});
  auto real = test::random_tensor<double>({1, 3, 8, 8});
  const auto cond = cpu::split_channels(x, {1, 1})[0];
  auto gan_real = [&](const tensor<double>& img) {
    auto c = D.forward(cpu::concat_channels({cond, img}));
    return cpu::lsgan_loss(c.tap("scale0.out"), loss::gan_target::real).value +
           cpu::lsgan_loss(c.tap("scale1.out"), loss::gan_target::real).value;
  };
  const double d_real = gan_real(real), g_gan = gan_real(G(x));
  train::gan_step step(G, D, {.condition_channels = 1, .feature_matching = false},
                       std::optional<loss::l1_term>{});
  test::expect_error<value_error>([&] { step.step(x, real); }, {"gan_step", "condition_channels"});
  int calls = 0;
  shape seen;
  const auto rec = step.step(x, real, cond, [&](const tensor<double>& dx) {
    ++calls;
    seen = dx.shape();
  });
  BOOST_TEST(calls == 1);
  BOOST_TEST(seen == x.shape());
  BOOST_TEST(rec["D_real"] == d_real, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(rec["G_GAN"] == g_gan, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(!rec.contains("G_l1"));
  std::get<0>(step.extras()).emplace(loss::l1_term{.weight = 2, .name = "l1"});
  BOOST_TEST(step.step(x, real, cond).contains("G_l1"));
}

BOOST_AUTO_TEST_CASE(image_pool_feeds_pass_a_only) {
  // With a pool of 1 and batches of 1, the second step's pass A sees either the current fake or the first
  // step's (the pool replaces with probability 1/2). Over a few seeds both cases must occur, and D_fake
  // must always equal the GAN loss of one of the two.
  int saw_old = 0, saw_new = 0;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    G_t G;
    D_t D;
    initialize(G, init_policy::pytorch(), 7);
    initialize(D, init_policy::pytorch(), 8);
    train::gan_step step(G, D, {.pool_size = 1, .pool_seed = seed, .feature_matching = false});
    auto x1 = test::random_tensor<double>({1, 2, 8, 8}), r1 = test::random_tensor<double>({1, 3, 8, 8});
    auto x2 = test::random_tensor<double>({1, 2, 8, 8}), r2 = test::random_tensor<double>({1, 3, 8, 8});
    step.step(x1, r1);
    const auto old_in = step.pool().stored(0).clone();
    const auto new_in = cpu::concat_channels({x2, G(x2)});
    auto d_fake_of = [&](const tensor<double>& in) {
      auto c = D.forward(in);
      return cpu::lsgan_loss(c.tap("scale0.out"), loss::gan_target::fake).value +
             cpu::lsgan_loss(c.tap("scale1.out"), loss::gan_target::fake).value;
    };
    const double with_old = d_fake_of(old_in), with_new = d_fake_of(new_in);
    const double got = step.step(x2, r2)["D_fake"];
    if (std::abs(got - with_old) < 1e-12) ++saw_old;
    else if (std::abs(got - with_new) < 1e-12) ++saw_new;
    else BOOST_ERROR("D_fake " << got << " matches neither the pooled (" << with_old << ") nor the current (" << with_new << ") fake");
  }
  BOOST_TEST(saw_old > 0);
  BOOST_TEST(saw_new > 0);
}

BOOST_AUTO_TEST_CASE(errors_name_the_step_and_the_term) {
  G_t G;
  D_t D;
  initialize(G, init_policy::pytorch(), 9);
  initialize(D, init_policy::pytorch(), 10);
  {
    model<two_scale_d, B, 4> wrong;
    test::expect_error<shape_error>([&] { train::gan_step s(G, wrong); }, {"gan_step", "D takes 4", "5 channels"});
  }
  train::gan_step step(G, D, {}, loss::l1_term{.weight = 100, .name = "L1"});
  test::expect_error<shape_error>(
      [&] { step.step(test::random_tensor<double>({1, 2, 8, 8}), test::random_tensor<double>({1, 3, 8, 6})); },
      {"gan_step", "1x2x8x8", "1x3x8x6"});
  auto bad = test::random_tensor<double>({1, 2, 8, 8});
  bad[5] = std::nan("");
  test::expect_error<value_error>([&] { step.step(bad, test::random_tensor<double>({1, 3, 8, 8})); },
                                  {"gan_loss<lsgan>", "nan"});
  // An image term that diverges alone names itself.
  train::gan_step blows_up(G, D, {}, loss::custom_term<double>{"G_exploding", [](const tensor<double>& f, const tensor<double>&) {
                             return loss::loss_value<double>{HUGE_VAL, tensor<double>::zeros(f.shape())};
                           }});
  test::expect_error<value_error>(
      [&] { blows_up.step(test::random_tensor<double>({1, 2, 8, 8}), test::random_tensor<double>({1, 3, 8, 8})); },
      {"G_exploding", "inf"});
}

// Deferred loss values (what a CUDA-graph step runs under, cuda/graphed_step.cuh): inside a
// loss::defer_loss_values scope every loss of the step stays in backend memory, the record's host parts
// are 0, host part + pending part equals the eager step's value exactly (the same additions and
// products, in the same order), the flag stays down, and the weights move exactly as in the eager step.
BOOST_AUTO_TEST_CASE(deferred_loss_values_add_up_to_the_eager_record) {
  G_t G1, G2;
  D_t D1, D2;
  initialize(G1, init_policy::pytorch(), 31);
  initialize(G2, init_policy::pytorch(), 31);
  initialize(D1, init_policy::pytorch(), 32);
  initialize(D2, init_policy::pytorch(), 32);
  const auto x = test::random_tensor<double>({2, 2, 12, 12});
  const auto real = test::random_tensor<double>({2, 3, 12, 12}, -0.9, 0.9);
  train::gan_step eager(G1, D1, train::gan_step_options{}, loss::l1_term{.weight = 100});
  train::gan_step deferred(G2, D2, train::gan_step_options{}, loss::l1_term{.weight = 100});
  const auto want = eager.step(x, real);
  BOOST_TEST(eager.pending_values().empty());
  auto flag = tensor<double>::zeros({1});
  train::step_record got;
  {
    loss::defer_loss_values<double> defer(flag);
    got = deferred.step(x, real);
  }
  BOOST_TEST(flag[0] == 0.0);
  BOOST_TEST(deferred.pending_values().size() == want.items().size());
  for (const auto& [name, v] : got.items()) BOOST_TEST(v == 0.0, name);
  for (const auto& [name, t] : deferred.pending_values()) {
    BOOST_TEST(t.numel() == 1);
    BOOST_TEST(got[name] + t[0] == want[name], name);
  }
  BOOST_TEST(max_param_diff(G1, G2) == 0.0);
  BOOST_TEST(max_param_diff(D1, D2) == 0.0);
  // The scope is gone: the next step reads its values again.
  const auto again = deferred.step(x, real);
  BOOST_TEST(deferred.pending_values().empty());
  BOOST_TEST(again["G"] != 0.0);
  BOOST_TEST(deferred.capture_refusal().empty());
  train::gan_step pooled(G2, D2, {.pool_size = 2});
  BOOST_TEST(pooled.capture_refusal().find("pool_size 2") != std::string::npos, pooled.capture_refusal());
}

BOOST_AUTO_TEST_SUITE_END()
