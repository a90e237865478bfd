// Forward values, running statistics, numerics and errors of instance_norm and batch_norm.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "i2i/backend/cpu/batch_norm.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

double act_ref(double z, const cpu::activation& a) {
  switch (a.kind) {
    case cpu::activation_kind::relu: return z > 0 ? z : 0;
    case cpu::activation_kind::leaky_relu: return z > 0 ? z : a.slope * z;
    case cpu::activation_kind::tanh: return std::tanh(z);
    case cpu::activation_kind::sigmoid: return 1 / (1 + std::exp(-z));
    default: return z;
  }
}

// Naive statistics over a set of (n, c) planes, in long double.
template <class T>
std::pair<double, double> stats(const tensor<T>& x, const std::vector<std::pair<std::int64_t, std::int64_t>>& planes) {
  long double s = 0, ss = 0;
  std::int64_t count = 0;
  for (auto [n, c] : planes)
    for (std::int64_t h = 0; h < x.h(); ++h)
      for (std::int64_t w = 0; w < x.w(); ++w) {
        s += x.at(n, c, h, w);
        ++count;
      }
  const long double mean = s / count;
  for (auto [n, c] : planes)
    for (std::int64_t h = 0; h < x.h(); ++h)
      for (std::int64_t w = 0; w < x.w(); ++w) ss += (x.at(n, c, h, w) - mean) * (x.at(n, c, h, w) - mean);
  return {double(mean), double(ss / count)};
}

template <class T>
tensor<double> reference_instance_norm(const tensor<T>& x, const tensor<T>& g, const tensor<T>& b, double eps,
                                       cpu::activation a) {
  auto y = tensor<double>::empty(x.shape());
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (std::int64_t c = 0; c < x.c(); ++c) {
      auto [mean, var] = stats(x, {{n, c}});
      for (std::int64_t h = 0; h < x.h(); ++h)
        for (std::int64_t w = 0; w < x.w(); ++w) {
          const double z = (x.at(n, c, h, w) - mean) / std::sqrt(var + eps);
          y.at(n, c, h, w) = act_ref((g.defined() ? g[c] : 1.0) * z + (b.defined() ? b[c] : 0.0), a);
        }
    }
  return y;
}

template <class T>
tensor<double> reference_batch_norm(const tensor<T>& x, const tensor<T>& g, const tensor<T>& b,
                                    const std::vector<double>& mean, const std::vector<double>& var, double eps,
                                    cpu::activation a) {
  auto y = tensor<double>::empty(x.shape());
  for (std::int64_t n = 0; n < x.n(); ++n)
    for (std::int64_t c = 0; c < x.c(); ++c)
      for (std::int64_t h = 0; h < x.h(); ++h)
        for (std::int64_t w = 0; w < x.w(); ++w) {
          const double z = (x.at(n, c, h, w) - mean[c]) / std::sqrt(var[c] + eps);
          y.at(n, c, h, w) = act_ref((g.defined() ? g[c] : 1.0) * z + (b.defined() ? b[c] : 0.0), a);
        }
  return y;
}

tensor<float> normal_tensor(const shape& s, double mean, double stddev) {
  std::normal_distribution<double> d(mean, stddev);
  auto t = tensor<float>::empty(s);
  for (auto& v : t.values()) v = float(d(test::rng()));
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(instance_norm)

BOOST_AUTO_TEST_CASE(forward_matches_reference) {
  const cpu::activation acts[] = {cpu::activation::identity(), cpu::activation::relu(),
                                  cpu::activation::leaky_relu(0.2), cpu::activation::tanh()};
  for (const shape& s : {shape{2, 3, 5, 7}, shape{3, 4, 1, 9}, shape{2, 5, 16, 17}}) {
    auto x = test::random_tensor<float>(s, -2, 3);
    auto g = test::random_tensor<float>({s[1]}, 0.5, 1.5);
    auto b = test::random_tensor<float>({s[1]}, -0.5, 0.5);
    for (auto a : acts) {
      BOOST_TEST_CONTEXT("shape " << s << " act " << a) {
        auto r = cpu::instance_norm(x, g, b, 1e-5, a);
        BOOST_TEST(test::max_abs_diff(r.y, reference_instance_norm(x, g, b, 1e-5, a)) < 1e-5);
        auto plain = cpu::instance_norm(x, {}, {}, 1e-3, a);
        BOOST_TEST(test::max_abs_diff(plain.y, reference_instance_norm(x, tensor<float>{}, tensor<float>{}, 1e-3, a)) <
                   1e-5);
        BOOST_REQUIRE(r.mean.shape() == shape({s[0], s[1]}));
        auto [m, v] = stats(x, {{1, 2}});
        BOOST_TEST(std::abs(r.mean[1 * s[1] + 2] - m) < 1e-6);
        BOOST_TEST(std::abs(r.inv_std[1 * s[1] + 2] - 1 / std::sqrt(v + 1e-5)) < 1e-4);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(large_offset_still_gives_unit_variance) {
  auto x = normal_tensor({2, 3, 64, 64}, 1000.0, 1.0);
  auto r = cpu::instance_norm(x);
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t c = 0; c < 3; ++c) {
      auto [m, v] = stats(r.y, {{n, c}});
      BOOST_TEST(std::abs(m) < 1e-3);
      BOOST_TEST(std::abs(v - 1) < 1e-3);
    }
}

BOOST_AUTO_TEST_CASE(outlier_first_element_does_not_spoil_statistics) {
  // The first pass centres on the first element; an outlier there must not cost accuracy.
  auto x = normal_tensor({1, 2, 64, 64}, 1000.0, 1.0);
  x[0] = 5000.0f;
  auto r = cpu::instance_norm(x);
  BOOST_TEST(test::max_abs_diff(r.y, reference_instance_norm(x, tensor<float>{}, tensor<float>{}, 1e-5, {})) < 1e-4);
}

BOOST_AUTO_TEST_CASE(errors_name_op_and_shapes) {
  auto x = tensor<float>::zeros({2, 64, 32, 32});
  test::expect_error<shape_error>([&] { cpu::instance_norm(x, tensor<float>::filled({3}, 1)); },
                                  {"instance_norm", "weight has shape 3", "expected 64", "2x64x32x32"});
  test::expect_error<shape_error>([&] { cpu::instance_norm(x, {}, tensor<float>::filled({2, 32}, 1)); },
                                  {"instance_norm", "bias has shape 2x32", "2x64x32x32"});
  test::expect_error<shape_error>([&] { cpu::instance_norm(tensor<float>::zeros({2, 64})); },
                                  {"instance_norm", "2x64", "rank 4"});
  test::expect_error<value_error>([&] { cpu::instance_norm(tensor<float>::zeros({2, 8, 1, 1})); },
                                  {"instance_norm", "2x8x1x1", "single pixel"});
  auto r = cpu::instance_norm(x);
  test::expect_error<shape_error>([&] { cpu::instance_norm_backward(tensor<float>::zeros({2, 64, 32, 31}), x, r); },
                                  {"instance_norm_backward", "2x64x32x31", "2x64x32x32"});
  test::expect_error<shape_error>(
      [&] { cpu::instance_norm_backward(x, x, r, {}, tensor<float>::zeros({63})); },
      {"instance_norm_backward", "dweight has shape 63", "2x64x32x32"});
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(batch_norm)

BOOST_AUTO_TEST_CASE(train_forward_and_running_stats) {
  for (const shape& s : {shape{2, 3, 5, 7}, shape{4, 2, 3, 1}, shape{3, 5, 16, 17}}) {
    auto x = test::random_tensor<float>(s, -2, 3);
    auto g = test::random_tensor<float>({s[1]}, 0.5, 1.5);
    auto b = test::random_tensor<float>({s[1]}, -0.5, 0.5);
    auto rm = test::random_tensor<float>({s[1]}, -1, 1);
    auto rv = test::random_tensor<float>({s[1]}, 0.5, 2);
    const auto rm0 = rm.clone(), rv0 = rv.clone();
    std::vector<double> mean, var;
    for (std::int64_t c = 0; c < s[1]; ++c) {
      std::vector<std::pair<std::int64_t, std::int64_t>> planes;
      for (std::int64_t n = 0; n < s[0]; ++n) planes.push_back({n, c});
      auto [m, v] = stats(x, planes);
      mean.push_back(m);
      var.push_back(v);
    }
    for (auto a : {cpu::activation::identity(), cpu::activation::relu()}) {
      BOOST_TEST_CONTEXT("shape " << s << " act " << a) {
        rm0.values();
        std::copy_n(rm0.data(), rm0.numel(), rm.data());
        std::copy_n(rv0.data(), rv0.numel(), rv.data());
        auto r = cpu::batch_norm_train(x, g, b, rm, rv, 0.1, 1e-5, a);
        BOOST_TEST(test::max_abs_diff(r.y, reference_batch_norm(x, g, b, mean, var, 1e-5, a)) < 1e-5);
        const double count = double(s[0] * s[2] * s[3]);
        for (std::int64_t c = 0; c < s[1]; ++c) {
          BOOST_TEST(std::abs(rm[c] - (0.9 * rm0[c] + 0.1 * mean[c])) < 1e-6);
          // The running variance uses the unbiased estimate.
          BOOST_TEST(std::abs(rv[c] - (0.9 * rv0[c] + 0.1 * var[c] * count / (count - 1))) < 1e-5);
        }
      }
    }
    // Without running statistics nothing is tracked, and the output is the same.
    auto r2 = cpu::batch_norm_train(x, g, b, tensor<float>{}, tensor<float>{});
    BOOST_TEST(test::max_abs_diff(r2.y, reference_batch_norm(x, g, b, mean, var, 1e-5, {})) < 1e-5);
  }
}

BOOST_AUTO_TEST_CASE(eval_uses_running_stats) {
  auto x = test::random_tensor<float>({3, 4, 5, 6}, -2, 3);
  auto g = test::random_tensor<float>({4}, 0.5, 1.5);
  auto b = test::random_tensor<float>({4}, -0.5, 0.5);
  auto rm = test::random_tensor<float>({4}, -1, 1);
  auto rv = test::random_tensor<float>({4}, 0.5, 2);
  const auto rm0 = rm.clone(), rv0 = rv.clone();
  std::vector<double> mean(rm.data(), rm.data() + 4), var(rv.data(), rv.data() + 4);
  auto r = cpu::batch_norm_eval(x, g, b, rm, rv, 1e-5, cpu::activation::leaky_relu(0.2));
  BOOST_TEST(test::max_abs_diff(r.y, reference_batch_norm(x, g, b, mean, var, 1e-5, cpu::activation::leaky_relu(0.2))) <
             1e-5);
  BOOST_TEST(test::max_abs_diff(rm, rm0) == 0.0);
  BOOST_TEST(test::max_abs_diff(rv, rv0) == 0.0);
  BOOST_TEST(!r.training);
}

BOOST_AUTO_TEST_CASE(large_offset_still_gives_unit_variance) {
  auto x = normal_tensor({4, 3, 32, 32}, 1000.0, 1.0);
  auto r = cpu::batch_norm_train(x, tensor<float>{}, tensor<float>{}, tensor<float>{}, tensor<float>{});
  for (std::int64_t c = 0; c < 3; ++c) {
    auto [m, v] = stats(r.y, {{0, c}, {1, c}, {2, c}, {3, c}});
    BOOST_TEST(std::abs(m) < 1e-3);
    BOOST_TEST(std::abs(v - 1) < 1e-3);
  }
}

BOOST_AUTO_TEST_CASE(errors_name_op_and_shapes) {
  auto x = tensor<float>::zeros({2, 64, 8, 8});
  auto ok = tensor<float>::filled({64}, 1);
  test::expect_error<shape_error>([&] { cpu::batch_norm_train(x, tensor<float>::filled({3}, 1), ok, ok, ok); },
                                  {"batch_norm_train", "weight has shape 3", "expected 64", "2x64x8x8"});
  test::expect_error<shape_error>([&] { cpu::batch_norm_eval(x, ok, ok, ok, tensor<float>::filled({32}, 1)); },
                                  {"batch_norm_eval", "running_var has shape 32", "2x64x8x8"});
  test::expect_error<shape_error>([&] { cpu::batch_norm_eval(x, ok, ok, tensor<float>{}, tensor<float>{}); },
                                  {"batch_norm_eval", "running_mean", "2x64x8x8"});
  test::expect_error<value_error>([&] { cpu::batch_norm_train(tensor<float>::zeros({1, 3, 1, 1}), {}, {}, {}, {}); },
                                  {"batch_norm_train", "1x3x1x1", "single value"});
  test::expect_error<value_error>([&] { cpu::batch_norm_train(x, ok, ok, ok, ok, 1.5); },
                                  {"batch_norm_train", "momentum 1.5"});
  auto r = cpu::batch_norm_train(x, ok, ok, tensor<float>{}, tensor<float>{});
  test::expect_error<shape_error>([&] { cpu::batch_norm_backward(tensor<float>::zeros({2, 64, 8, 9}), x, r, ok); },
                                  {"batch_norm_backward", "2x64x8x9", "2x64x8x8"});
}

BOOST_AUTO_TEST_SUITE_END()
