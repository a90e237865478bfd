// Dataset builders: digit scenes from a tiny IDX fixture, photo scenes from a fake package tree (both
// made here), compositing, pattern and RGBA readers, determinism per seed, errors naming what is
// missing; and, when cmake/fetch_scene_data.sh has run, the real stamp catalogue.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "fixtures.hpp"
#include "i2i/data/aligned_dataset.hpp"
#include "i2i/recipes/pix2pixhd/digit_scenes.hpp"
#include "i2i/data/encode.hpp"
#include "i2i/recipes/pix2pixhd/photo_scenes.hpp"
#include "i2i/io/jpeg.hpp"
#include "support/gradcheck.hpp"

namespace data = i2i::data;
namespace io = i2i::io;
namespace fs = std::filesystem;
using i2i::test::expect_error;

namespace {

/// Label/instance consistency of a generated split: stuff ids equal their class, thing ids are
/// class * 1000 + k with k >= 1, ids only where the label says so. Returns the labels seen.
std::set<int> check_split(const std::string& root, const std::string& phase, std::size_t n, int w, int h,
                          const std::set<int>& stuff) {
  std::set<int> seen;
  for (std::size_t i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/%06zu.png", i);
    const io::image16 lab = data::read_map(root + "/" + phase + "_label" + name);
    const io::image16 inst = data::read_map(root + "/" + phase + "_inst" + name);
    const io::image img = io::read_png(root + "/" + phase + "_img" + name);
    BOOST_TEST_REQUIRE((lab.width == w && lab.height == h && inst.width == w && img.width == w && img.channels == 3));
    for (std::size_t p = 0; p < lab.pixels.size(); ++p) {
      const int l = lab.pixels[p], id = inst.pixels[p];
      seen.insert(l);
      if (stuff.count(l))
        BOOST_TEST_REQUIRE(id == l);
      else
        BOOST_TEST_REQUIRE((id / 1000 == l && id % 1000 >= 1));
    }
  }
  return seen;
}

std::vector<unsigned char> bytes_of(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// A GIMP pattern file: w x h, bpp 1 or 3, pixel values from f.
void write_pattern(const std::string& path, int w, int h, int bpp) {
  std::vector<unsigned char> b;
  const char name[] = "fixture";
  auto be32 = [&](std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back((unsigned char)(v >> s));
  };
  be32(24 + sizeof name);
  be32(1);
  be32(std::uint32_t(w));
  be32(std::uint32_t(h));
  be32(std::uint32_t(bpp));
  for (char c : std::string("GPAT")) b.push_back((unsigned char)c);
  for (char c : name) b.push_back((unsigned char)c);
  for (int i = 0; i < w * h * bpp; ++i) b.push_back((unsigned char)(i * 13 % 256));
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

/// A w x h RGBA stamp: an opaque disc of noisy colour (photo-like: many colours) or of one flat colour.
void write_stamp(const std::string& path, int w, int h, bool noisy, unsigned seed) {
  std::vector<std::uint8_t> px(std::size_t(w) * h * 4, 0);
  unsigned s = seed;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const double dx = (x + 0.5) / w - 0.5, dy = (y + 0.5) / h - 0.5;
      std::uint8_t* p = &px[(std::size_t(y) * w + x) * 4];
      for (int c = 0; c < 3; ++c) p[c] = noisy ? std::uint8_t((s = s * 1103515245u + 12345u) >> 16) : 200;
      p[3] = dx * dx + dy * dy < 0.2 ? 255 : 0;
    }
  fs::create_directories(fs::path(path).parent_path());
  i2i::test::write_rgba_png(path, w, h, px);
}

/// A fake copy of what cmake/fetch_scene_data.sh extracts: every stuff file and six stamps, of which
/// two are birds, two vehicles, and the rest must be filtered out (cartoon folder, tintable, flat).
std::string fake_sources(const i2i::test::data_scratch& tmp) {
  const std::string src = tmp.mkdir("sources");
  for (const auto& r : data::stuff_rules()) {
    const fs::path p = fs::path(src) / r.package->fetched / r.file;
    fs::create_directories(p.parent_path());
    if (r.tile) {
      write_pattern(p.string(), 24, 20, 3);
    } else {
      io::image photo(80, 60, 3);
      for (std::size_t i = 0; i < photo.pixels.size(); ++i) photo.pixels[i] = std::uint8_t(i * 7 % 251);
      io::write_jpeg(p.string(), photo);
    }
  }
  const std::string st = src + "/tuxpaint/stamps";
  write_stamp(st + "/animals/birds/robin.png", 40, 30, true, 1);
  write_stamp(st + "/animals/birds/wren.png", 30, 40, true, 2);
  write_stamp(st + "/vehicles/auto/car.png", 50, 30, true, 3);
  write_stamp(st + "/vehicles/bus.png", 44, 30, true, 4);
  write_stamp(st + "/animals/birds/cartoon/toon.png", 40, 40, true, 5);
  write_stamp(st + "/animals/birds/tinted.png", 40, 40, true, 6);
  std::ofstream(st + "/animals/birds/tinted.dat") << "tintable\n";
  write_stamp(st + "/vehicles/flat.png", 40, 40, false, 7);
  return src;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scenes)

BOOST_AUTO_TEST_CASE(paste_blends_and_labels_above_half_alpha) {
  data::scene s(6, 4);
  std::fill(s.image.pixels.begin(), s.image.pixels.end(), std::uint8_t(100));
  std::fill(s.label.pixels.begin(), s.label.pixels.end(), std::uint16_t(1));
  std::fill(s.inst.pixels.begin(), s.inst.pixels.end(), std::uint16_t(1));
  data::cutout c;
  c.width = 3;
  c.height = 2;
  const float alpha[6] = {1.0f, 0.6f, 0.4f, 0.0f, 0.5f, 1.0f};
  for (int i = 0; i < 6; ++i) {
    c.rgba.push_back(alpha[i] * 1.0f);  // white, premultiplied
    c.rgba.push_back(0);
    c.rgba.push_back(0);
    c.rgba.push_back(alpha[i]);
  }
  // At (4, 3): only the top-left 2 x 1 of the cut-out lands on the canvas (alphas 1.0 and 0.6).
  BOOST_TEST(data::paste(s, c, 4, 3, 5, 5001) == 2);
  BOOST_TEST(int(s.image.at(3, 4, 0)) == 255);
  BOOST_TEST(int(s.image.at(3, 5, 0)) == 193);  // 100 * 0.4 + 255 * 0.6 = 193
  BOOST_TEST(int(s.image.at(3, 5, 1)) == 40);
  BOOST_TEST((s.label.at(3, 4) == 5 && s.inst.at(3, 5) == 5001 && s.label.at(2, 4) == 1));
  // At (0, 0): alpha 0.4, 0 and exactly 0.5 do not label.
  BOOST_TEST(data::paste(s, c, 0, 0, 7, 7001) == 3);
  BOOST_TEST((s.label.at(0, 0) == 7 && s.label.at(0, 1) == 7 && s.label.at(0, 2) == 1 && s.label.at(1, 1) == 1 &&
              s.label.at(1, 2) == 7));
  BOOST_TEST(data::paste(s, c, -3, 0, 9, 9001) == 0);  // entirely outside
}

BOOST_AUTO_TEST_CASE(pattern_and_rgba_readers) {
  i2i::test::data_scratch tmp;
  write_pattern(tmp / "g.pat", 5, 3, 1);
  const io::image g = data::read_gimp_pattern(tmp / "g.pat");
  BOOST_TEST((g.width == 5 && g.height == 3 && g.channels == 3));
  BOOST_TEST((g.at(1, 2, 0) == 7 * 13 % 256 && g.at(1, 2, 2) == 7 * 13 % 256));
  write_pattern(tmp / "c.pat", 4, 4, 3);
  BOOST_TEST(int(data::read_gimp_pattern(tmp / "c.pat").at(0, 1, 2)) == 5 * 13 % 256);
  std::filesystem::resize_file(tmp / "c.pat", 50);
  expect_error<i2i::io_error>([&] { data::read_gimp_pattern(tmp / "c.pat"); }, {"c.pat", "truncated"});
  std::ofstream(tmp / "x.pat") << "hello, this is not a pattern file";
  expect_error<i2i::io_error>([&] { data::read_gimp_pattern(tmp / "x.pat"); }, {"x.pat", "GPAT"});

  std::vector<std::uint8_t> px = {10, 20, 30, 0, 40, 50, 60, 128, 70, 80, 90, 255};
  i2i::test::write_rgba_png(tmp / "s.png", 3, 1, px);
  const auto s = data::read_png_rgba(tmp / "s.png");
  BOOST_TEST((s.rgb.width == 3 && s.alpha.at(0, 0) == 0 && s.alpha.at(0, 1) == 128 && s.alpha.at(0, 2) == 255));
  BOOST_TEST((s.rgb.at(0, 1, 0) == 40 && s.rgb.at(0, 2, 2) == 90));
  io::write_png(tmp / "rgb.png", io::image(2, 2, 3, 9));
  BOOST_TEST(int(data::read_png_rgba(tmp / "rgb.png").alpha.at(1, 1)) == 255);  // no alpha: opaque
}

BOOST_AUTO_TEST_CASE(digit_scenes_from_idx_fixture) {
  i2i::test::data_scratch tmp;
  const std::string mnist = tmp.mkdir("mnist");
  i2i::test::write_glyph_idx(mnist, "train", 20);
  i2i::test::write_glyph_idx(mnist, "t10k", 10);
  data::digit_scene_options o;
  o.width = 64;
  o.height = 32;
  o.min_digits = 2;
  o.max_digits = 4;
  o.train_count = 6;
  o.test_count = 3;
  o.seed = 7;
  const auto sum = data::build_digit_scenes(mnist, tmp / "out", o);
  BOOST_TEST((sum.train == 6u && sum.test == 3u && sum.label_nc == 11));
  BOOST_TEST(fs::exists(tmp / "out/classes.txt"));
  std::ifstream cls(tmp / "out/classes.txt");
  std::string line, last;
  int lines = 0;
  while (std::getline(cls, line)) ++lines, last = line;
  BOOST_TEST(lines == 11);
  BOOST_TEST(last == "10 digit_9");
  const auto seen = check_split(tmp / "out", "train", 6, 64, 32, {0});
  check_split(tmp / "out", "test", 3, 64, 32, {0});
  BOOST_TEST(seen.size() > 3u);  // background and several digit classes
  BOOST_TEST(*seen.rbegin() <= 10);
  BOOST_TEST(sum.stats.pixels[0] > 0);
  std::int64_t things = 0;
  for (int c = 1; c <= 10; ++c) things += sum.stats.instances[std::size_t(c)];
  // 9 scenes paste 2-4 digits each; a later digit may hide an earlier one entirely, so only bounds.
  BOOST_TEST((things >= 9 && things <= 9 * 4));
  // The same seed gives the same bytes; another seed does not.
  data::build_digit_scenes(mnist, tmp / "again", o);
  for (const char* f : {"train_img/000004.png", "train_inst/000004.png", "test_label/000002.png"})
    BOOST_TEST((bytes_of(tmp / (std::string("out/") + f)) == bytes_of(tmp / (std::string("again/") + f))), f);
  o.seed = 8;
  data::build_digit_scenes(mnist, tmp / "other", o);
  BOOST_TEST((bytes_of(tmp / "out/train_img/000004.png") != bytes_of(tmp / "other/train_img/000004.png")));
  // The result loads as a pix2pixHD dataset and encodes to label_nc + 1 channels.
  data::dataset_options d;
  d.dataroot = tmp / "out";
  d.label_nc = 11;
  d.transform.mode = data::resize_mode::none;
  data::aligned_dataset ds(d);
  BOOST_TEST(ds.size() == 6u);
  const auto s = ds.get(2, data::transform_params{});
  BOOST_TEST(data::encode_input(s.label, s.inst, 11).shape() == i2i::shape::nchw(1, 12, 32, 64));
  // Missing MNIST names the file and the fetch script.
  expect_error<i2i::io_error>([&] { data::build_digit_scenes(tmp / "nothing", tmp / "x", o); },
                              {"train-images-idx3-ubyte", "nothing", "fetch_mnist.sh"});
}

BOOST_AUTO_TEST_CASE(photo_scenes_from_fake_packages) {
  i2i::test::data_scratch tmp;
  const std::string src = fake_sources(tmp);
  data::photo_scene_options o;
  o.width = 64;
  o.height = 32;
  o.train_count = 5;
  o.test_count = 3;
  o.seed = 3;
  data::scene_sources loaded;
  const auto sum = data::build_photo_scenes(src, tmp / "out", o, &loaded);
  BOOST_TEST(sum.label_nc == 12);
  BOOST_TEST_REQUIRE(loaded.stamps.size() == 4u);  // cartoon, tintable and flat stamps are filtered out
  for (const auto& st : loaded.stamps) BOOST_TEST((st.class_id == 5 || st.class_id == 11));
  BOOST_TEST((loaded.split[0].size() == 2u && loaded.split[1].size() == 2u));  // one of each class held out
  const auto seen = check_split(tmp / "out", "train", 5, 64, 32, {1, 2, 3});
  check_split(tmp / "out", "test", 3, 64, 32, {1, 2, 3});
  BOOST_TEST(seen.count(1) == 1u);  // sky in every scene
  for (int l : seen) BOOST_TEST((l == 1 || l == 2 || l == 3 || l == 5 || l == 11));
  BOOST_TEST(sum.stats.instances[5] + sum.stats.instances[11] > 0);
  data::build_photo_scenes(src, tmp / "again", o);
  BOOST_TEST((bytes_of(tmp / "out/train_img/000003.png") == bytes_of(tmp / "again/train_img/000003.png")));
  BOOST_TEST((bytes_of(tmp / "out/test_inst/000001.png") == bytes_of(tmp / "again/test_inst/000001.png")));
  // A missing package is named, with the fix.
  fs::remove_all(fs::path(src) / "gimp");
  if (!fs::exists(data::gimp_package.installed))
    expect_error<i2i::io_error>([&] { data::build_photo_scenes(src, tmp / "x", o); },
                                {"gimp-data", "fetch_scene_data.sh"});
  if (!fs::exists(data::tuxpaint_package.installed))
    expect_error<i2i::io_error>([&] { data::build_photo_scenes(tmp / "empty", tmp / "x", o); },
                                {"tuxpaint-stamps-default", "fetch_scene_data.sh"});
}

BOOST_AUTO_TEST_CASE(real_stamp_catalogue_when_fetched) {
  const char* env = std::getenv("I2I_DATA_DIR");
  const std::string sources = std::string(env ? env : I2I_DEFAULT_DATA_DIR) + "/scene_sources";
  if (!fs::exists(fs::path(sources) / "tuxpaint/stamps")) {
    BOOST_TEST_MESSAGE("skipped: no Tux Paint stamps in " << sources << " (run cmake/fetch_scene_data.sh)");
    return;
  }
  const auto stamps = data::load_stamps(sources + "/tuxpaint/stamps", 64);
  std::set<int> classes;
  for (const auto& s : stamps) classes.insert(s.class_id);
  BOOST_TEST(stamps.size() > 120u);
  BOOST_TEST(classes.size() == 8u);
}

BOOST_AUTO_TEST_SUITE_END()
