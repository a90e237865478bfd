// The oracle's augmentation (data/augment.hpp): ColorJitter's four ops against values computed with
// Python's colorsys and the ops' formulas, the zoom keeping label and image on the same window, no draws
// when off (so pix2pixHD's loaders draw what they drew before), errors naming the option.
#include <boost/test/unit_test.hpp>

#include "fixtures.hpp"
#include "i2i/data/aligned_dataset.hpp"
#include "i2i/data/augment.hpp"

namespace data = i2i::data;
using i2i::io::image;
using i2i::io::image16;

namespace {

image two_pixels() {  // (200, 100, 50), (10, 20, 30)
  image im(2, 1, 3);
  im.pixels = {200, 100, 50, 10, 20, 30};
  return im;
}

std::vector<int> as_ints(const image& im) { return {im.pixels.begin(), im.pixels.end()}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(augment)

BOOST_AUTO_TEST_CASE(color_jitter_ops_match_torchvision_formulas) {
  data::augment_params p;
  p.brightness = 1.5;  // x * 1.5, clamped
  BOOST_TEST(as_ints(data::apply_color_jitter(two_pixels(), p)) == (std::vector<int>{255, 150, 75, 15, 30, 45}),
             boost::test_tools::per_element());
  p = {};
  p.contrast = 0.5;  // 0.5 x + 0.5 mean(grey) over the image
  BOOST_TEST(as_ints(data::apply_color_jitter(two_pixels(), p)) == (std::vector<int>{136, 86, 61, 41, 46, 51}),
             boost::test_tools::per_element());
  p = {};
  p.hue = 0.25;  // colorsys: rgb_to_hsv, h + 0.25 mod 1, hsv_to_rgb
  BOOST_TEST(as_ints(data::apply_color_jitter(two_pixels(), p)) == (std::vector<int>{75, 200, 50, 30, 10, 30}),
             boost::test_tools::per_element());
  p = {};
  p.saturation = 0;  // every pixel its own grey
  const image g = data::apply_color_jitter(two_pixels(), p);
  BOOST_TEST(g.pixels[0] == g.pixels[1]);
  BOOST_TEST(g.pixels[1] == g.pixels[2]);
  BOOST_TEST(int(g.pixels[0]) == 124);  // 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2
  BOOST_TEST(int(g.pixels[3]) == 18);   // 18.15
  BOOST_TEST(as_ints(data::apply_color_jitter(two_pixels(), data::augment_params{})) == as_ints(two_pixels()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(order_is_applied) {
  data::augment_params p;  // brightness 2 then saturation 0 differs from saturation 0 then brightness 2
  p.brightness = 2;
  p.saturation = 0;
  p.order = {0, 2, 1, 3};
  const image a = data::apply_color_jitter(two_pixels(), p);
  p.order = {2, 0, 1, 3};
  const image b = data::apply_color_jitter(two_pixels(), p);
  BOOST_TEST(int(a.pixels[0]) == 205);  // grey(255, 200, 100) = 76.2 + 117.4 + 11.4 = 205.0
  BOOST_TEST(int(b.pixels[0]) == 248);  // 2 * 124.2 = 248.4
}

BOOST_AUTO_TEST_CASE(zoom_cuts_the_same_window_from_label_and_image) {
  image16 label(32, 16, 1);
  image rgb(32, 16, 3);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 32; ++x) {
      const int id = (x / 5 + 3 * (y / 4)) % 7;
      label.at(y, x) = std::uint16_t(id);
      for (int c = 0; c < 3; ++c) rgb.at(y, x, c) = std::uint8_t(30 * id + c);
    }
  data::augment_params p;
  p.scale = 1.37;
  p.origin_x = 0.6;
  p.origin_y = 0.3;
  const image16 zl = data::apply_zoom(label, p, data::interp::nearest);
  const image zi = data::apply_zoom(rgb, p, data::interp::nearest);
  BOOST_TEST(zl.width == 32);
  BOOST_TEST(zl.height == 16);
  BOOST_TEST(zi.width == 32);
  int changed = 0;
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 32; ++x) {
      BOOST_TEST_REQUIRE(int(zi.at(y, x, 1)) == 30 * zl.at(y, x) + 1);
      changed += zl.at(y, x) != label.at(y, x);
    }
  BOOST_TEST(changed > 50);  // it did zoom
  p.scale = 2;                // exactly 2x from the top-left corner: out(x, y) = in(x / 2, y / 2)
  p.origin_x = p.origin_y = 0;
  const image16 z2 = data::apply_zoom(label, p, data::interp::nearest);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 32; ++x) BOOST_TEST_REQUIRE(z2.at(y, x) == label.at(y / 2, x / 2));
}

BOOST_AUTO_TEST_CASE(no_draws_when_off_and_reproducible_when_on) {
  data::rng a(7), b(7);
  data::draw_augment(data::augment_options{}, a);
  BOOST_TEST(a.uniform() == b.uniform());  // nothing drawn: the transform's stream is untouched
  data::augment_options o{.brightness = 0.4, .contrast = 0.4, .saturation = 0.4, .hue = 0.1, .max_scale = 1.5};
  data::rng c(11), d(11);
  const auto p = data::draw_augment(o, c), q = data::draw_augment(o, d);
  BOOST_TEST(p.brightness == q.brightness);
  BOOST_TEST(p.scale == q.scale);
  BOOST_TEST(p.origin_x == q.origin_x);
  BOOST_TEST((p.order == q.order));
  for (int i = 0; i < 200; ++i) {
    const auto r = data::draw_augment(o, c);
    BOOST_TEST_REQUIRE((r.brightness >= 0.6 && r.brightness <= 1.4));
    BOOST_TEST_REQUIRE((r.hue >= -0.1 && r.hue <= 0.1));
    BOOST_TEST_REQUIRE((r.scale >= 1 && r.scale <= 1.5));
  }
}

BOOST_AUTO_TEST_CASE(errors_name_the_option) {
  auto fails_with = [](data::augment_options o, const std::string& what) {
    try {
      data::check_augment(o);
    } catch (const i2i::value_error& e) {
      return std::string(e.what()).find(what) != std::string::npos;
    }
    return false;
  };
  BOOST_TEST(fails_with({.hue = 0.7}, "hue 0.7"));
  BOOST_TEST(fails_with({.brightness = -1}, "brightness -1"));
  BOOST_TEST(fails_with({.max_scale = 0.5}, "max_scale 0.5"));
}

BOOST_AUTO_TEST_SUITE_END()
