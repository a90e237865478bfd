// EGSC-IT's transfer block (mask, then the reference's AdaIN) and its perceptual losses on spatially
// L2-normalised features: forward values against naive loops, float64 finite-difference gradients of
// every input, and error messages that name the op and the shapes.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/models/egscit/losses.hpp"
#include "i2i/models/egscit/transfer.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using egscit::transfer_options;
using B = cpu_backend<double>;  // the egscit functions take their backend explicitly

namespace {

// Naive transfer: m = 0.5 + 0.5 sigmoid(fs); x' = x m; y = mu_e (x' - mu) / (var + eps) + var_e.
tensor<double> naive_transfer(const tensor<double>& x, const tensor<double>& fs, const tensor<double>& fe,
                              const transfer_options& o) {
  auto xm = x.clone();
  if (o.use_mask)
    for (std::int64_t i = 0; i < x.numel(); ++i) xm[i] = x[i] * (0.5 + 0.5 / (1 + std::exp(-fs[i])));
  if (!o.use_adain) return xm;
  auto y = tensor<double>::empty(x.shape());
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (std::int64_t c = 0; c < x.c(); ++c) {
      double mx = 0, vx = 0, me = 0, ve = 0;
      const double hw = double(x.h() * x.w()), hwe = double(fe.h() * fe.w());
      for (std::int64_t h = 0; h < x.h(); ++h)
        for (std::int64_t w = 0; w < x.w(); ++w) mx += xm.at(n, c, h, w) / hw;
      for (std::int64_t h = 0; h < x.h(); ++h)
        for (std::int64_t w = 0; w < x.w(); ++w) vx += std::pow(xm.at(n, c, h, w) - mx, 2) / hw;
      for (std::int64_t h = 0; h < fe.h(); ++h)
        for (std::int64_t w = 0; w < fe.w(); ++w) me += fe.at(n, c, h, w) / hwe;
      for (std::int64_t h = 0; h < fe.h(); ++h)
        for (std::int64_t w = 0; w < fe.w(); ++w) ve += std::pow(fe.at(n, c, h, w) - me, 2) / hwe;
      for (std::int64_t h = 0; h < x.h(); ++h)
        for (std::int64_t w = 0; w < x.w(); ++w)
          y.at(n, c, h, w) = me * (xm.at(n, c, h, w) - mx) / (vx + o.eps) + ve;
    }
  return y;
}

void check_transfer(const transfer_options& o, const char* what) {
  const auto s = shape::nchw(2, 3, 4, 5);
  auto x = test::random_tensor<double>(s, -1, 1);
  auto fs = test::random_tensor<double>(s, -2, 2);
  auto fe = test::random_tensor<double>(shape::nchw(2, 3, 3, 6), -1, 1);  // exemplar size may differ
  auto r = test::random_tensor<double>(s, -1, 1);
  auto fwd = egscit::transfer_forward<B>(x, fs, fe, o);
  BOOST_TEST(test::max_abs_diff(fwd.y, naive_transfer(x, fs, fe, o)) < 1e-9, what);
  auto g = egscit::transfer_backward<B>(x, fs, fe, fwd, r, true);
  auto loss = [&] { return test::dot(egscit::transfer_forward<B>(x, fs, fe, o).y, r); };
  test::expect_gradient(std::string(what) + ": d content code", x, loss, g.dx);
  if (o.use_mask) test::expect_gradient(std::string(what) + ": d source features", fs, loss, g.dsource_features);
  if (o.use_adain) test::expect_gradient(std::string(what) + ": d exemplar features", fe, loss, g.dexemplar_features);
  // Without feature gradients the content gradient is the same.
  auto g2 = egscit::transfer_backward<B>(x, fs, fe, fwd, r, false);
  BOOST_TEST(test::max_abs_diff(g2.dx, g.dx) == 0.0);
  BOOST_TEST(!g2.dsource_features.defined());
  BOOST_TEST(!g2.dexemplar_features.defined());
}

double naive_norm_sum(const tensor<double>& f, std::int64_t n, std::int64_t c) {
  double s = 0;
  for (std::int64_t h = 0; h < f.h(); ++h)
    for (std::int64_t w = 0; w < f.w(); ++w) s += f.at(n, c, h, w) * f.at(n, c, h, w);
  return std::sqrt(std::max(s, 1e-12));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(egscit_gradcheck)

BOOST_AUTO_TEST_CASE(transfer_full_and_ablations) {
  check_transfer({}, "mask + AdaIN (faithful, eps 0)");
  check_transfer({true, true, 0.1}, "mask + AdaIN, eps 0.1");
  check_transfer({false, true, 0}, "w/o feature mask");
  check_transfer({true, false, 0}, "w/o AdaIN");
  check_transfer({false, false, 0}, "neither");
}

BOOST_AUTO_TEST_CASE(mask_range_and_value) {
  auto f = tensor<double>::from(shape{1, 1, 1, 3}, {-50.0, 0.0, 50.0});
  auto m = B::feature_mask(f);
  BOOST_TEST(m[0] == 0.5, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m[1] == 0.75, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(m[2] == 1.0, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(transfer_errors_name_op_and_shapes) {
  auto x = test::random_tensor<double>(shape::nchw(2, 3, 4, 4));
  auto bad = test::random_tensor<double>(shape::nchw(2, 3, 4, 5));
  auto fe_bad = test::random_tensor<double>(shape::nchw(2, 4, 4, 4));
  test::expect_error<shape_error>([&] { egscit::transfer_forward<B>(x, bad, x); },
                                  {"egscit::transfer", "2x3x4x5", "2x3x4x4"});
  test::expect_error<shape_error>([&] { egscit::transfer_forward<B>(x, x, fe_bad); },
                                  {"egscit::transfer", "exemplar", "2x4x4x4", "2x3x4x4"});
  test::expect_error<value_error>([] { egscit::route_of("x_XY"); }, {"route_of", "x_XY"});
}

BOOST_AUTO_TEST_CASE(spatial_l2_normalisation) {
  auto f = test::random_tensor<double>(shape::nchw(2, 3, 3, 5), -1, 1);
  for (std::int64_t w = 0; w < 5; ++w)  // one all-zero plane takes the 1e-12 floor
    for (std::int64_t h = 0; h < 3; ++h) f.at(1, 2, h, w) = 0;
  auto r = B::spatial_l2_normalise(f);
  double worst = 0;
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t c = 0; c < 3; ++c)
      for (std::int64_t h = 0; h < 3; ++h)
        for (std::int64_t w = 0; w < 5; ++w)
          worst = std::max(worst, std::abs(r.y.at(n, c, h, w) - f.at(n, c, h, w) / naive_norm_sum(f, n, c)));
  BOOST_TEST(worst < 1e-12);
  BOOST_TEST(r.clamped[1 * 3 + 2] == 1.0);
  BOOST_TEST(r.clamped[0] == 0.0);
  auto dy = test::random_tensor<double>(f.shape());
  auto df = B::spatial_l2_normalise_backward(r, dy);
  // Finite differences on the unclamped planes (a nudge of the zero plane leaves the floor).
  auto g = f.clone();
  for (std::int64_t i = 0; i < g.numel(); ++i) g[i] = 0.3 + 0.5 * std::abs(f[i]);
  auto rg = B::spatial_l2_normalise(g);
  test::expect_gradient("spatial_l2_normalise", g,
                        [&] { return test::dot(B::spatial_l2_normalise(g).y, dy); },
                        B::spatial_l2_normalise_backward(rg, dy));
  // The clamped plane's gradient is dy / 1e-6.
  BOOST_TEST(df.at(1, 2, 1, 1) == dy.at(1, 2, 1, 1) * 1e6, boost::test_tools::tolerance(1e-9));
  test::expect_error<shape_error>([&] { B::spatial_l2_normalise_backward(r, tensor<double>::zeros({2, 3, 3, 4})); },
                                  {"spatial_l2_normalise_backward", "2x3x3x4", "2x3x3x5"});
}

BOOST_AUTO_TEST_CASE(perceptual_content_and_style) {
  std::vector<tensor<double>> pred, target;
  const std::vector<shape> shapes{shape::nchw(2, 3, 6, 5), shape::nchw(2, 4, 3, 3), shape::nchw(2, 2, 2, 2)};
  for (const auto& s : shapes) {
    pred.push_back(test::random_tensor<double>(s, -1, 1));
    target.push_back(test::random_tensor<double>(s, -1, 1));
  }
  const auto cw = egscit::content_layer_weights(3);
  BOOST_TEST(cw[0] == 1.0 / 3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(cw[2] == 1.0, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(egscit::content_layer_weights(5)[1] == 0.4, boost::test_tools::tolerance(1e-12));
  const std::vector<double> sw{1.0, 0.5, 2.0};
  // Naive content value: sum_l w_l mean |n(p) - n(t)|.
  double naive = 0;
  for (std::size_t l = 0; l < pred.size(); ++l) {
    const auto& p = pred[l];
    const auto& t = target[l];
    double s = 0;
    for (std::int64_t n = 0; n < p.n(); ++n)
      for (std::int64_t c = 0; c < p.c(); ++c)
        for (std::int64_t h = 0; h < p.h(); ++h)
          for (std::int64_t w = 0; w < p.w(); ++w)
            s += std::abs(p.at(n, c, h, w) / naive_norm_sum(p, n, c) - t.at(n, c, h, w) / naive_norm_sum(t, n, c));
    naive += cw[l] * s / double(p.numel());
  }
  auto content = egscit::perceptual_content<B>(pred, target, cw);
  BOOST_TEST(content.value == naive, boost::test_tools::tolerance(1e-10));
  // Naive style value on layer 1 alone: Gram over h w of normalised features.
  {
    const auto& p = pred[1];
    const auto& t = target[1];
    double s = 0;
    for (std::int64_t n = 0; n < p.n(); ++n)
      for (std::int64_t a = 0; a < p.c(); ++a)
        for (std::int64_t b = 0; b < p.c(); ++b) {
          double gp = 0, gt = 0;
          for (std::int64_t h = 0; h < p.h(); ++h)
            for (std::int64_t w = 0; w < p.w(); ++w) {
              gp += p.at(n, a, h, w) / naive_norm_sum(p, n, a) * p.at(n, b, h, w) / naive_norm_sum(p, n, b);
              gt += t.at(n, a, h, w) / naive_norm_sum(t, n, a) * t.at(n, b, h, w) / naive_norm_sum(t, n, b);
            }
          s += std::abs(gp - gt) / double(p.h() * p.w());
        }
    auto one = egscit::perceptual_style<B>(std::vector{pred[1]}, std::vector{target[1]}, {0.5});
    BOOST_TEST(one.value == 0.5 * s / double(p.n() * p.c() * p.c()), boost::test_tools::tolerance(1e-10));
  }
  auto style = egscit::perceptual_style<B>(pred, target, sw);
  for (std::size_t l = 0; l < pred.size(); ++l) {
    test::expect_gradient("perceptual_content layer " + std::to_string(l), pred[l],
                          [&] { return egscit::perceptual_content<B>(pred, target, cw).value; }, content.grads[l]);
    test::expect_gradient("perceptual_style layer " + std::to_string(l), pred[l],
                          [&] { return egscit::perceptual_style<B>(pred, target, sw).value; }, style.grads[l]);
  }
  test::expect_error<shape_error>([&] { egscit::perceptual_style<B>(pred, target, {1.0}); },
                                  {"perceptual_style", "3 prediction layers", "1 weights"});
  auto wrong = target;
  wrong[2] = test::random_tensor<double>(shape::nchw(2, 2, 2, 3));
  test::expect_error<shape_error>([&] { egscit::perceptual_content<B>(pred, wrong, cw); },
                                  {"perceptual_content", "layer 2", "2x2x2x2", "2x2x2x3"});
}

BOOST_AUTO_TEST_CASE(lsgan_discriminator_and_generator_terms) {
  auto real = test::random_tensor<double>(shape::nchw(2, 1, 2, 2), -1, 2);
  auto fake = test::random_tensor<double>(shape::nchw(2, 1, 2, 2), -1, 2);
  double nr = 0, nf = 0, ng = 0;
  for (std::int64_t i = 0; i < real.numel(); ++i) {
    nr += (real[i] - 1) * (real[i] - 1) / 8;
    nf += fake[i] * fake[i] / 8;
    ng += (fake[i] - 1) * (fake[i] - 1) / 8;
  }
  auto d = egscit::discriminator_adv<B>(real, fake);
  BOOST_TEST(d.value == 0.5 * (nr + nf), boost::test_tools::tolerance(1e-12));
  BOOST_TEST(egscit::generator_adv<B>(fake).value == ng, boost::test_tools::tolerance(1e-12));
  test::expect_gradient("D_adv real", real, [&] { return egscit::discriminator_adv<B>(real, fake).value; }, d.grad_real);
  test::expect_gradient("D_adv fake", fake, [&] { return egscit::discriminator_adv<B>(real, fake).value; }, d.grad_fake);
}

BOOST_AUTO_TEST_SUITE_END()
