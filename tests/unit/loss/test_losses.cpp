#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/losses.hpp"
#include "i2i/backend/cpu/losses_gram.hpp"
#include "i2i/loss/gram_style_loss.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
using loss::gan_target;
namespace tt = boost::test_tools;

namespace {
double naive_sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// Naive N x C x C Gram matrices in double.
template <class T>
tensor<double> naive_gram(const tensor<T>& f, double div) {
  const std::int64_t n = f.dim(0), c = f.dim(1), h = f.dim(2), w = f.dim(3);
  auto g = tensor<double>::zeros({n, c, c});
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t a = 0; a < c; ++a)
      for (std::int64_t b = 0; b < c; ++b) {
        double s = 0;
        for (std::int64_t y = 0; y < h; ++y)
          for (std::int64_t x = 0; x < w; ++x) s += double(f.at(i, a, y, x)) * double(f.at(i, b, y, x));
        g[(i * c + a) * c + b] = s / div;
      }
  return g;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(loss_functions)

BOOST_AUTO_TEST_CASE(l1_mse_kl_lsgan_match_reference) {
  const shape s{3, 2, 5, 7};
  auto p = test::random_tensor<float>(s), t = test::random_tensor<float>(s);
  p[4] = t[4];  // |0| has gradient 0, as in PyTorch
  double l1 = 0, mse = 0, kl = 0, real = 0, fake = 0;
  for (std::int64_t i = 0; i < p.numel(); ++i) {
    const double d = double(p[i]) - double(t[i]);
    l1 += std::abs(d);
    mse += d * d;
    kl += double(p[i]) * p[i];
    real += (p[i] - 1.0) * (p[i] - 1.0);
    fake += double(p[i]) * p[i];
  }
  const double n = double(p.numel());
  auto r1 = cpu::l1_loss(p, t), r2 = cpu::mse_loss(p, t), r3 = cpu::kl_loss(p);
  auto r4 = cpu::lsgan_loss(p, gan_target::real), r5 = cpu::lsgan_loss(p, gan_target::fake);
  BOOST_TEST(r1.value == l1 / n, tt::tolerance(1e-6));
  BOOST_TEST(r2.value == mse / n, tt::tolerance(1e-6));
  BOOST_TEST(r3.value == kl / n, tt::tolerance(1e-6));
  BOOST_TEST(r4.value == real / n, tt::tolerance(1e-6));
  BOOST_TEST(r5.value == fake / n, tt::tolerance(1e-6));
  double err = 0;
  for (std::int64_t i = 0; i < p.numel(); ++i) {
    const double d = double(p[i]) - double(t[i]);
    err = std::max(err, std::abs(r1.grad[i] - (d > 0 ? 1 : d < 0 ? -1 : 0) / n));
    err = std::max(err, std::abs(r2.grad[i] - 2 * d / n));
    err = std::max(err, std::abs(r3.grad[i] - 2 * p[i] / n));
    err = std::max(err, std::abs(r4.grad[i] - 2 * (p[i] - 1.0) / n));
    err = std::max(err, std::abs(r5.grad[i] - 2 * p[i] / n));
  }
  BOOST_TEST(err < 1e-7);
  BOOST_TEST(r1.grad[4] == 0.f);
  BOOST_TEST((r1.grad.shape() == s));
}

BOOST_AUTO_TEST_CASE(bce_with_logits_matches_reference_and_is_stable) {
  const shape s{2, 1, 6, 5};
  auto x = test::random_tensor<double>(s, -6, 6), t = test::random_tensor<double>(s, 0, 1);
  double soft = 0, real = 0, fake = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    const double p = naive_sigmoid(x[i]);
    soft -= t[i] * std::log(p) + (1 - t[i]) * std::log(1 - p);
    real -= std::log(p);
    fake -= std::log(1 - p);
  }
  const double n = double(x.numel());
  auto rs = cpu::bce_with_logits_loss(x, t), rr = cpu::bce_with_logits_loss(x, gan_target::real),
       rf = cpu::bce_with_logits_loss(x, gan_target::fake);
  BOOST_TEST(rs.value == soft / n, tt::tolerance(1e-12));
  BOOST_TEST(rr.value == real / n, tt::tolerance(1e-12));
  BOOST_TEST(rf.value == fake / n, tt::tolerance(1e-12));
  double err = 0;
  for (std::int64_t i = 0; i < x.numel(); ++i) {
    err = std::max(err, std::abs(rs.grad[i] - (naive_sigmoid(x[i]) - t[i]) / n));
    err = std::max(err, std::abs(rr.grad[i] - (naive_sigmoid(x[i]) - 1) / n));
    err = std::max(err, std::abs(rf.grad[i] - naive_sigmoid(x[i]) / n));
  }
  BOOST_TEST(err < 1e-14);
  // Large logits: the naive formula gives log(0) = -inf; the stable one is exact and finite.
  auto big = tensor<float>::from({2}, {1000.f, -1000.f});
  auto rb = cpu::bce_with_logits_loss(big, gan_target::fake);  // -log(1 - s(1000)) = 1000; -log(1 - s(-1000)) = 0
  BOOST_TEST(rb.value == 500.0, tt::tolerance(1e-6));
  BOOST_TEST(rb.grad[0] == 0.5f, tt::tolerance(1e-6f));
  BOOST_TEST(rb.grad[1] == 0.f);
}

BOOST_AUTO_TEST_CASE(gram_and_style_loss_match_reference) {
  const std::int64_t n = 2, c = 3, h = 4, w = 5;
  auto f = test::random_tensor<float>({n, c, h, w}), g = test::random_tensor<float>({n, c, h, w});
  for (auto norm : {loss::gram_norm::hw, loss::gram_norm::chw}) {
    const double div = norm == loss::gram_norm::hw ? double(h * w) : double(c * h * w);
    auto G = cpu::gram_matrix(f, norm);
    BOOST_TEST((G.shape() == shape{n, c, c}));
    auto ref = naive_gram(f, div), ref_g = naive_gram(g, div);
    BOOST_TEST(test::max_abs_diff(G, ref) < 1e-6);
    double mse = 0, l1 = 0;
    for (std::int64_t i = 0; i < ref.numel(); ++i) {
      mse += (ref[i] - ref_g[i]) * (ref[i] - ref_g[i]);
      l1 += std::abs(ref[i] - ref_g[i]);
    }
    auto rm = loss::gram_style_loss<cpu_backend<float>>(f, g, loss::style_distance::mse, norm);
    auto rl = loss::gram_style_loss<cpu_backend<float>>(f, g, loss::style_distance::l1, norm);
    BOOST_TEST(rm.value == mse / double(ref.numel()), tt::tolerance(1e-5));
    BOOST_TEST(rl.value == l1 / double(ref.numel()), tt::tolerance(1e-5));
    BOOST_TEST((rm.grad.shape() == f.shape()));
  }
  // EGSC-IT's normalisation on a hand example: two channels of 2x1 pixels, F = [[1, 2], [3, 4]],
  // G = F F^T / (h w) = [[5, 11], [11, 25]] / 2.
  auto hand = tensor<double>::from({1, 2, 2, 1}, {1, 2, 3, 4});
  auto Gh = cpu::gram_matrix(hand);
  const double expect[] = {2.5, 5.5, 5.5, 12.5};
  for (int i = 0; i < 4; ++i) BOOST_TEST(Gh[i] == expect[i]);
}

BOOST_AUTO_TEST_CASE(shape_mismatch_errors_name_loss_and_shapes) {
  auto a = tensor<float>::zeros({2, 3, 4, 4}), b = tensor<float>::zeros({2, 3, 4, 5});
  test::expect_error<shape_error>([&] { cpu::l1_loss(a, b); }, {"l1_loss", "2x3x4x5", "2x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::mse_loss(a, b); }, {"mse_loss", "2x3x4x5", "2x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::bce_with_logits_loss(a, b); }, {"bce_with_logits_loss", "2x3x4x5", "2x3x4x4"});
  test::expect_error<shape_error>([&] { loss::gram_style_loss<cpu_backend<float>>(a, b); }, {"gram_style_loss", "2x3x4x5", "2x3x4x4"});
  test::expect_error<shape_error>([&] { cpu::gram_matrix(tensor<float>::zeros({2, 3})); }, {"gram_matrix", "2x3", "rank 4"});
  test::expect_error<shape_error>([&] { cpu::gram_matrix_backward(a, tensor<float>::zeros({2, 3, 4})); },
                                  {"gram_matrix_backward", "2x3x4", "2x3x3"});
  auto empty = tensor<float>::zeros({0, 3});
  test::expect_error<shape_error>([&] { cpu::lsgan_loss(empty, gan_target::real); }, {"lsgan_loss", "0x3"});
  test::expect_error<shape_error>([&] { cpu::kl_loss(empty); }, {"kl_loss", "0x3"});
  test::expect_error<value_error>([&] { cpu::kl_loss(tensor<float>()); }, {"kl_loss", "undefined"});
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_reported_by_name) {
  auto a = test::random_tensor<float>({2, 3, 4, 4}), b = test::random_tensor<float>({2, 3, 4, 4});
  a[7] = std::numeric_limits<float>::quiet_NaN();
  test::expect_error<value_error>([&] { cpu::l1_loss(a, b); }, {"l1_loss", "nan"});
  test::expect_error<value_error>([&] { cpu::mse_loss(a, b); }, {"mse_loss"});
  test::expect_error<value_error>([&] { cpu::lsgan_loss(a, gan_target::fake); }, {"lsgan_loss"});
  test::expect_error<value_error>([&] { cpu::bce_with_logits_loss(a, gan_target::real); }, {"bce_with_logits_loss"});
  test::expect_error<value_error>([&] { cpu::kl_loss(a); }, {"kl_loss"});
  test::expect_error<value_error>([&] { loss::gram_style_loss<cpu_backend<float>>(a, b); }, {"gram_style_loss"});
  a[7] = std::numeric_limits<float>::infinity();
  test::expect_error<value_error>([&] { cpu::mse_loss(a, b); }, {"mse_loss", "inf"});
  test::expect_error<value_error>([] { loss::require_finite(std::nan(""), "my_loss"); }, {"my_loss"});
  loss::require_finite(1.5, "fine");  // finite values pass
}

BOOST_AUTO_TEST_SUITE_END()
