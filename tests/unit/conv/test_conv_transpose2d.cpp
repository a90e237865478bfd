// conv_transpose2d forward and gradients against the scatter definition; TF-SAME alignment checked
// against the gradient of a TF-SAME conv2d; PyTorch padding/output_padding; errors.
#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

#include "conv_reference.hpp"
#include "support/gradcheck.hpp"

using namespace i2i;
namespace ref = i2i::test::conv_ref;

namespace {

struct tconv_case {
  std::int64_t n, ci, co, h, w, kh, kw;
  cpu::conv_transpose2d_args a;
};

std::vector<tconv_case> cases() {
  using A = cpu::conv_transpose2d_args;
  std::vector<tconv_case> v = {
      {2, 6, 5, 7, 9, 3, 3, A::pytorch(2, 1, 1)},    // pix2pixHD's decoder: H -> 2H
      {2, 4, 3, 5, 6, 3, 3, A::tf_same(2, 3)},       // EGSC-IT: H -> 2H, last row dropped
      {3, 5, 7, 6, 5, 4, 4, A::tf_same(2, 4)},       // crop 1 before, 1 after
      {1, 3, 4, 5, 4, 1, 1, A::tf_same(3, 1)},       // K < s: phases without taps get only the bias
      {2, 9, 35, 4, 4, 3, 3, A::pytorch(1, 1, 0)},   // stride 1 (the dgrad of a SAME conv)
      {1, 7, 6, 5, 7, 5, 3, {3, 2, {2, -1, 0, 1}}},  // mixed strides, negative after-crop (extension)
      {1, 300, 9, 3, 3, 3, 3, A::pytorch(2, 0, 0)},  // reduction over several kc blocks
  };
  std::mt19937 g(11);
  auto r = [&](int lo, int hi) { return std::int64_t(std::uniform_int_distribution<int>(lo, hi)(g)); };
  for (int i = 0; i < 6; ++i) {
    tconv_case c{r(1, 3), r(1, 10), r(1, 20), r(1, 9), r(1, 9), r(1, 5), r(1, 5), {}};
    c.a.stride_h = r(1, 3);
    c.a.stride_w = r(1, 3);
    c.a.crop = {r(0, 2), r(-1, 2), r(0, 2), r(-1, 2)};
    if ((c.h - 1) * c.a.stride_h + c.kh - c.a.crop.top - c.a.crop.bottom <= 0) c.a.crop.top = c.a.crop.bottom = 0;
    if ((c.w - 1) * c.a.stride_w + c.kw - c.a.crop.left - c.a.crop.right <= 0) c.a.crop.left = c.a.crop.right = 0;
    v.push_back(c);
  }
  return v;
}

struct isa_guard {
  cpu::gemm_isa saved = cpu::active_gemm_isa();
  ~isa_guard() { cpu::set_gemm_isa(saved); }
};

template <class T>
void check_case(const tconv_case& c, double tol) {
  auto x = test::random_tensor<T>(shape{c.n, c.ci, c.h, c.w});
  auto w = test::random_tensor<T>(shape{c.ci, c.co, c.kh, c.kw});
  auto b = test::random_tensor<T>(shape{c.co});
  auto y = cpu::conv_transpose2d(x, w, &b, c.a);
  auto yr = ref::conv_transpose2d(x, w, &b, c.a);
  BOOST_REQUIRE(y.shape() == yr.shape());
  BOOST_TEST(ref::rel_err(y, yr) < tol);

  auto dy = test::random_tensor<T>(y.shape());
  tensor<double> dxr, dwr;
  ref::conv_transpose2d_grads(x, w, dy, c.a, dxr, dwr);
  auto dx = cpu::conv_transpose2d_backward_input(dy, w, x.shape(), c.a);
  BOOST_TEST(ref::rel_err(dx, dxr) < tol);
  auto dw = tensor<T>::filled(w.shape(), T(0.25));
  auto db = tensor<T>::zeros(b.shape());
  cpu::conv_transpose2d_backward_params(x, dy, dw, &db, c.a);
  for (std::int64_t i = 0; i < dwr.numel(); ++i) dwr[i] += 0.25;
  BOOST_TEST(ref::rel_err(dw, dwr) < tol);
  auto dbr = tensor<double>::zeros(b.shape());
  for (std::int64_t i = 0; i < dy.numel(); ++i) dbr[(i / (dy.h() * dy.w())) % c.co] += double(dy[i]);
  BOOST_TEST(ref::rel_err(db, dbr) < tol);

  cpu::packed_conv_transpose_weight<T> pw(w, c.a);
  BOOST_TEST(test::max_abs_diff(cpu::conv_transpose2d(x, pw, &b, c.a), y) == 0.0);
  BOOST_TEST(test::max_abs_diff(cpu::conv_transpose2d_backward_input(dy, pw, x.shape(), c.a), dx) == 0.0);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conv_transpose2d_op)

BOOST_AUTO_TEST_CASE(float_and_double_against_reference_on_every_kernel_set) {
  isa_guard guard;
  for (auto isa : {cpu::gemm_isa::portable, cpu::gemm_isa::avx2, cpu::gemm_isa::avx512}) {
    if (!cpu::gemm_isa_supported(isa)) continue;
    cpu::set_gemm_isa(isa);
    int i = 0;
    for (const auto& c : cases()) {
      BOOST_TEST_CONTEXT("isa " << cpu::name(isa) << ", case " << i++ << ": x " << c.n << "x" << c.ci << "x" << c.h
                                << "x" << c.w << ", w " << c.ci << "x" << c.co << "x" << c.kh << "x" << c.kw
                                << ", stride " << c.a.stride_h << "x" << c.a.stride_w << ", crop " << c.a.crop) {
        check_case<float>(c, 2e-5);
        check_case<double>(c, 1e-12);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(pytorch_output_size) {
  // ConvTranspose2d(k3, s2, p1, op1): 128 -> 256 (pix2pixHD); output_padding rows get only the bias.
  auto x = tensor<double>::zeros(shape{1, 2, 128, 128});
  auto w = test::random_tensor<double>(shape{2, 3, 3, 3});
  auto b = tensor<double>::from(shape{3}, {1.0, 2.0, 3.0});
  auto y = cpu::conv_transpose2d(x, w, &b, cpu::conv_transpose2d_args::pytorch(2, 1, 1));
  BOOST_TEST(y.shape() == (shape{1, 3, 256, 256}));
  BOOST_TEST(y.at(0, 2, 255, 255) == 3.0);
}

BOOST_AUTO_TEST_CASE(tf_same_is_the_gradient_of_a_tf_same_conv) {
  // TF defines conv2d_transpose(SAME) as the input gradient of conv2d(SAME) from in*s to in pixels, whose
  // padding is max((out-1)*s + k - in*s, 0) split with the smaller half before. Adjointness
  // <convT(x), y> == <x, conv(y)> with that conv pins the alignment for every k and s.
  for (std::int64_t s = 1; s <= 3; ++s)
    for (std::int64_t k = 1; k <= 5; ++k)
      for (std::int64_t h : {3, 4, 5}) {
        BOOST_TEST_CONTEXT("k " << k << ", s " << s << ", h " << h) {
          auto x = test::random_tensor<double>(shape{1, 2, h, h + 1});
          auto w = test::random_tensor<double>(shape{2, 3, k, k});
          auto ta = cpu::conv_transpose2d_args::tf_same(s, k);
          auto y = cpu::conv_transpose2d(x, w, nullptr, ta);
          BOOST_REQUIRE(y.shape() == (shape{1, 3, h * s, (h + 1) * s}));
          auto r = test::random_tensor<double>(y.shape());
          auto ca = cpu::conv2d_args::same_tf(k, s, h * s, (h + 1) * s);
          auto cr = ref::conv2d(r, w, static_cast<const tensor<double>*>(nullptr), ca);  // w read as Cout=2 x Cin=3
          BOOST_REQUIRE(cr.shape() == x.shape());
          BOOST_TEST(std::abs(test::dot(y, r) - test::dot(x, cr)) < 1e-10);
        }
      }
  // EGSC-IT's case spelled out (k3 s2): input pixel o reaches output rows 2o, 2o+1, 2o+2 with taps 0, 1, 2.
  auto x = tensor<double>::zeros(shape{1, 1, 3, 1});
  x.at(0, 0, 1, 0) = 1.0;
  auto w = tensor<double>::from(shape{1, 1, 3, 1}, {10.0, 20.0, 30.0});
  auto y = cpu::conv_transpose2d(x, w, nullptr, {2, 1, {0, 1, 0, 0}});
  BOOST_REQUIRE(y.shape() == (shape{1, 1, 6, 1}));
  const std::vector<double> expect = {0, 0, 10, 20, 30, 0};
  for (std::int64_t i = 0; i < 6; ++i) BOOST_TEST(y[i] == expect[std::size_t(i)]);
  BOOST_TEST(cpu::conv_transpose2d_args::tf_same(2, 3).crop == (padding2d{0, 1, 0, 1}));
}

BOOST_AUTO_TEST_CASE(errors_name_the_op_and_shapes) {
  auto x = tensor<float>::zeros(shape{2, 3, 8, 8});
  auto w = tensor<float>::zeros(shape{4, 5, 3, 3});
  const auto a = cpu::conv_transpose2d_args::pytorch(2, 1, 1);
  test::expect_error<shape_error>([&] { cpu::conv_transpose2d(x, w, nullptr, a); },
                                  {"conv_transpose2d", "2x3x8x8", "4x5x3x3"});
  auto w2 = tensor<float>::zeros(shape{3, 5, 3, 3});
  auto bad_b = tensor<float>::zeros(shape{3});
  test::expect_error<shape_error>([&] { cpu::conv_transpose2d(x, w2, &bad_b, a); },
                                  {"conv_transpose2d", "bias", "3x5x3x3"});
  // Output size <= 0: cropping more than the full output.
  auto x1 = tensor<float>::zeros(shape{1, 3, 1, 1});
  test::expect_error<shape_error>([&] { cpu::conv_transpose2d(x1, w2, nullptr, {1, 1, {2, 1, 0, 0}}); },
                                  {"conv_transpose2d", "1x3x1x1", "output size"});
  auto dy = tensor<float>::zeros(shape{2, 5, 15, 16});
  test::expect_error<shape_error>([&] { cpu::conv_transpose2d_backward_input(dy, w2, x.shape(), a); },
                                  {"conv_transpose2d_backward_input", "2x5x15x16", "2x5x16x16"});
  auto dw = tensor<float>::zeros(shape{3, 4, 3, 3});
  auto good_dy = tensor<float>::zeros(shape{2, 5, 16, 16});
  test::expect_error<shape_error>([&] { cpu::conv_transpose2d_backward_params(x, good_dy, dw, nullptr, a); },
                                  {"conv_transpose2d_backward_params", "3x4x3x3"});
}

BOOST_AUTO_TEST_SUITE_END()
