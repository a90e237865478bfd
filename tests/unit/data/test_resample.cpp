// Resampling with Pillow's semantics: bicubic against a hand-computed 1-D case and against values
// produced by Pillow 9.4 (Image.resize(size, BICUBIC / NEAREST)); nearest keeps ids exact; crop and flip.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <vector>

#include "i2i/data/resample.hpp"

namespace data = i2i::data;
using i2i::io::image;
using i2i::io::image16;

namespace {

/// The pattern the Pillow reference values were computed from.
image pattern(int w, int h, int c) {
  image m(w, h, c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) m.at(y, x, k) = std::uint8_t((x * 37 + y * 91 + k * 53 + (x * y) % 7 * 29) % 256);
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(resample)

BOOST_AUTO_TEST_CASE(bicubic_upscale_one_row_by_hand) {
  // 2 -> 4 pixels, values {100, 200}. Output 0: centre 0.25, taps at source 0 and 1 with kernel offsets
  // 0.25 and 1.25: k(0.25) = (1.5*0.25 - 2.5)*0.25^2 + 1 = 0.8671875, k(1.25) = -0.0703125; normalised by
  // their sum 0.796875 -> 1.0882353, -0.0882353; 100*1.0882353 - 200*0.0882353 = 91.18 -> 91.
  // Output 1: centre 0.75, offsets -0.25 and 0.75: k = 0.8671875, 0.2265625 (sum 1.09375) -> 0.7928571,
  // 0.2071429 -> 120.71 -> 121. Outputs 2, 3 mirror them: 179, 209.
  image in(2, 1, 1);
  in.pixels = {100, 200};
  const image out = data::resize_bicubic(in, 4, 1);
  BOOST_TEST(std::vector<int>(out.pixels.begin(), out.pixels.end()) == (std::vector<int>{91, 121, 179, 209}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(bicubic_downscale_one_row_by_hand) {
  // 4 -> 2 pixels (scale 2): the kernel is stretched to support 4 (antialiasing). Output 0: centre 1,
  // xmin = int(-2.5) clamped to 0, xmax = int(5.5) = 5 clipped to 4: taps 0..3 at offsets (x - 1 + 0.5) / 2 =
  // -0.25, 0.25, 0.75, 1.25: k(-0.25) = 0.8671875, k(0.25) = 0.8671875, k(0.75) = 0.2265625, k(1.25) = -0.0703125,
  // sum 1.890625. Values {0, 60, 120, 240}: (0*0.8671875 + 60*0.8671875 + 120*0.2265625 - 240*0.0703125)
  // / 1.890625 = 32.98 -> 33.
  image in(4, 1, 1);
  in.pixels = {0, 60, 120, 240};
  const image out = data::resize_bicubic(in, 2, 1);
  BOOST_TEST(int(out.pixels[0]) == 33);
  const double k[4] = {-0.0703125, 0.2265625, 0.8671875, 0.8671875};  // output 1: centre 3, taps 0..3
  const double v = (0 * k[0] + 60 * k[1] + 120 * k[2] + 240 * k[3]) / (k[0] + k[1] + k[2] + k[3]);
  BOOST_TEST(int(out.pixels[1]) == int(v + 0.5));
}

BOOST_AUTO_TEST_CASE(bicubic_matches_pillow) {
  struct ref {
    int w, h, c, ow, oh;
    std::vector<int> values;
  };
  const ref refs[] = {
      {7, 5, 3, 3, 2, {94, 126, 110, 119, 125, 160, 168, 150, 94, 86, 119, 145, 123, 115, 125, 145, 116, 109}},
      {3, 2, 3, 7, 5, {0,   40,  91,  0,   46,  102, 7,   59,  128, 25,  78,  156, 43,  107, 176, 57,  133, 188,
                       63,  144, 194, 6,   55,  109, 9,   62,  114, 25,  79,  122, 45,  98,  134, 65,  110, 153,
                       81,  118, 170, 88,  123, 177, 43,  94,  159, 50,  104, 144, 71,  133, 105, 97,  150, 75,
                       123, 120, 93,  144, 81,  121, 154, 67,  132, 79,  132, 208, 91,  146, 174, 117, 186, 88,
                       149, 202, 16,  181, 130, 32,  207, 44,  72,  219, 10,  86,  93,  147, 226, 106, 162, 186,
                       135, 206, 82,  169, 222, 0,   203, 133, 9,   231, 29,  54,  244, 0,   69}},
      {9, 4, 1, 4, 8, {14, 106, 187, 46, 49, 106, 181, 73, 123, 106, 169, 129, 147, 119, 154, 142,
                       114, 145, 138, 108, 89, 143, 133, 88, 73, 114, 140, 82, 65, 101, 144, 80}},
      {6, 6, 1, 6, 3, {62, 87, 149, 84, 124, 175, 100, 81, 95, 177, 79, 209, 137, 75, 140, 103, 33, 230}},
  };
  for (const ref& r : refs) {
    const image out = data::resize_bicubic(pattern(r.w, r.h, r.c), r.ow, r.oh);
    BOOST_TEST_CONTEXT(r.w << "x" << r.h << "x" << r.c << " -> " << r.ow << "x" << r.oh) {
      BOOST_TEST(std::vector<int>(out.pixels.begin(), out.pixels.end()) == r.values, boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(nearest_matches_pillow_and_keeps_ids) {
  // Pillow: a 37-pixel row 0..36 resized to 13 with NEAREST.
  image row(37, 1, 1);
  for (int x = 0; x < 37; ++x) row.pixels[std::size_t(x)] = std::uint8_t(x);
  const image r = data::resize_nearest(row, 13, 1);
  BOOST_TEST(std::vector<int>(r.pixels.begin(), r.pixels.end()) ==
                 (std::vector<int>{1, 4, 7, 9, 12, 15, 18, 21, 24, 27, 29, 32, 35}),
             boost::test_tools::per_element());
  // 2048 -> 1000 (scale 2.048) has an exact tie at x = 62 ((62 + 0.5) * 2.048 = 128); Pillow gives
  // 123 125 128 130 132 for x = 60..64, sum 1023504. 16-bit ids above 255 survive unchanged.
  image16 wide(2048, 1, 1);
  for (int x = 0; x < 2048; ++x) wide.pixels[std::size_t(x)] = std::uint16_t(x * 30 + 7);
  const image16 n = data::resize_nearest(wide, 1000, 1);
  long long sum = 0;
  for (auto v : n.pixels) sum += (v - 7) / 30;
  BOOST_TEST(sum == 1023504);
  for (int x = 60; x < 65; ++x) BOOST_TEST((n.pixels[std::size_t(x)] - 7) / 30 == (std::vector<int>{123, 125, 128, 130, 132})[std::size_t(x - 60)]);
  // Downscaling and upscaling in 2-D only ever produce ids of the input.
  image16 ids(23, 17, 1);
  for (int y = 0; y < 17; ++y)
    for (int x = 0; x < 23; ++x) ids.at(y, x) = std::uint16_t(33000 + (x / 5) * 10 + y / 4);
  const std::set<std::uint16_t> in_ids(ids.pixels.begin(), ids.pixels.end());
  for (auto [w, h] : {std::pair{11, 9}, std::pair{50, 31}}) {
    const image16 o = data::resize(ids, w, h, data::interp::nearest);
    for (auto v : o.pixels) BOOST_TEST_REQUIRE(in_ids.count(v) == 1);
  }
  BOOST_CHECK_THROW(data::resize(ids, 4, 4, data::interp::bicubic), i2i::value_error);
}

BOOST_AUTO_TEST_CASE(crop_pads_with_zero_and_flip_mirrors) {
  image m(4, 3, 1);
  for (int i = 0; i < 12; ++i) m.pixels[std::size_t(i)] = std::uint8_t(i + 1);
  const image c = data::crop(m, 2, 1, 3, 3);  // x 2..4, y 1..3: column 4 and row 3 lie outside
  BOOST_TEST(std::vector<int>(c.pixels.begin(), c.pixels.end()) == (std::vector<int>{7, 8, 0, 11, 12, 0, 0, 0, 0}),
             boost::test_tools::per_element());
  const image f = data::flip_horizontal(m);
  BOOST_TEST(std::vector<int>(f.pixels.begin(), f.pixels.begin() + 4) == (std::vector<int>{4, 3, 2, 1}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
