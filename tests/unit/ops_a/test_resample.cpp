// Forward values and errors of upsample_nearest2d and resize_bilinear2d.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <tuple>
#include <vector>

#include "i2i/backend/cpu/resample.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

// PyTorch's 'nearest' source index (aten/src/ATen/native/UpSample.h, nearest_idx), written out.
std::int64_t torch_nearest(std::int64_t dst, std::int64_t in, std::int64_t out) {
  if (out == in) return dst;
  if (out == 2 * in) return dst / 2;
  const float scale = static_cast<float>(in) / static_cast<float>(out);
  const float src = std::floor(static_cast<float>(dst) * scale);
  return std::min<std::int64_t>(static_cast<std::int64_t>(src), in - 1);
}

template <class T>
tensor<double> reference_nearest(const tensor<T>& x, std::int64_t oh, std::int64_t ow) {
  auto y = tensor<double>::empty(shape::nchw(x.n(), x.c(), oh, ow));
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (std::int64_t c = 0; c < x.c(); ++c)
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j)
          y.at(n, c, i, j) = x.at(n, c, torch_nearest(i, x.h(), oh), torch_nearest(j, x.w(), ow));
  return y;
}

// Bilinear per output element, source coordinates in double.
double source_coord(std::int64_t d, std::int64_t in, std::int64_t out, bool align) {
  if (align) return out > 1 ? double(d) * double(in - 1) / double(out - 1) : 0.0;
  return std::max(0.0, (double(d) + 0.5) * double(in) / double(out) - 0.5);
}

template <class T>
tensor<double> reference_bilinear(const tensor<T>& x, std::int64_t oh, std::int64_t ow, bool align) {
  auto y = tensor<double>::empty(shape::nchw(x.n(), x.c(), oh, ow));
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (std::int64_t c = 0; c < x.c(); ++c)
      for (std::int64_t i = 0; i < oh; ++i)
        for (std::int64_t j = 0; j < ow; ++j) {
          const double sy = source_coord(i, x.h(), oh, align), sx = source_coord(j, x.w(), ow, align);
          const std::int64_t y0 = std::int64_t(std::floor(sy)), x0 = std::int64_t(std::floor(sx));
          const std::int64_t y1 = std::min(y0 + 1, x.h() - 1), x1 = std::min(x0 + 1, x.w() - 1);
          const double fy = sy - double(y0), fx = sx - double(x0);
          y.at(n, c, i, j) = (1 - fy) * ((1 - fx) * x.at(n, c, y0, x0) + fx * x.at(n, c, y0, x1)) +
                             fy * ((1 - fx) * x.at(n, c, y1, x0) + fx * x.at(n, c, y1, x1));
        }
  return y;
}

using sizes = std::tuple<shape, std::int64_t, std::int64_t>;
const std::vector<sizes> cases{sizes{{2, 3, 5, 7}, 10, 14}, sizes{{2, 2, 4, 6}, 12, 18}, sizes{{3, 1, 7, 5}, 3, 2},
                               sizes{{1, 2, 6, 6}, 13, 5},  sizes{{2, 2, 1, 1}, 4, 3},  sizes{{2, 3, 5, 4}, 1, 1},
                               sizes{{2, 2, 3, 3}, 3, 3}};

}  // namespace

BOOST_AUTO_TEST_SUITE(resample)

BOOST_AUTO_TEST_CASE(nearest_matches_reference) {
  for (auto [s, oh, ow] : cases) {
    auto x = test::random_tensor<float>(s);
    BOOST_TEST_CONTEXT("shape " << s << " to " << oh << "x" << ow) {
      BOOST_TEST(test::max_abs_diff(cpu::upsample_nearest2d(x, oh, ow), reference_nearest(x, oh, ow)) == 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(nearest_source_is_floor_of_scaled_index) {
  // src = floor(dst * in / out) for the sizes the networks use (x2, x3, halving).
  for (auto [in, out] : {std::pair{4, 8}, std::pair{5, 15}, std::pair{8, 4}, std::pair{7, 3}, std::pair{3, 7}}) {
    auto x = tensor<double>::empty({1, 1, 1, in});
    for (int i = 0; i < in; ++i) x[i] = i;
    auto y = cpu::upsample_nearest2d(x, 1, out);
    for (int d = 0; d < out; ++d) BOOST_TEST(y[d] == double(d * in / out), in << " -> " << out << " at " << d);
  }
  // Where PyTorch's float product rounds below the exact value, we follow PyTorch (2 -> 82: dst 41 reads 0).
  auto x = tensor<double>::from({1, 1, 1, 2}, {0.0, 1.0});
  BOOST_TEST(cpu::upsample_nearest2d(x, 1, 82)[41] == 0.0);
}

BOOST_AUTO_TEST_CASE(bilinear_known_values) {
  auto x = tensor<float>::from({1, 1, 2, 2}, {0, 1, 2, 3});
  auto a = cpu::resize_bilinear2d(x, 3, 3, true);
  const float aligned[] = {0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3};
  for (int i = 0; i < 9; ++i) BOOST_TEST(a[i] == aligned[i], "aligned element " << i);
  auto h = cpu::resize_bilinear2d(x, 4, 4, false);
  const float half[] = {0, 0.25f, 0.75f, 1, 0.5f, 0.75f, 1.25f, 1.5f, 1.5f, 1.75f, 2.25f, 2.5f, 2, 2.25f, 2.75f, 3};
  for (int i = 0; i < 16; ++i) BOOST_TEST(h[i] == half[i], "half-pixel element " << i);
}

BOOST_AUTO_TEST_CASE(bilinear_matches_reference) {
  for (auto [s, oh, ow] : cases)
    for (bool align : {false, true}) {
      auto x = test::random_tensor<float>(s);
      auto xd = x.cast<double>();
      BOOST_TEST_CONTEXT("shape " << s << " to " << oh << "x" << ow << " align_corners " << align) {
        BOOST_TEST(test::max_abs_diff(cpu::resize_bilinear2d(x, oh, ow, align), reference_bilinear(x, oh, ow, align)) <
                   2e-6);
        BOOST_TEST(test::max_abs_diff(cpu::resize_bilinear2d(xd, oh, ow, align), reference_bilinear(xd, oh, ow, align)) <
                   1e-12);
      }
    }
  // Same size with align_corners is the identity; so is same size with half-pixel centres.
  auto x = test::random_tensor<double>({2, 3, 5, 6});
  BOOST_TEST(test::max_abs_diff(cpu::resize_bilinear2d(x, 5, 6, true), x) < 1e-15);
  BOOST_TEST(test::max_abs_diff(cpu::resize_bilinear2d(x, 5, 6, false), x) < 1e-15);
}

BOOST_AUTO_TEST_CASE(errors_name_op_and_shapes) {
  auto x = tensor<float>::zeros({2, 3, 4, 5});
  test::expect_error<value_error>([&] { cpu::upsample_nearest2d(x, 0, 4); }, {"upsample_nearest2d", "0x4", "2x3x4x5"});
  test::expect_error<value_error>([&] { cpu::resize_bilinear2d(x, 8, -1, true); },
                                  {"resize_bilinear2d", "8x-1", "2x3x4x5"});
  test::expect_error<shape_error>([&] { cpu::resize_bilinear2d(tensor<float>::zeros({3, 4, 5}), 8, 8, false); },
                                  {"resize_bilinear2d", "3x4x5", "rank 4"});
  test::expect_error<shape_error>(
      [&] { cpu::upsample_nearest2d_backward(tensor<float>::zeros({2, 4, 8, 10}), x.shape()); },
      {"upsample_nearest2d_backward", "2x4x8x10", "2x3x4x5"});
  test::expect_error<shape_error>(
      [&] { cpu::resize_bilinear2d_backward(tensor<float>::zeros({1, 3, 8, 10}), x.shape(), true); },
      {"resize_bilinear2d_backward", "1x3x8x10", "2x3x4x5"});
}

BOOST_AUTO_TEST_SUITE_END()
