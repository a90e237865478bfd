// Parity of the 16-bit storage paths (bfloat16, float16) of the mixed-precision backend: casts, and ops
// run on 16-bit tensors against the float CPU op on the same (rounded) inputs.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "compare.hpp"
#include "i2i/backend/cpu/activation.hpp"
#include "i2i/backend/cpu/instance_norm.hpp"
#include "i2i/backend/cpu/pad.hpp"
#include "i2i/backend/cpu/pointwise.hpp"

using namespace i2i;
using namespace i2i::parity;

namespace {

/// float -> bfloat16 -> float with round-to-nearest-even, on the host.
float bf16_round(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return f;  // NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  std::memcpy(&f, &u, 4);
  return f;
}

const half_format formats[] = {half_format::bf16, half_format::f16};
const char* name(half_format f) { return f == half_format::bf16 ? "bf16" : "f16"; }
/// One rounding of the 16-bit format: 2^-8 (bf16), 2^-11 (f16) relative; tolerances allow a few.
double rtol16(half_format f) { return f == half_format::bf16 ? 1.6e-2 : 2e-3; }

}  // namespace

BOOST_AUTO_TEST_SUITE(parity_half, *boost::unit_test::precondition(device_present()))

BOOST_AUTO_TEST_CASE(casts_round_to_nearest_even) {
  auto x = random<float>(shape::nchw(2, 3, 17, 19), -300, 300);
  x[0] = 0.0f;
  x[1] = -0.0f;
  x[2] = std::numeric_limits<float>::infinity();
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[4] = 1e30f;  // beyond fp16: +inf there, finite in bf16
  x[5] = 1.00390625f;  // exactly halfway between two bf16 values: ties to even (1.0)
  const auto b = gpu::round_trip(x, half_format::bf16);
  auto expected = x.clone();
  for (std::int64_t i = 0; i < x.numel(); ++i) expected[i] = bf16_round(x[i]);
  expect_equal("bf16 round trip", b, expected);
  BOOST_TEST(b[5] == 1.0f);

  const auto h = gpu::round_trip(x, half_format::f16);
  BOOST_TEST(std::isinf(h[4]));
  BOOST_TEST(std::isnan(h[3]));
  for (std::int64_t i = 6; i < x.numel(); ++i) {
    BOOST_TEST_REQUIRE(std::abs(h[i] - x[i]) <= std::abs(x[i]) * 0x1p-11f + 6e-8f, "f16 rounding of " << x[i] << " gave " << h[i]);
  }
  // Rounding twice changes nothing.
  expect_equal("f16 idempotent", gpu::round_trip(h, half_format::f16), h);
}

BOOST_AUTO_TEST_CASE(pointwise_on_16_bit_storage) {
  const shape s = shape::nchw(2, 4, 9, 11);
  for (const auto f : formats) {
    const std::string fn = name(f);
    // Inputs already representable: the float op on them, rounded once, is what the 16-bit op computes.
    const auto a = gpu::round_trip(random<float>(s, -3, 3), f), b = gpu::round_trip(random<float>(s, -3, 3), f);
    expect_equal(fn + " add", gpu::add16(a, b, f), gpu::round_trip(cpu::add(a, b), f));
    expect_equal(fn + " mul", gpu::mul16(a, b, f), gpu::round_trip(cpu::mul(a, b), f));
    expect_equal(fn + " scale", gpu::scale16(a, 0.3, f), gpu::round_trip(cpu::scale(a, 0.3f), f));
    expect_equal(fn + " add_into", gpu::add_into16(a, b, f), gpu::round_trip(cpu::add(a, b), f));
    const auto bias = random<float>(shape{4});
    expect_equal(fn + " add_channel_bias", gpu::add_channel_bias16(a, bias, f),
                 gpu::round_trip(cpu::add_channel_bias(a, bias), f));
    expect_equal(fn + " reflection_pad2d", gpu::reflection_pad2d16(a, padding2d{1, 2, 3, 0}, f),
                 cpu::reflection_pad2d(a, padding2d{1, 2, 3, 0}));
    for (const act_arg act : all_acts) {
      const auto y = gpu::round_trip(cpu::activate(a, cpu_act(act)), f);
      expect_close(fn + " " + act_name(act), gpu::activate16(a, act, f), y, rtol16(f));
      const auto dy = gpu::round_trip(random<float>(s), f);
      expect_close(fn + " " + act_name(act) + " backward", gpu::activation_backward16(dy, y, act, f),
                   gpu::round_trip(cpu::activation_backward(dy, y, cpu_act(act)), f), rtol16(f));
    }
    const auto r = gpu::reduce16(a, f);
    double sum = 0;
    for (std::int64_t i = 0; i < a.numel(); ++i) sum += double(a[i]);
    BOOST_TEST(std::abs(r.sum - sum) <= 1e-9 * (1 + std::abs(sum)), fn << " sum " << r.sum << " vs " << sum);
    BOOST_TEST(r.finite);
  }
}

BOOST_AUTO_TEST_CASE(instance_norm_on_16_bit_storage) {
  const shape s = shape::nchw(2, 3, 24, 17);
  for (const auto f : formats) {
    const auto x = gpu::round_trip(random<float>(s, -2, 3), f);
    const auto w = random<float>(shape{3}, 0.5, 1.5), b = random<float>(shape{3});
    const act_arg relu{1, 0};
    const auto ref = gpu::round_trip(cpu::instance_norm(x, w, b, 1e-5, cpu::activation::relu()).y, f);
    expect_close(std::string(name(f)) + " instance_norm", gpu::instance_norm16(x, w, b, relu, f), ref, rtol16(f));
  }
}

BOOST_AUTO_TEST_SUITE_END()
