// Finite-difference check of instance_norm_pad_backward (input, weight, bias; added into the caller's
// parameter gradients), in float64, for relu and leaky_relu and symmetric and asymmetric padding.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include "i2i/backend/cpu/instance_norm.hpp"
#include "i2i/backend/cpu/instance_norm_pad.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

BOOST_AUTO_TEST_SUITE(norm_pad_gradients)

BOOST_AUTO_TEST_CASE(instance_norm_pad_input_weight_bias) {
  for (const shape& s : {shape{2, 3, 4, 5}, shape{2, 2, 5, 3}})
    for (const auto& act : {activation::relu(), activation::leaky_relu(0.2)})
      for (const padding2d& p : {padding2d::uniform(1), padding2d::uniform(2), padding2d{2, 1, 0, 1}}) {
        const std::string what = std::string("instance_norm_pad ") + s.str() + (act.kind == activation_kind::relu ? " relu" : " leaky");
        auto g = test::random_tensor<double>({s[1]}, 0.5, 1.5);
        auto b = test::random_tensor<double>({s[1]}, -0.3, 0.3);
        // An input whose normalised values stay away from the activation's kink at 0.
        tensor<double> x;
        for (int attempt = 0; attempt < 50 && !x.defined(); ++attempt) {
          auto c = test::random_tensor<double>(s, -1, 2);
          const auto z = cpu::instance_norm(c, g, b, 1e-5);
          double closest = 1e9;
          for (std::int64_t i = 0; i < z.y.numel(); ++i) closest = std::min(closest, std::abs(z.y[i]));
          if (closest > 1e-4) x = c;
        }
        BOOST_REQUIRE(x.defined());
        auto fwd = [&] { return cpu::instance_norm_pad(x, g, b, 1e-5, act, p).y; };
        auto r = test::random_tensor<double>(fwd().shape());
        auto dg = tensor<double>::filled(g.shape(), 0.5), db = tensor<double>::filled(b.shape(), -0.25);
        auto dx = cpu::instance_norm_pad_backward(r, x, cpu::instance_norm_pad(x, g, b, 1e-5, act, p), g, dg, db);
        for (std::int64_t i = 0; i < dg.numel(); ++i) dg[i] -= 0.5, db[i] += 0.25;
        auto loss = [&] { return test::dot(r, fwd()); };
        test::expect_gradient(what + " dx", x, loss, dx);
        test::expect_gradient(what + " dweight", g, loss, dg);
        test::expect_gradient(what + " dbias", b, loss, db);
      }
}

BOOST_AUTO_TEST_SUITE_END()
