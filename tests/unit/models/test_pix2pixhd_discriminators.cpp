// pix2pixHD's multi-scale discriminator at a small width on the CPU: tap keys and shapes in
// pix2pixHD's order, gradients injected at taps, and an exact input gradient of a feature-matching-
// style loss.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/models/pix2pixhd/discriminator.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
// One scalar type for the whole file: float and double would each instantiate every CPU kernel, which
// doubles this translation unit's compile time.
using D = cpu_backend<double>;
// One D type too: every distinct network type instantiates its own forward and backward.
using MD = pix2pixhd::multiscale_discriminator<6, 3, 8, 3>;

BOOST_AUTO_TEST_SUITE(pix2pixhd_discriminators)

BOOST_AUTO_TEST_CASE(multiscale_discriminator_taps_and_gradients) {
  model<MD, D> Dm;
  initialize(Dm, init_policy::pix2pixhd(), 3);
  auto x = test::random_tensor<double>(shape::nchw(2, 6, 64, 64));
  auto ctx = Dm.forward(x);
  std::vector<std::string> keys;
  for (const auto& [k, v] : ctx.taps.items()) keys.push_back(k);
  // Finest first; the full-resolution D is the highest-numbered one.
  const std::vector<std::string> expected{
      "scale2.layer0", "scale2.layer1", "scale2.layer2", "scale2.layer3", "scale2.layer4", "scale2.out",
      "scale1.layer0", "scale1.layer1", "scale1.layer2", "scale1.layer3", "scale1.layer4", "scale1.out",
      "scale0.layer0", "scale0.layer1", "scale0.layer2", "scale0.layer3", "scale0.layer4", "scale0.out"};
  BOOST_TEST(keys == expected, boost::test_tools::per_element());
  BOOST_TEST(ctx.tap("scale2.layer0").shape() == shape::nchw(2, 8, 33, 33));
  BOOST_TEST(ctx.tap("scale2.layer1").shape() == shape::nchw(2, 16, 17, 17));
  BOOST_TEST(ctx.tap("scale2.layer2").shape() == shape::nchw(2, 32, 9, 9));
  BOOST_TEST(ctx.tap("scale2.layer3").shape() == shape::nchw(2, 64, 10, 10));
  BOOST_TEST(ctx.tap("scale2.layer4").shape() == shape::nchw(2, 1, 11, 11));
  BOOST_TEST(ctx.tap("scale1.out").shape() == shape::nchw(2, 1, 7, 7));   // 32x32 input
  BOOST_TEST(ctx.tap("scale0.out").shape() == shape::nchw(2, 1, 5, 5));   // 16x16 input
  BOOST_TEST(test::max_abs_diff(ctx.output, ctx.tap("scale2.out")) == 0.0);

  tap_list<double> g;
  g.put("scale0.out", test::random_tensor<double>(shape::nchw(2, 1, 5, 5)));
  g.put("scale1.layer2", test::random_tensor<double>(ctx.tap("scale1.layer2").shape()));
  auto dx = Dm.backward(ctx, test::random_tensor<double>(ctx.output.shape()), g);
  BOOST_TEST(dx.shape() == x.shape());
  // scale1 saw a gradient only at layer2: its later stages get none, every other stage does.
  for (const auto& p : Dm.all_parameters()) {
    double s = 0;
    for (auto v : p->grad.values()) s += std::abs(v);
    const bool cut = p->name.starts_with("scale1_layer3") || p->name.starts_with("scale1_layer4");
    BOOST_TEST((s > 0) == !cut, p->name << ": gradient sum " << s);
  }
}

BOOST_AUTO_TEST_CASE(multiscale_discriminator_feature_matching_gradient_is_exact) {
  // Loss over the output, another scale's output and an intermediate tap: the analytic input gradient
  // from injected tap gradients equals central differences.
  model<MD, D> Dm;
  initialize(Dm, init_policy::pix2pixhd(), 5);
  auto x = test::random_tensor<double>(shape::nchw(1, 6, 24, 24));
  auto ctx = Dm.forward(x);
  auto r0 = test::random_tensor<double>(ctx.output.shape());
  auto r1 = test::random_tensor<double>(ctx.tap("scale0.out").shape());
  auto r2 = test::random_tensor<double>(ctx.tap("scale0.layer1").shape());
  auto loss = [&] {
    auto c = Dm.forward(x);
    return test::dot(c.output, r0) + test::dot(c.tap("scale0.out"), r1) + test::dot(c.tap("scale0.layer1"), r2);
  };
  tap_list<double> g;
  g.put("scale0.out", r1);
  g.put("scale0.layer1", r2);
  auto dx = Dm.backward(ctx, r0, g);
  test::expect_gradient("multiscale dx", x, loss, dx, 1e-6, 1e-6, 1e-4, 60);
}

BOOST_AUTO_TEST_SUITE_END()
