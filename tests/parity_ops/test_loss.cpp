// Parity of the CUDA loss kernels (kernels/losses*.cuh, gram.cuh) with the CPU's (backend/cpu/losses*.hpp):
// values (accumulated in double on both sides) and gradients, and the same errors.
#include <boost/test/unit_test.hpp>

#include <limits>
#include <tuple>

#include "compare.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/losses.hpp"
#include "i2i/backend/cpu/losses_cross_entropy.hpp"
#include "i2i/backend/cpu/losses_gram.hpp"
#include "i2i/loss/gram_style_loss.hpp"

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
                    loss::gram_style_loss<cpu_backend<T>>(f, target, dist, norm), 10 * tol<T>(), 10 * tol<T>());
      }
    }
  }
  const auto f = random<T>(shape::nchw(2, 3, 4, 4)), dg = random<T>(shape{2, 3, 4});
  expect_same_error<shape_error>(
      "dg shape", [&] { (void)cpu::gram_matrix_backward(f, dg); }, [&] { (void)gpu::gram_matrix_backward(f, dg, false); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(gram_distance_with_a_weight, T, real_types) {
  const auto gp = random<T>(shape{3, 6, 6}), gt = random<T>(shape{3, 6, 6});
  for (const bool l1 : {false, true})
    for (const double w : {1.0, 0.25, 7.5}) {
      const auto dist = l1 ? loss::style_distance::l1 : loss::style_distance::mse;
      const std::string what = std::string("gram_distance ") + (l1 ? "l1" : "mse") + " w=" + std::to_string(w);
      expect_loss(what, gpu::gram_distance(gp, gt, l1, w), cpu::gram_distance(gp, gt, dist, w), 1e-12);
    }
  expect_same_error<shape_error>(
      "gram_distance shapes", [&] { (void)cpu::gram_distance(gp, random<T>(shape{3, 5, 5})); },
      [&] { (void)gpu::gram_distance(gp, random<T>(shape{3, 5, 5}), false, 1.0); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cross_entropy, T, real_types) {
  const auto x = random<T>(shape::nchw(2, 5, 7, 9), -3, 3);
  const auto y4 = random_ints<T>(shape::nchw(2, 1, 7, 9), 5);
  auto y3 = tensor<T>::empty(shape{2, 7, 9});
  for (std::int64_t i = 0; i < y3.numel(); ++i) y3[i] = y4[i];
  const loss::cross_entropy_options plain{}, ignore{.ignore_index = 2},
      weighted{.ignore_index = 0, .class_weights = {0.5, 1, 2, 0, 3}};
  // Per pixel the same double arithmetic; only the order of the sums over pixels differs.
  expect_loss("ce", gpu::cross_entropy_loss(x, y4, plain), cpu::cross_entropy_loss(x, y4, plain), 1e-12);
  expect_loss("ce N x H x W labels", gpu::cross_entropy_loss(x, y3, plain), cpu::cross_entropy_loss(x, y3, plain),
              1e-12);
  expect_loss("ce ignore_index", gpu::cross_entropy_loss(x, y4, ignore), cpu::cross_entropy_loss(x, y4, ignore), 1e-12);
  expect_loss("ce class weights", gpu::cross_entropy_loss(x, y4, weighted), cpu::cross_entropy_loss(x, y4, weighted),
              1e-12);
  const auto big = random<T>(shape::nchw(1, 3, 4, 4), -80, 80);  // log-sum-exp must not overflow
  const auto yb = random_ints<T>(shape::nchw(1, 1, 4, 4), 3);
  expect_loss("ce large logits", gpu::cross_entropy_loss(big, yb, plain), cpu::cross_entropy_loss(big, yb, plain),
              1e-12);
}

BOOST_AUTO_TEST_CASE(cross_entropy_errors_match) {
  const auto x = random<float>(shape::nchw(2, 4, 3, 5));
  auto y = random_ints<float>(shape::nchw(2, 1, 3, 5), 4);
  const loss::cross_entropy_options plain{};
  // The first bad pixel in memory order is the one named, on both backends.
  y.at(1, 0, 2, 3) = 4;
  y.at(1, 0, 2, 4) = 1.5f;
  expect_same_error<value_error>(
      "label out of range", [&] { (void)cpu::cross_entropy_loss(x, y, plain); },
      [&] { (void)gpu::cross_entropy_loss(x, y, plain); });
  y.at(1, 0, 2, 3) = 1;
  expect_same_error<value_error>(
      "label not an integer", [&] { (void)cpu::cross_entropy_loss(x, y, plain); },
      [&] { (void)gpu::cross_entropy_loss(x, y, plain); });
  auto all_ignored = tensor<float>::filled(y.shape(), 3.f);
  const loss::cross_entropy_options ignore3{.ignore_index = 3};
  expect_same_error<value_error>(
      "every pixel ignored", [&] { (void)cpu::cross_entropy_loss(x, all_ignored, ignore3); },
      [&] { (void)gpu::cross_entropy_loss(x, all_ignored, ignore3); });
  const loss::cross_entropy_options three_weights{.class_weights = {1, 1, 1}};
  expect_same_error<value_error>(
      "class weights", [&] { (void)cpu::cross_entropy_loss(x, y, three_weights); },
      [&] { (void)gpu::cross_entropy_loss(x, y, three_weights); });
  expect_same_error<shape_error>(
      "label shape", [&] { (void)cpu::cross_entropy_loss(x, random_ints<float>(shape::nchw(2, 1, 3, 4), 4), plain); },
      [&] { (void)gpu::cross_entropy_loss(x, random_ints<float>(shape::nchw(2, 1, 3, 4), 4), plain); });
}

BOOST_AUTO_TEST_SUITE_END()
