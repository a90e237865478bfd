// encode_input: one-hot label channels followed by the instance boundary map (pix2pixHD §2.1).
#include <boost/test/unit_test.hpp>

#include "i2i/data/encode.hpp"
#include "support/gradcheck.hpp"

namespace data = i2i::data;
using i2i::tensor;

BOOST_AUTO_TEST_SUITE(encode)

BOOST_AUTO_TEST_CASE(one_hot_then_boundary) {
  // 2 samples of 3 x 4; labels in 0..3, label_nc 5 (channel 4 stays zero).
  const auto label = tensor<float>::from(i2i::shape::nchw(2, 1, 3, 4), {0, 0, 1, 1,  //
                                                                        0, 0, 1, 1,  //
                                                                        2, 2, 3, 3,  //
                                                                        1, 1, 1, 1,  //
                                                                        1, 1, 1, 1,  //
                                                                        1, 1, 1, 1});
  auto inst = tensor<float>::zeros(i2i::shape::nchw(2, 1, 3, 4));
  inst.at(1, 0, 1, 2) = 7;  // one odd pixel in sample 1: it and its 4 neighbours are boundary
  const auto x = data::encode_input(label, inst, 5);
  BOOST_TEST(x.shape() == i2i::shape::nchw(2, 6, 3, 4));
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t h = 0; h < 3; ++h)
      for (std::int64_t w = 0; w < 4; ++w) {
        float sum = 0;
        for (std::int64_t c = 0; c < 5; ++c) {
          BOOST_TEST_REQUIRE(x.at(n, c, h, w) == (c == std::int64_t(label.at(n, 0, h, w)) ? 1.0f : 0.0f));
          sum += x.at(n, c, h, w);
        }
        BOOST_TEST_REQUIRE(sum == 1.0f);
        const bool edge = n == 1 && ((h == 1 && w == 2) || (h == 0 && w == 2) || (h == 2 && w == 2) ||
                                     (h == 1 && w == 1) || (h == 1 && w == 3));
        BOOST_TEST_REQUIRE(x.at(n, 5, h, w) == (edge ? 1.0f : 0.0f));
      }
  BOOST_TEST(data::encode_input(label, 5).shape() == i2i::shape::nchw(2, 5, 3, 4));
  // label_nc 0: the RGB input passes through, the boundary map is appended.
  const auto rgb = i2i::test::random_tensor<float>(i2i::shape::nchw(2, 3, 3, 4), -1, 1);
  const auto y = data::encode_input(rgb, inst, 0);
  BOOST_TEST(y.shape() == i2i::shape::nchw(2, 4, 3, 4));
  BOOST_TEST(y.at(1, 2, 2, 3) == rgb.at(1, 2, 2, 3));
  BOOST_TEST(y.at(1, 3, 1, 2) == 1.0f);
}

BOOST_AUTO_TEST_CASE(errors) {
  const auto label = tensor<float>::filled(i2i::shape::nchw(1, 1, 2, 2), 3);
  i2i::test::expect_error<i2i::value_error>([&] { data::encode_input(label, 3); }, {"label 3", "label_nc = 3"});
  i2i::test::expect_error<i2i::shape_error>(
      [&] { data::encode_input(tensor<float>::zeros(i2i::shape::nchw(1, 1, 2, 2)), tensor<float>::zeros(i2i::shape::nchw(1, 1, 2, 3)), 3); },
      {"1x1x2x2", "1x1x2x3"});
  i2i::test::expect_error<i2i::shape_error>([&] { data::encode_input(tensor<float>::zeros(i2i::shape::nchw(1, 2, 2, 2)), 3); }, {"1x2x2x2"});
}

BOOST_AUTO_TEST_SUITE_END()
