// The numpy / Python random ports against values printed by numpy 1.24 and CPython 3.11, and the
// CPython 2.7 dict order, derived by hand from its probing rule.
#include <boost/test/unit_test.hpp>

#include <vector>

#include "i2i/recipes/egscit/colour_schemes.hpp"
#include "i2i/recipes/egscit/mnist_multiple.hpp"
#include "i2i/data/python_random.hpp"
#include "i2i/data/scipy_bytescale.hpp"

BOOST_AUTO_TEST_SUITE(python_random)

BOOST_AUTO_TEST_CASE(numpy_legacy_stream_matches_numpy) {
  // np.random.seed(0); np.random.permutation(10); np.random.random_sample(); np.random.uniform(0.6, 1.4);
  // q = np.random.permutation(60000) -> q[0], q[-1]
  i2i::data::numpy_random_state r(0);
  const std::vector<std::int64_t> expect{2, 8, 4, 9, 1, 6, 7, 3, 0, 5};
  BOOST_TEST(r.permutation(10) == expect, boost::test_tools::per_element());
  BOOST_TEST(r.random_sample() == 0.4375872112626925);
  BOOST_TEST(r.uniform(0.6, 1.4) == 1.3134184006256637);
  const auto q = r.permutation(60000);
  BOOST_TEST(q[0] == 2724);
  BOOST_TEST(q[59999] == 39512);
}

BOOST_AUTO_TEST_CASE(python_random_and_python2_shuffle_match_cpython) {
  // random.seed(1); random.random(); then Python 2's shuffle loop over list(range(20)).
  i2i::data::python_random py(1);
  BOOST_TEST(py.random() == 0.13436424411240122);
  std::vector<int> x(20);
  for (int i = 0; i < 20; ++i) x[std::size_t(i)] = i;
  py.shuffle_py2(std::span<int>(x));
  const std::vector<int> expect{5, 15, 2, 19, 12, 10, 3, 13, 6, 17, 18, 0, 1, 11, 9, 7, 8, 4, 14, 16};
  BOOST_TEST(x == expect, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(cpython27_dict_order) {
  using i2i::data::python2_dict_order;
  using v = std::vector<int>;
  // 8 slots: 8 lands in slot 0, then 0 probes to slot (0*5 + 0 + 1) & 7 = 1.
  BOOST_TEST(python2_dict_order(v{8, 0}) == (v{8, 0}), boost::test_tools::per_element());
  // 0 in slot 0, then 8 probes to (0*5 + 8 + 1) & 7 = 1.
  BOOST_TEST(python2_dict_order(v{0, 8}) == (v{0, 8}), boost::test_tools::per_element());
  // 9 in slot 1; 1 probes to (1*5 + 1 + 1) & 7 = 7.
  BOOST_TEST(python2_dict_order(v{9, 1}) == (v{9, 1}), boost::test_tools::per_element());
  BOOST_TEST(python2_dict_order(v{7, 2, 5}) == (v{2, 5, 7}), boost::test_tools::per_element());
  // Six entries resize the table to 32 slots: small keys come out sorted.
  BOOST_TEST(python2_dict_order(v{5, 3, 9, 0, 7, 1}) == (v{0, 1, 3, 5, 7, 9}), boost::test_tools::per_element());
  BOOST_TEST(python2_dict_order(v{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}) == (v{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(colorsys_and_bins) {
  using namespace i2i::data;
  // colorsys.hsv_to_rgb(0.7, 0.35, 0.6) with Python 2 round(x * 255) -> (110, 99, 153)
  BOOST_TEST((hsv_to_rgb8(0.7, 0.35, 0.6) == rgb{110, 99, 153}));
  BOOST_TEST((hsv_to_rgb8(0.0, 0.5, 0.5) == rgb{128, 64, 64}));  // 127.5 rounds away from zero
  BOOST_TEST((class_colour(3, 1.0, 1.0) == hsv_to_rgb8(0.3, 0.5, 0.5)));
  BOOST_TEST(int(rgb_scheme_from_uniform(0.0)) == int(rgb_scheme::r_g));
  BOOST_TEST(int(rgb_scheme_from_uniform(1.0 / 6.0)) == int(rgb_scheme::g_r));  // bins are [k/6, (k+1)/6)
  BOOST_TEST(int(rgb_scheme_from_uniform(0.5)) == int(rgb_scheme::b_r));
  BOOST_TEST(int(rgb_scheme_from_uniform(0.9999)) == int(rgb_scheme::b_g));
  BOOST_TEST(int(bw_scheme_from_uniform(0.4999)) == int(bw_scheme::black_on_white));
  BOOST_TEST(int(bw_scheme_from_uniform(0.5)) == int(bw_scheme::white_on_black));
  BOOST_TEST(tag(bw_scheme::white_on_black) == "Whilte_Black");  // the authors' spelling
}

BOOST_AUTO_TEST_CASE(bytescale_is_scipys) {
  // scipy.misc.bytescale(np.array([[10., 100.], [250., 20.]])): (x - 10) * 255 / 240 + 0.5, truncated
  const std::vector<double> in{10, 100, 250, 20};
  std::vector<std::uint8_t> out(4);
  i2i::data::bytescale(in, out);
  const std::vector<std::uint8_t> expect{0, 96, 255, 11};
  BOOST_TEST(out == expect, boost::test_tools::per_element());
  i2i::io::image img(2, 1, 3);
  img.pixels = {10, 100, 250, 20, 10, 10};
  i2i::data::imsave_stretch(img);
  const std::vector<std::uint8_t> expect_img{0, 96, 255, 11, 0, 0};
  BOOST_TEST(img.pixels == expect_img, boost::test_tools::per_element());
  i2i::io::image full(2, 1, 3);
  full.pixels = {0, 7, 255, 9, 1, 2};
  const auto before = full.pixels;
  i2i::data::imsave_stretch(full);
  BOOST_TEST(full.pixels == before, boost::test_tools::per_element());  // min 0, max 255: identity
  // imsave of a float image: one min and max over all channels, samples interleaved as in the file.
  const auto t = i2i::tensor<float>::from(i2i::shape::nchw(1, 3, 1, 2), {-1.f, 0.f, 0.5f, 1.f, -0.5f, -1.f});
  const auto saved = i2i::data::imsave_image(t);
  const std::vector<std::uint8_t> expect_saved{0, 191, 64, 128, 255, 0};  // CHW in, HWC out; (x + 1) * 127.5 + 0.5
  BOOST_TEST(saved.pixels == expect_saved, boost::test_tools::per_element());
  BOOST_TEST(saved.channels == 3);
}

BOOST_AUTO_TEST_SUITE_END()
