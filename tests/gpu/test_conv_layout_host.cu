// The convolution layout rules and how the CUDA backend plans a cuDNN problem in each layout: host code
// only, so these run in CI without a device (label cpu, target cuda_host). The kernels that transpose
// the operands are checked against the CPU by gpu_parity (conv_parity, both layouts).
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "i2i/backend/cuda/conv.cuh"

namespace {
using namespace i2i;
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
using bf16 = cuda::bf16_mixed::compute_type;
}  // namespace

BOOST_AUTO_TEST_SUITE(conv_layout_host)

BOOST_AUTO_TEST_CASE(the_environment_value_is_parsed_and_a_bad_one_is_named) {
  BOOST_TEST(int(parse_conv_layout("", "V")) == int(conv_layout_choice::automatic));
  BOOST_TEST(int(parse_conv_layout("auto", "V")) == int(conv_layout_choice::automatic));
  BOOST_TEST(int(parse_conv_layout("nchw", "V")) == int(conv_layout_choice::nchw));
  BOOST_TEST(int(parse_conv_layout("nhwc", "V")) == int(conv_layout_choice::nhwc));
  try {
    (void)parse_conv_layout("NHWC", "I2I_CUDA_CONV_LAYOUT");
    BOOST_FAIL("an unknown layout was accepted");
  } catch (const value_error& e) {
    BOOST_TEST(contains(e.what(), "I2I_CUDA_CONV_LAYOUT is 'NHWC'; expected auto, nchw or nhwc"), e.what());
  }
}

BOOST_AUTO_TEST_CASE(channels_are_padded_to_whole_16_byte_vectors) {
  BOOST_TEST(channels_last_channels(3, 2) == 8);    // RGB in bf16
  BOOST_TEST(channels_last_channels(36, 2) == 40);  // pix2pixHD's labels + boundary map
  BOOST_TEST(channels_last_channels(1, 2) == 8);    // D's last conv
  BOOST_TEST(channels_last_channels(64, 2) == 64);
  BOOST_TEST(channels_last_channels(0, 2) == 0);
  BOOST_TEST(channels_last_channels(3, 4) == 4);
  BOOST_TEST(channels_last_channels(36, 4) == 36);
  BOOST_CHECK_THROW((void)channels_last_channels(3, 3), value_error);
}

BOOST_AUTO_TEST_CASE(automatic_means_nhwc_for_16_bit_and_groups_stay_nchw) {
  BOOST_TEST(int(resolve_conv_layout(conv_layout_choice::automatic, 2, 1)) == int(conv_layout::nhwc));
  BOOST_TEST(int(resolve_conv_layout(conv_layout_choice::automatic, 4, 1)) == int(conv_layout::nchw));
  BOOST_TEST(int(resolve_conv_layout(conv_layout_choice::nhwc, 4, 1)) == int(conv_layout::nhwc));
  BOOST_TEST(int(resolve_conv_layout(conv_layout_choice::nchw, 2, 1)) == int(conv_layout::nchw));
  BOOST_TEST(int(resolve_conv_layout(conv_layout_choice::nhwc, 2, 4)) == int(conv_layout::nchw));
}

BOOST_AUTO_TEST_CASE(a_problem_is_planned_in_the_chosen_layout_with_padded_channels) {
  using namespace cuda::conv_detail;
  const shape xs{2, 36, 64, 32}, ws{64, 36, 7, 7}, ys{2, 64, 64, 32};
  const cuda::conv2d_args a{1, 1, {3, 3, 3, 3}};
  {
    cuda::conv_layout_scope s(conv_layout_choice::automatic);
    const auto bf = plan_conv<bf16>(xs, ws, a, false, ys).p;
    BOOST_TEST(bf.nhwc);
    BOOST_TEST(bf.c == 40);
    BOOST_TEST(bf.k == 64);
    BOOST_TEST(int(bf.format()) == int(CUDNN_TENSOR_NHWC));
    const auto f32 = plan_conv<float>(xs, ws, a, false, ys).p;
    BOOST_TEST(!f32.nhwc);
    BOOST_TEST(f32.c == 36);
    BOOST_TEST((bf.key(pass::fwd, 0) != f32.key(pass::fwd, 0)));
    // The output side is padded too: the generator's last conv (64 -> 3) runs with k = 8 zero-extended.
    const auto last = plan_conv<bf16>(shape{1, 64, 16, 16}, shape{3, 64, 7, 7}, a, false, shape{1, 3, 16, 16}).p;
    BOOST_TEST(last.k == 8);
    BOOST_TEST(last.c == 64);
  }
  {
    cuda::conv_layout_scope s(conv_layout_choice::nchw);
    const auto bf = plan_conv<bf16>(xs, ws, a, false, ys).p;
    BOOST_TEST(!bf.nhwc);
    BOOST_TEST(bf.c == 36);
    {
      cuda::conv_layout_scope inner(conv_layout_choice::nhwc);
      BOOST_TEST(plan_conv<float>(xs, ws, a, false, ys).p.nhwc);
      // Depthwise: NCHW whatever the choice.
      const cuda::conv2d_args dw{1, 1, {1, 1, 1, 1}, 36};
      BOOST_TEST(!plan_conv<bf16>(xs, shape{36, 1, 3, 3}, dw, false, shape{2, 36, 64, 32}).p.nhwc);
    }
    BOOST_TEST(int(cuda::conv_layout_setting()) == int(conv_layout_choice::nchw));  // the inner scope restored it
  }
}

BOOST_AUTO_TEST_CASE(a_transposed_conv_pads_its_input_as_the_problem_s_k) {
  using namespace cuda::conv_detail;
  cuda::conv_layout_scope s(conv_layout_choice::nhwc);
  // pix2pixHD's up block: ConvTranspose2d(70 -> 3, 3, stride 2, padding 1, output_padding 1), weight Cin x Cout x 3 x 3.
  const cuda::conv_transpose2d_args a{2, 2, {1, 0, 1, 0}};
  const auto t = plan_transpose<bf16>(shape{1, 70, 8, 8}, shape{70, 3, 3, 3}, a, false, shape{1, 3, 16, 16});
  BOOST_TEST(!t.windowed);
  BOOST_TEST(t.p.nhwc);
  BOOST_TEST(t.p.k == 72);  // the transposed conv's input channels
  BOOST_TEST(t.p.c == 8);   // its output channels
}

// The transposes' kernels, run on the host block by block with the device's own phase functions
// (conv_layout.cuh): every element lands where NHWC puts it, rounded as the cast rounds it, the padded
// channels are zero, and the way back drops them, adds the bias and accumulates. Shapes cover channel
// counts below, at and across the 32-channel tile (3, 32, 40, 70) and pixel runs that end mid-tile.
template <class H>
void check_round_trip(long long n, int c, long long hw) {
  using namespace cuda::layout_detail;
  const int cp = int(channels_last_channels(c, sizeof(H)));
  const auto count = static_cast<std::size_t>(n * c * hw);
  std::vector<float> src(count), back(count), start(count), bias(static_cast<std::size_t>(c));
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = float(int(i * 37 % 101) - 50) / 8.0f;  // exact in bf16
  for (int k = 0; k < c; ++k) bias[std::size_t(k)] = 0.25f * float(k % 7);
  for (std::size_t i = 0; i < start.size(); ++i) start[i] = float(i % 5);
  std::vector<H> nhwc(static_cast<std::size_t>(n * hw * cp), from_float<H>(12345.0f));  // a value no element has
  BOOST_TEST_CONTEXT(sizeof(H) << "-byte elements, n " << n << ", c " << c << " (padded " << cp << "), hw " << hw) {
    to_channels_last_on_host<H>(src.data(), n, c, hw, cp, nhwc.data());
    std::size_t wrong = 0;
    for (long long q = 0; q < n; ++q)
      for (long long p = 0; p < hw; ++p)
        for (int k = 0; k < cp; ++k) {
          const float got = to_float(nhwc[std::size_t((q * hw + p) * cp + k)]);
          const float want = k < c ? to_float(from_float<H>(src[std::size_t((q * c + k) * hw + p)])) : 0.0f;
          wrong += got != want;
        }
    BOOST_TEST(wrong == 0u, "to_channels_last: " << wrong << " elements misplaced or not written");
    back = start;
    from_channels_last_on_host<H>(nhwc.data(), n, c, hw, cp, bias.data(), false, back.data());
    wrong = 0;
    for (std::size_t i = 0; i < src.size(); ++i)
      wrong += back[i] != to_float(from_float<H>(src[i])) + bias[i / std::size_t(hw) % std::size_t(c)];
    BOOST_TEST(wrong == 0u, "from_channels_last with bias: " << wrong << " elements wrong");
    back = start;
    from_channels_last_on_host<H>(nhwc.data(), n, c, hw, cp, nullptr, true, back.data());
    wrong = 0;
    for (std::size_t i = 0; i < src.size(); ++i) wrong += back[i] != start[i] + to_float(from_float<H>(src[i]));
    BOOST_TEST(wrong == 0u, "from_channels_last accumulating: " << wrong << " elements wrong");
  }
}

BOOST_AUTO_TEST_CASE(the_transpose_kernels_place_pad_and_restore_every_element) {
  for (const int c : {3, 32, 40, 70})
    for (const long long hw : {1LL, 33LL, 130LL}) {
      check_round_trip<bf16>(2, c, hw);
      check_round_trip<float>(2, c, hw);
    }
  check_round_trip<cuda::fp16_mixed::compute_type>(1, 36, 49);  // a 7x7 filter's R*S, pix2pixHD's labels
}

BOOST_AUTO_TEST_SUITE_END()
