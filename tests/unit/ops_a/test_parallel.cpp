// Every op gives bit-identical results with 1 and 2 threads: planes (or channels) are independent and
// parameter gradients are reduced in a fixed order, so the partition must not matter.
#include <boost/test/unit_test.hpp>

#include <functional>
#include <vector>

#include "i2i/backend/cpu/activation.hpp"
#include "i2i/backend/cpu/batch_norm.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "i2i/backend/cpu/pad.hpp"
#include "i2i/backend/cpu/pool.hpp"
#include "i2i/backend/cpu/resample.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

// Runs f with 1 thread and with 2, returning both outputs (restoring the thread count).
std::pair<std::vector<tensor<float>>, std::vector<tensor<float>>> both(
    const std::function<std::vector<tensor<float>>()>& f) {
  const int saved = num_threads();
  set_num_threads(1);
  auto a = f();
  set_num_threads(2);
  auto b = f();
  set_num_threads(saved);
  return {a, b};
}

void expect_same(const std::string& what, const std::function<std::vector<tensor<float>>()>& f) {
  auto [a, b] = both(f);
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) BOOST_TEST(test::max_abs_diff(a[i], b[i]) == 0.0, what << " output " << i);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ops_a_threads)

BOOST_AUTO_TEST_CASE(thread_count_does_not_change_results) {
  // 2 x 8 planes of 64 x 63: several parallel chunks per op.
  auto x = test::random_tensor<float>({2, 8, 64, 63}, -2, 2);
  auto dy = test::random_tensor<float>({2, 8, 64, 63});
  auto g = test::random_tensor<float>({8}, 0.5, 1.5);
  auto b = test::random_tensor<float>({8});
  const auto p = padding2d{3, 2, 1, 3};
  expect_same("reflection_pad2d", [&] {
    auto y = cpu::reflection_pad2d(x, p);
    return std::vector{y, cpu::reflection_pad2d_backward(y, x.shape(), p)};
  });
  expect_same("zero_pad2d", [&] {
    auto y = cpu::zero_pad2d(x, p);
    return std::vector{y, cpu::zero_pad2d_backward(y, x.shape(), p)};
  });
  expect_same("instance_norm", [&] {
    auto dg = tensor<float>::zeros({8}), db = tensor<float>::zeros({8});
    auto r = cpu::instance_norm(x, g, b, 1e-5, cpu::activation::relu());
    auto dx = cpu::instance_norm_backward(dy, x, r, g, dg, db);
    return std::vector{r.y, r.mean, r.inv_std, dx, dg, db};
  });
  expect_same("batch_norm", [&] {
    auto dg = tensor<float>::zeros({8}), db = tensor<float>::zeros({8});
    auto rm = tensor<float>::zeros({8}), rv = tensor<float>::filled({8}, 1);
    auto r = cpu::batch_norm_train(x, g, b, rm, rv, 0.1, 1e-5, cpu::activation::leaky_relu(0.2));
    auto dx = cpu::batch_norm_backward(dy, x, r, g, dg, db);
    return std::vector{r.y, r.mean, r.inv_std, dx, dg, db, rm, rv};
  });
  expect_same("activations", [&] {
    auto y = cpu::sigmoid(x);
    return std::vector{y, cpu::sigmoid_backward(dy, y), cpu::leaky_relu(x, 0.2)};
  });
  expect_same("pooling", [&] {
    auto a = cpu::avg_pool2d(x, 3, 2, padding2d::uniform(1), false);
    auto m = cpu::max_pool2d(x, 2, 2, cpu::same_pool_padding(x.shape(), 2, 2));
    return std::vector{a, cpu::avg_pool2d_backward(a, x.shape(), 3, 2, padding2d::uniform(1), false), m.y,
                       cpu::max_pool2d_backward(m.y, x.shape(), m.argmax)};
  });
  expect_same("resampling", [&] {
    auto n = cpu::upsample_nearest2d(x, 128, 100);
    auto l = cpu::resize_bilinear2d(x, 37, 130, false);
    return std::vector{n, cpu::upsample_nearest2d_backward(n, x.shape()), l,
                       cpu::resize_bilinear2d_backward(l, x.shape(), false)};
  });
}

BOOST_AUTO_TEST_SUITE_END()
