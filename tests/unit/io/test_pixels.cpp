// Images <-> NCHW tensors in [-1, 1], and grids.
#include <boost/test/unit_test.hpp>

#include <limits>

#include "i2i/io/image.hpp"
#include "support/gradcheck.hpp"
#include "unit/io/scratch_dir.hpp"

namespace {
i2i::io::image numbered(int w, int h, int c, int offset = 0) {
  i2i::io::image img(w, h, c);
  for (std::size_t i = 0; i < img.pixels.size(); ++i) img.pixels[i] = std::uint8_t((i * 7 + offset) % 256);
  return img;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(pixels)

BOOST_AUTO_TEST_CASE(to_tensor_is_nchw_in_minus_one_one) {
  const auto img = numbered(5, 3, 3);
  const auto t = i2i::io::to_tensor(img);
  BOOST_TEST(t.shape() == i2i::shape::nchw(1, 3, 3, 5));
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 5; ++x)
      for (int c = 0; c < 3; ++c) BOOST_TEST_REQUIRE(t.at(0, c, y, x) == float(img.at(y, x, c)) / 127.5f - 1.0f);
  i2i::io::image extremes(2, 1, 1);
  extremes.pixels = {0, 255};
  const auto e = i2i::io::to_tensor(extremes);
  BOOST_TEST(e[0] == -1.0f);
  BOOST_TEST(e[1] == 1.0f);
}

BOOST_AUTO_TEST_CASE(every_8bit_level_survives_tensor_and_back) {
  i2i::io::image all(256, 1, 1);
  for (int i = 0; i < 256; ++i) all.pixels[std::size_t(i)] = std::uint8_t(i);
  BOOST_TEST(i2i::io::to_image(i2i::io::to_tensor(all)).pixels == all.pixels, boost::test_tools::per_element());
  const auto rgb = numbered(7, 4, 3, 3);
  BOOST_TEST(i2i::io::to_image(i2i::io::to_tensor(rgb)).pixels == rgb.pixels, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(batches_and_their_errors) {
  const std::vector<i2i::io::image> imgs{numbered(4, 3, 1, 0), numbered(4, 3, 1, 50)};
  const auto b = i2i::io::to_tensor(imgs);
  BOOST_TEST(b.shape() == i2i::shape::nchw(2, 1, 3, 4));
  BOOST_TEST(i2i::io::to_image(b, 1).pixels == imgs[1].pixels, boost::test_tools::per_element());
  const std::vector<i2i::io::image> mixed{numbered(4, 3, 1), numbered(4, 5, 1)};
  i2i::test::expect_error<i2i::shape_error>([&] { (void)i2i::io::to_tensor(mixed); }, {"to_tensor", "image 1", "4x5x1", "4x3x1"});
  i2i::test::expect_error<i2i::value_error>([&] { (void)i2i::io::to_image(b, 2); }, {"to_image", "image 2", "batch of 2"});
}

BOOST_AUTO_TEST_CASE(to_image_clamps_and_refuses_nan_and_odd_channels) {
  auto t = i2i::tensor<float>::from(i2i::shape::nchw(1, 1, 1, 4), {-3.0f, 2.0f, 0.0f, 0.5f});
  const auto img = i2i::io::to_image(t);
  BOOST_TEST(img.pixels == (std::vector<std::uint8_t>{0, 255, 128, 191}), boost::test_tools::per_element());
  t[2] = std::numeric_limits<float>::quiet_NaN();
  i2i::test::expect_error<i2i::value_error>([&] { (void)i2i::io::to_image(t); }, {"to_image", "NaN"});
  const auto two = i2i::tensor<float>::zeros(i2i::shape::nchw(1, 2, 3, 3));
  i2i::test::expect_error<i2i::shape_error>([&] { (void)i2i::io::to_image(two); }, {"to_image", "1x2x3x3", "1 (grey) or 3 (RGB)"});
  const auto flat = i2i::tensor<float>::zeros(i2i::shape{3, 9});
  i2i::test::expect_error<i2i::shape_error>([&] { (void)i2i::io::to_image(flat); }, {"to_image", "3x9", "rank 4"});
}

BOOST_AUTO_TEST_CASE(grid_places_cells_and_promotes_grey) {
  const std::vector<i2i::io::image> imgs{numbered(3, 2, 1, 1), numbered(3, 2, 3, 2), numbered(2, 2, 1, 3)};
  const auto g = i2i::io::make_grid(imgs, 2, 1, 9);
  // 2 columns of 3-wide cells, 2 rows of 2-high cells, 1 pixel of padding around and between.
  BOOST_TEST(g.width == 1 + 2 * (3 + 1));
  BOOST_TEST(g.height == 1 + 2 * (2 + 1));
  BOOST_TEST(g.channels == 3);
  BOOST_TEST(g.at(0, 0, 0) == 9);
  for (int c = 0; c < 3; ++c) BOOST_TEST(g.at(1, 1, c) == imgs[0].at(0, 0));   // grey cell, channel repeated
  BOOST_TEST(g.at(2, 5 + 2, 1) == imgs[1].at(1, 2, 1));                          // second cell, last pixel
  BOOST_TEST(g.at(4 + 1, 1 + 1, 0) == imgs[2].at(1, 1));                         // second row
  BOOST_TEST(g.at(4 + 1, 1 + 2, 0) == 9);                                        // right of the narrower image
}

BOOST_AUTO_TEST_CASE(write_grid_of_a_batch_makes_one_png) {
  i2i::test::scratch_dir tmp;
  auto batch = i2i::tensor<float>::zeros(i2i::shape::nchw(5, 1, 6, 4));
  for (std::int64_t n = 0; n < 5; ++n) batch.at(n, 0, 0, 0) = 1.0f;
  const std::string p = tmp / "grid.png";
  i2i::io::write_grid(p, batch, 0, 2);  // 5 images -> 3 columns, 2 rows
  const auto g = i2i::io::read_png(p);
  BOOST_TEST(g.width == 2 + 3 * (4 + 2));
  BOOST_TEST(g.height == 2 + 2 * (6 + 2));
  BOOST_TEST(g.at(2, 2) == 255);
  BOOST_TEST(g.at(2, 3) == 128);  // 0.0 maps to mid grey
  BOOST_TEST(g.at(2 + 8, 2 + 6) == 255);
}

BOOST_AUTO_TEST_SUITE_END()
