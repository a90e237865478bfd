// Parity of the CUDA pooling, resampling, label-map and segment-mean kernels with the CPU ops.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <set>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "compare.hpp"
#include "i2i/backend/cpu/label_maps.hpp"
#include "i2i/backend/cpu/pool.hpp"
#include "i2i/backend/cpu/resample.hpp"
#include "i2i/backend/cpu/segment_mean.hpp"

using namespace i2i;
using namespace i2i::parity;
using real_types = std::tuple<float, double>;

namespace {
struct pool_case {
  shape s;
  std::int64_t k, stride;
  padding2d p;
};
const std::vector<pool_case> pool_cases{
    {shape::nchw(2, 3, 9, 7), 3, 2, padding2d::uniform(1)},  // pix2pixHD's downsampler
    {shape::nchw(1, 2, 8, 8), 2, 2, padding2d{}},
    {shape::nchw(2, 2, 7, 5), 2, 2, padding2d{0, 1, 0, 1}},  // TF-SAME on odd sizes
    {shape::nchw(1, 3, 11, 13), 3, 1, padding2d{1, 0, 1, 1}},
    {shape::nchw(1, 1, 6, 9), 4, 3, padding2d{2, 1, 0, 2}},
};
}  // namespace

BOOST_AUTO_TEST_SUITE(parity_spatial, *boost::unit_test::precondition(device_present()))

BOOST_AUTO_TEST_CASE_TEMPLATE(avg_pool_both_divisors, T, real_types) {
  for (const auto& c : pool_cases) {
    for (const bool include_pad : {true, false}) {
      const std::string what = "avg_pool2d " + c.s.str() + (include_pad ? " incl" : " excl");
      const auto x = random<T>(c.s);
      const auto y = cpu::avg_pool2d(x, c.k, c.stride, c.p, include_pad);
      expect_close(what, gpu::avg_pool2d(x, c.k, c.stride, c.p, include_pad), y, tol<T>());
      const auto dy = random<T>(y.shape());
      // Gathered in the CPU's order: bit-identical.
      expect_equal(what + " backward", gpu::avg_pool2d_backward(dy, c.s, c.k, c.stride, c.p, include_pad),
                   cpu::avg_pool2d_backward(dy, c.s, c.k, c.stride, c.p, include_pad));
    }
  }
  const auto x = random<T>(shape::nchw(1, 1, 4, 4));
  expect_same_error<value_error>(
      "padding over half the kernel", [&] { (void)cpu::avg_pool2d(x, 2, 2, padding2d::uniform(2)); },
      [&] { (void)gpu::avg_pool2d(x, 2, 2, padding2d::uniform(2), true); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(global_avg_pool, T, real_types) {
  for (const auto& s : {shape::nchw(2, 3, 9, 7), shape::nchw(1, 4, 1, 1), shape::nchw(3, 2, 64, 33)}) {
    const std::string what = "global_avg_pool2d " + s.str();
    const auto x = random<T>(s);
    const auto y = cpu::global_avg_pool2d(x);
    // A block reduction instead of the CPU's pixel-order sum, both in double: equal to rounding.
    expect_close(what, gpu::global_avg_pool2d(x), y, tol<T>());
    const auto dy = random<T>(y.shape());
    expect_equal(what + " backward", gpu::global_avg_pool2d_backward(dy, s), cpu::global_avg_pool2d_backward(dy, s));
  }
  const auto x = random<T>(shape::nchw(1, 2, 4, 4));
  const auto dy = random<T>(shape::nchw(1, 3, 1, 1));
  expect_same_error<shape_error>(
      "gradient of the wrong shape", [&] { (void)cpu::global_avg_pool2d_backward(dy, x.shape()); },
      [&] { (void)gpu::global_avg_pool2d_backward(dy, x.shape()); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(max_pool_argmax_and_nan, T, real_types) {
  for (const auto& c : pool_cases) {
    const std::string what = "max_pool2d " + c.s.str();
    auto x = random<T>(c.s);
    x[3] = x[4];  // a tie: the first maximum wins
    x[x.numel() - 2] = std::numeric_limits<T>::quiet_NaN();
    const auto ref = cpu::max_pool2d(x, c.k, c.stride, c.p);
    const auto got = gpu::max_pool2d(x, c.k, c.stride, c.p);
    expect_equal(what + " y", got.y, ref.y);
    expect_equal(what + " argmax", got.argmax, ref.argmax);
    const auto dy = random<T>(ref.y.shape());
    expect_close(what + " backward", gpu::max_pool2d_backward(dy, c.s, ref.argmax),
                 cpu::max_pool2d_backward(dy, c.s, ref.argmax), tol<T>());
  }
  const shape s = shape::nchw(1, 1, 4, 4);
  const auto dy = random<T>(shape::nchw(1, 1, 2, 2));
  auto bad = tensor<std::int32_t>::filled(dy.shape(), 0);
  bad[2] = 16;
  expect_same_error<value_error>(
      "argmax outside", [&] { (void)cpu::max_pool2d_backward(dy, s, bad); },
      [&] { (void)gpu::max_pool2d_backward(dy, s, bad); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(nearest_pytorch_float_formula, T, real_types) {
  // Same size, exactly 2x, PyTorch's float-formula corner (2 -> 82), shrinking, odd ratios.
  const std::vector<std::tuple<shape, std::int64_t, std::int64_t>> cases{
      {shape::nchw(2, 3, 5, 7), 5, 7},   {shape::nchw(1, 2, 6, 5), 12, 10}, {shape::nchw(1, 1, 2, 2), 82, 82},
      {shape::nchw(2, 2, 7, 9), 3, 4},   {shape::nchw(1, 3, 5, 3), 13, 8},  {shape::nchw(1, 1, 3, 37), 7, 100},
  };
  for (const auto& [s, oh, ow] : cases) {
    const std::string what = "upsample_nearest2d " + s.str() + " -> " + std::to_string(oh) + "x" + std::to_string(ow);
    const auto x = random<T>(s);
    const auto y = cpu::upsample_nearest2d(x, oh, ow);
    expect_equal(what, gpu::upsample_nearest2d(x, oh, ow), y);
    const auto dy = random<T>(y.shape());
    expect_equal(what + " backward", gpu::upsample_nearest2d_backward(dy, s), cpu::upsample_nearest2d_backward(dy, s));
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(bilinear_both_alignments, T, real_types) {
  const std::vector<std::tuple<shape, std::int64_t, std::int64_t>> cases{
      {shape::nchw(2, 3, 5, 7), 10, 14}, {shape::nchw(1, 2, 9, 6), 4, 3}, {shape::nchw(1, 1, 4, 5), 1, 9},
      {shape::nchw(2, 1, 1, 3), 5, 7},   {shape::nchw(1, 2, 13, 11), 13, 11},
  };
  for (const bool align : {false, true}) {
    for (const auto& [s, oh, ow] : cases) {
      const std::string what = std::string("resize_bilinear2d ") + (align ? "aligned " : "") + s.str() + " -> " +
                               std::to_string(oh) + "x" + std::to_string(ow);
      const auto x = random<T>(s);
      const auto y = cpu::resize_bilinear2d(x, oh, ow, align);
      expect_close(what, gpu::resize_bilinear2d(x, oh, ow, align), y, tol<T>());
      const auto dy = random<T>(y.shape());
      expect_close(what + " backward", gpu::resize_bilinear2d_backward(dy, s, align),
                   cpu::resize_bilinear2d_backward(dy, s, align), tol<T>());
    }
  }
  const auto x = random<T>(shape::nchw(1, 1, 4, 4));
  expect_same_error<value_error>(
      "zero output", [&] { (void)cpu::resize_bilinear2d(x, 0, 3, true); },
      [&] { (void)gpu::resize_bilinear2d(x, 0, 3, true); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(segment_mean_forward_backward, T, real_types) {
  // Cityscapes-style ids (class * 1000 + instance), the largest id allowed, and a 1-pixel segment.
  const shape ids_shape = shape::nchw(2, 1, 19, 23);
  auto ids = random_ints<T>(ids_shape, 4);
  // float holds integers exactly only up to 2^24; double reaches 2^31 - 1.
  const T largest = std::is_same_v<T, float> ? T(16777216) : T(2147483647.0);
  const T table[] = {T(0), T(26001), T(26002), largest};
  for (std::int64_t i = 0; i < ids.numel(); ++i) ids[i] = table[std::int64_t(ids[i])];
  ids[7] = T(33000);
  const auto x = random<T>(shape::nchw(2, 3, 19, 23), -1, 2);
  expect_close("segment_mean", gpu::segment_mean(x, ids), cpu::segment_mean(x, ids), tol<T>());
  const auto dy = random<T>(x.shape());
  expect_close("segment_mean_backward", gpu::segment_mean_backward(dy, ids), cpu::segment_mean_backward(dy, ids),
               tol<T>());
  std::set<std::pair<std::int64_t, double>> distinct;
  for (std::int64_t i = 0; i < ids.numel(); ++i) distinct.insert({i / (19 * 23), double(ids[i])});
  BOOST_TEST(gpu::segment_count(ids) == std::int64_t(distinct.size()));
  BOOST_TEST(gpu::segment_count(ids) == std::int64_t(cpu::make_segment_index(ids).count.size()));

  for (const T v : {T(-1), T(1.5), std::numeric_limits<T>::quiet_NaN(), T(4294967296.0)}) {
    auto bad = ids.clone();
    bad[2 * 19 * 23 - 5] = v;  // second sample, last row
    bad[19 * 23 + 30] = v;     // an earlier position: the one reported
    expect_same_error<value_error>(
        "bad id", [&] { (void)cpu::segment_mean(x, bad); }, [&] { (void)gpu::segment_mean(x, bad); });
  }
  const auto wrong = random<T>(shape::nchw(2, 3, 19, 22));
  expect_same_error<shape_error>(
      "x shape", [&] { (void)cpu::segment_mean(wrong, ids); }, [&] { (void)gpu::segment_mean(wrong, ids); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(one_hot_and_boundary_map, T, real_types) {
  const auto labels = random_ints<T>(shape::nchw(2, 1, 13, 17), 7);
  expect_equal("one_hot", gpu::one_hot(labels, 7), cpu::one_hot(labels, 7));
  expect_equal("one_hot wide", gpu::one_hot(labels, 36), cpu::one_hot(labels, 36));
  for (const T v : {T(7), T(-1), T(2.5), std::numeric_limits<T>::quiet_NaN()}) {
    auto bad = labels.clone();
    bad[13 * 17 + 40] = v;
    bad[2 * 13 * 17 - 1] = v;
    expect_same_error<value_error>(
        "bad label", [&] { (void)cpu::one_hot(bad, 7); }, [&] { (void)gpu::one_hot(bad, 7); });
  }
  for (const shape s : {shape::nchw(2, 1, 13, 17), shape::nchw(1, 1, 1, 9), shape::nchw(1, 1, 8, 1)}) {
    const auto inst = random_ints<T>(s, 3);
    expect_equal("boundary_map " + s.str(), gpu::boundary_map(inst), cpu::boundary_map(inst));
  }
  auto nan = random_ints<T>(shape::nchw(1, 1, 4, 4), 3);
  nan[5] = std::numeric_limits<T>::quiet_NaN();
  expect_same_error<value_error>(
      "boundary NaN", [&] { (void)cpu::boundary_map(nan); }, [&] { (void)gpu::boundary_map(nan); });
}

BOOST_AUTO_TEST_SUITE_END()
