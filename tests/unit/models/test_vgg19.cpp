// VGG19 features up to relu5_1: torchvision's keys and shapes, the parameter count and GFLOP of
// research/pix2pixhd.md §7.1 (torchvision pooling) and egscit.md §10 (TF SAME pooling), the five taps on
// a small input, and the input normalisation helpers.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/models/vgg19.hpp"
#include "reference.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using test::counting;
using test::expect_gflop;
using test::shape_of;

BOOST_AUTO_TEST_SUITE(vgg19_features)

BOOST_AUTO_TEST_CASE(keys_count_and_flops) {
  model<models::vgg19, counting> V;
  BOOST_TEST(V.parameter_count() == 12944960);
  std::vector<std::string> weights;
  for (const auto& p : V.all_parameters())
    if (p->name.ends_with(".weight")) weights.push_back(p->name);
  std::vector<std::string> expected;
  for (const auto& l : models::vgg19_conv_layers) expected.push_back("features." + std::to_string(l.index) + ".weight");
  BOOST_TEST(weights == expected, boost::test_tools::per_element());
  BOOST_TEST(shape_of(V, "features.0.weight") == "64x3x3x3");
  BOOST_TEST(shape_of(V, "features.10.weight") == "256x128x3x3");
  BOOST_TEST(shape_of(V, "features.28.weight") == "512x512x3x3");
  BOOST_TEST(shape_of(V, "features.28.bias") == "512");

  expect_gflop("VGG 512x1024", V.flops(shape::nchw(1, 3, 512, 1024)), 378.7, 1);
  expect_gflop("VGG 1024x2048", V.flops(shape::nchw(1, 3, 1024, 2048)), 1514.8, 1);
  expect_gflop("VGG 256x256", V.flops(shape::nchw(1, 3, 256, 256)), 47.3, 1);
  expect_gflop("VGG 128x128", V.flops(shape::nchw(1, 3, 128, 128)), 11.8, 1);

  model<models::vgg19_tf_same, counting> Vt;
  expect_gflop("VGG (TF SAME) 28x28", Vt.flops(shape::nchw(1, 3, 28, 28)), 0.633, 3);
  expect_gflop("VGG (TF SAME) 256x512", Vt.flops(shape::nchw(1, 3, 256, 512)), 94.7, 1);
  // SAME pooling rounds odd sizes up (28 -> 14 -> 7 -> 4 -> 2); torchvision's rounds down (-> 3 -> 1).
  BOOST_TEST(Vt.output_shape(shape::nchw(1, 3, 28, 28)) == shape::nchw(1, 512, 2, 2));
  BOOST_TEST(V.output_shape(shape::nchw(1, 3, 28, 28)) == shape::nchw(1, 512, 1, 1));
}

BOOST_AUTO_TEST_CASE(taps_on_a_small_input) {
  model<models::vgg19, cpu_backend<float>> V;
  initialize(V, init_policy::pytorch(), 1);
  V.freeze("");
  auto x = test::random_tensor<float>(shape::nchw(1, 3, 16, 16));
  auto ctx = V.forward(x);
  const std::array<shape, 5> shapes{shape::nchw(1, 64, 16, 16), shape::nchw(1, 128, 8, 8), shape::nchw(1, 256, 4, 4),
                                    shape::nchw(1, 512, 2, 2), shape::nchw(1, 512, 1, 1)};
  BOOST_REQUIRE(ctx.taps.size() == 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    BOOST_TEST(ctx.taps.items()[i].first == std::string(models::vgg19::taps[i]));
    BOOST_TEST(ctx.taps.items()[i].second.shape() == shapes[i]);
    float lowest = 0;
    for (auto v : ctx.taps.items()[i].second.values()) lowest = std::min(lowest, v);
    BOOST_TEST(lowest == 0.f);  // after the ReLU
  }
  BOOST_TEST(test::max_abs_diff(ctx.output, ctx.tap("relu5_1")) == 0.0);

  // A perceptual loss on two taps: gradient reaches the input, the frozen weights get none.
  tap_list<float> g;
  g.put("relu2_1", test::random_tensor<float>(shapes[1]));
  g.put("relu4_1", test::random_tensor<float>(shapes[3]));
  auto dx = V.backward(ctx, {}, g, true);
  BOOST_TEST(dx.shape() == x.shape());
  double s = 0;
  for (auto v : dx.values()) s += std::abs(v);
  BOOST_TEST(s > 0);
  double frozen = 0;
  for (const auto& p : V.all_parameters())
    for (auto v : p->grad.values()) frozen += std::abs(v);
  BOOST_TEST(frozen == 0.0);
}

BOOST_AUTO_TEST_CASE(input_normalisation) {
  auto x = test::random_tensor<double>(shape::nchw(2, 3, 3, 5));
  const auto im = models::vgg_input::imagenet();
  auto y = im.apply(x);
  // Pixel value -1 (black) becomes -mean/std; +1 (white) becomes (1 - mean)/std.
  BOOST_TEST(std::abs(y.at(1, 2, 2, 4) - ((x.at(1, 2, 2, 4) + 1) / 2 - 0.406) / 0.225) < 1e-12);
  BOOST_TEST(std::abs(y.at(0, 0, 1, 1) - ((x.at(0, 0, 1, 1) + 1) / 2 - 0.485) / 0.229) < 1e-12);

  const auto bgr = models::vgg_input::caffe_bgr();
  auto z = bgr.apply(x);
  BOOST_TEST(std::abs(z.at(1, 0, 2, 3) - ((x.at(1, 2, 2, 3) + 1) * 127.5 - 103.939)) < 1e-9);  // B from R's slot
  BOOST_TEST(std::abs(z.at(0, 2, 0, 0) - ((x.at(0, 0, 0, 0) + 1) * 127.5 - 123.68)) < 1e-9);
  BOOST_TEST(test::max_abs_diff(models::vgg_input::none().apply(x), x) == 0.0);

  for (const auto& m : {im, bgr}) {
    auto r = test::random_tensor<double>(x.shape());
    test::expect_gradient("vgg_input backward", x, [&] { return test::dot(m.apply(x), r); }, m.backward(r));
  }
  test::expect_error<shape_error>([&] { im.apply(tensor<double>::zeros(shape::nchw(1, 1, 4, 4))); },
                                  {"vgg_input", "1x1x4x4", "N x 3 x H x W"});
}

BOOST_AUTO_TEST_SUITE_END()
