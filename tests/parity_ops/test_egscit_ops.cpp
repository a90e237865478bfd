// Parity of the CUDA ops EGSC-IT's trainers added (add_scaled_into, feature_mask(+_backward),
// spatial_l2_normalise(+_backward)) with the CPU ops.
#include <boost/test/unit_test.hpp>

#include <string>
#include <tuple>

#include "compare.hpp"
#include "egscit_ops_api.hpp"
#include "i2i/backend/cpu/feature_mask.hpp"
#include "i2i/backend/cpu/l2_normalise.hpp"
#include "i2i/backend/cpu/pointwise.hpp"

using namespace i2i;
using namespace i2i::parity;
using real_types = std::tuple<float, double>;

BOOST_AUTO_TEST_SUITE(parity_egscit_ops, *boost::unit_test::precondition(device_present()))

BOOST_AUTO_TEST_CASE_TEMPLATE(add_scaled_into, T, real_types) {
  const auto dst = random<T>(shape::nchw(2, 3, 5, 7)), src = random<T>(dst.shape());
  const auto want = dst.clone();
  cpu::add_scaled_into(want, src, T(-0.37));
  // nvcc may fuse the multiply-add: equal to one rounding.
  expect_close("add_scaled_into", gpu::add_scaled_into(dst, src, -0.37), want, tol<T>());
  expect_same_error<shape_error>(
      "shapes differ", [&] { cpu::add_scaled_into(dst.clone(), random<T>(shape::nchw(2, 3, 5, 6)), T(1)); },
      [&] { (void)gpu::add_scaled_into(dst, random<T>(shape::nchw(2, 3, 5, 6)), 1.0); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(feature_mask, T, real_types) {
  const auto f = random<T>(shape::nchw(2, 4, 6, 5), -6, 6);
  const auto m = cpu::feature_mask(f);
  expect_close("feature_mask", gpu::feature_mask(f), m, tol<T>());
  const auto dm = random<T>(f.shape());
  expect_close("feature_mask_backward", gpu::feature_mask_backward(dm, m), cpu::feature_mask_backward(dm, m), tol<T>());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(spatial_l2_normalise, T, real_types) {
  for (const auto& s : {shape::nchw(2, 3, 9, 7), shape::nchw(1, 2, 1, 1), shape::nchw(2, 2, 40, 33)}) {
    const std::string what = "spatial_l2_normalise " + s.str();
    auto f = random<T>(s);
    for (std::int64_t i = 0; i < s[2] * s[3]; ++i) f[i] = T(0);  // plane 0 is zero: the floor is taken
    const auto c = cpu::spatial_l2_normalise(f);
    const auto g = gpu::spatial_l2_normalise(f);
    // A block reduction instead of the CPU's pixel-order sum, both in double: equal to rounding.
    expect_close(what, g.y, c.y, tol<T>());
    expect_close(what + " inv_norm", g.inv_norm, c.inv_norm, tol<T>());
    expect_equal(what + " clamped", g.clamped, c.clamped);
    const auto dy = random<T>(s);
    expect_close(what + " backward", gpu::spatial_l2_normalise_backward(c, dy), cpu::spatial_l2_normalise_backward(c, dy),
                 tol<T>());
  }
  expect_same_error<shape_error>("rank 2", [&] { (void)cpu::spatial_l2_normalise(random<T>(shape{2, 3})); },
                                 [&] { (void)gpu::spatial_l2_normalise(random<T>(shape{2, 3})); });
}

BOOST_AUTO_TEST_SUITE_END()
