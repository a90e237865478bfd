// Grouped and depthwise conv2d (conv2d_args::groups > 1) against the definition: group k of the output
// is the ungrouped conv of input group k with weight group k (forward, input gradient, weight and bias
// gradients added onto non-zero values); argument errors; groups == 1 is the ungrouped op, bit for bit.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "i2i/backend/cpu/concat.hpp"
#include "i2i/backend/cpu/conv2d.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

/// Channels [first, first + count) of an N x C x H x W tensor.
template <class T>
tensor<T> channel_slice(const tensor<T>& t, std::int64_t first, std::int64_t count) {
  const shape s = t.shape();
  const std::int64_t inner = s.numel() / (s[0] * s[1]);
  shape out = s;
  out[1] = count;
  auto r = tensor<T>::empty(out);
  for (std::int64_t n = 0; n < s[0]; ++n)
    for (std::int64_t c = 0; c < count; ++c)
      for (std::int64_t i = 0; i < inner; ++i)
        r.data()[(n * count + c) * inner + i] = t.data()[(n * s[1] + first + c) * inner + i];
  return r;
}

/// Rows [first, first + count) along dim 0.
template <class T>
tensor<T> row_slice(const tensor<T>& t, std::int64_t first, std::int64_t count) {
  shape out = t.shape();
  const std::int64_t inner = t.numel() / out[0];
  out[0] = count;
  auto r = tensor<T>::empty(out);
  std::copy(t.data() + first * inner, t.data() + (first + count) * inner, r.data());
  return r;
}

template <class T>
double max_abs_diff(const tensor<T>& a, const tensor<T>& b) {
  BOOST_REQUIRE(a.shape() == b.shape());
  double m = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::abs(double(a[i]) - double(b[i])));
  return m;
}

struct grouped_case {
  const char* name;
  shape xs;
  std::int64_t cout, k, groups;
  cpu::conv2d_args a;
};

void check_against_groups(const grouped_case& c) {
  BOOST_TEST_CONTEXT(c.name) {
    cpu::conv2d_args a = c.a;
    a.groups = c.groups;
    const std::int64_t cin_g = c.xs[1] / c.groups, cout_g = c.cout / c.groups;
    const auto x = test::random_tensor<double>(c.xs);
    const auto w = test::random_tensor<double>(shape{c.cout, cin_g, c.k, c.k});
    const auto b = test::random_tensor<double>(shape{c.cout});
    const auto y = cpu::conv2d(x, w, &b, a);
    const auto dy = test::random_tensor<double>(y.shape());
    const auto dx = cpu::conv2d_backward_input(dy, w, x.shape(), a);
    auto dw = tensor<double>::filled(w.shape(), 0.5), db = tensor<double>::filled(b.shape(), -0.25);
    cpu::conv2d_backward_params(x, dy, dw, &db, a);

    cpu::conv2d_args one = c.a;  // groups = 1
    std::vector<tensor<double>> ys, dxs;
    for (std::int64_t g = 0; g < c.groups; ++g) {
      const auto xg = channel_slice(x, g * cin_g, cin_g), wg = row_slice(w, g * cout_g, cout_g);
      const auto bg = row_slice(b, g * cout_g, cout_g), dyg = channel_slice(dy, g * cout_g, cout_g);
      ys.push_back(cpu::conv2d(xg, wg, &bg, one));
      dxs.push_back(cpu::conv2d_backward_input(dyg, wg, xg.shape(), one));
      auto dwg = tensor<double>::filled(wg.shape(), 0.5), dbg = tensor<double>::filled(bg.shape(), -0.25);
      cpu::conv2d_backward_params(xg, dyg, dwg, &dbg, one);
      BOOST_TEST(max_abs_diff(row_slice(dw, g * cout_g, cout_g), dwg) < 1e-12, "weight gradient of group " << g);
      BOOST_TEST(max_abs_diff(row_slice(db, g * cout_g, cout_g), dbg) < 1e-12, "bias gradient of group " << g);
    }
    BOOST_TEST(max_abs_diff(y, cpu::concat_channels(ys)) < 1e-12, "forward");
    BOOST_TEST(max_abs_diff(dx, cpu::concat_channels(dxs)) < 1e-12, "input gradient");
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(grouped_conv2d)

BOOST_AUTO_TEST_CASE(equals_one_conv_per_group) {
  using A = cpu::conv2d_args;
  const grouped_case cases[] = {
      {"2 groups 3x3 s1 p1", {2, 6, 9, 7}, 4, 3, 2, A::make(1, 1)},
      {"3 groups 1x1", {2, 9, 5, 4}, 6, 1, 3, A{}},
      {"depthwise 3x3 s1 p1", {3, 8, 10, 9}, 8, 3, 8, A::make(1, 1)},
      {"depthwise 3x3 s2 (0,1,0,1)", {2, 5, 12, 11}, 5, 3, 5, A{2, 2, {0, 1, 0, 1}}},
      {"depthwise multiplier 3, 5x5 s2 p2", {1, 4, 9, 10}, 12, 5, 4, A::make(2, 2)},
      {"4 groups 4x4 s(2,1) asymmetric", {2, 8, 9, 8}, 12, 4, 4, A{2, 1, {2, 0, 1, 3}}},
      {"depthwise 3x3 on 1x1 maps, p1", {2, 6, 1, 1}, 6, 3, 6, A::make(1, 1)},
  };
  for (const auto& c : cases) check_against_groups(c);
}

BOOST_AUTO_TEST_CASE(float_depthwise_matches_double) {
  // The float kernels are the same loops; a wide map exercises the vectorised rows.
  const shape xs{2, 16, 33, 47};
  cpu::conv2d_args a = cpu::conv2d_args::make(1, 1);
  a.groups = 16;
  const auto xd = test::random_tensor<double>(xs), wd = test::random_tensor<double>(shape{16, 1, 3, 3});
  auto xf = tensor<float>::empty(xs), wf = tensor<float>::empty(wd.shape());
  for (std::int64_t i = 0; i < xd.numel(); ++i) xf[i] = float(xd[i]);
  for (std::int64_t i = 0; i < wd.numel(); ++i) wf[i] = float(wd[i]);
  const auto yd = cpu::conv2d(xd, wd, nullptr, a);
  const auto yf = cpu::conv2d(xf, wf, nullptr, a);
  double m = 0;
  for (std::int64_t i = 0; i < yd.numel(); ++i) m = std::max(m, std::abs(double(yf[i]) - yd[i]));
  BOOST_TEST(m < 1e-5);
}

BOOST_AUTO_TEST_CASE(errors_name_the_groups) {
  auto x = tensor<float>::zeros(shape{2, 6, 8, 8});
  auto a = cpu::conv2d_args::make(1, 1);
  a.groups = 3;
  auto w_bad_in = tensor<float>::zeros(shape{6, 3, 3, 3});  // 3 * 3 = 9 != 6 input channels
  test::expect_error<shape_error>([&] { cpu::conv2d(x, w_bad_in, nullptr, a); },
                                  {"conv2d", "6x3x3x3", "3 groups", "9 input channels", "2x6x8x8"});
  auto w_bad_out = tensor<float>::zeros(shape{4, 2, 3, 3});  // 4 outputs into 3 groups
  test::expect_error<shape_error>([&] { cpu::conv2d(x, w_bad_out, nullptr, a); },
                                  {"conv2d", "4x2x3x3", "not divisible", "3 groups"});
  auto zero = a;
  zero.groups = 0;
  test::expect_error<value_error>([&] { cpu::conv2d(x, w_bad_out, nullptr, zero); }, {"conv2d", "groups", "0"});
  auto w = tensor<float>::zeros(shape{6, 2, 3, 3});
  test::expect_error<value_error>([&] { cpu::packed_conv_weight<float> pw(w, a); }, {"packed_conv_weight", "groups"});
  auto w1 = tensor<float>::zeros(shape{6, 6, 3, 3});
  cpu::packed_conv_weight<float> pw(w1, cpu::conv2d_args::make(1, 1));
  test::expect_error<value_error>([&] { cpu::conv2d(x, pw, nullptr, a); }, {"conv2d", "ungrouped", "groups 3"});
}

BOOST_AUTO_TEST_CASE(groups_one_is_the_ungrouped_op) {
  // The default args and an explicit groups = 1 take the same path: identical bits.
  const auto x = test::random_tensor<float>(shape{2, 5, 9, 8}), w = test::random_tensor<float>(shape{7, 5, 3, 3});
  auto a = cpu::conv2d_args::make(2, 1);
  const auto y0 = cpu::conv2d(x, w, nullptr, a);
  a.groups = 1;
  const auto y1 = cpu::conv2d(x, w, nullptr, a);
  BOOST_TEST(max_abs_diff(y0, y1) == 0.0);
}

BOOST_AUTO_TEST_SUITE_END()
