#include <boost/test/unit_test.hpp>

#include <vector>

#include "i2i/backend/cpu/adain.hpp"
#include "i2i/backend/cpu/concat.hpp"
#include "i2i/backend/cpu/linear.hpp"
#include "i2i/backend/cpu/pointwise.hpp"
#include "i2i/backend/cpu/segment_mean.hpp"
#include "support/gradcheck.hpp"

// Every check projects the op's output on a random tensor r (L = sum(r * f)) and compares the op's
// backward, called with dy = r, with central differences of L in float64.
using namespace i2i;
using test::dot;
using test::expect_gradient;
using test::random_tensor;
using dtensor = tensor<double>;

BOOST_AUTO_TEST_SUITE(gradcheck_ops_b)

BOOST_AUTO_TEST_CASE(pointwise_gradients) {
  const shape s{2, 3, 4, 5};
  auto a = random_tensor<double>(s), b = random_tensor<double>(s), r = random_tensor<double>(s);
  // add / sub: (dy, dy) and (dy, -dy).
  expect_gradient("add wrt a", a, [&] { return dot(r, cpu::add(a, b)); }, r);
  expect_gradient("add wrt b", b, [&] { return dot(r, cpu::add(a, b)); }, r);
  expect_gradient("sub wrt b", b, [&] { return dot(r, cpu::sub(a, b)); }, cpu::scale(r, -1.0));
  auto g = cpu::mul_backward(a, b, r);
  expect_gradient("mul wrt a", a, [&] { return dot(r, cpu::mul(a, b)); }, g.da);
  expect_gradient("mul wrt b", b, [&] { return dot(r, cpu::mul(a, b)); }, g.db);
  expect_gradient("scale", a, [&] { return dot(r, cpu::scale(a, -1.75)); }, cpu::scale(r, -1.75));

  auto bias = random_tensor<double>({3});
  auto dbias = dtensor::zeros({3});
  cpu::add_channel_bias_backward(r, dbias);
  expect_gradient("add_channel_bias wrt bias", bias, [&] { return dot(r, cpu::add_channel_bias(a, bias)); }, dbias);
  expect_gradient("add_channel_bias wrt x", a, [&] { return dot(r, cpu::add_channel_bias(a, bias)); }, r);
}

BOOST_AUTO_TEST_CASE(concat_split_gradients) {
  auto a = random_tensor<double>({2, 2, 3, 5}), b = random_tensor<double>({2, 3, 3, 5});
  auto r = random_tensor<double>({2, 5, 3, 5});
  auto g = cpu::split_channels(r, {2, 3});
  expect_gradient("concat wrt part 0", a, [&] { return dot(r, cpu::concat_channels({a, b})); }, g[0]);
  expect_gradient("concat wrt part 1", b, [&] { return dot(r, cpu::concat_channels({a, b})); }, g[1]);
  auto x = random_tensor<double>({2, 5, 3, 5});
  auto r0 = random_tensor<double>({2, 1, 3, 5}), r1 = random_tensor<double>({2, 4, 3, 5});
  expect_gradient(
      "split", x,
      [&] {
        auto p = cpu::split_channels(x, {1, 4});
        return dot(r0, p[0]) + dot(r1, p[1]);
      },
      cpu::concat_channels({r0, r1}));
}

BOOST_AUTO_TEST_CASE(linear_gradients) {
  auto x = random_tensor<double>({3, 7}), w = random_tensor<double>({4, 7}), b = random_tensor<double>({4});
  auto r = random_tensor<double>({3, 4});
  auto dw = dtensor::zeros({4, 7}), db = dtensor::zeros({4});
  auto dx = cpu::linear_backward(x, w, r, dw, &db);
  auto loss = [&] { return dot(r, cpu::linear(x, w, &b)); };
  expect_gradient("linear wrt x", x, loss, dx);
  expect_gradient("linear wrt weight", w, loss, dw);
  expect_gradient("linear wrt bias", b, loss, db);
}

BOOST_AUTO_TEST_CASE(channel_statistics_gradients) {
  for (bool unbiased : {false, true}) {
    auto x = random_tensor<double>({2, 3, 4, 5});
    auto rm = random_tensor<double>({2, 3}), rv = random_tensor<double>({2, 3});
    auto m = cpu::channel_moments(x, unbiased);
    expect_gradient(
        unbiased ? "channel_moments (unbiased)" : "channel_moments", x,
        [&] {
          auto mm = cpu::channel_moments(x, unbiased);
          return dot(rm, mm.mean) + dot(rv, mm.var);
        },
        cpu::channel_moments_backward(x, m, rm, rv));
    adain_options opt{1e-3, unbiased};
    auto ms = cpu::channel_mean_std(x, opt);
    expect_gradient(
        "channel_mean_std", x,
        [&] {
          auto mm = cpu::channel_mean_std(x, opt);
          return dot(rm, mm.mean) + dot(rv, mm.std);
        },
        cpu::channel_mean_std_backward(x, ms, rm, rv));
    // Undefined gradients mean zero.
    expect_gradient(
        "channel_moments, variance only", x, [&] { return dot(rv, cpu::channel_moments(x, unbiased).var); },
        cpu::channel_moments_backward(x, m, dtensor(), rv));
  }
}

BOOST_AUTO_TEST_CASE(canonical_adain_gradients) {
  for (bool unbiased : {false, true}) {
    const adain_options opt{1e-4, unbiased};
    auto x = random_tensor<double>({2, 3, 4, 5});
    auto sm = random_tensor<double>({2, 3}), ss = random_tensor<double>({2, 3}, 0.5, 1.5);
    auto r = random_tensor<double>({2, 3, 4, 5});
    auto fwd = cpu::adain(x, sm, ss, opt);
    auto g = cpu::adain_backward(x, sm, ss, fwd, r);
    auto loss = [&] { return dot(r, cpu::adain(x, sm, ss, opt).y); };
    expect_gradient("adain wrt x", x, loss, g.dx);
    expect_gradient("adain wrt style_mean", sm, loss, g.dstyle_mean);
    expect_gradient("adain wrt style_std", ss, loss, g.dstyle_std);

    auto s = random_tensor<double>({2, 3, 3, 6});
    auto fs = cpu::adain_from_style(x, s, opt);
    auto gs = cpu::adain_from_style_backward(x, s, fs, r);
    auto loss_s = [&] { return dot(r, cpu::adain_from_style(x, s, opt).adain.y); };
    expect_gradient("adain_from_style wrt x", x, loss_s, gs.dx);
    expect_gradient("adain_from_style wrt style map", s, loss_s, gs.dstyle);
  }
}

BOOST_AUTO_TEST_CASE(egscit_adain_gradients) {
  for (double eps : {0.0, 0.1}) {
    auto x = random_tensor<double>({2, 3, 4, 5});
    auto me = random_tensor<double>({2, 3}), ve = random_tensor<double>({2, 3}, 0, 1);
    auto r = random_tensor<double>({2, 3, 4, 5});
    auto fwd = cpu::adain_egscit(x, me, ve, eps);
    auto g = cpu::adain_egscit_backward(x, me, ve, fwd, r);
    auto loss = [&] { return dot(r, cpu::adain_egscit(x, me, ve, eps).y); };
    expect_gradient("adain_egscit wrt x", x, loss, g.dx);
    expect_gradient("adain_egscit wrt exemplar_mean", me, loss, g.dexemplar_mean);
    expect_gradient("adain_egscit wrt exemplar_var", ve, loss, g.dexemplar_var);

    auto fe = random_tensor<double>({2, 3, 5, 3});
    auto fx = cpu::adain_egscit_from_exemplar(x, fe, eps);
    auto gx = cpu::adain_egscit_from_exemplar_backward(x, fe, fx, r);
    auto loss_e = [&] { return dot(r, cpu::adain_egscit_from_exemplar(x, fe, eps).adain.y); };
    expect_gradient("adain_egscit_from_exemplar wrt x", x, loss_e, gx.dx);
    expect_gradient("adain_egscit_from_exemplar wrt exemplar map", fe, loss_e, gx.dexemplar);
  }
}

BOOST_AUTO_TEST_CASE(segment_mean_gradient) {
  auto x = random_tensor<double>({2, 3, 5, 6});
  auto ids = dtensor::empty({2, 1, 5, 6});
  for (std::int64_t i = 0; i < ids.numel(); ++i) ids[i] = double((i * 7 / 5) % 4 + 10 * (i % 2));
  auto r = random_tensor<double>({2, 3, 5, 6});
  expect_gradient("segment_mean", x, [&] { return dot(r, cpu::segment_mean(x, ids)); },
                  cpu::segment_mean_backward(r, ids));
}

BOOST_AUTO_TEST_SUITE_END()
