// Finite-difference checks of instance_norm / batch_norm backward: input, weight and bias, with and
// without a fused activation. Parameter gradients must be ADDED into the caller's tensors.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "i2i/backend/cpu/batch_norm.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

const cpu::activation acts[] = {cpu::activation::identity(), cpu::activation::relu(), cpu::activation::leaky_relu(0.2),
                                cpu::activation::tanh()};

// Redraws x until no pre-activation value sits near the ReLU kink (finite differences across it are
// meaningless); `pre` computes the pre-activation output for a given x.
template <class F>
tensor<double> input_away_from_kink(const shape& s, F pre) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto x = test::random_tensor<double>(s, -1, 2);
    auto z = pre(x);
    double closest = 1e9;
    for (std::int64_t i = 0; i < z.numel(); ++i) closest = std::min(closest, std::abs(z[i]));
    if (closest > 1e-4) return x;
  }
  BOOST_FAIL("could not draw an input away from the kink");
  return {};
}

// Gradient checks of dx, dweight, dbias given a forward (x, g, b) -> y and a backward
// (dy, dg, db) -> dx that adds into dg/db.
template <class Fwd, class Bwd>
void check_all(const std::string& what, const tensor<double>& x, const tensor<double>& g, const tensor<double>& b,
               Fwd fwd, Bwd bwd) {
  auto r = test::random_tensor<double>(x.shape());
  auto dg = tensor<double>::filled(g.shape(), 0.5);  // non-zero: backward must add, not overwrite
  auto db = tensor<double>::filled(b.shape(), -0.25);
  auto dx = bwd(r, dg, db);
  for (std::int64_t i = 0; i < dg.numel(); ++i) {
    dg[i] -= 0.5;
    db[i] += 0.25;
  }
  auto loss = [&] { return test::dot(r, fwd()); };
  test::expect_gradient(what + " dx", x, loss, dx);
  test::expect_gradient(what + " dweight", g, loss, dg);
  test::expect_gradient(what + " dbias", b, loss, db);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(norm_gradients)

BOOST_AUTO_TEST_CASE(instance_norm_affine) {
  for (const shape& s : {shape{2, 3, 4, 5}, shape{3, 2, 1, 7}})
    for (auto a : acts) {
      auto g = test::random_tensor<double>({s[1]}, 0.5, 1.5);
      auto b = test::random_tensor<double>({s[1]}, -0.3, 0.3);
      auto x = input_away_from_kink(s, [&](const tensor<double>& v) { return cpu::instance_norm(v, g, b).y; });
      BOOST_TEST_CONTEXT("shape " << s << " act " << a) {
        check_all(
            "instance_norm", x, g, b, [&] { return cpu::instance_norm(x, g, b, 1e-5, a).y; },
            [&](const tensor<double>& dy, const tensor<double>& dg, const tensor<double>& db) {
              return cpu::instance_norm_backward(dy, x, cpu::instance_norm(x, g, b, 1e-5, a), g, dg, db);
            });
      }
    }
}

BOOST_AUTO_TEST_CASE(instance_norm_without_affine) {
  const shape s{2, 3, 5, 4};
  auto x = test::random_tensor<double>(s);
  auto r = test::random_tensor<double>(s);
  auto fwd = cpu::instance_norm(x, {}, {}, 1e-3);
  test::expect_gradient("instance_norm (no affine) dx", x,
                        [&] { return test::dot(r, cpu::instance_norm(x, {}, {}, 1e-3).y); },
                        cpu::instance_norm_backward(r, x, fwd));
}

BOOST_AUTO_TEST_CASE(batch_norm_train) {
  for (const shape& s : {shape{3, 2, 4, 5}, shape{2, 3, 1, 3}})
    for (auto a : acts) {
      auto g = test::random_tensor<double>({s[1]}, 0.5, 1.5);
      auto b = test::random_tensor<double>({s[1]}, -0.3, 0.3);
      auto none = tensor<double>{};
      auto x = input_away_from_kink(s, [&](const tensor<double>& v) { return cpu::batch_norm_train(v, g, b, none, none).y; });
      BOOST_TEST_CONTEXT("shape " << s << " act " << a) {
        check_all(
            "batch_norm_train", x, g, b, [&] { return cpu::batch_norm_train(x, g, b, none, none, 0.1, 1e-5, a).y; },
            [&](const tensor<double>& dy, const tensor<double>& dg, const tensor<double>& db) {
              return cpu::batch_norm_backward(dy, x, cpu::batch_norm_train(x, g, b, none, none, 0.1, 1e-5, a), g,
                                              dg, db);
            });
      }
    }
}

BOOST_AUTO_TEST_CASE(batch_norm_eval) {
  const shape s{2, 3, 4, 3};
  auto rm = test::random_tensor<double>({3}, -0.5, 0.5);
  auto rv = test::random_tensor<double>({3}, 0.5, 2);
  for (auto a : acts) {
    auto g = test::random_tensor<double>({3}, 0.5, 1.5);
    auto b = test::random_tensor<double>({3}, -0.3, 0.3);
    auto x = input_away_from_kink(s, [&](const tensor<double>& v) { return cpu::batch_norm_eval(v, g, b, rm, rv).y; });
    BOOST_TEST_CONTEXT("act " << a) {
      check_all(
          "batch_norm_eval", x, g, b, [&] { return cpu::batch_norm_eval(x, g, b, rm, rv, 1e-5, a).y; },
          [&](const tensor<double>& dy, const tensor<double>& dg, const tensor<double>& db) {
            return cpu::batch_norm_backward(dy, x, cpu::batch_norm_eval(x, g, b, rm, rv, 1e-5, a), g, dg, db);
          });
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
