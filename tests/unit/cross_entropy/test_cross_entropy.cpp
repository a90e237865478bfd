// Softmax cross-entropy against a naive reference (log of the softmax, pixel by pixel, in double), with
// and without ignore index and class weights, and its errors: a label >= C names the value and the pixel.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/losses_cross_entropy.hpp"
#include "i2i/loss/types/cross_entropy_term.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
namespace tt = boost::test_tools;

namespace {

tensor<float> random_labels(std::int64_t n, std::int64_t h, std::int64_t w, int classes, std::uint32_t seed) {
  std::mt19937 r(seed);
  auto t = tensor<float>::empty({n, 1, h, w});
  for (auto& v : t.values()) v = float(r() % unsigned(classes));
  return t;
}

/// PyTorch's weighted mean of -log softmax(x)[y] over the counted pixels, and its gradient, naively.
struct naive_result {
  double value = 0;
  tensor<double> grad;
};
naive_result naive_ce(const tensor<float>& x, const tensor<float>& y, const loss::cross_entropy_options& o) {
  const std::int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  naive_result r{0, tensor<double>::zeros(x.shape())};
  double num = 0, den = 0;
  for (std::int64_t s = 0; s < n; ++s)
    for (std::int64_t i = 0; i < h; ++i)
      for (std::int64_t j = 0; j < w; ++j) {
        const int label = int(y.at(s, 0, i, j));
        if (o.ignore_index >= 0 && label == o.ignore_index) continue;
        const double wt = o.class_weights.empty() ? 1.0 : o.class_weights[std::size_t(label)];
        double z = 0;
        for (std::int64_t k = 0; k < c; ++k) z += std::exp(double(x.at(s, k, i, j)));
        num += -wt * std::log(std::exp(double(x.at(s, label, i, j))) / z);
        den += wt;
        for (std::int64_t k = 0; k < c; ++k)
          r.grad[((s * c + k) * h + i) * w + j] = wt * (std::exp(double(x.at(s, k, i, j))) / z - (k == label));
      }
  r.value = num / den;
  for (auto& g : r.grad.values()) g /= den;
  return r;
}

void expect_matches(const tensor<float>& x, const tensor<float>& y, const loss::cross_entropy_options& o) {
  const auto got = cpu::cross_entropy_loss(x, y, o);
  const auto want = naive_ce(x, y, o);
  BOOST_TEST(got.value == want.value, tt::tolerance(1e-6));
  BOOST_TEST(test::max_abs_diff(got.grad, want.grad) < 1e-7);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cross_entropy)

BOOST_AUTO_TEST_CASE(matches_naive_reference) {
  const auto x = test::random_tensor<float>({2, 5, 3, 4}, -3, 3);
  const auto y = random_labels(2, 3, 4, 5, 7);
  expect_matches(x, y, {});
  expect_matches(x, y, {.ignore_index = 2});
  expect_matches(x, y, {.ignore_index = -1, .class_weights = {0.5, 1, 2, 0.25, 3}});
  expect_matches(x, y, {.ignore_index = 0, .class_weights = {9, 1, 2, 0.25, 3}});
}

BOOST_AUTO_TEST_CASE(rank3_labels_and_large_logits) {
  // Logits of +-1000 overflow exp() without the max shift; N x H x W labels are accepted too.
  auto x = tensor<float>::zeros({1, 3, 1, 2});
  x.at(0, 0, 0, 0) = 1000;
  x.at(0, 2, 0, 1) = -1000;
  auto y = tensor<float>::empty({1, 1, 2});
  y[0] = 0;
  y[1] = 2;
  const auto r = cpu::cross_entropy_loss(x, y);
  // pixel 0: correct and certain -> 0; pixel 1: logits (0, 0, -1000), label 2 -> 1000 + log 2.
  BOOST_TEST(r.value == (1000 + std::log(2.0)) / 2, tt::tolerance(1e-6));
  BOOST_TEST(std::isfinite(r.grad[0]));
}

BOOST_AUTO_TEST_CASE(term_weights_value_and_gradient) {
  const auto x = test::random_tensor<float>({1, 4, 2, 3});
  const auto y = random_labels(1, 2, 3, 4, 3);
  const auto plain = cpu::cross_entropy_loss(x, y);
  const loss::cross_entropy_term term{.weight = 2.5};
  const auto r = term.apply<cpu_backend<float>>(x, y);
  BOOST_TEST(r.value == 2.5 * plain.value, tt::tolerance(1e-9));
  BOOST_TEST(r.grad[5] == 2.5f * plain.grad[5], tt::tolerance(1e-6f));
}

BOOST_AUTO_TEST_CASE(bad_labels_name_value_and_position) {
  const auto x = test::random_tensor<float>({2, 4, 3, 5});
  auto y = random_labels(2, 3, 5, 4, 1);
  y.at(1, 0, 2, 3) = 4;  // C = 4 classes: ids 0..3
  test::expect_error<value_error>([&] { cpu::cross_entropy_loss(x, y); },
                                  {"label 4", "(n=1, h=2, w=3)", "C = 4"});
  y.at(1, 0, 2, 3) = 1.5f;
  test::expect_error<value_error>([&] { cpu::cross_entropy_loss(x, y); }, {"label 1.5", "not an integer"});
  y.at(1, 0, 2, 3) = -1;
  test::expect_error<value_error>([&] { cpu::cross_entropy_loss(x, y); }, {"label -1", "(n=1, h=2, w=3)"});
  // The ignore index may lie outside [0, C) (255, as in Cityscapes).
  y.at(1, 0, 2, 3) = 255;
  BOOST_CHECK_NO_THROW(cpu::cross_entropy_loss(x, y, {.ignore_index = 255}));
  // The term prefixes its name.
  y.at(1, 0, 2, 3) = 9;
  test::expect_error<value_error>([&] { loss::cross_entropy_term{.name = "seg_ce"}.apply<cpu_backend<float>>(x, y); }, {"seg_ce:", "label 9"});
}

BOOST_AUTO_TEST_CASE(shape_and_weight_errors) {
  const auto x = test::random_tensor<float>({1, 3, 2, 2});
  test::expect_error<shape_error>([&] { cpu::cross_entropy_loss(x, tensor<float>::zeros({1, 1, 2, 3})); },
                                  {"labels have shape", "1x1x2x2"});
  test::expect_error<value_error>([&] { cpu::cross_entropy_loss(x, tensor<float>::zeros({1, 1, 2, 2}), {.class_weights = {1, 2}}); },
                                  {"2 class weights for 3 classes"});
  test::expect_error<value_error>([&] { cpu::cross_entropy_loss(x, tensor<float>::zeros({1, 1, 2, 2}), {.ignore_index = 0}); },
                                  {"no pixel counts"});
}

BOOST_AUTO_TEST_SUITE_END()
