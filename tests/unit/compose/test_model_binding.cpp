// The model binding: naming, contexts, freezing, modes, runtime errors that name the layer path.
#include <boost/test/unit_test.hpp>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/i2i.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using B = cpu_backend<float>;

namespace {
template <int C>
using res_block = residual<seq<reflect_pad<1>, conv<C, 3>, instance_norm<>, relu, reflect_pad<1>, conv<C, 3>, instance_norm<>>,
                           "conv_block">;
template <int C>
using down = inlined<conv<C, 3, 2, 1>, instance_norm<>, relu>;
using small_gen = named<"model", seq<channels<5>, reflect_pad<3>, conv<8, 7>, instance_norm<>, relu, down<16>,
                                     repeat<2, res_block<16>>, inlined<conv_transpose<8, 3, 2, 1, 1>, instance_norm<>, relu>,
                                     reflect_pad<3>, conv<3, 7>, tanh_>>;

std::vector<std::string> names(const auto& m) {
  std::vector<std::string> n;
  for (const auto& p : m.all_parameters()) n.push_back(p->name);
  return n;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(model_binding)

BOOST_AUTO_TEST_CASE(names_follow_pytorch_sequential_indices) {
  model<small_gen, B> g;
  const std::vector<std::string> expected{
      "model.1.weight", "model.1.bias",                                    // reflect 0, conv 1, IN 2, ReLU 3
      "model.4.weight", "model.4.bias",                                    // inlined: conv 4, IN 5, ReLU 6
      "model.7.conv_block.1.weight", "model.7.conv_block.1.bias", "model.7.conv_block.5.weight",
      "model.7.conv_block.5.bias", "model.8.conv_block.1.weight", "model.8.conv_block.1.bias",
      "model.8.conv_block.5.weight", "model.8.conv_block.5.bias",          // repeat: 7, 8
      "model.9.weight", "model.9.bias",                                    // convT 9, IN 10, ReLU 11
      "model.13.weight", "model.13.bias"};                                 // reflect 12, conv 13, tanh 14
  BOOST_TEST(names(g) == expected, boost::test_tools::per_element());
  BOOST_TEST(g.parameter_named("model.9.weight").value.shape() == (shape{16, 8, 3, 3}));  // ConvT: In x Out x k x k
  const std::int64_t count = (8 * 5 * 49 + 8) + (16 * 8 * 9 + 16) + 4 * (16 * 16 * 9 + 16) + (16 * 8 * 9 + 8) + (3 * 8 * 49 + 3);
  BOOST_TEST(g.parameter_count() == count);
  model<small_gen, B> prefixed("G");
  BOOST_TEST(names(prefixed).front() == "G.model.1.weight");
}

BOOST_AUTO_TEST_CASE(forward_shapes_and_flops) {
  model<small_gen, B> g;
  initialize(g, init_policy::pix2pixhd(), 3);
  auto x = test::random_tensor<float>({2, 5, 16, 12});
  auto ctx = g.forward(x);
  BOOST_TEST(ctx.output.shape() == (shape{2, 3, 16, 12}));
  BOOST_TEST(g.output_shape(x.shape()) == ctx.output.shape());
  // conv 7x7 5->8 at 16x12, conv 3x3 s2 8->16 at 8x6, 4 convs 16->16 at 8x6, convT 16->8 from 8x6, conv 8->3.
  const double macs = 8. * 5 * 49 * 192 + 16. * 8 * 9 * 48 + 4. * 16 * 16 * 9 * 48 + 16. * 8 * 9 * 48 + 3. * 8 * 49 * 192;
  BOOST_TEST(g.flops(x.shape()) == 2 * 2 * macs);
  for (float v : ctx.output.values()) BOOST_TEST((v > -1.f && v < 1.f));
}

BOOST_AUTO_TEST_CASE(contexts_are_independent) {
  model<seq<conv<3, 3, 1, 1>, tanh_>, B, 2> m;
  initialize(m, init_policy::pytorch(), 1);
  auto a = test::random_tensor<float>({1, 2, 4, 4}), b = test::random_tensor<float>({1, 2, 4, 4});
  auto ca = m.forward(a);
  auto cb = m.forward(b);  // a second forward must not disturb the first context
  auto dy = test::random_tensor<float>(ca.output.shape());
  m.zero_grad();
  auto dxa = m.backward(ca, dy);
  auto ga = m.parameter_named("0.weight").grad.clone();
  m.zero_grad();
  auto cfresh = m.forward(a);
  auto dxa2 = m.backward(cfresh, dy);
  BOOST_TEST(test::max_abs_diff(dxa, dxa2) == 0.0);
  BOOST_TEST(test::max_abs_diff(ga, m.parameter_named("0.weight").grad) == 0.0);
  (void)cb;
}

BOOST_AUTO_TEST_CASE(gradients_accumulate_until_zero_grad) {
  model<seq<conv<2, 1>>, B, 1> m;
  initialize(m, init_policy::pytorch(), 1);
  auto x = test::random_tensor<float>({1, 1, 3, 3});
  auto c = m.forward(x);
  auto dy = test::random_tensor<float>(c.output.shape());
  m.zero_grad();
  m.backward(c, dy);
  auto once = m.parameter_named("0.weight").grad.clone();
  m.backward(c, dy);
  auto& g = m.parameter_named("0.weight").grad;
  for (std::int64_t i = 0; i < g.numel(); ++i) BOOST_TEST(g[i] == 2 * once[i], boost::test_tools::tolerance(1e-5f));
  m.zero_grad();
  for (float v : g.values()) BOOST_TEST(v == 0.f);
}

BOOST_AUTO_TEST_CASE(frozen_subtrees_get_no_gradient) {
  model<small_gen, B> g;
  initialize(g, init_policy::pix2pixhd(), 4);
  BOOST_TEST(g.freeze("model.7") == 4u);
  BOOST_TEST(g.parameters().size() == g.all_parameters().size() - 4);
  auto x = test::random_tensor<float>({1, 5, 8, 8});
  auto c = g.forward(x);
  g.zero_grad();
  g.backward(c, test::random_tensor<float>(c.output.shape()));
  for (const auto& p : g.all_parameters()) {
    double norm = 0;
    for (float v : p->grad.values()) norm += std::abs(v);
    if (p->name.rfind("model.7.", 0) == 0) BOOST_TEST(norm == 0.0, p->name);
    else if (p->name.find("weight") != std::string::npos) BOOST_TEST(norm > 0.0, p->name);
  }
  g.unfreeze("model.7");
  BOOST_TEST(g.parameters().size() == g.all_parameters().size());
  test::expect_error<value_error>([&] { g.freeze("model.99"); }, {"model.99"});
}

BOOST_AUTO_TEST_CASE(train_and_eval_modes_reach_batch_norm) {
  model<seq<conv<2, 1>, batch_norm<>>, B, 1> m;
  initialize(m, init_policy::pytorch(), 5);
  auto x = test::random_tensor<float>({4, 1, 3, 3}, 2.f, 4.f);
  auto& running_mean = m.parameter_named("1.running_mean").value;
  m.train();
  m.forward(x);
  const float after_train = running_mean[0];
  BOOST_TEST(after_train != 0.f);  // training updates the running statistics
  m.eval();
  m.forward(x);
  BOOST_TEST(running_mean[0] == after_train);  // evaluation does not
}

BOOST_AUTO_TEST_CASE(runtime_errors_name_the_layer) {
  model<small_gen, B> g;
  test::expect_error<shape_error>([&] { g.forward(tensor<float>::zeros({1, 4, 16, 16})); }, {"1x4x16x16", "5"});
  model<seq<conv<3, 3>, seq<conv<4, 1>>>, B, 2> m;
  // A 2x2 input is too small for the 3x3 valid conv: the conv op reports it.
  BOOST_CHECK_THROW(m.forward(tensor<float>::zeros({1, 2, 2, 2})), shape_error);
  model<seq<reflect_pad<3>>, B, 1> pad;
  test::expect_error<shape_error>([&] { pad.forward(tensor<float>::zeros({1, 1, 3, 3})); }, {"0", "1x1x3x3", "reflection"});
  auto c = m.forward(tensor<float>::zeros({1, 2, 5, 5}));
  test::expect_error<shape_error>([&] { m.backward(c, tensor<float>::zeros({1, 4, 2, 2})); }, {"1x4x2x2", "1x4x3x3"});
  tap_list<float> t;
  t.put("nope", tensor<float>::zeros({1}));
  test::expect_error<value_error>([&] { c.tap("nope"); }, {"nope", "none"});
}

BOOST_AUTO_TEST_CASE(duplicate_parameter_names_are_rejected) {
  // Two unnamed convs in a chain would both be called "weight".
  using bad = chain<conv<2, 1>, conv<2, 1>>;
  test::expect_error<error>([] { model<bad, B, 1> m; }, {"weight", "named"});
}

BOOST_AUTO_TEST_SUITE_END()
