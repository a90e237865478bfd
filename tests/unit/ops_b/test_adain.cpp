#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "i2i/backend/cpu/adain.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {
struct ref_stats {
  std::vector<double> mean, var;  // population variance
};
// Naive per-plane statistics of an NCHW tensor.
template <class T>
ref_stats naive_stats(const tensor<T>& x, bool unbiased = false) {
  const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  ref_stats r;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < c; ++k) {
      double s = 0, q = 0;
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t z = 0; z < w; ++z) s += double(x.at(i, k, y, z));
      const double mu = s / double(h * w);
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t z = 0; z < w; ++z) q += (double(x.at(i, k, y, z)) - mu) * (double(x.at(i, k, y, z)) - mu);
      r.mean.push_back(mu);
      r.var.push_back(q / double(unbiased ? h * w - 1 : h * w));
    }
  return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ops_b_adain)

BOOST_AUTO_TEST_CASE(channel_statistics_match_reference) {
  for (bool unbiased : {false, true}) {
    auto x = test::random_tensor<float>({3, 5, 7, 9}, -2, 3);
    auto m = cpu::channel_moments(x, unbiased);
    auto ref = naive_stats(x, unbiased);
    BOOST_TEST((m.mean.shape() == shape{3, 5}));
    for (std::size_t p = 0; p < ref.mean.size(); ++p) {
      BOOST_TEST(double(m.mean[std::int64_t(p)]) == ref.mean[p], boost::test_tools::tolerance(1e-5));
      BOOST_TEST(double(m.var[std::int64_t(p)]) == ref.var[p], boost::test_tools::tolerance(1e-5));
    }
    adain_options opt{0.01, unbiased};
    auto ms = cpu::channel_mean_std(x, opt);
    for (std::size_t p = 0; p < ref.mean.size(); ++p)
      BOOST_TEST(double(ms.std[std::int64_t(p)]) == std::sqrt(ref.var[p] + 0.01), boost::test_tools::tolerance(1e-5));
  }
}

BOOST_AUTO_TEST_CASE(canonical_adain_matches_reference) {
  for (bool unbiased : {false, true}) {
    const std::int64_t n = 3, c = 4, h = 6, w = 5;
    auto x = test::random_tensor<double>({n, c, h, w}, -1, 2);
    auto sm = test::random_tensor<double>({n, c}), ss = test::random_tensor<double>({n, c}, 0.5, 2);
    adain_options opt{1e-3, unbiased};
    auto r = cpu::adain(x, sm, ss, opt);
    auto ref = naive_stats(x, unbiased);
    double err = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < c; ++k) {
        const std::size_t p = std::size_t(i * c + k);
        for (std::int64_t y = 0; y < h; ++y)
          for (std::int64_t z = 0; z < w; ++z) {
            const double e = ss[i * c + k] * (x.at(i, k, y, z) - ref.mean[p]) / std::sqrt(ref.var[p] + 1e-3) + sm[i * c + k];
            err = std::max(err, std::abs(r.y.at(i, k, y, z) - e));
          }
      }
    BOOST_TEST(err < 1e-12);

    // From a style feature map of another spatial size: mu_s, sigma_s are the style map's statistics.
    auto s = test::random_tensor<double>({n, c, 3, 8}, -3, 1);
    auto rs = cpu::adain_from_style(x, s, opt);
    auto sref = naive_stats(s, unbiased);
    err = 0;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t k = 0; k < c; ++k) {
        const std::size_t p = std::size_t(i * c + k);
        for (std::int64_t y = 0; y < h; ++y)
          for (std::int64_t z = 0; z < w; ++z) {
            const double e = std::sqrt(sref.var[p] + 1e-3) * (x.at(i, k, y, z) - ref.mean[p]) /
                                 std::sqrt(ref.var[p] + 1e-3) + sref.mean[p];
            err = std::max(err, std::abs(rs.adain.y.at(i, k, y, z) - e));
          }
      }
    BOOST_TEST(err < 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(egscit_adain_matches_reference) {
  // y = mu_e * (x - mu_x) / v_x + v_e with population variances and no eps.
  const std::int64_t n = 2, c = 3, h = 5, w = 7;
  auto x = test::random_tensor<float>({n, c, h, w}, -1, 2);
  auto fe = test::random_tensor<float>({n, c, 4, 4}, -2, 2);
  auto r = cpu::adain_egscit_from_exemplar(x, fe);
  auto xs = naive_stats(x), es = naive_stats(fe);
  double err = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < c; ++k) {
      const std::size_t p = std::size_t(i * c + k);
      BOOST_TEST(double(r.exemplar.var[std::int64_t(p)]) == es.var[p], boost::test_tools::tolerance(1e-5));
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t z = 0; z < w; ++z) {
          const double e = es.mean[p] * (x.at(i, k, y, z) - xs.mean[p]) / xs.var[p] + es.var[p];
          err = std::max(err, std::abs(double(r.adain.y.at(i, k, y, z)) - e) / (1 + std::abs(e)));
        }
    }
  BOOST_TEST(err < 1e-5);

  // With eps: divide by v_x + eps.
  auto me = test::random_tensor<double>({n, c}), ve = test::random_tensor<double>({n, c}, 0, 1);
  auto xd = x.cast<double>();
  auto r2 = cpu::adain_egscit(xd, me, ve, 0.25);
  err = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t k = 0; k < c; ++k)
      for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t z = 0; z < w; ++z) {
          const std::size_t p = std::size_t(i * c + k);
          const double e = me[i * c + k] * (xd.at(i, k, y, z) - xs.mean[p]) / (xs.var[p] + 0.25) + ve[i * c + k];
          err = std::max(err, std::abs(r2.y.at(i, k, y, z) - e));
        }
  BOOST_TEST(err < 1e-5);  // x's statistics above came from float data through the reference in double
}

BOOST_AUTO_TEST_CASE(egscit_adain_constant_channel_is_nan_without_eps_and_finite_with_it) {
  // Documented fidelity behaviour: v_x = 0 gives 0 * inf = NaN, as in the TensorFlow original.
  auto x = tensor<double>::filled({1, 1, 3, 3}, 0.5);
  auto me = tensor<double>::filled({1, 1}, 2.0), ve = tensor<double>::filled({1, 1}, 0.3);
  auto r = cpu::adain_egscit(x, me, ve);
  BOOST_TEST(std::isnan(r.y[0]));
  auto r_eps = cpu::adain_egscit(x, me, ve, 1e-5);
  BOOST_TEST(r_eps.y[4] == 0.3, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(adain_errors_name_op_and_shapes) {
  auto x = tensor<float>::zeros({2, 3, 4, 4});
  auto good = tensor<float>::zeros({2, 3}), bad = tensor<float>::zeros({2, 4});
  test::expect_error<shape_error>([&] { cpu::adain(x, bad, good); }, {"adain", "style_mean", "2x4", "2x3", "2x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::adain(x, good, bad); }, {"adain", "style_std", "2x4"});
  test::expect_error<shape_error>([&] { cpu::adain(tensor<float>::zeros({2, 3}), good, good); }, {"adain", "x", "2x3", "rank 4"});
  test::expect_error<shape_error>([&] { cpu::adain_egscit(x, good, bad); }, {"adain_egscit", "exemplar_var", "2x4", "2x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::adain_egscit_from_exemplar(x, tensor<float>::zeros({2, 5, 4, 4})); },
                                  {"adain_egscit_from_exemplar", "2x5x4x4", "2x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::adain_from_style(x, tensor<float>::zeros({1, 3, 4, 4})); },
                                  {"adain_from_style", "1x3x4x4", "2x3x4x4"});
  auto r = cpu::adain(x, good, good);
  test::expect_error<shape_error>([&] { cpu::adain_backward(x, good, good, r, tensor<float>::zeros({2, 3, 4, 5})); },
                                  {"adain_backward", "dy", "2x3x4x5", "2x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::channel_moments(tensor<float>::zeros({2, 3, 1, 1}), true); },
                                  {"channel_moments", "2x3x1x1", "unbiased"});
  test::expect_error<value_error>([&] { cpu::adain_egscit(x, good, good, -1.0); }, {"adain_egscit", "eps"});
}

BOOST_AUTO_TEST_SUITE_END()
