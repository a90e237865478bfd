// The fused instance norm + activation + reflection pad (cpu/instance_norm_pad.hpp) against the chain it
// replaces, instance_norm -> activate -> reflection_pad2d and that chain's backward: bit for bit,
// forward and backward, with parameter gradients added into the caller's tensors.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstring>
#include <sstream>
#include <string>

#include "i2i/backend/cpu/activation.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "i2i/backend/cpu/instance_norm_pad.hpp"
#include "i2i/backend/cpu/pad.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

template <class T>
void expect_identical(const std::string& what, const tensor<T>& got, const tensor<T>& want) {
  BOOST_TEST_CONTEXT(what) {
    BOOST_REQUIRE_EQUAL(got.shape(), want.shape());
    std::int64_t differ = 0, first = -1;
    for (std::int64_t i = 0; i < got.numel(); ++i)
      if (std::memcmp(&got[i], &want[i], sizeof(T)) != 0 && ++differ == 1) first = i;
    BOOST_TEST(differ == 0, what << ": " << differ << " of " << got.numel() << " elements differ"
                                 << (first >= 0 ? " (first at " + std::to_string(first) + ": " +
                                                      std::to_string(double(got[first])) + " vs " +
                                                      std::to_string(double(want[first])) + ")"
                                                : std::string()));
  }
}

std::string detail_name(const activation& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}

template <class T>
void compare_with_chain(const shape& s, bool affine, const activation& act, const padding2d& p) {
  const std::string what = "instance_norm_pad " + s.str() + (affine ? " affine " : " ") +
                           detail_name(act) + " pad " +
                           std::to_string(p.top) + std::to_string(p.bottom) + std::to_string(p.left) +
                           std::to_string(p.right);
  const auto x = test::random_tensor<T>(s, T(-2), T(3));
  const tensor<T> w = affine ? test::random_tensor<T>(shape{s[1]}, T(0.5), T(1.5)) : tensor<T>();
  const tensor<T> b = affine ? test::random_tensor<T>(shape{s[1]}, T(-0.5), T(0.5)) : tensor<T>();

  // The chain: three ops, three tensors.
  const auto n = cpu::instance_norm(x, w, b, 1e-5);
  const auto a = cpu::activate(n.y, act);
  const auto y = cpu::reflection_pad2d(a, p);
  const auto fused = cpu::instance_norm_pad(x, w, b, 1e-5, act, p);
  expect_identical(what + " y", fused.y, y);
  expect_identical(what + " mean", fused.mean, n.mean);
  expect_identical(what + " inv_std", fused.inv_std, n.inv_std);

  const auto dy = test::random_tensor<T>(y.shape());
  // Non-zero starting gradients: both must add into them.
  const tensor<T> dw0 = affine ? test::random_tensor<T>(shape{s[1]}) : tensor<T>();
  const tensor<T> db0 = affine ? test::random_tensor<T>(shape{s[1]}) : tensor<T>();
  const tensor<T> dw1 = affine ? dw0.clone() : tensor<T>(), db1 = affine ? db0.clone() : tensor<T>();
  const tensor<T> dw2 = affine ? dw0.clone() : tensor<T>(), db2 = affine ? db0.clone() : tensor<T>();
  const auto da = cpu::reflection_pad2d_backward(dy, a.shape(), p);
  const auto dn = cpu::activation_backward(da, a, act);
  const auto dx = cpu::instance_norm_backward(dn, x, n, w, dw1, db1);
  const auto dx_fused = cpu::instance_norm_pad_backward(dy, x, fused, w, dw2, db2);
  expect_identical(what + " dx", dx_fused, dx);
  if (affine) {
    expect_identical(what + " dweight", dw2, dw1);
    expect_identical(what + " dbias", db2, db1);
  }
}

const activation chain_acts[] = {activation::relu(), activation::leaky_relu(0.2)};

}  // namespace

BOOST_AUTO_TEST_SUITE(instance_norm_pad_op)

BOOST_AUTO_TEST_CASE(equals_the_unfused_chain_bit_for_bit) {
  for (const shape s : {shape::nchw(2, 3, 7, 5), shape::nchw(2, 4, 9, 13), shape::nchw(1, 2, 33, 17),
                        shape::nchw(2, 2, 4, 4), shape::nchw(2, 5, 64, 31)})
    for (const bool affine : {false, true})
      for (const auto& act : chain_acts)
        for (const std::int64_t pad : {1, 3}) {
          compare_with_chain<float>(s, affine, act, padding2d::uniform(pad));
          compare_with_chain<double>(s, affine, act, padding2d::uniform(pad));
        }
}

BOOST_AUTO_TEST_CASE(asymmetric_and_zero_padding) {
  for (const auto& act : chain_acts) {
    compare_with_chain<float>(shape::nchw(2, 3, 6, 7), true, act, padding2d{2, 0, 1, 3});
    compare_with_chain<float>(shape::nchw(2, 3, 6, 7), false, act, padding2d{});
  }
}

BOOST_AUTO_TEST_CASE(other_exact_activations_equal_the_chain) {
  for (const auto& act : {activation::identity(), activation::relu6()})
    for (const shape s : {shape::nchw(2, 3, 5, 6), shape::nchw(1, 2, 19, 23)}) {
      compare_with_chain<float>(s, true, act, padding2d::uniform(2));
      compare_with_chain<double>(s, false, act, padding2d::uniform(1));
    }
}

BOOST_AUTO_TEST_CASE(tanh_and_sigmoid_within_a_few_ulp) {
  // Eigen's vectorised tanh/exp differ from the scalar ones in the last bit; the fused op applies them
  // per row, `activate` over the whole tensor (see instance_norm_pad.hpp).
  for (const auto& act : {activation::tanh(), activation::sigmoid()}) {
    const auto x = test::random_tensor<float>(shape::nchw(2, 3, 5, 6), -2.f, 3.f);
    const auto n = cpu::instance_norm(x, {}, {}, 1e-5);
    const auto a = cpu::activate(n.y, act);
    const auto y = cpu::reflection_pad2d(a, padding2d::uniform(2));
    const auto f = cpu::instance_norm_pad(x, {}, {}, 1e-5, act, padding2d::uniform(2));
    const auto dy = test::random_tensor<float>(y.shape());
    const auto dx = cpu::instance_norm_backward(cpu::activation_backward(cpu::reflection_pad2d_backward(dy, a.shape(), padding2d::uniform(2)), a, act), x, n);
    const auto dxf = cpu::instance_norm_pad_backward(dy, x, f, {}, {}, {});
    for (std::int64_t i = 0; i < y.numel(); ++i) BOOST_TEST(std::abs(f.y[i] - y[i]) <= 1e-6f);
    for (std::int64_t i = 0; i < dx.numel(); ++i) BOOST_TEST(std::abs(dxf[i] - dx[i]) <= 1e-5f * (1 + std::abs(dx[i])));
  }
}

BOOST_AUTO_TEST_CASE(argument_errors_name_the_op) {
  const auto x = test::random_tensor<float>(shape::nchw(2, 3, 4, 4));
  auto message = [](auto f) {
    try {
      f();
    } catch (const error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string big = message([&] { (void)cpu::instance_norm_pad(x, {}, {}, 1e-5, activation::relu(), padding2d::uniform(4)); });
  BOOST_TEST(big.find("instance_norm_pad: padding") != std::string::npos, big);
  const std::string wshape = message([&] {
    (void)cpu::instance_norm_pad(x, tensor<float>::zeros(shape{4}), {}, 1e-5, activation::relu(), padding2d::uniform(1));
  });
  BOOST_TEST(wshape.find("instance_norm_pad: weight") != std::string::npos, wshape);
  const auto f = cpu::instance_norm_pad(x, {}, {}, 1e-5, activation::relu(), padding2d::uniform(1));
  const std::string dyshape = message([&] { (void)cpu::instance_norm_pad_backward(x, x, f, {}, {}, {}); });
  BOOST_TEST(dyshape.find("instance_norm_pad_backward: output gradient has shape") != std::string::npos, dyshape);
}

BOOST_AUTO_TEST_SUITE_END()
