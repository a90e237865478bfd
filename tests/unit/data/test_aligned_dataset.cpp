// AlignedDataset: the reference layout, pairing by sorted path, tensor values (ids exact, images in
// [-1, 1] as ToTensor + Normalize compute them), label_nc 0 folders, every bad-input error naming the
// file, and the batch loader's seeded, order-independent batches.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "fixtures.hpp"
#include "i2i/data/loader.hpp"
#include "support/gradcheck.hpp"

namespace data = i2i::data;
namespace io = i2i::io;
using i2i::test::expect_error;

namespace {

/// A dataroot with n samples of w x h: label = (x / 4 + y / 4 + k) % label_range, inst = 1000 * label + 33000
/// style ids (16-bit), image = coded position. Names differ per folder, as in Cityscapes.
struct layout {
  i2i::test::data_scratch tmp;
  std::string root;
  layout(int n, int w, int h, int label_range = 5, bool with_inst = true, bool with_img = true) {
    root = tmp.mkdir("root");
    const std::string ld = tmp.mkdir("root/train_label"), id = tmp.mkdir("root/train_inst"),
                      md = tmp.mkdir("root/train_img");
    for (int k = 0; k < n; ++k) {
      std::string s = "s";  // not "s" + to_string(k): g++ 12 warns -Wrestrict falsely on that
      s += std::to_string(k);
      io::write_png(ld + "/" + s + "_gtFine_labelIds.png",
                    i2i::test::label_map(w, h, [&](int x, int y) { return (x / 4 + y / 4 + k) % label_range; }));
      if (with_inst) {
        io::image16 inst(w, h, 1);
        for (int y = 0; y < h; ++y)
          for (int x = 0; x < w; ++x) inst.at(y, x) = std::uint16_t(33000 + 1000 * k + (x / 8));
        io::write_png(id + "/" + s + "_instanceIds.png", inst);
      }
      if (with_img)
        io::write_png(md + "/" + s + "_leftImg8bit.png", i2i::test::coded_image(w, h, [&](int, int) { return 17 * k; }));
    }
    if (!with_inst) std::filesystem::remove_all(id);
  }
  data::dataset_options options(int label_nc = 5) const {
    data::dataset_options o;
    o.dataroot = root;
    o.label_nc = label_nc;
    o.transform.mode = data::resize_mode::none;
    return o;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(aligned_dataset)

BOOST_AUTO_TEST_CASE(layout_pairing_and_values) {
  layout L(3, 32, 16);
  // A sub-folder is walked too, and sorts by path: "train_label/s0..." < "train_label/sub/..." would
  // not apply here; only the top-level files exist, sorted s0, s1, s2.
  data::aligned_dataset ds(L.options());
  BOOST_TEST(ds.size() == 3u);
  BOOST_TEST(ds.input_channels() == 6);
  const auto s = ds.get(1, data::transform_params{});
  BOOST_TEST(s.label_path.find("s1_gtFine_labelIds.png") != std::string::npos);
  BOOST_TEST(s.inst_path.find("s1_instanceIds.png") != std::string::npos);
  BOOST_TEST(s.image_path.find("s1_leftImg8bit.png") != std::string::npos);
  BOOST_TEST(s.label.shape() == i2i::shape::nchw(1, 1, 16, 32));
  BOOST_TEST(s.inst.shape() == i2i::shape::nchw(1, 1, 16, 32));
  BOOST_TEST(s.image.shape() == i2i::shape::nchw(1, 3, 16, 32));
  BOOST_TEST(s.label.at(0, 0, 5, 9) == float((9 / 4 + 5 / 4 + 1) % 5));
  BOOST_TEST(s.inst.at(0, 0, 3, 17) == 34002.0f);  // 16-bit ids survive exactly
  BOOST_TEST(s.image.at(0, 0, 2, 5) == (float(5 * 7) / 255.0f - 0.5f) / 0.5f);
  BOOST_TEST(s.image.at(0, 2, 0, 0) == (float(17) / 255.0f - 0.5f) / 0.5f);
}

BOOST_AUTO_TEST_CASE(augmentation_zooms_maps_alike_and_jitters_the_image_only) {
  layout L(1, 32, 16);
  auto o = L.options();
  data::aligned_dataset plain(o);
  o.augment = {.brightness = 0.5, .max_scale = 1.6};
  data::aligned_dataset zoomed(o);
  data::rng r1(5), r2(5);
  const auto a = plain.get(0, r1), b = zoomed.get(0, r2);
  BOOST_TEST(a.params.flip == b.params.flip);  // the transform's draws come first and are unchanged
  BOOST_TEST(a.augment.scale == 1.0);
  BOOST_TEST(b.augment.scale > 1.0);
  auto as_map = [](const i2i::tensor<float>& t) {
    io::image16 m(int(t.dim(3)), int(t.dim(2)), 1);
    for (int y = 0; y < m.height; ++y)
      for (int x = 0; x < m.width; ++x) m.at(y, x) = std::uint16_t(t.at(0, 0, y, x));
    return m;
  };
  const auto want_label = data::apply_zoom(as_map(a.label), b.augment, data::interp::nearest);
  const auto want_inst = data::apply_zoom(as_map(a.inst), b.augment, data::interp::nearest);
  BOOST_TEST(as_map(b.label).pixels == want_label.pixels, boost::test_tools::per_element());
  BOOST_TEST(as_map(b.inst).pixels == want_inst.pixels, boost::test_tools::per_element());
  BOOST_TEST(b.image.shape() == a.image.shape());
  double diff = 0;
  for (std::int64_t i = 0; i < a.image.numel(); ++i) diff += std::abs(a.image[i] - b.image[i]);
  BOOST_TEST(diff > 0);
  const auto t = zoomed.get(0, data::transform_params{});  // test time: no augmentation
  BOOST_TEST(as_map(t.label).pixels == as_map(plain.get(0, data::transform_params{}).label).pixels,
             boost::test_tools::per_element());
  o.augment.hue = 0.9;
  expect_error<i2i::value_error>([&] { data::aligned_dataset bad(o); }, {"augment: hue 0.9"});
}

BOOST_AUTO_TEST_CASE(label_nc_zero_reads_a_and_b) {
  i2i::test::data_scratch tmp;
  const std::string a = tmp.mkdir("r/test_A"), b = tmp.mkdir("r/test_B");
  for (int k = 0; k < 2; ++k) {
    io::write_png(a + "/" + std::to_string(k) + ".png", i2i::test::coded_image(16, 16, [&](int x, int) { return x * k; }));
    io::write_png(b + "/" + std::to_string(k) + ".png", i2i::test::coded_image(16, 16, [](int, int y) { return y; }));
  }
  data::dataset_options o;
  o.dataroot = tmp / "r";
  o.phase = "test";
  o.label_nc = 0;
  o.no_instance = true;
  o.transform.mode = data::resize_mode::none;
  data::aligned_dataset ds(o);
  BOOST_TEST(ds.input_channels() == 3);
  const auto s = ds.get(1, data::transform_params{});
  BOOST_TEST(s.label.shape() == i2i::shape::nchw(1, 3, 16, 16));
  BOOST_TEST(s.label.at(0, 2, 0, 3) == (3.0f / 255.0f - 0.5f) / 0.5f);
  BOOST_TEST(!s.inst.defined());
  BOOST_TEST(s.image.at(0, 2, 7, 0) == (7.0f / 255.0f - 0.5f) / 0.5f);
}

BOOST_AUTO_TEST_CASE(palette_label_maps_give_indices) {
  i2i::test::data_scratch tmp;
  const std::string d = tmp.mkdir("r/train_label");
  std::vector<std::uint8_t> idx(8 * 4);
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = std::uint8_t(i % 7);
  i2i::test::write_palette_png(d + "/a.png", 8, 4, idx);
  const io::image16 m = data::read_map(d + "/a.png");
  BOOST_TEST_REQUIRE(m.channels == 1);
  for (std::size_t i = 0; i < idx.size(); ++i) BOOST_TEST_REQUIRE(m.pixels[i] == idx[i]);
  io::write_png(d + "/rgb.png", i2i::test::coded_image(4, 4, [](int, int) { return 0; }));
  expect_error<i2i::io_error>([&] { data::read_map(d + "/rgb.png"); }, {"rgb.png", "colour"});
}

BOOST_AUTO_TEST_CASE(label_out_of_range_names_file_value_and_pixel) {
  layout L(2, 16, 16, 5);
  io::image bad = i2i::test::label_map(16, 16, [](int, int) { return 1; });
  bad.at(6, 11) = 35;
  io::write_png(L.root + "/train_label/s1_gtFine_labelIds.png", bad);
  data::aligned_dataset ds(L.options(35));
  BOOST_CHECK_NO_THROW(ds.get(0, data::transform_params{}));
  expect_error<i2i::value_error>([&] { ds.get(1, data::transform_params{}); },
                                 {"s1_gtFine_labelIds.png", "label 35", "(x=11, y=6)", "label_nc = 35"});
}

BOOST_AUTO_TEST_CASE(missing_instance_folder_and_count_mismatch) {
  {
    layout L(2, 16, 16, 5, false);
    expect_error<i2i::io_error>([&] { data::aligned_dataset ds(L.options()); }, {"train_inst", "no_instance"});
    auto o = L.options();
    o.no_instance = true;
    data::aligned_dataset ds(o);
    BOOST_TEST(ds.input_channels() == 5);
    BOOST_TEST(!ds.get(0, data::transform_params{}).inst.defined());
  }
  {
    layout L(3, 16, 16);
    std::filesystem::remove(L.root + "/train_img/s1_leftImg8bit.png");
    // Names differ by design between folders: the first file past the shorter list is named.
    expect_error<i2i::io_error>([&] { data::aligned_dataset ds(L.options()); },
                                {"holds 3 files", "holds 2", "s2_gtFine_labelIds.png"});
  }
  {
    layout L(3, 16, 16);
    // Same names in both folders: the file without a partner is found by name.
    const std::string d = L.tmp.mkdir("root/train_A"), e = L.tmp.mkdir("root/train_B");
    for (const char* n : {"a.png", "b.png", "c.png"}) io::write_png(d + "/" + n, i2i::test::coded_image(16, 16, [](int, int) { return 0; }));
    for (const char* n : {"a.png", "c.png"}) io::write_png(e + "/" + n, i2i::test::coded_image(16, 16, [](int, int) { return 0; }));
    auto o = L.options(0);
    o.no_instance = true;
    expect_error<i2i::io_error>([&] { data::aligned_dataset ds(o); }, {"holds 3 files", "holds 2", "train_A/b.png"});
  }
  {
    i2i::test::data_scratch tmp;
    data::dataset_options o;
    o.dataroot = tmp / "nowhere";
    expect_error<i2i::io_error>([&] { data::aligned_dataset ds(o); }, {"nowhere", "does not exist"});
    tmp.mkdir("r/train_label");
    o.dataroot = tmp / "r";
    expect_error<i2i::io_error>([&] { data::aligned_dataset ds(o); }, {"train_label", "no PNG or JPEG"});
    std::ofstream(tmp / "r/train_label/x.bmp") << "BM";
    expect_error<i2i::io_error>([&] { data::aligned_dataset ds(o); }, {"x.bmp", "not PNG or JPEG"});
  }
}

BOOST_AUTO_TEST_CASE(corrupt_files_and_sizes) {
  layout L(3, 32, 16);
  {  // a truncated PNG
    const std::string p = L.root + "/train_img/s2_leftImg8bit.png";
    std::filesystem::resize_file(p, 60);
    data::aligned_dataset ds(L.options());
    expect_error<i2i::io_error>([&] { ds.get(2, data::transform_params{}); }, {"s2_leftImg8bit.png"});
    std::ofstream(L.root + "/train_inst/s1_instanceIds.png") << "not a png at all";
    expect_error<i2i::io_error>([&] { ds.get(1, data::transform_params{}); }, {"s1_instanceIds.png", "neither a PNG nor a JPEG"});
  }
  {  // an image whose size differs from its label map
    io::write_png(L.root + "/train_img/s0_leftImg8bit.png", i2i::test::coded_image(30, 16, [](int, int) { return 0; }));
    auto o = L.options();
    o.transform.mode = data::resize_mode::crop;
    o.transform.fine_size = 64;
    data::aligned_dataset ds(o);
    expect_error<i2i::shape_error>([&] { ds.get(0, data::transform_params{}); },
                                   {"s0_leftImg8bit.png", "30x16", "32x16", "same size"});
  }
  {  // sizes not divisible by 2^(n_downsample_global + n_local_enhancers) after the transform
    auto o = L.options();
    o.transform.mode = data::resize_mode::scale_width;
    o.transform.load_size = 40;  // 32 x 16 -> 40 x 20
    o.no_instance = true;
    o.load_image = false;
    data::aligned_dataset ds(o);
    expect_error<i2i::shape_error>([&] { ds.get(0, data::transform_params{}); }, {"s0_gtFine_labelIds.png", "20x40", "16"});
    o.transform.n_downsample_global = 2;  // multiple 4: 20 x 40 passes
    BOOST_CHECK_NO_THROW(data::aligned_dataset(o).get(0, data::transform_params{}));
    o.transform.n_local_enhancers = 1;  // multiple 8: fails again
    expect_error<i2i::shape_error>([&] { data::aligned_dataset(o).get(0, data::transform_params{}); }, {"8"});
  }
}

BOOST_AUTO_TEST_CASE(loader_is_seeded_and_order_independent) {
  layout L(7, 32, 32);
  auto o = L.options();
  o.transform.mode = data::resize_mode::crop;
  o.transform.fine_size = 16;
  data::aligned_dataset ds(o);
  data::loader_options lo;
  lo.batch_size = 3;
  lo.seed = 42;
  data::batch_loader a(ds, lo), serial(ds, [&] { auto x = lo; x.parallel = false; return x; }());
  BOOST_TEST(a.batches_per_epoch() == 2u);  // 7 // 3, drop_last as pix2pixHD
  const auto b1 = a.load(0, 1);
  BOOST_TEST(b1.label.shape() == i2i::shape::nchw(3, 1, 16, 16));
  BOOST_TEST(b1.inst.shape() == i2i::shape::nchw(3, 1, 16, 16));
  BOOST_TEST(b1.image.shape() == i2i::shape::nchw(3, 3, 16, 16));
  BOOST_TEST(b1.label_paths.size() == 3u);
  // Same batch when loaded again, serially, or after other batches; sample k is dataset index indices[k].
  const auto again = serial.load(0, 1);
  (void)a.load(3, 0);
  const auto third = a.load(0, 1);
  BOOST_TEST(b1.indices == again.indices, boost::test_tools::per_element());
  for (std::int64_t i = 0; i < b1.image.numel(); ++i) {
    BOOST_TEST_REQUIRE(b1.image[i] == again.image[i]);
    BOOST_TEST_REQUIRE(b1.image[i] == third.image[i]);
  }
  for (std::size_t k = 0; k < 3; ++k) {
    BOOST_TEST(b1.label_paths[k] == ds.label_paths()[b1.indices[k]]);
    // The image's blue channel holds 17 * index: the batch row really is that sample.
    BOOST_TEST(b1.image.at(std::int64_t(k), 2, 0, 0) == (float(17 * b1.indices[k]) / 255.0f - 0.5f) / 0.5f);
  }
  // Each epoch is a permutation; epochs and seeds differ.
  std::set<std::size_t> seen;
  for (std::size_t i : a.epoch_order(5)) seen.insert(i);
  BOOST_TEST(seen.size() == 7u);
  BOOST_TEST((a.epoch_order(0) != a.epoch_order(1)));
  auto lo2 = lo;
  lo2.seed = 43;
  BOOST_TEST((a.epoch_order(0) != data::batch_loader(ds, lo2).epoch_order(0)));
  auto lo3 = lo;
  lo3.shuffle = false;
  lo3.drop_last = false;
  data::batch_loader c(ds, lo3);
  BOOST_TEST(c.batches_per_epoch() == 3u);
  BOOST_TEST(c.load(0, 2).size() == 1);
  BOOST_TEST(c.load(0, 2).indices[0] == 6u);
  BOOST_CHECK_THROW(c.load(0, 3), i2i::value_error);
  lo3.batch_size = 8;
  lo3.drop_last = true;
  expect_error<i2i::value_error>([&] { data::batch_loader d(ds, lo3); }, {"7 samples", "batch of 8"});
}

BOOST_AUTO_TEST_CASE(loader_rejects_mixed_sizes_in_a_batch) {
  layout L(2, 32, 16);
  io::write_png(L.root + "/train_label/s1_gtFine_labelIds.png", i2i::test::label_map(48, 16, [](int, int) { return 0; }));
  io::image16 inst(48, 16, 1);
  io::write_png(L.root + "/train_inst/s1_instanceIds.png", inst);
  io::write_png(L.root + "/train_img/s1_leftImg8bit.png", i2i::test::coded_image(48, 16, [](int, int) { return 0; }));
  data::aligned_dataset ds(L.options());
  data::loader_options lo;
  lo.batch_size = 2;
  lo.shuffle = false;
  expect_error<i2i::shape_error>([&] { data::batch_loader(ds, lo).load(0, 0); }, {"s1_gtFine_labelIds.png", "s0_gtFine_labelIds.png"});
}

BOOST_AUTO_TEST_SUITE_END()
