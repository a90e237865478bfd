// Whole-network float64 gradient checks: every combinator's backward (with injected tap gradients,
// shared blocks and the multiscale pyramid) against central differences of the network's output.
#include <boost/test/unit_test.hpp>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using B = cpu_backend<double>;

namespace {

/// Random weights (PyTorch's default init is small for these sizes; a wider range exercises more).
template <class M>
void randomise(M& m, std::uint64_t seed) {
  initialize(m, init_policy::pytorch(), seed);
}

/// L(x, θ) = Σ r·y + Σ_k q_k·tap_k, checked against backward for the input and every parameter.
template <class M>
void check_network(const std::string& what, M& m, const tensor<double>& x, const std::vector<std::string>& tap_keys = {},
                   std::int64_t max_checks = 60) {
  auto ctx = m.forward(x);
  auto r = test::random_tensor<double>(ctx.output.shape());
  tap_list<double> injected;
  for (const auto& k : tap_keys) injected.put(k, test::random_tensor<double>(ctx.tap(k).shape()));
  auto loss = [&] {
    auto c = m.forward(x);
    double l = test::dot(r, c.output);
    for (const auto& [k, q] : injected.items()) l += test::dot(q, c.tap(k));
    return l;
  };
  m.zero_grad();
  auto dx = m.backward(ctx, r, injected);
  test::expect_gradient(what + ": input", x, loss, dx, 1e-6, 1e-7, 1e-5, max_checks);
  for (const auto& p : m.all_parameters()) {
    if (!p->trainable()) continue;
    auto g = p->grad.clone();  // the loss closure's forward passes do not touch gradients, but be explicit
    test::expect_gradient(what + ": " + p->name, p->value, loss, g, 1e-6, 1e-7, 1e-5, max_checks);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(network_gradients)

BOOST_AUTO_TEST_CASE(seq_of_every_layer_kind) {
  using net = seq<reflect_pad<2>, conv<4, 3, 1, 0>, instance_norm<true>, leaky_relu<std::ratio<1, 5>>, zero_pad<1>,
                  conv<5, 4, 2, tf_same>, batch_norm<>, tanh_, conv_transpose<3, 3, 2, 1, 1>, sigmoid,
                  avg_pool<3, 2, 1, false>, upsample_nearest<2>, max_pool<2, 2, tf_same>, conv<2, 1>>;
  model<net, B, 3> m;
  randomise(m, 1);
  check_network("seq", m, test::random_tensor<double>({2, 3, 9, 7}));
}

BOOST_AUTO_TEST_CASE(residual_and_repeat) {
  using block = residual<seq<reflect_pad<1>, conv<4, 3>, instance_norm<>, tanh_, reflect_pad<1>, conv<4, 3>>, "conv_block">;
  using net = seq<conv<4, 3, 1, 1>, repeat<2, block>, conv<2, 3, 1, 1>>;
  model<net, B, 2> m;
  randomise(m, 2);
  check_network("residual", m, test::random_tensor<double>({2, 2, 6, 5}));
}

BOOST_AUTO_TEST_CASE(parallel_sum_and_concat) {
  using net = seq<parallel<sum, named<"a", seq<conv<3, 3, 1, 1>, tanh_>>, chain<avg_pool<3, 2, 1, false>, upsample_nearest<2>, named<"b", conv<3, 1>>>>,
                  parallel<concat, named<"c", conv<2, 1>>, named<"d", conv<3, 3, 1, 1>>>, conv<1, 1>>;
  model<net, B, 2> m;
  randomise(m, 3);
  check_network("parallel", m, test::random_tensor<double>({2, 2, 6, 8}));
}

BOOST_AUTO_TEST_CASE(taps_take_injected_gradients) {
  using net = seq<tap<"f0", conv<3, 3, 1, 1>>, leaky_relu<std::ratio<1, 5>>, tap<"f1", seq<conv<4, 3, 2, 1>, tanh_>>, conv<1, 3, 1, 1>>;
  model<net, B, 2> m;
  randomise(m, 4);
  check_network("taps", m, test::random_tensor<double>({2, 2, 8, 8}), {"f0", "f1"});
}

BOOST_AUTO_TEST_CASE(multiscale_pyramid) {
  using d = chain<named<"layer0", tap<"f0", seq<conv<3, 4, 2, 2>, leaky_relu<std::ratio<1, 5>>>>>, named<"layer1", seq<conv<1, 4, 1, 2>>>>;
  model<multiscale<3, d, "_">, B, 2> m;
  randomise(m, 5);
  check_network("multiscale", m, test::random_tensor<double>({1, 2, 12, 10}),
                {"scale1.out", "scale0.out", "scale2.f0", "scale0.f0"});
}

BOOST_AUTO_TEST_CASE(linear_layers) {
  using net = seq<linear<5>, leaky_relu<std::ratio<1, 5>>, linear<3, false>>;
  model<net, B, 4> m;
  randomise(m, 6);
  check_network("linear", m, test::random_tensor<double>({3, 4, 1, 1}));
}

// Two models share one block: the block's gradient must be the sum of both paths' contributions, and
// both forwards can happen before either backward.
BOOST_AUTO_TEST_CASE(shared_block_accumulates_both_paths) {
  using block = shared<"enc_shared", seq<conv<3, 3, 1, 1>, tanh_>>;
  shared_registry reg;
  model<seq<conv<3, 1>, block>, B, 2> ea("", &reg);
  model<seq<conv<3, 3, 1, 1>, leaky_relu<std::ratio<1, 5>>, block>, B, 1> eb("", &reg);
  randomise(ea, 7);
  randomise(eb, 8);
  auto& wa = ea.parameter_named("enc_shared.0.weight");
  auto& wb = eb.parameter_named("enc_shared.0.weight");
  BOOST_TEST(wa.value.data() == wb.value.data());  // one tensor, not a copy

  auto xa = test::random_tensor<double>({2, 2, 5, 5}), xb = test::random_tensor<double>({2, 1, 5, 5});
  auto ca = ea.forward(xa);
  auto cb = eb.forward(xb);
  auto ra = test::random_tensor<double>(ca.output.shape()), rb = test::random_tensor<double>(cb.output.shape());
  ea.zero_grad();
  eb.zero_grad();
  ea.backward(ca, ra);
  eb.backward(cb, rb);
  auto total = [&] { return test::dot(ra, ea(xa)) + test::dot(rb, eb(xb)); };
  test::expect_gradient("shared weight, both paths", wa.value, total, wa.grad.clone());

  // Each model lists the shared parameters exactly once.
  int seen = 0;
  for (const auto& p : eb.all_parameters()) seen += p->name.rfind("enc_shared.", 0) == 0;
  BOOST_TEST(seen == 2);
}

BOOST_AUTO_TEST_SUITE_END()
