// cuDNN convolutions against the CPU ops: forward, data gradient, weight and bias gradients (added onto
// non-zero initial values), for every precision policy; symmetric and asymmetric padding, strides 1/2,
// kernels 1/3/4/7, grouped and depthwise convs (MobileNetV2's, with Keras's bottom/right padding), transposed convs with PyTorch and TF-SAME crops (both cuDNN paths: crop as padding,
// and full output + window). Every case runs with the convolutions in NCHW and in NHWC (channels-last,
// channels padded to 16-byte vectors: the 3, 5, 6, 7, 36 and 70 channels here are all padded; 40 x 70
// spans three 32-channel tiles of the layout transposes). Skipped without a device.
#include <boost/test/unit_test.hpp>

#include <boost/mpl/list.hpp>

#include "i2i/backend/cuda/conv.cuh"
#include "parity_device.cuh"

namespace {

using namespace i2i;
using namespace i2i::parity;

using policies = boost::mpl::list<cuda::fp32_strict, cuda::fp32_tf32, cuda::bf16_mixed, cuda::fp16_mixed>;

struct conv_case {
  const char* name;
  std::int64_t n, cin, h, w, cout, k, stride;
  padding2d pad;  // conv: padding; transposed: crop
  std::int64_t groups = 1;  // conv only
};

const conv_case conv_cases[] = {
    {"1x1 s1", 2, 5, 9, 11, 7, 1, 1, {0, 0, 0, 0}},
    {"3x3 s1 p1", 2, 6, 13, 10, 8, 3, 1, {1, 1, 1, 1}},
    {"3x3 s2 p1 (pix2pixHD down)", 2, 6, 13, 10, 8, 3, 2, {1, 1, 1, 1}},
    {"4x4 s2 p2 (pix2pixHD D)", 1, 6, 16, 20, 8, 4, 2, {2, 2, 2, 2}},
    {"4x4 s2 TF-SAME odd (1,2)", 2, 4, 15, 17, 6, 4, 2, {1, 2, 1, 2}},
    {"3x3 s2 TF-SAME even (0,1)", 2, 4, 16, 12, 6, 3, 2, {0, 1, 0, 1}},
    {"7x7 s1 p3 (pix2pixHD first/last)", 1, 3, 20, 18, 8, 7, 1, {3, 3, 3, 3}},
    {"3x3 s1 asymmetric (2,0,1,3)", 1, 3, 9, 9, 4, 3, 1, {2, 0, 1, 3}},
    {"depthwise 3x3 s1 p1", 2, 16, 13, 10, 16, 3, 1, {1, 1, 1, 1}, 16},
    {"depthwise 3x3 s2 (0,1,0,1) (MobileNetV2, Keras padding)", 2, 24, 16, 12, 24, 3, 2, {0, 1, 0, 1}, 24},
    {"depthwise multiplier 2, 3x3 s1 p1", 1, 8, 9, 9, 16, 3, 1, {1, 1, 1, 1}, 8},
    {"4 groups 3x3 s1 p1", 2, 8, 11, 9, 12, 3, 1, {1, 1, 1, 1}, 4},
    {"2 groups 1x1", 2, 6, 7, 5, 4, 1, 1, {0, 0, 0, 0}, 2},
    {"3x3 s1 p1, 40 -> 70 channels (several layout tiles)", 1, 40, 9, 35, 70, 3, 1, {1, 1, 1, 1}},
    {"7x7 s1 p3, 36 -> 8 (pix2pixHD's label input)", 1, 36, 12, 11, 8, 7, 1, {3, 3, 3, 3}},
};

const conv_case transpose_cases[] = {
    {"3x3 s2 p1 op1 (pix2pixHD up, crop as padding)", 2, 8, 7, 9, 6, 3, 2, {1, 0, 1, 0}},
    {"4x4 s2 p1", 2, 8, 6, 5, 4, 4, 2, {1, 1, 1, 1}},
    {"3x3 s2 TF-SAME (windowed)", 2, 5, 6, 7, 4, 3, 2, {0, 1, 0, 1}},
    {"4x4 s2 TF-SAME", 1, 5, 6, 7, 4, 4, 2, {1, 1, 1, 1}},
    {"1x1 s2 TF-SAME (K < s: bias-only rows)", 2, 3, 5, 4, 4, 1, 2, {0, -1, 0, -1}},
    {"3x3 s1 p1", 1, 5, 8, 8, 5, 3, 1, {1, 1, 1, 1}},
    {"5x5 s3 crop (0,2) (windowed)", 1, 4, 4, 5, 3, 5, 3, {0, 2, 0, 2}},
    {"3x3 s2 p1 op1, 70 -> 40 channels", 1, 70, 5, 17, 40, 3, 2, {1, 0, 1, 0}},
};

const conv_layout_choice layouts[] = {conv_layout_choice::nchw, conv_layout_choice::nhwc};

template <class P>
void check_conv(const conv_case& c) {
  using H = typename P::compute_type;
  constexpr bool strict = !P::allow_tf32;
  const double tol = tolerance<P>();
  BOOST_TEST_CONTEXT(c.name << " [" << P::name << "]") {
    const shape xs{c.n, c.cin, c.h, c.w}, ws{c.cout, c.cin / c.groups, c.k, c.k};
    const shape ys = cpu_conv2d_output_shape(xs, ws, c.stride, c.pad, c.groups);
    const auto x = random_host(xs, 1), w = random_host(ws, 2, -0.3f, 0.3f), b = random_host({c.cout}, 3);
    const auto dy = random_host(ys, 4), dw0 = random_host(ws, 5), db0 = random_host({c.cout}, 6);
    const auto ref = cpu_conv2d_passes(x, w, b, dy, dw0, db0, c.stride, c.pad, c.groups);

    const cuda::conv2d_args a{c.stride, c.stride, c.pad, c.groups};
    const auto xd = dev(x), wd = dev(w), bd = dev(b), dyd = dev(dy);
    auto dwd = dev(dw0), dbd = dev(db0);
    const auto y = host(cuda::conv2d<H, strict>(xd, wd, &bd, a));
    const auto dx = host(cuda::conv2d_backward_input<H, strict>(dyd, wd, xs, a));
    cuda::conv2d_backward_params<H, strict>(xd, dyd, dwd, &dbd, a);
    I2I_PARITY_CHECK("forward", y, ref.y, tol);
    I2I_PARITY_CHECK("data gradient", dx, ref.dx, tol);
    I2I_PARITY_CHECK("weight gradient (increment)", minus(host(dwd), dw0), minus(ref.dw, dw0), tol);
    // Bias gradients are fp32 sums of fp32 dy on every policy.
    I2I_PARITY_CHECK("bias gradient (increment)", minus(host(dbd), db0), minus(ref.db, db0), 1e-4);
  }
}

template <class P>
void check_transpose(const conv_case& c) {
  using H = typename P::compute_type;
  constexpr bool strict = !P::allow_tf32;
  const double tol = tolerance<P>();
  BOOST_TEST_CONTEXT(c.name << " [" << P::name << "]") {
    const shape xs{c.n, c.cin, c.h, c.w}, ws{c.cin, c.cout, c.k, c.k};
    const shape ys = cpu_conv_transpose2d_output_shape(xs, ws, c.stride, c.pad);
    const auto x = random_host(xs, 11), w = random_host(ws, 12, -0.3f, 0.3f), b = random_host({c.cout}, 13);
    const auto dy = random_host(ys, 14), dw0 = random_host(ws, 15), db0 = random_host({c.cout}, 16);
    const auto ref = cpu_conv_transpose2d_passes(x, w, b, dy, dw0, db0, c.stride, c.pad);

    const cuda::conv_transpose2d_args a{c.stride, c.stride, c.pad};
    const auto xd = dev(x), wd = dev(w), bd = dev(b), dyd = dev(dy);
    auto dwd = dev(dw0), dbd = dev(db0);
    const auto y = host(cuda::conv_transpose2d<H, strict>(xd, wd, &bd, a));
    const auto dx = host(cuda::conv_transpose2d_backward_input<H, strict>(dyd, wd, xs, a));
    cuda::conv_transpose2d_backward_params<H, strict>(xd, dyd, dwd, &dbd, a);
    I2I_PARITY_CHECK("forward", y, ref.y, tol);
    I2I_PARITY_CHECK("data gradient", dx, ref.dx, tol);
    I2I_PARITY_CHECK("weight gradient (increment)", minus(host(dwd), dw0), minus(ref.dw, dw0), tol);
    I2I_PARITY_CHECK("bias gradient (increment)", minus(host(dbd), db0), minus(ref.db, db0), 1e-4);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conv_parity, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_matches_cpu, P, policies) {
  for (const auto layout : layouts) {
    cuda::conv_layout_scope scope(layout);
    BOOST_TEST_CONTEXT("layout " << to_string(layout)) for (const auto& c : conv_cases) check_conv<P>(c);
  }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(conv_transpose2d_matches_cpu, P, policies) {
  for (const auto layout : layouts) {
    cuda::conv_layout_scope scope(layout);
    BOOST_TEST_CONTEXT("layout " << to_string(layout)) for (const auto& c : transpose_cases) check_transpose<P>(c);
  }
}

// The same problem in both layouts through the same precision gives the same numbers up to the
// algorithms' own rounding; here checked without the CPU in between, on a pix2pixHD-like shape.
BOOST_AUTO_TEST_CASE(nchw_and_nhwc_agree_and_are_cached_apart) {
  using H = cuda::bf16_mixed::compute_type;
  const shape xs{2, 36, 24, 20}, ws{64, 36, 7, 7};
  const auto x = dev(random_host(xs, 31)), w = dev(random_host(ws, 32, -0.1f, 0.1f)), b = dev(random_host({64}, 33));
  const cuda::conv2d_args a{1, 1, {3, 3, 3, 3}};
  tensor<float> y_nchw, y_nhwc;
  const std::size_t before = cuda::conv_detail::cached_algorithms();
  {
    cuda::conv_layout_scope s(conv_layout_choice::nchw);
    y_nchw = host(cuda::conv2d<H, false>(x, w, &b, a));
  }
  const std::size_t after_nchw = cuda::conv_detail::cached_algorithms();
  {
    cuda::conv_layout_scope s(conv_layout_choice::nhwc);
    y_nhwc = host(cuda::conv2d<H, false>(x, w, &b, a));
  }
  BOOST_TEST(after_nchw == before + 1);
  BOOST_TEST(cuda::conv_detail::cached_algorithms() == after_nchw + 1);  // another key: the layout is part of it
  I2I_PARITY_CHECK("NHWC against NCHW (bf16 both)", y_nhwc, y_nchw, tolerance<cuda::bf16_mixed>());
}

BOOST_AUTO_TEST_CASE(algorithm_choice_is_cached_and_benchmark_mode_agrees) {
  const conv_case& c = conv_cases[2];
  const shape xs{c.n, c.cin, c.h, c.w}, ws{c.cout, c.cin, c.k, c.k};
  const auto x = dev(random_host(xs, 21)), w = dev(random_host(ws, 22));
  const cuda::conv2d_args a{c.stride, c.stride, c.pad};
  const auto y1 = host(cuda::conv2d<float, true>(x, w, nullptr, a));
  const std::size_t n = cuda::conv_detail::cached_algorithms();
  const auto y2 = host(cuda::conv2d<float, true>(x, w, nullptr, a));
  BOOST_TEST(cuda::conv_detail::cached_algorithms() == n);  // same problem: no new entry
  BOOST_TEST(rel_l2(y2, y1) == 0.0);                         // same algorithm: bitwise equal
  // Timed selection (cudnnFind) on a problem not seen yet (another batch size) gives the same numbers.
  cuda::set_cudnn_benchmark(true);
  const auto x3 = dev(random_host(shape{3, c.cin, c.h, c.w}, 23));
  const auto y3 = host(cuda::conv2d<float, true>(x3, w, nullptr, a));
  cuda::set_cudnn_benchmark(false);
  BOOST_TEST(cuda::conv_detail::cached_algorithms() > n);
  const auto ref = cpu_conv2d_passes(host(x3), host(w), tensor<float>::zeros({c.cout}), random_host(y3.shape(), 1),
                                     tensor<float>::zeros(ws), tensor<float>::zeros({c.cout}), c.stride, c.pad);
  I2I_PARITY_CHECK("benchmark-mode forward", y3, ref.y, 1e-4);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_errors_naming_the_op_and_shapes) {
  const auto x = dev(random_host(shape{1, 3, 8, 8}, 1)), w = dev(random_host(shape{4, 5, 3, 3}, 2));
  try {
    (void)cuda::conv2d<float, false>(x, w, nullptr, cuda::conv2d_args::make(1, 1));
    BOOST_FAIL("channel mismatch did not throw");
  } catch (const i2i::shape_error& e) {
    const std::string m = e.what();
    BOOST_TEST(m.find("cuda::conv2d") != std::string::npos, m);
    BOOST_TEST(m.find("4x5x3x3") != std::string::npos, m);
  }
  const auto host_w = random_host(shape{4, 3, 3, 3}, 3);
  auto on_host = [&] { (void)cuda::conv2d<float, false>(x, host_w, nullptr, cuda::conv2d_args::make(1, 1)); };
  BOOST_CHECK_THROW(on_host(), i2i::device_error);
}

BOOST_AUTO_TEST_SUITE_END()
