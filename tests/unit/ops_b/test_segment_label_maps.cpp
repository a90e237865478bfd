#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "i2i/backend/cpu/label_maps.hpp"
#include "i2i/backend/cpu/segment_mean.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {
// Random integral id map with values drawn from `ids` (long runs are not needed for correctness).
template <class T>
tensor<T> random_ids(const shape& s, std::initializer_list<int> ids) {
  std::uniform_int_distribution<int> pick(0, int(ids.size()) - 1);
  auto t = tensor<T>::empty(s);
  for (auto& v : t.values()) v = T(*(ids.begin() + pick(test::rng())));
  return t;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ops_b_segment_mean)

BOOST_AUTO_TEST_CASE(segment_mean_matches_naive_per_instance_scan) {
  const std::int64_t n = 3, c = 4, h = 9, w = 11;
  auto x = test::random_tensor<double>({n, c, h, w});
  // Cityscapes-like instance ids (class * 1000 + k) and a plain 0; sample 2 is a single id.
  auto ids = random_ids<double>({n, 1, h, w}, {0, 26001, 26002, 7, 33000});
  for (std::int64_t p = 0; p < h * w; ++p) ids[2 * h * w + p] = 5;
  auto y = cpu::segment_mean(x, ids);
  double err = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < c; ++k)
      for (std::int64_t a = 0; a < h; ++a)
        for (std::int64_t b = 0; b < w; ++b) {
          double s = 0;
          int cnt = 0;
          for (std::int64_t a2 = 0; a2 < h; ++a2)
            for (std::int64_t b2 = 0; b2 < w; ++b2)
              if (ids.at(i, 0, a2, b2) == ids.at(i, 0, a, b)) {
                s += x.at(i, k, a2, b2);
                ++cnt;
              }
          err = std::max(err, std::abs(y.at(i, k, a, b) - s / cnt));
        }
  BOOST_TEST(err < 1e-12);

  // The index is reusable and backward is the same averaging.
  auto idx = cpu::make_segment_index(ids);
  BOOST_TEST(idx.segments(2) == 1);
  BOOST_TEST(idx.count[std::size_t(idx.first[2])] == h * w);
  BOOST_TEST(test::max_abs_diff(cpu::segment_mean(x, idx), y) == 0.0);
  auto dy = test::random_tensor<double>({n, c, h, w});
  BOOST_TEST(test::max_abs_diff(cpu::segment_mean_backward(dy, idx), cpu::segment_mean(dy, ids)) == 0.0);
  // Float path agrees with the double one.
  auto yf = cpu::segment_mean(x.cast<float>(), ids.cast<float>());
  BOOST_TEST(test::max_abs_diff(yf, y) < 1e-6);
}

BOOST_AUTO_TEST_CASE(segment_mean_rejects_bad_ids_and_shapes) {
  auto x = tensor<float>::zeros({2, 3, 4, 5});
  auto ids = tensor<float>::zeros({2, 1, 4, 5});
  ids.at(1, 0, 2, 3) = -1;
  test::expect_error<value_error>([&] { cpu::segment_mean(x, ids); }, {"segment_mean", "-1", "n=1", "h=2", "w=3"});
  ids.at(1, 0, 2, 3) = 2.5f;
  test::expect_error<value_error>([&] { cpu::segment_mean(x, ids); }, {"2.5", "not an integer"});
  ids.at(1, 0, 2, 3) = std::numeric_limits<float>::quiet_NaN();
  test::expect_error<value_error>([&] { cpu::segment_mean(x, ids); }, {"nan", "n=1"});
  test::expect_error<shape_error>([&] { cpu::segment_mean(x, tensor<float>::zeros({2, 1, 4, 6})); },
                                  {"segment_mean", "2x3x4x5", "2x1x4x6"});
  test::expect_error<shape_error>([&] { cpu::make_segment_index(tensor<float>::zeros({2, 2, 4, 5})); }, {"ids", "2x2x4x5"});
  auto idx = cpu::make_segment_index(tensor<float>::zeros({2, 1, 4, 5}));
  test::expect_error<shape_error>([&] { cpu::segment_mean_backward(tensor<float>::zeros({1, 3, 4, 5}), idx); },
                                  {"segment_mean_backward", "1x3x4x5", "2x1x4x5"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ops_b_label_maps)

BOOST_AUTO_TEST_CASE(one_hot_matches_reference) {
  const std::int64_t n = 2, h = 5, w = 7, nc = 6;
  auto labels = random_ids<float>({n, 1, h, w}, {0, 1, 2, 3, 5});
  auto y = cpu::one_hot(labels, nc);
  BOOST_TEST((y.shape() == shape{n, nc, h, w}));
  int bad = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < nc; ++k)
      for (std::int64_t a = 0; a < h; ++a)
        for (std::int64_t b = 0; b < w; ++b) bad += y.at(i, k, a, b) != (labels.at(i, 0, a, b) == float(k) ? 1.f : 0.f);
  BOOST_TEST(bad == 0);
  for (std::int64_t a = 0; a < h; ++a)
    for (std::int64_t b = 0; b < w; ++b) BOOST_TEST(y.at(1, 4, a, b) == 0.f);  // label 4 never drawn
}

BOOST_AUTO_TEST_CASE(one_hot_rejects_out_of_range_and_non_integral_labels) {
  auto labels = tensor<double>::zeros({2, 1, 3, 4});
  labels.at(1, 0, 2, 1) = 35;
  test::expect_error<value_error>([&] { cpu::one_hot(labels, 35); }, {"one_hot", "label 35", "n=1", "h=2", "w=1", "35"});
  labels.at(1, 0, 2, 1) = -1;
  test::expect_error<value_error>([&] { cpu::one_hot(labels, 35); }, {"label -1", "outside"});
  labels.at(1, 0, 2, 1) = 3.5;
  test::expect_error<value_error>([&] { cpu::one_hot(labels, 35); }, {"label 3.5", "not an integer", "label_nc = 35"});
  labels.at(1, 0, 2, 1) = 0;
  test::expect_error<value_error>([&] { cpu::one_hot(labels, 0); }, {"one_hot", "label_nc"});
  test::expect_error<shape_error>([&] { cpu::one_hot(tensor<double>::zeros({2, 3, 3, 4}), 5); }, {"one_hot", "2x3x3x4", "N x 1 x H x W"});
}

BOOST_AUTO_TEST_CASE(boundary_map_hand_example) {
  // Two instances split vertically plus one pixel island; 2-pixel-thick boundaries, border not an edge.
  auto inst = tensor<float>::from({1, 1, 4, 5}, {1, 1, 2, 2, 2,  //
                                                 1, 1, 2, 2, 2,  //
                                                 1, 1, 2, 9, 2,  //
                                                 1, 1, 2, 2, 2});
  auto e = cpu::boundary_map(inst);
  const float expect[] = {0, 1, 1, 0, 0,  //
                          0, 1, 1, 1, 0,  //
                          0, 1, 1, 1, 1,  //
                          0, 1, 1, 1, 0};
  for (int i = 0; i < 20; ++i) BOOST_TEST(e[i] == expect[i], "pixel " << i);
}

BOOST_AUTO_TEST_CASE(boundary_map_matches_reference) {
  for (const auto& s : {shape{3, 1, 7, 9}, shape{2, 1, 1, 6}, shape{2, 1, 5, 1}}) {
    auto inst = random_ids<double>(s, {0, 1, 1, 1, 4});
    auto e = cpu::boundary_map(inst);
    const std::int64_t h = s[2], w = s[3];
    int bad = 0;
    for (std::int64_t i = 0; i < s[0]; ++i)
      for (std::int64_t a = 0; a < h; ++a)
        for (std::int64_t b = 0; b < w; ++b) {
          const double v = inst.at(i, 0, a, b);
          bool edge = (a > 0 && inst.at(i, 0, a - 1, b) != v) || (a + 1 < h && inst.at(i, 0, a + 1, b) != v) ||
                      (b > 0 && inst.at(i, 0, a, b - 1) != v) || (b + 1 < w && inst.at(i, 0, a, b + 1) != v);
          bad += e.at(i, 0, a, b) != (edge ? 1.0 : 0.0);
        }
    BOOST_TEST(bad == 0, s << ": " << bad << " mismatches");
  }
}

BOOST_AUTO_TEST_CASE(boundary_map_errors) {
  test::expect_error<shape_error>([] { cpu::boundary_map(tensor<float>::zeros({2, 2, 4, 4})); },
                                  {"boundary_map", "2x2x4x4", "N x 1 x H x W"});
  auto inst = tensor<float>::zeros({1, 1, 2, 2});
  inst[3] = std::numeric_limits<float>::quiet_NaN();
  test::expect_error<value_error>([&] { cpu::boundary_map(inst); }, {"boundary_map", "NaN"});
}

BOOST_AUTO_TEST_SUITE_END()
