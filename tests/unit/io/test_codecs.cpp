// PNG and JPEG round trips through a temporary folder, conversions on read, and the errors for missing,
// truncated, corrupt and mislabelled files (each must name the file).
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>

#include "i2i/io/image.hpp"
#include "support/gradcheck.hpp"
#include "unit/io/scratch_dir.hpp"

namespace {

template <class T>
i2i::io::basic_image<T> noise_image(int w, int h, int c, unsigned seed, int max_value) {
  i2i::io::basic_image<T> img(w, h, c);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(0, max_value);
  for (auto& p : img.pixels) p = T(d(rng));
  return img;
}

/// A smooth colour image: JPEG keeps it within a few levels, unlike noise.
i2i::io::image smooth_image(int w, int h, int c) {
  i2i::io::image img(w, h, c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) img.at(y, x, k) = std::uint8_t(128 + 100 * std::sin(0.11 * x + 0.07 * y + k));
  return img;
}

template <class T>
void require_same(const i2i::io::basic_image<T>& a, const i2i::io::basic_image<T>& b) {
  BOOST_TEST_REQUIRE(a.width == b.width);
  BOOST_TEST_REQUIRE(a.height == b.height);
  BOOST_TEST_REQUIRE(a.channels == b.channels);
  BOOST_TEST(a.pixels == b.pixels, boost::test_tools::per_element());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(png)

BOOST_AUTO_TEST_CASE(grey_and_rgb_8bit_round_trip_exactly) {
  i2i::test::scratch_dir tmp;
  for (int c : {1, 3}) {
    const auto img = noise_image<std::uint8_t>(37, 23, c, 7u + unsigned(c), 255);
    const std::string p = tmp / ("img" + std::to_string(c) + ".png");
    i2i::io::write_png(p, img);
    require_same(i2i::io::read_png(p), img);
    require_same(i2i::io::read_image(p), img);
  }
}

BOOST_AUTO_TEST_CASE(sixteen_bit_grey_keeps_instance_ids) {
  i2i::test::scratch_dir tmp;
  auto ids = noise_image<std::uint16_t>(19, 31, 1, 3u, 65535);
  ids.at(0, 0) = 26001;  // a Cityscapes-style instance id: class 26, instance 1
  ids.at(0, 1) = 65535;
  const std::string p = tmp / "inst.png";
  i2i::io::write_png(p, ids);
  require_same(i2i::io::read_png16(p), ids);
  // Read as 8 bits, 16-bit samples are scaled (v * 255 / 65535, rounded), never truncated to the low byte.
  const auto eight = i2i::io::read_png(p);
  BOOST_TEST(eight.channels == 1);
  for (std::size_t i = 0; i < ids.pixels.size(); ++i)
    BOOST_TEST_REQUIRE(std::abs(int(eight.pixels[i]) - int(std::lround(ids.pixels[i] * 255.0 / 65535.0))) <= 1);
}

BOOST_AUTO_TEST_CASE(eight_bit_label_maps_read_as_16_bit_keep_their_values) {
  i2i::test::scratch_dir tmp;
  const auto labels = noise_image<std::uint8_t>(10, 9, 1, 5u, 34);
  const std::string p = tmp / "label.png";
  i2i::io::write_png(p, labels);
  const auto wide = i2i::io::read_png16(p);
  BOOST_TEST_REQUIRE(wide.pixels.size() == labels.pixels.size());
  for (std::size_t i = 0; i < wide.pixels.size(); ++i) BOOST_TEST_REQUIRE(wide.pixels[i] == labels.pixels[i]);
  const std::string rgb = tmp / "rgb.png";
  i2i::io::write_png(rgb, noise_image<std::uint8_t>(4, 4, 3, 1u, 255));
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_png16(rgb); }, {"read_png16", rgb, "colour"});
}

BOOST_AUTO_TEST_CASE(channel_conversion_on_read) {
  i2i::test::scratch_dir tmp;
  const auto grey = noise_image<std::uint8_t>(8, 5, 1, 9u, 255);
  const std::string pg = tmp / "grey.png";
  i2i::io::write_png(pg, grey);
  const auto as_rgb = i2i::io::read_png(pg, 3);
  BOOST_TEST_REQUIRE(as_rgb.channels == 3);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 8; ++x)
      for (int c = 0; c < 3; ++c) BOOST_TEST_REQUIRE(as_rgb.at(y, x, c) == grey.at(y, x));
  // Equal R, G and B must come back as that grey level.
  i2i::io::image rgb(8, 5, 3);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 8; ++x)
      for (int c = 0; c < 3; ++c) rgb.at(y, x, c) = grey.at(y, x);
  const std::string pc = tmp / "rgb.png";
  i2i::io::write_png(pc, rgb);
  const auto as_grey = i2i::io::read_png(pc, 1);
  BOOST_TEST_REQUIRE(as_grey.channels == 1);
  for (std::size_t i = 0; i < grey.pixels.size(); ++i)
    BOOST_TEST_REQUIRE(std::abs(int(as_grey.pixels[i]) - int(grey.pixels[i])) <= 1);
}

BOOST_AUTO_TEST_CASE(truncated_and_corrupt_files_name_the_file) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "cut.png";
  i2i::io::write_png(p, noise_image<std::uint8_t>(64, 64, 3, 2u, 255));
  const auto full = i2i::test::read_bytes(p);
  i2i::test::truncate_file(p, full.size() / 2);
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_png(p); }, {"read_png", p, "corrupt or truncated"});
  i2i::test::truncate_file(p, 20);  // inside the IHDR chunk
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_png(p); }, {"read_png", p, "corrupt PNG header"});
  i2i::test::truncate_file(p, 5);
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_png(p); }, {p, "not a PNG file", "shorter"});

  const std::string q = tmp / "flipped.png";
  auto bytes = full;
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 16; ++i) bytes[i] ^= 0x5A;  // inside IDAT: CRC fails
  i2i::test::write_bytes(q, bytes);
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_png(q); }, {"read_png", q});

  const std::string txt = tmp / "notes.png";
  i2i::test::write_bytes(txt, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_png(txt); }, {txt, "not a PNG file", "bad signature"});
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_image(txt); }, {txt, "neither a PNG nor a JPEG"});
}

BOOST_AUTO_TEST_CASE(missing_files_and_bad_arguments) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "absent.png";
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_png(p); }, {"read_png", p, "cannot open"});
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_image(p); }, {"read_image", p, "cannot open"});
  const std::string nowhere = tmp / "no-dir/x.png";
  i2i::test::expect_error<i2i::io_error>([&] { i2i::io::write_png(nowhere, i2i::io::image(2, 2, 1)); },
                                    {"write_png", nowhere, "cannot create"});
  i2i::test::expect_error<i2i::value_error>([&] { i2i::io::write_png(tmp / "empty.png", i2i::io::image()); },
                                       {"write_png", "not a valid"});
  i2i::io::write_png(tmp / "ok.png", i2i::io::image(2, 2, 1));
  i2i::test::expect_error<i2i::value_error>([&] { (void)i2i::io::read_png(tmp / "ok.png", 2); }, {"read_png", "got 2"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(jpeg)

BOOST_AUTO_TEST_CASE(round_trip_is_close) {
  i2i::test::scratch_dir tmp;
  for (int c : {1, 3}) {
    const auto img = smooth_image(45, 33, c);
    const std::string p = tmp / ("photo" + std::to_string(c) + ".jpg");
    i2i::io::write_jpeg(p, img, 95);
    const auto back = i2i::io::read_jpeg(p);
    BOOST_TEST_REQUIRE(back.width == 45);
    BOOST_TEST_REQUIRE(back.height == 33);
    BOOST_TEST_REQUIRE(back.channels == c);
    double err = 0;
    for (std::size_t i = 0; i < img.pixels.size(); ++i) err += std::abs(int(back.pixels[i]) - int(img.pixels[i]));
    BOOST_TEST(err / double(img.pixels.size()) < 3.0);
    const auto via_dispatch = i2i::io::read_image(p, 3);
    BOOST_TEST(via_dispatch.channels == 3);
  }
}

BOOST_AUTO_TEST_CASE(truncated_jpeg_is_an_error_not_grey_padding) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "cut.jpg";
  i2i::io::write_jpeg(p, smooth_image(64, 64, 3), 90);
  const auto size = i2i::test::read_bytes(p).size();
  i2i::test::truncate_file(p, size * 2 / 3);
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_jpeg(p); }, {"read_jpeg", p, "truncated"});
  i2i::test::truncate_file(p, 40);  // inside the headers
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_jpeg(p); }, {"read_jpeg", p});
  const std::string q = tmp / "not.jpg";
  i2i::test::write_bytes(q, {'G', 'I', 'F', '8', '9', 'a'});
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_jpeg(q); }, {q, "not a JPEG file"});
  i2i::test::expect_error<i2i::io_error>([&] { (void)i2i::io::read_jpeg(tmp / "absent.jpg"); }, {"absent.jpg", "cannot open"});
}

BOOST_AUTO_TEST_SUITE_END()

namespace {
/// A palette PNG with a transparent entry and 4-bit indices, written with libpng directly: the layout of
/// many real label maps (VOC-style), which read_png must expand to RGB or grey without an alpha channel.
void write_palette_png(const std::string& path, int w, int h) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  BOOST_TEST_REQUIRE(f != nullptr);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  BOOST_TEST_REQUIRE((png && info));
  png_init_io(png, f);
  png_set_IHDR(png, info, png_uint_32(w), png_uint_32(h), 4, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_color palette[3] = {{0, 0, 0}, {200, 10, 20}, {30, 220, 40}};
  png_set_PLTE(png, info, palette, 3);
  png_byte alpha[1] = {0};  // entry 0 transparent
  png_set_tRNS(png, info, alpha, 1, nullptr);
  png_write_info(png, info);
  std::vector<png_byte> row(std::size_t((w + 1) / 2));
  for (int y = 0; y < h; ++y) {
    std::fill(row.begin(), row.end(), png_byte(0));
    for (int x = 0; x < w; ++x) row[std::size_t(x / 2)] |= png_byte(((x + y) % 3) << (x % 2 ? 0 : 4));
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(png_palette)

BOOST_AUTO_TEST_CASE(palette_with_transparency_expands_without_alpha) {
  i2i::test::scratch_dir tmp;
  const std::string p = tmp / "labels.png";
  write_palette_png(p, 7, 3);
  const auto rgb = i2i::io::read_png(p);
  BOOST_TEST_REQUIRE(rgb.channels == 3);
  BOOST_TEST_REQUIRE(rgb.width == 7);
  const std::uint8_t expect[3][3] = {{0, 0, 0}, {200, 10, 20}, {30, 220, 40}};
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 7; ++x)
      for (int c = 0; c < 3; ++c) BOOST_TEST_REQUIRE(rgb.at(y, x, c) == expect[(x + y) % 3][c]);
  BOOST_TEST(i2i::io::read_png(p, 1).channels == 1);
}

BOOST_AUTO_TEST_SUITE_END()
