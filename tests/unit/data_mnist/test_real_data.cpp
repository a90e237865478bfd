// The builders on the real files, when present (skipped otherwise): MNIST from cmake/fetch_mnist.sh in
// $I2I_DATA_DIR/mnist, Fashion-MNIST from Debian's dataset-fashion-mnist. Counts, a few images of every
// folder against the authors' recipe run by numpy (fixtures/reference_mnist.txt), and invariants over
// whole splits.
#include <boost/test/unit_test.hpp>

#include <array>
#include <filesystem>

#include "i2i/recipes/egscit/mnist_multiple.hpp"
#include "i2i/recipes/egscit/mnist_single.hpp"
#include "unit/data_mnist/helpers.hpp"

namespace {

namespace fs = std::filesystem;
using namespace i2i::data;

struct mnist_present {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(i2i::test::have_mnist());
    r.message() << "MNIST not found in " << i2i::test::mnist_dir().string() << " (run cmake/fetch_mnist.sh)";
    return r;
  }
};

struct fashion_present {
  boost::test_tools::assertion_result operator()(boost::unit_test::test_unit_id) const {
    boost::test_tools::assertion_result r(fs::exists(fs::path(fashion_mnist_debian_dir) / "t10k-images-idx3-ubyte.gz"));
    r.message() << "Fashion-MNIST not found in " << fashion_mnist_debian_dir << " (apt-get install dataset-fashion-mnist)";
    return r;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(real_data)

BOOST_AUTO_TEST_CASE(mnist_counts_reference_images_and_invariants, *boost::unit_test::precondition(mnist_present())) {
  const grey_set train = load_grey_source(grey_source::mnist, split::train, i2i::test::mnist_dir());
  const grey_set test = load_grey_source(grey_source::mnist, split::test, i2i::test::mnist_dir());
  BOOST_TEST_REQUIRE(train.size() == 60000u);
  BOOST_TEST_REQUIRE(test.size() == 10000u);
  std::array<int, 10> per_class{};
  for (auto l : train.labels) ++per_class[l];
  const std::array<int, 10> expect{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949};
  BOOST_TEST(per_class == expect, boost::test_tools::per_element());

  // Names and CRC-32s of images 0..5, N/2 and N-1 of every folder, and of the first MNIST-Multiple
  // canvas that found only 9 classes, from the authors' recipe in numpy.
  std::vector<i2i::test::reference_image> rows;
  std::vector<i2i::test::reference_pair> pairs;
  i2i::test::read_reference("reference_mnist.txt", rows, pairs);
  BOOST_TEST_REQUIRE(rows.size() == 102u);
  const mnist_single s_train(train, split::train), s_test(test, split::test);
  const mnist_multiple m_train(train, split::train), m_test(test, split::test);
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.kind << " " << r.split << " " << r.folder << " " << r.index) {
      const bool single = r.kind == "single", tr = r.split == "train";
      auto pick = [&](const auto& d) -> std::pair<std::string, i2i::io::image> {
        if (r.folder == "A") return {d.a_name(r.index), d.a(r.index)};
        if (r.folder == "B") return {d.b_name(r.index), d.b(r.index)};
        if (r.folder == "A2B") return {d.a2b_name(r.index), d.a2b(r.index)};
        return {d.b2a_name(r.index), d.b2a(r.index)};
      };
      const auto [name, img] = single ? (tr ? pick(s_train) : pick(s_test)) : (tr ? pick(m_train) : pick(m_test));
      BOOST_TEST(name == r.name);
      BOOST_TEST(i2i::test::crc(img) == r.crc);
    }
  }
  const auto rp = s_train.record_pairs();
  for (const auto& p : pairs) {
    BOOST_TEST(rp.at(p.record).first == p.a);
    BOOST_TEST(rp.at(p.record).second == p.b);
  }

  // Whole-split invariants of MNIST-Single: the hold-out rule in training, six even schemes in test.
  std::array<int, 6> test_schemes{};
  int train_held_out = 0, train_rg_high = 0, black_on_white = 0;
  for (std::size_t i = 0; i < s_train.size(); ++i)
    if (s_train.b_label(i) >= 5) {
      train_held_out += s_train.b_scheme(i) != rgb_scheme::r_g;
      ++train_rg_high;
    }
  for (std::size_t i = 0; i < s_test.size(); ++i) {
    ++test_schemes[std::size_t(s_test.b_scheme(i))];
    black_on_white += s_test.a_scheme(i) == bw_scheme::black_on_white;
  }
  BOOST_TEST(train_held_out == 0);
  BOOST_TEST(train_rg_high == 5421 + 5918 + 6265 + 5851 + 5949);
  for (int c : test_schemes) {
    BOOST_TEST(c > 1500);
    BOOST_TEST(c < 1850);
  }
  BOOST_TEST(black_on_white > 4800);
  BOOST_TEST(black_on_white < 5200);

  // MNIST-Multiple: 100 random draws miss a class with probability about 10 * 0.9^100 = 2.7e-4, so a
  // handful of A canvases hold 9 digits (the "very rare" case of the spec); B's 200 draws never miss.
  // Every test A2B finds its classes' colours in B (the authors' script would have stopped otherwise).
  std::size_t incomplete_a = 0, incomplete_b = 0, missing_colour = 0;
  for (const auto* m : {&m_train, &m_test})
    for (std::size_t i = 0; i < m->size(); ++i) {
      incomplete_a += m->a_layout(i).sources.size() != 10;
      incomplete_b += m->b_layout(i).sources.size() != 10;
      if (m == &m_test)
        for (auto s : m->a_layout(i).sources) missing_colour += !m->b_colour(i, test.labels[s], nullptr);
    }
  BOOST_TEST_MESSAGE("MNIST-Multiple: " << incomplete_a << " of 70000 A canvases hold 9 classes");
  BOOST_TEST(incomplete_a > 0u);
  BOOST_TEST(incomplete_a < 60u);
  BOOST_TEST(incomplete_b == 0u);
  BOOST_TEST(missing_colour == 0u);
}

BOOST_AUTO_TEST_CASE(fashion_mnist_builds_the_same_way, *boost::unit_test::precondition(fashion_present())) {
  const grey_set train = load_grey_source(grey_source::fashion_mnist, split::train, fashion_mnist_debian_dir);
  const grey_set test = load_grey_source(grey_source::fashion_mnist, split::test, fashion_mnist_debian_dir);
  BOOST_TEST_REQUIRE(train.size() == 60000u);
  BOOST_TEST_REQUIRE(test.size() == 10000u);
  std::array<int, 10> per_class{};
  for (auto l : test.labels) ++per_class[l];
  for (int c : per_class) BOOST_TEST(c == 1000);
  const auto fg = foreground_fraction_by_class(test);
  for (std::size_t c = 0; c < 10; ++c) {
    BOOST_TEST_MESSAGE("Fashion-MNIST test class " << c << ": foreground fraction " << fg[c]);
    BOOST_TEST(fg[c] > 0.05);
    BOOST_TEST(fg[c] < 0.8);
  }
  const mnist_single s(train, split::train);
  int held_out = 0;
  for (std::size_t i = 0; i < s.size(); ++i) held_out += s.b_label(i) >= 5 && s.b_scheme(i) != rgb_scheme::r_g;
  BOOST_TEST(held_out == 0);  // sandal, shirt, sneaker, bag and ankle boot are always R/G in training
  const mnist_multiple m(test, split::test);
  const auto img = m.a2b(0);
  BOOST_TEST(img.width == 112);
  BOOST_TEST(m.a_layout(0).sources.size() == 10u);
}

BOOST_AUTO_TEST_SUITE_END()
