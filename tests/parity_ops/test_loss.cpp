// Parity of the CUDA losses and Gram matrices with include/i2i/loss/*.hpp: values (accumulated in
// double on both sides) and gradients.
#include <boost/test/unit_test.hpp>

#include <limits>
#include <tuple>

#include "compare.hpp"
#include "i2i/backend/cpu/losses.hpp"
#include "i2i/backend/cpu/losses_gram.hpp"

using namespace i2i;
using namespace i2i::parity;
using real_types = std::tuple<float, double>;

namespace {
template <class T>
void expect_loss(const std::string& what, const loss_out<T>& gpu, const loss::loss_value<T>& cpu, double rtol,
                 double grad_rtol = tol<T>()) {
  expect_close_value(what + " value", gpu.value, cpu.value, rtol);
  expect_close(what + " grad", gpu.grad, cpu.grad, grad_rtol);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(parity_loss, *boost::unit_test::precondition(device_present()))

BOOST_AUTO_TEST_CASE_TEMPLATE(elementwise_losses, T, real_types) {
  const shape s = shape::nchw(3, 2, 17, 9);
  const auto p = random<T>(s, -2, 2), t = random<T>(s, -2, 2), soft = random<T>(s, 0, 1);
  auto p0 = p.clone();
  p0[5] = t[5];  // sign(0) = 0 in the L1 gradient
  // The per-element terms are the same T operations; only the order of the double sums differs.
  expect_loss("l1", gpu::l1_loss(p0, t), cpu::l1_loss(p0, t), 1e-12);
  expect_loss("mse", gpu::mse_loss(p, t), cpu::mse_loss(p, t), 1e-12);
  for (const bool real : {true, false}) {
    const auto target = real ? loss::gan_target::real : loss::gan_target::fake;
    expect_loss(std::string("lsgan ") + (real ? "real" : "fake"), gpu::lsgan_loss(p, real), cpu::lsgan_loss(p, target),
                1e-12);
    expect_loss(std::string("bce ") + (real ? "real" : "fake"), gpu::bce_with_logits_loss(p, real),
                cpu::bce_with_logits_loss(p, target), 10 * tol<T>());
  }
  expect_loss("bce soft targets", gpu::bce_with_logits_loss(p, soft), cpu::bce_with_logits_loss(p, soft),
              10 * tol<T>());
  auto big = random<T>(s, -60, 60);  // exp(-|x|) must not overflow
  expect_loss("bce large logits", gpu::bce_with_logits_loss(big, true),
              cpu::bce_with_logits_loss(big, loss::gan_target::real), 10 * tol<T>());
  expect_loss("kl", gpu::kl_loss(p), cpu::kl_loss(p), 1e-12);
}

BOOST_AUTO_TEST_CASE(loss_errors_match) {
  const auto p = random<float>(shape::nchw(1, 2, 3, 3)), t = random<float>(shape::nchw(1, 2, 3, 4));
  expect_same_error<shape_error>(
      "shapes", [&] { (void)cpu::l1_loss(p, t); }, [&] { (void)gpu::l1_loss(p, t); });
  auto nan = p.clone();
  nan[4] = std::numeric_limits<float>::quiet_NaN();
  expect_same_error<value_error>(
      "NaN loss", [&] { (void)cpu::mse_loss(nan, p); }, [&] { (void)gpu::mse_loss(nan, p); });
  expect_same_error<value_error>(
      "NaN lsgan", [&] { (void)cpu::lsgan_loss(nan, loss::gan_target::real); },
      [&] { (void)gpu::lsgan_loss(nan, true); });
  const auto empty = tensor<float>::empty(shape::nchw(0, 2, 3, 3));
  expect_same_error<shape_error>(
      "empty", [&] { (void)cpu::kl_loss(empty); }, [&] { (void)gpu::kl_loss(empty); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(gram_matrix_and_style_loss, T, real_types) {
  for (const shape s : {shape::nchw(2, 5, 7, 9), shape::nchw(1, 37, 16, 20), shape::nchw(3, 1, 1, 1)}) {
    for (const bool chw : {false, true}) {
      const auto norm = chw ? loss::gram_norm::chw : loss::gram_norm::hw;
      const std::string what = std::string("gram ") + (chw ? "chw " : "hw ") + s.str();
      const auto f = random<T>(s), target = random<T>(s);
      const auto g = cpu::gram_matrix(f, norm);
      expect_close(what, gpu::gram_matrix(f, chw), g, tol<T>());
      const auto dg = random<T>(g.shape());
      expect_close(what + " backward", gpu::gram_matrix_backward(f, dg, chw), cpu::gram_matrix_backward(f, dg, norm),
                   tol<T>());
      for (const bool l1 : {false, true}) {
        const auto dist = l1 ? loss::style_distance::l1 : loss::style_distance::mse;
        expect_loss(what + (l1 ? " style l1" : " style mse"), gpu::gram_style_loss(f, target, l1, chw),
                    cpu::gram_style_loss(f, target, dist, norm), 10 * tol<T>(), 10 * tol<T>());
      }
    }
  }
  const auto f = random<T>(shape::nchw(2, 3, 4, 4)), dg = random<T>(shape{2, 3, 4});
  expect_same_error<shape_error>(
      "dg shape", [&] { (void)cpu::gram_matrix_backward(f, dg); }, [&] { (void)gpu::gram_matrix_backward(f, dg, false); });
}

BOOST_AUTO_TEST_SUITE_END()
