// pix2pixHD's generators at small widths on the CPU: output shapes, forward and backward, that the
// LocalEnhancer type computes model1_2(model1_1(x) + model(pool(x))), and the encoder's instance-wise
// pooling.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/models/pix2pixhd/instance_pooling.hpp"
#include "i2i/models/pix2pixhd/encoder.hpp"
#include "i2i/models/pix2pixhd/global_generator.hpp"
#include "i2i/models/pix2pixhd/local_enhancer.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
// One scalar type for the whole file: float and double would each instantiate every CPU kernel, which
// doubles this translation unit's compile time.
using D = cpu_backend<double>;

namespace {
template <class M>
double grad_norm(const M& m) {
  double s = 0;
  for (const auto& p : m.all_parameters())
    for (auto v : p->grad.values()) s += double(v) * double(v);
  return std::sqrt(s);
}
/// Copies every parameter of `from` whose name `to` also has.
template <class A, class B>
int copy_shared_names(const A& from, const B& to) {
  int n = 0;
  for (const auto& q : to.all_parameters())
    for (const auto& p : from.all_parameters())
      if (p->name == q->name) {
        BOOST_REQUIRE(p->value.shape() == q->value.shape());
        std::copy(p->value.data(), p->value.data() + p->value.numel(), q->value.data());
        ++n;
      }
  return n;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(pix2pixhd_generators)

BOOST_AUTO_TEST_CASE(global_generator_small_forward_backward) {
  model<pix2pixhd::global_generator<36, 3, 8>, D> G;  // ngf 8: 4 downsamples to 128 channels at 4x4
  initialize(G, init_policy::pix2pixhd(), 1);
  auto x = test::random_tensor<double>(shape::nchw(1, 36, 64, 64));
  auto ctx = G.forward(x);
  BOOST_TEST(ctx.output.shape() == shape::nchw(1, 3, 64, 64));
  double largest = 0;
  for (auto v : ctx.output.values()) largest = std::max(largest, std::abs(v));
  BOOST_TEST(largest < 1.0);  // tanh
  BOOST_TEST(G.output_shape(x.shape()) == ctx.output.shape());
  auto dx = G.backward(ctx, test::random_tensor<double>(ctx.output.shape()));
  BOOST_TEST(dx.shape() == x.shape());
  BOOST_TEST(grad_norm(G) > 0);
  BOOST_TEST(G.parameter_named("model.16.conv_block.1.weight").value.shape() == shape({128, 128, 3, 3}));
}

BOOST_AUTO_TEST_CASE(local_enhancer_is_the_reference_composition) {
  // ngf 4, so G1 is the ngf-8 trunk of the generator above (the same instance types: cheaper to compile);
  // one local block.
  using LE = pix2pixhd::local_enhancer<36, 3, 4, 4, 9, 1, 1>;
  using cfg = pix2pixhd::detail::enhancer_config<4, 3, 4, 9, 1, 1>;
  model<LE, D> G;
  initialize(G, init_policy::pix2pixhd(), 7);
  model<cfg::level<0>::type, D, 36> g1;
  model<cfg::front<1>, D, 36> front;
  model<cfg::back<1>, D, 8> back;
  BOOST_TEST(copy_shared_names(G, g1) + copy_shared_names(G, front) + copy_shared_names(G, back) ==
             int(G.all_parameters().size()));

  auto x = test::random_tensor<double>(shape::nchw(1, 36, 64, 64));
  auto y = G(x);
  BOOST_TEST(y.shape() == shape::nchw(1, 3, 64, 64));
  auto pooled = cpu::avg_pool2d(x, 3, 2, padding2d::uniform(1), false);
  auto expected = back(cpu::add(front(x), g1(pooled)));
  BOOST_TEST(test::max_abs_diff(y, expected) < 1e-12);

  // The input gradient flows through both paths (pyramid and front end).
  auto r = test::random_tensor<double>(y.shape());
  auto ctx = G.forward(x);
  auto dx = G.backward(ctx, r);
  test::expect_gradient("local_enhancer dx", x, [&] { return test::dot(G(x), r); }, dx, 1e-6, 1e-6, 1e-4, 12);
}

BOOST_AUTO_TEST_CASE(encoder_with_instance_pooling) {
  model<pix2pixhd::encoder<3, 3, 2, 2>, D> E;  // nef 2, 2 downsamples
  initialize(E, init_policy::pix2pixhd(), 11);
  auto x = test::random_tensor<double>(shape::nchw(2, 3, 12, 16));
  auto inst = tensor<double>::zeros(shape::nchw(2, 1, 12, 16));
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t h = 0; h < 12; ++h)
      for (std::int64_t w = 0; w < 16; ++w) inst.at(n, 0, h, w) = double(w < 5 ? 3 : h < 6 ? 7 : 1000 + n);

  auto fc = pix2pixhd::encode_instance_features(E, x, inst);
  BOOST_TEST(fc.output.shape() == shape::nchw(2, 3, 12, 16));
  // Piecewise constant per (sample, instance, channel), equal to the mean of E's raw output there.
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t c = 0; c < 3; ++c) {
      double sum = 0;
      int count = 0;
      for (std::int64_t h = 0; h < 12; ++h)
        for (std::int64_t w = 0; w < 5; ++w) sum += fc.encoder.output.at(n, c, h, w), ++count;
      for (std::int64_t h = 0; h < 12; ++h)
        for (std::int64_t w = 0; w < 5; ++w) BOOST_REQUIRE(std::abs(fc.output.at(n, c, h, w) - sum / count) < 1e-12);
      BOOST_TEST(std::abs(fc.output.at(n, c, 0, 10) - fc.output.at(n, c, 5, 15)) < 1e-12);
      BOOST_TEST(std::abs(fc.output.at(n, c, 0, 10) - fc.output.at(n, c, 11, 10)) > 1e-9);
    }

  auto r = test::random_tensor<double>(fc.output.shape());
  auto dx = pix2pixhd::encode_instance_features_backward(E, fc, r);
  test::expect_gradient("encoder + instance pooling dx", x,
                        [&] { return test::dot(pix2pixhd::encode_instance_features(E, x, inst).output, r); }, dx,
                        1e-6, 1e-6, 1e-4, 60);

  test::expect_error<shape_error>(
      [&] { pix2pixhd::encode_instance_features(E, x, tensor<double>::zeros(shape::nchw(2, 1, 6, 8))); },
      {"encode_instance_features", "2x1x6x8", "2x1x12x16"});
}

BOOST_AUTO_TEST_SUITE_END()
