// conv2d forward, input gradient and weight gradient against naive loops, on every kernel set this CPU
// runs; packed == unpacked; argument errors.
#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

#include "conv_reference.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
namespace ref = i2i::test::conv_ref;

namespace {

struct conv_case {
  std::int64_t n, ci, co, h, w, kh, kw;
  cpu::conv2d_args a;
};

std::vector<conv_case> cases() {
  std::vector<conv_case> v = {
      {2, 3, 5, 9, 7, 3, 3, cpu::conv2d_args::make(1, 1)},
      {3, 7, 13, 11, 10, 3, 3, cpu::conv2d_args::make(2, 1)},   // stride 2, odd sizes
      {2, 4, 9, 8, 8, 1, 1, cpu::conv2d_args::make(1, 0)},       // 1x1, no padding: no window copy
      {2, 5, 17, 13, 12, 4, 4, cpu::conv2d_args::same_tf(4, 2, 13, 12)},  // TF SAME k4 s2: asymmetric
      {1, 3, 8, 19, 21, 7, 7, cpu::conv2d_args::make(1, 3)},     // pix2pixHD's first conv, small
      {2, 16, 33, 6, 5, 3, 3, {1, 2, {0, 2, 1, 0}}},             // asymmetric pads, mixed strides
      {1, 40, 70, 5, 37, 3, 3, cpu::conv2d_args::make(1, 1)},    // several reduction blocks? no: K = 360
      {1, 300, 20, 4, 4, 3, 3, cpu::conv2d_args::make(1, 1)},    // K = 2700 > kc: several reduction blocks
  };
  std::mt19937 g(7);
  auto r = [&](int lo, int hi) { return std::int64_t(std::uniform_int_distribution<int>(lo, hi)(g)); };
  for (int i = 0; i < 6; ++i) {
    conv_case c{r(1, 3), r(1, 12), r(1, 20), r(3, 14), r(3, 14), r(1, 4), r(1, 4), {}};
    c.a.stride_h = r(1, 3);
    c.a.stride_w = r(1, 3);
    c.a.pad = {r(0, 2), r(0, 2), r(0, 2), r(0, 2)};
    c.h = std::max(c.h, c.kh);
    c.w = std::max(c.w, c.kw);
    v.push_back(c);
  }
  return v;
}

std::vector<cpu::gemm_isa> isas() {
  std::vector<cpu::gemm_isa> v;
  for (auto i : {cpu::gemm_isa::portable, cpu::gemm_isa::avx2, cpu::gemm_isa::avx512})
    if (cpu::gemm_isa_supported(i)) v.push_back(i);
  return v;
}

/// Restores the detected kernel set when a test ends.
struct isa_guard {
  cpu::gemm_isa saved = cpu::active_gemm_isa();
  ~isa_guard() { cpu::set_gemm_isa(saved); }
};

template <class T>
void check_case(const conv_case& c, double tol) {
  auto x = test::random_tensor<T>(shape{c.n, c.ci, c.h, c.w});
  auto w = test::random_tensor<T>(shape{c.co, c.ci, c.kh, c.kw});
  auto b = test::random_tensor<T>(shape{c.co});
  auto y = cpu::conv2d(x, w, &b, c.a);
  auto yr = ref::conv2d(x, w, &b, c.a);
  BOOST_REQUIRE(y.shape() == yr.shape());
  BOOST_TEST(ref::rel_err(y, yr) < tol);
  auto y0 = cpu::conv2d(x, w, static_cast<const tensor<T>*>(nullptr), c.a);
  BOOST_TEST(ref::rel_err(y0, ref::conv2d(x, w, static_cast<const tensor<T>*>(nullptr), c.a)) < tol);

  auto dy = test::random_tensor<T>(y.shape());
  tensor<double> dxr, dwr;
  ref::conv2d_grads(x, w, dy, c.a, dxr, dwr);
  auto dx = cpu::conv2d_backward_input(dy, w, x.shape(), c.a);
  BOOST_TEST(ref::rel_err(dx, dxr) < tol);
  // Parameter gradients are added: start from a known value.
  auto dw = tensor<T>::filled(w.shape(), T(0.5));
  auto db = tensor<T>::filled(b.shape(), T(-1));
  cpu::conv2d_backward_params(x, dy, dw, &db, c.a);
  for (std::int64_t i = 0; i < dwr.numel(); ++i) dwr[i] += 0.5;
  BOOST_TEST(ref::rel_err(dw, dwr) < tol);
  auto dbr = tensor<double>::filled(b.shape(), -1.0);
  for (std::int64_t i = 0; i < dy.numel(); ++i) dbr[(i / (dy.h() * dy.w())) % c.co] += double(dy[i]);
  BOOST_TEST(ref::rel_err(db, dbr) < tol);

  // The packed path runs the same kernels on the same packing: identical results.
  cpu::packed_conv_weight<T> pw(w, c.a);
  auto yp = cpu::conv2d(x, pw, &b, c.a);
  BOOST_TEST(test::max_abs_diff(yp, y) == 0.0);
  auto dxp = cpu::conv2d_backward_input(dy, pw, x.shape(), c.a);
  BOOST_TEST(test::max_abs_diff(dxp, dx) == 0.0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conv2d_op)

BOOST_AUTO_TEST_CASE(float_and_double_against_reference_on_every_kernel_set) {
  isa_guard guard;
  for (auto isa : isas()) {
    cpu::set_gemm_isa(isa);
    int i = 0;
    for (const auto& c : cases()) {
      BOOST_TEST_CONTEXT("isa " << cpu::name(isa) << ", case " << i++ << ": x " << c.n << "x" << c.ci << "x" << c.h
                                << "x" << c.w << ", w " << c.co << "x" << c.ci << "x" << c.kh << "x" << c.kw
                                << ", stride " << c.a.stride_h << "x" << c.a.stride_w << ", pad " << c.a.pad) {
        check_case<float>(c, 2e-5);
        check_case<double>(c, 1e-12);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(batch_spanning_panels_and_many_threads) {
  // 3x3 maps: one 32-column panel holds pixels of several images, so stores go through the offset table.
  conv_case c{5, 6, 11, 3, 3, 3, 3, cpu::conv2d_args::make(1, 1)};
  check_case<float>(c, 2e-5);
  const int saved = num_threads();
  set_num_threads(3);
  check_case<float>(conv_case{2, 24, 70, 20, 20, 3, 3, cpu::conv2d_args::make(1, 1)}, 2e-5);
  set_num_threads(saved);
}

BOOST_AUTO_TEST_CASE(tf_same_padding_helper) {
  // EGSC-IT's discriminator: k4 s2 on 7 pixels pads 1 before and 2 after; on 8 pixels 1 and 1.
  auto a = cpu::conv2d_args::same_tf(4, 2, 7, 8);
  BOOST_TEST(a.pad.top == 1);
  BOOST_TEST(a.pad.bottom == 2);
  BOOST_TEST(a.pad.left == 1);
  BOOST_TEST(a.pad.right == 1);
  // Output size is ceil(in / s) for every size.
  for (std::int64_t in = 1; in < 20; ++in)
    for (std::int64_t k = 1; k < 6; ++k)
      for (std::int64_t s = 1; s < 4; ++s) {
        auto b = cpu::conv2d_args::same_tf(k, s, in, in);
        const std::int64_t out = (in + b.pad.top + b.pad.bottom - k) / s + 1;
        BOOST_TEST(out == (in + s - 1) / s);
        BOOST_TEST(b.pad.bottom - b.pad.top >= 0);
        BOOST_TEST(b.pad.bottom - b.pad.top <= 1);
      }
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  auto x = tensor<float>::zeros(shape{2, 3, 8, 8});
  auto w = tensor<float>::zeros(shape{4, 5, 3, 3});
  const auto a = cpu::conv2d_args::make(1, 1);
  test::expect_error<shape_error>([&] { cpu::conv2d(x, w, nullptr, a); }, {"conv2d", "2x3x8x8", "4x5x3x3"});
  auto w2 = tensor<float>::zeros(shape{4, 3, 3, 3});
  auto bad_b = tensor<float>::zeros(shape{5});
  test::expect_error<shape_error>([&] { cpu::conv2d(x, w2, &bad_b, a); }, {"conv2d", "bias", "5", "4x3x3x3"});
  // Output size <= 0: a 9x9 kernel on an 8x8 input without padding.
  auto w9 = tensor<float>::zeros(shape{4, 3, 9, 9});
  test::expect_error<shape_error>([&] { cpu::conv2d(x, w9, nullptr, cpu::conv2d_args{}); },
                                  {"conv2d", "2x3x8x8", "output size"});
  test::expect_error<value_error>([&] { cpu::conv2d(x, w2, nullptr, cpu::conv2d_args{0, 1, {}}); },
                                  {"conv2d", "stride"});
  test::expect_error<value_error>([&] { cpu::conv2d(x, w2, nullptr, cpu::conv2d_args{1, 1, {-1, 0, 0, 0}}); },
                                  {"conv2d", "padding"});
  auto dy = tensor<float>::zeros(shape{2, 4, 7, 8});
  test::expect_error<shape_error>([&] { cpu::conv2d_backward_input(dy, w2, x.shape(), a); },
                                  {"conv2d_backward_input", "2x4x7x8", "2x4x8x8"});
  auto dw = tensor<float>::zeros(shape{4, 3, 3, 3});
  auto good_dy = tensor<float>::zeros(shape{2, 4, 8, 8});
  auto bad_x = tensor<float>::zeros(shape{2, 2, 8, 8});
  test::expect_error<shape_error>([&] { cpu::conv2d_backward_params(bad_x, good_dy, dw, nullptr, a); },
                                  {"conv2d_backward_params", "2x2x8x8", "4x3x3x3"});
  cpu::packed_conv_weight<float> pw(w2, a);
  test::expect_error<value_error>([&] { cpu::conv2d(x, pw, nullptr, cpu::conv2d_args::make(2, 1)); },
                                  {"conv2d", "stride"});
  test::expect_error<shape_error>([&] { cpu::conv2d(bad_x, pw, nullptr, a); }, {"conv2d", "2x2x8x8", "4x3x3x3"});
}

BOOST_AUTO_TEST_SUITE_END()
