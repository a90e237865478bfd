// pix2pixHD's transform chain: sizes per resize_or_crop mode, crop and flip shared by label, instance
// map and image, nearest keeping ids exact, Python's rounding in mode none, require_divisible.
#include <boost/test/unit_test.hpp>

#include <set>

#include "fixtures.hpp"
#include "i2i/data/transform.hpp"
#include "support/gradcheck.hpp"

namespace data = i2i::data;
using i2i::io::image;
using i2i::io::image16;

BOOST_AUTO_TEST_SUITE(transform)

BOOST_AUTO_TEST_CASE(sizes_per_mode) {
  data::transform_options o;
  o.load_size = 1024;
  o.fine_size = 512;
  o.mode = data::resize_mode::scale_width;  // Cityscapes 2048 x 1024 -> 1024 x 512, no crop
  BOOST_TEST(data::transformed_size(o, 2048, 1024).first == 1024);
  BOOST_TEST(data::transformed_size(o, 2048, 1024).second == 512);
  BOOST_TEST(data::transformed_size(o, 1000, 333).second == 340);  // int(1024 * 333 / 1000) = 340
  o.mode = data::resize_mode::scale_width_and_crop;
  BOOST_TEST(data::transformed_size(o, 2048, 1024).first == 512);
  o.mode = data::resize_mode::resize_and_crop;
  o.load_size = 286;
  o.fine_size = 256;
  BOOST_TEST(data::transformed_size(o, 100, 50).first == 256);
  BOOST_TEST(data::transformed_size(o, 100, 50).second == 256);
  o.mode = data::resize_mode::crop;  // no resize; a crop only when larger than fineSize in a dimension
  BOOST_TEST(data::transformed_size(o, 200, 100).first == 200);
  BOOST_TEST(data::transformed_size(o, 300, 100).first == 256);
  o.mode = data::resize_mode::none;  // Python round() to multiples of 16: 40/16 = 2.5 -> 2, 56/16 = 3.5 -> 4
  BOOST_TEST(data::transformed_size(o, 40, 56).first == 32);
  BOOST_TEST(data::transformed_size(o, 40, 56).second == 64);
  o.n_local_enhancers = 1;  // netG local: multiples of 32; 80/32 = 2.5 -> 2
  BOOST_TEST(data::transformed_size(o, 80, 100).first == 64);
  BOOST_TEST(data::transformed_size(o, 80, 100).second == 96);
  BOOST_TEST(data::round_half_even(-0.5) == 0.0);
  BOOST_TEST(data::parse_resize_mode("scale_width_and_crop") == data::resize_mode::scale_width_and_crop);
  i2i::test::expect_error<i2i::value_error>([] { data::parse_resize_mode("resize"); }, {"'resize'", "scale_width"});
}

BOOST_AUTO_TEST_CASE(params_ranges_and_seed) {
  data::transform_options o;
  o.mode = data::resize_mode::resize_and_crop;
  o.load_size = 40;
  o.fine_size = 32;
  data::rng r(5);
  bool flips[2] = {false, false};
  std::set<int> xs;
  for (int i = 0; i < 400; ++i) {
    const auto p = data::draw_params(o, 100, 70, r);
    BOOST_TEST_REQUIRE((p.crop_x >= 0 && p.crop_x <= 8 && p.crop_y >= 0 && p.crop_y <= 8));
    flips[p.flip] = true;
    xs.insert(p.crop_x);
  }
  BOOST_TEST(flips[0]);
  BOOST_TEST(flips[1]);
  BOOST_TEST(xs.size() == 9u);  // every origin 0..8 drawn
  data::rng a(9), b(9), c(10);
  const auto pa = data::draw_params(o, 100, 70, a), pb = data::draw_params(o, 100, 70, b);
  BOOST_TEST((pa.crop_x == pb.crop_x && pa.crop_y == pb.crop_y && pa.flip == pb.flip));
  bool differs = false;
  for (int i = 0; i < 8 && !differs; ++i) {
    const auto x = data::draw_params(o, 100, 70, a), y = data::draw_params(o, 100, 70, c);
    differs = x.crop_x != y.crop_x || x.crop_y != y.crop_y || x.flip != y.flip;
  }
  BOOST_TEST(differs);
  o.mode = data::resize_mode::scale_width_and_crop;  // new_h = loadSize * h // w = 40 * 70 // 100 = 28 < 32
  for (int i = 0; i < 50; ++i) BOOST_TEST_REQUIRE(data::draw_params(o, 100, 70, r).crop_y == 0);
}

BOOST_AUTO_TEST_CASE(crop_and_flip_are_shared_by_label_inst_and_image) {
  // Without resizing (mode crop) the three maps must stay pixel-aligned: label and instance ids are
  // functions of the position, and the image's channels encode the position too.
  const int w = 48, h = 40;
  auto lab_of = [](int x, int y) { return (x / 6) + 8 * (y / 10); };
  const image label = i2i::test::label_map(w, h, lab_of);
  image16 inst(w, h, 1);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) inst.at(y, x) = std::uint16_t(1000 * lab_of(x, y) + (x % 6 < 3));
  const image img = i2i::test::coded_image(w, h, lab_of);
  data::transform_options o;
  o.mode = data::resize_mode::crop;
  o.fine_size = 32;
  data::rng r(3);
  int flipped = 0;
  for (int trial = 0; trial < 12; ++trial) {
    const auto p = data::draw_params(o, w, h, r);
    flipped += p.flip;
    const image l2 = data::apply_transform(label, o, p, data::interp::nearest);
    const image16 i2 = data::apply_transform(inst, o, p, data::interp::nearest);
    const image m2 = data::apply_transform(img, o, p, data::interp::bicubic);
    BOOST_TEST_REQUIRE((l2.width == 32 && l2.height == 32 && i2.width == 32 && m2.width == 32));
    for (int y = 0; y < 32; ++y)
      for (int x = 0; x < 32; ++x) {
        const int sx = p.flip ? p.crop_x + 31 - x : p.crop_x + x, sy = p.crop_y + y;
        BOOST_TEST_REQUIRE(int(l2.at(y, x)) == lab_of(sx, sy));
        BOOST_TEST_REQUIRE(int(i2.at(y, x)) == int(inst.at(sy, sx)));
        BOOST_TEST_REQUIRE(int(m2.at(y, x, 0)) == sx * 7 % 256);
        BOOST_TEST_REQUIRE(int(m2.at(y, x, 1)) == sy * 11 % 256);
        BOOST_TEST_REQUIRE(int(m2.at(y, x, 2)) == int(l2.at(y, x)));
      }
  }
  BOOST_TEST((flipped > 0 && flipped < 12));
  // No flip at test time or with no_flip, whatever the parameters say.
  data::transform_params p{3, 4, true};
  o.is_train = false;
  BOOST_TEST(int(data::apply_transform(label, o, p, data::interp::nearest).at(0, 0)) == lab_of(3, 4));
  o.is_train = true;
  o.no_flip = true;
  BOOST_TEST(int(data::apply_transform(label, o, p, data::interp::nearest).at(0, 0)) == lab_of(3, 4));
}

BOOST_AUTO_TEST_CASE(resize_keeps_ids_and_geometry_across_maps) {
  // resize_and_crop: the label (nearest) and a smooth image (bicubic) resized with one set of parameters
  // agree about where things are; ids never take values that are not in the input.
  const int w = 60, h = 30;
  auto lab_of = [](int x, int y) { return 1 + (x >= 30) + 2 * (y >= 15); };
  const image label = i2i::test::label_map(w, h, lab_of);
  image img(w, h, 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) img.at(y, x, c) = std::uint8_t(lab_of(x, y) * 50);
  data::transform_options o;
  o.mode = data::resize_mode::resize_and_crop;
  o.load_size = 72;
  o.fine_size = 64;
  data::rng r(11);
  const auto p = data::draw_params(o, w, h, r);
  const image l2 = data::apply_transform(label, o, p, data::interp::nearest);
  const image m2 = data::apply_transform(img, o, p, data::interp::bicubic);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x) {
      BOOST_TEST_REQUIRE((l2.at(y, x) >= 1 && l2.at(y, x) <= 4));
      // Away from the region borders the image shows the label's region exactly.
      const int sx = int((p.flip ? p.crop_x + 63 - x : p.crop_x + x) * 60 / 72.0), sy = int((p.crop_y + y) * 30 / 72.0);
      if (std::abs(sx - 30) > 3 && std::abs(sy - 15) > 3) {
        BOOST_TEST_REQUIRE(int(l2.at(y, x)) == lab_of(sx, sy));
        BOOST_TEST_REQUIRE(int(m2.at(y, x, 0)) == 50 * int(l2.at(y, x)));
      }
    }
}

BOOST_AUTO_TEST_CASE(require_divisible_names_the_place_and_sizes) {
  data::require_divisible(i2i::shape::nchw(1, 3, 128, 256), 16, "x");
  data::require_divisible(i2i::shape{64, 96}, 32, "x");
  i2i::test::expect_error<i2i::shape_error>(
      [] { data::require_divisible(i2i::shape::nchw(1, 1, 100, 256), 16, "data/train_label/a.png"); },
      {"data/train_label/a.png", "100x256", "16", "96x256"});
  i2i::test::expect_error<i2i::shape_error>([] { data::require_divisible(i2i::shape{7}, 2, "v"); }, {"v", "shape 7"});
  // Mode none with an image smaller than half the multiple would become 0 pixels wide.
  data::transform_options o;
  o.mode = data::resize_mode::none;
  i2i::test::expect_error<i2i::value_error>(
      [&] { data::apply_transform(image(5, 40, 1), o, {}, data::interp::nearest, "tiny.png"); },
      {"tiny.png", "5x40", "0x32"});  // 40 / 16 = 2.5 rounds to 2
}

BOOST_AUTO_TEST_SUITE_END()
