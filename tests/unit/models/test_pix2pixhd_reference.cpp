// pix2pixHD's networks at full size against the reference: parameter counts and forward GFLOP from
// research/pix2pixhd.md §7 (measured on the official classes), and state_dict keys and shapes from §1.
// Shape-only models: nothing here allocates parameter memory or runs a layer.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "i2i/models/pix2pixhd/networks.hpp"
#include "reference.hpp"

using namespace i2i;
using test::counting;
using test::expect_gflop;
using test::shape_of;

namespace {
template <class M>
std::vector<std::string> names(const M& m) {
  std::vector<std::string> r;
  for (const auto& p : m.all_parameters()) r.push_back(p->name);
  return r;
}
template <class M>
std::int64_t count_under(const M& m, const std::string& prefix) {
  std::int64_t n = 0;
  for (const auto& p : m.all_parameters())
    if (p->name.rfind(prefix, 0) == 0) n += p->value.numel();
  return n;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(pix2pixhd_reference)

BOOST_AUTO_TEST_CASE(global_generator_counts_flops_and_keys) {
  model<pix2pixhd::global_generator<36>, counting> G;
  BOOST_TEST(G.parameter_count() == 182546755);
  expect_gflop("G 512x1024", G.flops(shape::nchw(1, 36, 512, 1024)), 978.649, 3);
  expect_gflop("G 256x256", G.flops(shape::nchw(1, 36, 256, 256)), 122.331, 3);
  expect_gflop("G 128x128", G.flops(shape::nchw(1, 36, 128, 128)), 30.583, 3);
  BOOST_TEST(G.output_shape(shape::nchw(2, 36, 256, 512)) == shape::nchw(2, 3, 256, 512));

  const auto n = names(G);
  BOOST_TEST(n.size() == 2u * (1 + 4 + 18 + 4 + 1));
  BOOST_TEST(n.front() == "model.1.weight");
  BOOST_TEST(n.back() == "model.38.bias");
  BOOST_TEST(shape_of(G, "model.1.weight") == "64x36x7x7");
  BOOST_TEST(shape_of(G, "model.4.weight") == "128x64x3x3");
  BOOST_TEST(shape_of(G, "model.13.weight") == "1024x512x3x3");
  BOOST_TEST(shape_of(G, "model.16.conv_block.1.weight") == "1024x1024x3x3");
  BOOST_TEST(shape_of(G, "model.24.conv_block.5.bias") == "1024");
  BOOST_TEST(shape_of(G, "model.25.weight") == "1024x512x3x3");  // ConvTranspose: Cin x Cout
  BOOST_TEST(shape_of(G, "model.34.weight") == "128x64x3x3");
  BOOST_TEST(shape_of(G, "model.38.weight") == "3x64x7x7");
  BOOST_TEST(shape_of(G, "model.37.weight") == "");  // the reflection pad has no parameters

  model<pix2pixhd::global_generator<39>, counting> G39;  // with the 3 instance-feature channels
  BOOST_TEST(G39.parameter_count() == 182556163);
}

BOOST_AUTO_TEST_CASE(local_enhancer_counts_flops_and_keys) {
  model<pix2pixhd::local_enhancer<36>, counting> G;
  BOOST_TEST(G.parameter_count() == 182857059);
  BOOST_TEST(count_under(G, "model.") == 182537344);  // G1
  BOOST_TEST(count_under(G, "model1_") == 319715);    // G2
  expect_gflop("LE 1024x2048", G.flops(shape::nchw(1, 36, 1024, 2048)), 1495.857, 3);
  expect_gflop("LE 256x256", G.flops(shape::nchw(1, 36, 256, 256)), 46.746, 3);
  expect_gflop("LE 128x128", G.flops(shape::nchw(1, 36, 128, 128)), 11.686, 3);
  BOOST_TEST(G.output_shape(shape::nchw(1, 36, 1024, 2048)) == shape::nchw(1, 3, 1024, 2048));

  const auto n = names(G);
  // State-dict order: model, model1_1, model1_2.
  BOOST_TEST(n.front() == "model.1.weight");
  BOOST_TEST(n[n.size() - 21] == "model.34.bias");  // G1 ends at its last transposed conv
  BOOST_TEST(n[n.size() - 20] == "model1_1.1.weight");
  BOOST_TEST(n.back() == "model1_2.7.bias");
  const std::set<std::string> g2(n.end() - 20, n.end());
  for (const char* k : {"model1_1.1.weight", "model1_1.4.weight", "model1_2.0.conv_block.1.weight",
                        "model1_2.1.conv_block.5.bias", "model1_2.2.conv_block.5.weight", "model1_2.3.weight",
                        "model1_2.7.weight"})
    BOOST_TEST(g2.count(k) == 1u, k);
  BOOST_TEST(shape_of(G, "model.1.weight") == "64x36x7x7");  // G1 at ngf 64
  BOOST_TEST(shape_of(G, "model.38.weight") == "");          // G1 without its last 3 modules
  BOOST_TEST(shape_of(G, "model1_1.1.weight") == "32x36x7x7");
  BOOST_TEST(shape_of(G, "model1_1.4.weight") == "64x32x3x3");
  BOOST_TEST(shape_of(G, "model1_2.0.conv_block.1.weight") == "64x64x3x3");
  BOOST_TEST(shape_of(G, "model1_2.3.weight") == "64x32x3x3");
  BOOST_TEST(shape_of(G, "model1_2.7.weight") == "3x32x7x7");

  model<pix2pixhd::local_enhancer<39>, counting> G39;
  BOOST_TEST(G39.parameter_count() == 182871171);
}

BOOST_AUTO_TEST_CASE(local_enhancer_with_two_levels) {
  // K = 2: G1 at ngf 128 on I_2, level 1 (width 64, no output layer), level 2 (width 32, output layer).
  model<pix2pixhd::local_enhancer<36, 3, 32, 4, 9, 2, 3>, counting> G;
  const auto n = names(G);
  BOOST_TEST(n.front() == "model.1.weight");
  BOOST_TEST(n.back() == "model2_2.7.bias");
  BOOST_TEST(shape_of(G, "model.1.weight") == "128x36x7x7");
  BOOST_TEST(shape_of(G, "model1_1.1.weight") == "64x36x7x7");
  BOOST_TEST(shape_of(G, "model1_2.3.weight") == "128x64x3x3");
  BOOST_TEST(shape_of(G, "model1_2.7.weight") == "");
  BOOST_TEST(shape_of(G, "model2_1.4.weight") == "64x32x3x3");
  BOOST_TEST(shape_of(G, "model2_2.7.weight") == "3x32x7x7");
  BOOST_TEST(G.output_shape(shape::nchw(1, 36, 256, 512)) == shape::nchw(1, 3, 256, 512));
  BOOST_TEST((pix2pixhd::local_enhancer<36, 3, 32, 4, 9, 2, 3>::size_multiple == 64));
}

BOOST_AUTO_TEST_CASE(discriminators_counts_flops_and_keys) {
  model<pix2pixhd::nlayer_discriminator<39>, counting> D;
  BOOST_TEST(D.parameter_count() == 2801601);
  const std::vector<std::string> single{"model0.0.weight", "model0.0.bias", "model1.0.weight", "model1.0.bias",
                                        "model2.0.weight", "model2.0.bias", "model3.0.weight", "model3.0.bias",
                                        "model4.0.weight", "model4.0.bias"};
  BOOST_TEST(names(D) == single, boost::test_tools::per_element());
  BOOST_TEST(shape_of(D, "model0.0.weight") == "64x39x4x4");
  BOOST_TEST(shape_of(D, "model3.0.weight") == "512x256x4x4");
  BOOST_TEST(shape_of(D, "model4.0.weight") == "1x512x4x4");
  // One D at 512x1024 is the scale2 rows of §7.4: 5.265 + 4.345 + 4.396 + 17.994 + 0.072 GMACs.
  expect_gflop("D 512x1024", D.flops(shape::nchw(1, 39, 512, 1024)), 2 * 32.072, 2);
  BOOST_TEST(D.output_shape(shape::nchw(1, 39, 512, 1024)) == shape::nchw(1, 1, 67, 131));

  model<pix2pixhd::multiscale_discriminator<39, 3>, counting> D3;
  BOOST_TEST(D3.parameter_count() == 8404803);
  expect_gflop("D3 512x1024", D3.flops(shape::nchw(1, 39, 512, 1024)), 85.088, 3);
  expect_gflop("D3 256x256", D3.flops(shape::nchw(1, 39, 256, 256)), 11.407, 3);
  expect_gflop("D3 128x128", D3.flops(shape::nchw(1, 39, 128, 128)), 3.182, 3);
  expect_gflop("D3 1024x2048", D3.flops(shape::nchw(1, 39, 1024, 2048)), 333.2, 1);
  const auto n3 = names(D3);
  BOOST_TEST(n3.size() == 30u);
  BOOST_TEST(n3.front() == "scale0_layer0.0.weight");
  BOOST_TEST(n3[10] == "scale1_layer0.0.weight");
  BOOST_TEST(n3.back() == "scale2_layer4.0.bias");
  BOOST_TEST(shape_of(D3, "scale2_layer3.0.weight") == "512x256x4x4");

  model<pix2pixhd::multiscale_discriminator<39, 2>, counting> D2;  // the code default
  BOOST_TEST(D2.parameter_count() == 5603202);
  expect_gflop("D2 512x1024", D2.flops(shape::nchw(1, 39, 512, 1024)), 80.7, 1);
}

BOOST_AUTO_TEST_CASE(encoder_counts_flops_and_keys) {
  model<pix2pixhd::encoder<>, counting> E;
  BOOST_TEST(E.parameter_count() == 788803);
  expect_gflop("E 512x1024", E.flops(shape::nchw(1, 3, 512, 1024)), 14.6, 1);
  expect_gflop("E 1024x2048", E.flops(shape::nchw(1, 3, 1024, 2048)), 58.4, 1);
  std::vector<std::string> weights;
  for (const auto& k : names(E))
    if (k.ends_with(".weight")) weights.push_back(k);
  const std::vector<std::string> expected{"model.1.weight",  "model.4.weight",  "model.7.weight",  "model.10.weight",
                                          "model.13.weight", "model.16.weight", "model.19.weight", "model.22.weight",
                                          "model.25.weight", "model.29.weight"};
  BOOST_TEST(weights == expected, boost::test_tools::per_element());
  BOOST_TEST(shape_of(E, "model.13.weight") == "256x128x3x3");
  BOOST_TEST(shape_of(E, "model.29.weight") == "3x16x7x7");
}

BOOST_AUTO_TEST_SUITE_END()
