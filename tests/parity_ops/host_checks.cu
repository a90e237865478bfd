// The CUDA kernels' argument checks, which run on the host before any device work: error types and the
// CPU ops' texts, device residency, and the no-device error. Needs no GPU (label cpu, runs in CI).
//
// "Device" tensors here are fakes: host memory labelled cuda:N. Every case below throws before the op
// would touch the memory, so the fakes are never dereferenced on any machine.
#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "i2i/backend/cuda/kernels/activation.cuh"
#include "i2i/backend/cuda/kernels/adain.cuh"
#include "i2i/backend/cuda/kernels/batch_norm.cuh"
#include "i2i/backend/cuda/kernels/cast.cuh"
#include "i2i/backend/cuda/kernels/concat.cuh"
#include "i2i/backend/cuda/kernels/gram.cuh"
#include "i2i/backend/cuda/kernels/instance_norm.cuh"
#include "i2i/backend/cuda/kernels/instance_norm_pad.cuh"
#include "i2i/backend/cuda/kernels/label_maps.cuh"
#include "i2i/backend/cuda/kernels/losses.cuh"
#include "i2i/backend/cuda/kernels/losses_cross_entropy.cuh"
#include "i2i/backend/cuda/kernels/pad.cuh"
#include "i2i/backend/cuda/kernels/pointwise.cuh"
#include "i2i/backend/cuda/kernels/pool.cuh"
#include "i2i/backend/cuda/kernels/reduce.cuh"
#include "i2i/backend/cuda/kernels/resample.cuh"
#include "i2i/backend/cuda/kernels/segment_mean.cuh"

namespace i2i {
namespace {

template <class T = float>
tensor<T> fake(const shape& s, int index = 0) {
  static double memory[8];
  return tensor<T>(s, storage::adopt(memory, std::size_t(s.numel()) * sizeof(T), device::cuda(index),
                                     [](void*, std::size_t) {}));
}

template <class E, class F>
void expect_error(F&& f, std::initializer_list<std::string> parts) {
  try {
    f();
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts) BOOST_TEST(msg.find(p) != std::string::npos, "message \"" << msg << "\" lacks \"" << p << "\"");
    return;
  } catch (const std::exception& e) {
    BOOST_ERROR("threw the wrong exception type: " << e.what());
    return;
  }
  BOOST_ERROR("expected an exception mentioning " << *parts.begin());
}

const shape x4 = shape::nchw(2, 3, 4, 4);

}  // namespace

BOOST_AUTO_TEST_SUITE(cuda_kernel_checks)

BOOST_AUTO_TEST_CASE(residency_is_checked_first) {
  const auto host = tensor<float>::zeros(x4);
  expect_error<device_error>([&] { (void)cuda::add(host, fake(x4)); },
                             {"add: a of shape 2x3x4x4 lives on cpu; the CUDA op needs a device tensor"});
  expect_error<value_error>([&] { (void)cuda::relu(tensor<float>()); }, {"activate: x is an undefined tensor"});
  expect_error<device_error>([&] { (void)cuda::add(fake(x4), fake(x4, 1)); },
                             {"add: b of shape 2x3x4x4 lives on cuda:1 but the current device is cuda:0",
                              "device_guard"});
  expect_error<device_error>([&] { (void)cuda::instance_norm(host); }, {"instance_norm: input", "lives on cpu"});
}

BOOST_AUTO_TEST_CASE(shape_and_value_errors_use_the_cpu_texts) {
  expect_error<shape_error>([&] { (void)cuda::add(fake(x4), fake(shape::nchw(2, 3, 4, 5))); },
                            {"add: b has shape 2x3x4x5, expected 2x3x4x4 (the shape of a)"});
  expect_error<value_error>([&] { (void)cuda::activate(fake(x4), cuda::activation::leaky_relu(-1)); },
                            {"activate: leaky_relu slope -1 is negative"});
  expect_error<value_error>([&] { (void)cuda::reflection_pad2d(fake(x4), padding2d::uniform(4)); },
                            {"reflection_pad2d: padding (top 4, bottom 4, left 4, right 4) must be smaller than the "
                             "padded dimension of input 2x3x4x4 (height 4, width 4)"});
  expect_error<shape_error>(
      [&] { (void)cuda::zero_pad2d_backward(fake(x4), x4, padding2d::uniform(1)); },
      {"zero_pad2d_backward: output gradient has shape 2x3x4x4, expected 2x3x6x6 (input 2x3x4x4 padded by"});
  expect_error<shape_error>([&] { (void)cuda::instance_norm(fake(x4), fake(shape{4})); },
                            {"instance_norm: weight has shape 4, expected 3 (one per channel of input 2x3x4x4)"});
  expect_error<value_error>([&] { (void)cuda::instance_norm(fake(shape::nchw(2, 3, 1, 1))); },
                            {"has a single pixel per plane"});
  expect_error<value_error>(
      [&] { (void)cuda::instance_norm_pad(fake(x4), {}, {}, 1e-5, cuda::activation::relu(), padding2d::uniform(4)); },
      {"instance_norm_pad: padding (top 4, bottom 4, left 4, right 4) must be smaller than the padded dimension"});
  expect_error<shape_error>(
      [&] {
        const cuda::instance_norm_pad_result<float> f{fake(shape::nchw(2, 3, 6, 6)), fake(shape{2, 3}), fake(shape{2, 3}),
                                                      cuda::activation::relu(), padding2d::uniform(1)};
        (void)cuda::instance_norm_pad_backward(fake(x4), fake(x4), f, {}, {}, {});
      },
      {"instance_norm_pad_backward: output gradient has shape 2x3x4x4, expected 2x3x6x6 (the input's, padded)"});
  expect_error<value_error>(
      [&] { (void)cuda::batch_norm_train(fake(x4), {}, {}, {}, {}, 2.0); },
      {"batch_norm_train: momentum 2 is outside [0, 1] (input 2x3x4x4)"});
  expect_error<shape_error>([&] { (void)cuda::batch_norm_eval(fake(x4), {}, {}, {}, {}); },
                            {"batch_norm_eval: evaluation needs running_mean and running_var"});
  expect_error<value_error>([&] { (void)cuda::avg_pool2d(fake(x4), 2, 2, padding2d::uniform(2)); },
                            {"avg_pool2d: padding", "exceeds half the kernel 2"});
  expect_error<shape_error>(
      [&] { (void)cuda::max_pool2d_backward(fake(shape::nchw(2, 3, 2, 2)), x4, fake<std::int32_t>(shape::nchw(2, 3, 2, 1))); },
      {"max_pool2d_backward: argmax has shape 2x3x2x1, expected 2x3x2x2"});
  expect_error<shape_error>([&] { (void)cuda::global_avg_pool2d_backward(fake(shape::nchw(2, 4, 1, 1)), x4); },
                            {"global_avg_pool2d_backward: output gradient has shape 2x4x1x1, expected 2x3x1x1"});
  expect_error<value_error>([&] { (void)cuda::upsample_nearest2d(fake(x4), 0, 3); },
                            {"upsample_nearest2d: output size 0x3 must be positive"});
  expect_error<shape_error>([&] { (void)cuda::resize_bilinear2d_backward(fake(x4), shape::nchw(2, 4, 4, 4), true); },
                            {"which does not match input 2x4x4x4"});
  expect_error<value_error>([&] { (void)cuda::one_hot(fake(shape::nchw(2, 1, 4, 4)), 0); },
                            {"one_hot: label_nc must be >= 1, got 0"});
  expect_error<shape_error>([&] { (void)cuda::boundary_map(fake(x4)); },
                            {"boundary_map: inst has shape 2x3x4x4, expected N x 1 x H x W"});
  expect_error<shape_error>([&] { (void)cuda::segment_mean(fake(x4), fake(shape::nchw(2, 1, 4, 5))); },
                            {"segment_mean: x has shape 2x3x4x4 and ids has shape 2x1x4x5"});
  expect_error<shape_error>([&] { (void)cuda::concat_channels({fake(x4), fake(shape::nchw(1, 3, 4, 4))}); },
                            {"concat_channels: part 1 has shape 1x3x4x4 but part 0 has shape 2x3x4x4"});
  expect_error<value_error>([&] { (void)cuda::split_channels(fake(x4), {4, -1}); },
                            {"split_channels: part 1 asks for -1 channels"});
  expect_error<shape_error>([&] { (void)cuda::adain(fake(x4), fake(shape{2, 4}), fake(shape{2, 3})); },
                            {"adain: style_mean has shape 2x4, expected 2x3 (one per sample and channel of x 2x3x4x4)"});
  expect_error<shape_error>([&] { (void)cuda::l1_loss(fake(x4), fake(shape::nchw(2, 3, 4, 5))); },
                            {"l1_loss: target has shape 2x3x4x5, expected 2x3x4x4 (the shape of prediction)"});
  expect_error<shape_error>([&] { (void)cuda::kl_loss(fake(shape::nchw(0, 3, 4, 4))); },
                            {"kl_loss: z has shape 0x3x4x4; the mean over zero elements is undefined"});
  expect_error<shape_error>([&] { (void)cuda::gram_matrix_backward(fake(x4), fake(shape{2, 3, 4})); },
                            {"gram_matrix_backward: dg has shape 2x3x4, expected 2x3x3"});
  expect_error<shape_error>([&] { (void)cuda::gram_distance(fake(shape{2, 3, 3}), fake(shape{2, 4, 4})); },
                            {"gram_distance: target has shape 2x4x4, expected 2x3x3 (the shape of prediction)"});
  expect_error<shape_error>([&] { (void)cuda::cross_entropy_loss(fake(x4), fake(shape::nchw(2, 1, 4, 5))); },
                            {"cross_entropy_loss: labels have shape 2x1x4x5, expected 2x1x4x4 or 2x4x4"});
  expect_error<value_error>(
      [&] { (void)cuda::cross_entropy_loss(fake(x4), fake(shape::nchw(2, 1, 4, 4)), {.class_weights = {1, 2}}); },
      {"cross_entropy_loss: 2 class weights for 3 classes"});
  expect_error<device_error>([&] { (void)cuda::cross_entropy_loss(tensor<float>::zeros(x4), fake(x4)); },
                            {"cross_entropy_loss: logits of shape 2x3x4x4 lives on cpu; the CUDA op needs a device tensor"});
  expect_error<shape_error>([&] { cuda::add_channel_bias_backward(fake(x4), fake(shape{2})); },
                            {"add_channel_bias_backward: dbias has shape 2, expected 3 (one per channel of x 2x3x4x4)"});
  expect_error<shape_error>([&] { cuda::cast_into(fake<__nv_bfloat16>(x4), fake(shape::nchw(2, 3, 4, 5))); },
                            {"cast_into: src has shape 2x3x4x5, expected 2x3x4x4 (the shape of dst)"});
  expect_error<shape_error>([&] { cuda::flag_nonfinite(fake(x4), fake<std::int32_t>(shape{2})); },
                            {"flag_nonfinite: found has shape 2, expected one element"});
}

BOOST_AUTO_TEST_CASE(valid_calls_without_a_device_throw_device_error) {
  if (cuda::device_count() > 0) return;  // with a device these fakes would be dereferenced; parity_ops covers it
  expect_error<device_error>([&] { (void)cuda::add(fake(x4), fake(x4)); }, {"no CUDA device visible"});
  expect_error<device_error>([&] { (void)cuda::instance_norm(fake(x4)); }, {"no CUDA device visible"});
  expect_error<device_error>(
      [&] { (void)cuda::instance_norm_pad(fake(x4), {}, {}, 1e-5, cuda::activation::relu(), padding2d::uniform(1)); },
      {"no CUDA device visible"});
  expect_error<device_error>([&] { (void)cuda::cast<__half>(fake(x4)); }, {"no CUDA device visible"});
}

BOOST_AUTO_TEST_CASE(activation_prints_like_the_cpu_one) {
  std::ostringstream s;
  s << cuda::activation::leaky_relu(0.2) << " " << cuda::activation::tanh() << " " << cuda::activation{};
  BOOST_TEST(s.str() == "leaky_relu(0.2) tanh identity");
  BOOST_TEST((cuda::activation::relu() == cuda::activation{cuda::activation_kind::relu, 0}));
}

BOOST_AUTO_TEST_CASE(same_pool_padding_matches_tf) {
  const auto p = cuda::same_pool_padding(shape::nchw(1, 1, 7, 8), 2, 2);
  BOOST_TEST((p == padding2d{0, 1, 0, 0}));
  BOOST_TEST(cuda::pool_output_size(7, 2, 2, 0, 1) == 4);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace i2i
