#pragma once
// GPU-side helpers shared by the parity test files (.cu only).
#include <boost/test/unit_test.hpp>

#include "../gpu/device_precondition.hpp"
#include "i2i/backend/cuda/memory.cuh"
#include "i2i/backend/cuda/precision.cuh"
#include "parity_host.hpp"

namespace i2i::parity {

/// Relative L2 tolerances per precision policy: TF32 keeps 10 mantissa bits of each product, bf16 8.
template <class P>
constexpr double tolerance() {
  if constexpr (std::is_same_v<P, cuda::fp32_strict>) return 1e-4;
  else if constexpr (std::is_same_v<P, cuda::fp32_tf32>) return 1e-2;
  else if constexpr (std::is_same_v<P, cuda::fp16_mixed>) return 2e-2;
  else return 5e-2;
}

inline tensor<float> dev(const tensor<float>& host) { return cuda::to_device(host, cuda::current_device()); }
inline tensor<float> host(const tensor<float>& d) { return cuda::to_host(d); }

/// a - b on the host (new tensor).
inline tensor<float> minus(const tensor<float>& a, const tensor<float>& b) {
  auto r = tensor<float>::empty(a.shape());
  for (std::int64_t i = 0; i < a.numel(); ++i) r[i] = a[i] - b[i];
  return r;
}

#define I2I_PARITY_CHECK(what, gpu, cpu, tol)                                                           \
  do {                                                                                                 \
    const auto& g_ = (gpu);                                                                            \
    const auto& c_ = (cpu);                                                                            \
    BOOST_TEST_REQUIRE(g_.shape() == c_.shape(), what << ": GPU shape " << g_.shape() << " vs CPU " << c_.shape()); \
    BOOST_TEST_REQUIRE(::i2i::parity::all_finite(g_), what << ": GPU result is not finite");           \
    const double e_ = ::i2i::parity::rel_l2(g_, c_);                                                   \
    BOOST_TEST(e_ <= (tol), what << ": relative L2 error " << e_ << " > " << (tol));                   \
  } while (0)

}  // namespace i2i::parity
