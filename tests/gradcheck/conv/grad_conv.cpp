// Finite-difference gradient checks (float64) of conv2d (ungrouped, grouped and depthwise) and
// conv_transpose2d for x, w and b.
#include <boost/test/unit_test.hpp>

#include "i2i/backend/cpu/conv2d.hpp"
#include "i2i/backend/cpu/conv_transpose2d.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;

namespace {

void check_conv2d(const std::string& what, const shape& xs, const shape& ws, const cpu::conv2d_args& a) {
  auto x = test::random_tensor<double>(xs);
  auto w = test::random_tensor<double>(ws);
  auto b = test::random_tensor<double>(shape{ws[0]});
  auto r = test::random_tensor<double>(cpu::conv2d(x, w, &b, a).shape());
  auto loss = [&] { return test::dot(cpu::conv2d(x, w, &b, a), r); };
  auto dw = tensor<double>::zeros(w.shape());
  auto db = tensor<double>::zeros(b.shape());
  cpu::conv2d_backward_params(x, r, dw, &db, a);
  test::expect_gradient(what + " dx", x, loss, cpu::conv2d_backward_input(r, w, x.shape(), a));
  test::expect_gradient(what + " dw", w, loss, dw);
  test::expect_gradient(what + " db", b, loss, db);
}

void check_conv_transpose2d(const std::string& what, const shape& xs, const shape& ws,
                            const cpu::conv_transpose2d_args& a) {
  auto x = test::random_tensor<double>(xs);
  auto w = test::random_tensor<double>(ws);
  auto b = test::random_tensor<double>(shape{ws[1]});
  auto r = test::random_tensor<double>(cpu::conv_transpose2d(x, w, &b, a).shape());
  auto loss = [&] { return test::dot(cpu::conv_transpose2d(x, w, &b, a), r); };
  auto dw = tensor<double>::zeros(w.shape());
  auto db = tensor<double>::zeros(b.shape());
  cpu::conv_transpose2d_backward_params(x, r, dw, &db, a);
  test::expect_gradient(what + " dx", x, loss, cpu::conv_transpose2d_backward_input(r, w, x.shape(), a));
  test::expect_gradient(what + " dw", w, loss, dw);
  test::expect_gradient(what + " db", b, loss, db);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conv_gradients)

BOOST_AUTO_TEST_CASE(conv2d_gradients) {
  check_conv2d("conv2d 3x3 s1 p1", {2, 3, 6, 5}, {4, 3, 3, 3}, cpu::conv2d_args::make(1, 1));
  check_conv2d("conv2d 3x3 s2 p1 odd", {2, 3, 7, 7}, {5, 3, 3, 3}, cpu::conv2d_args::make(2, 1));
  check_conv2d("conv2d 4x4 s2 TF SAME", {1, 2, 7, 6}, {3, 2, 4, 4}, cpu::conv2d_args::same_tf(4, 2, 7, 6));
  check_conv2d("conv2d 7x7 p3", {1, 2, 8, 8}, {3, 2, 7, 7}, cpu::conv2d_args::make(1, 3));
  check_conv2d("conv2d 1x1", {3, 4, 3, 3}, {2, 4, 1, 1}, cpu::conv2d_args{});
}

BOOST_AUTO_TEST_CASE(grouped_and_depthwise_conv2d_gradients) {
  using A = cpu::conv2d_args;
  auto grouped = [](A a, std::int64_t g) {
    a.groups = g;
    return a;
  };
  check_conv2d("grouped 2 3x3 s1 p1", {2, 4, 6, 5}, {6, 2, 3, 3}, grouped(A::make(1, 1), 2));
  check_conv2d("grouped 3 1x1", {2, 6, 4, 3}, {9, 2, 1, 1}, grouped(A{}, 3));
  check_conv2d("depthwise 3x3 s1 p1", {2, 5, 7, 6}, {5, 1, 3, 3}, grouped(A::make(1, 1), 5));
  check_conv2d("depthwise 3x3 s2 pad (0,1,0,1) (Keras ZeroPadding2D + valid)", {2, 4, 8, 7}, {4, 1, 3, 3},
               grouped(A{2, 2, {0, 1, 0, 1}}, 4));
  check_conv2d("depthwise 3x3 s2 odd TF SAME", {1, 3, 7, 9}, {3, 1, 3, 3}, grouped(A::same_tf(3, 2, 7, 9), 3));
  check_conv2d("depthwise multiplier 2, 5x5 s1 p2", {1, 3, 6, 6}, {6, 1, 5, 5}, grouped(A::make(1, 2), 3));
  check_conv2d("grouped 2 4x4 s2 asymmetric (2,0,1,3)", {1, 4, 9, 8}, {4, 2, 4, 4}, grouped(A{2, 2, {2, 0, 1, 3}}, 2));
}

BOOST_AUTO_TEST_CASE(conv_transpose2d_gradients) {
  using A = cpu::conv_transpose2d_args;
  check_conv_transpose2d("conv_transpose2d PyTorch k3 s2 p1 op1", {2, 3, 4, 5}, {3, 4, 3, 3}, A::pytorch(2, 1, 1));
  check_conv_transpose2d("conv_transpose2d PyTorch k4 s2 p1", {1, 2, 4, 3}, {2, 3, 4, 4}, A::pytorch(2, 1, 0));
  check_conv_transpose2d("conv_transpose2d TF SAME k3 s2", {2, 2, 4, 4}, {2, 3, 3, 3}, A::tf_same(2, 3));
  check_conv_transpose2d("conv_transpose2d TF SAME k4 s2", {1, 3, 3, 4}, {3, 2, 4, 4}, A::tf_same(2, 4));
  check_conv_transpose2d("conv_transpose2d s1", {1, 2, 5, 5}, {2, 2, 3, 3}, A::pytorch(1, 1, 0));
}

BOOST_AUTO_TEST_SUITE_END()
