// CUDA runtime helpers that need no device: these run in CI (label cpu) on machines without a GPU.
#include <boost/test/unit_test.hpp>

#include <string>

#include "i2i/backend/cuda/memory.cuh"

namespace {
bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

BOOST_AUTO_TEST_SUITE(cuda_runtime_host)

BOOST_AUTO_TEST_CASE(checked_call_names_call_site_and_runtime_text) {
  try {
    I2I_CUDA_CHECK(cudaErrorInvalidValue);
    BOOST_FAIL("no throw");
  } catch (const i2i::device_error& e) {
    const std::string m = e.what();
    BOOST_TEST(contains(m, "cudaErrorInvalidValue"), m);
    BOOST_TEST(contains(m, "test_runtime_host.cu:"), m);
    BOOST_TEST(contains(m, cudaGetErrorString(cudaErrorInvalidValue)), m);
  }
  try {
    I2I_CUDNN_CHECK(CUDNN_STATUS_BAD_PARAM);
    BOOST_FAIL("no throw");
  } catch (const i2i::device_error& e) {
    const std::string m = e.what();
    BOOST_TEST(contains(m, "cuDNN call CUDNN_STATUS_BAD_PARAM"), m);
    BOOST_TEST(contains(m, cudnnGetErrorString(CUDNN_STATUS_BAD_PARAM)), m);
  }
  BOOST_CHECK_NO_THROW(I2I_CUDA_CHECK(cudaSuccess));
}

BOOST_AUTO_TEST_CASE(loaded_cudnn_matches_the_headers) {
  BOOST_TEST_MESSAGE("cuDNN compiled " << i2i::cuda::cudnn_compiled_version() << ", loaded "
                                       << i2i::cuda::cudnn_loaded_version());
  BOOST_TEST(i2i::cuda::cudnn_loaded_version() / 10000 == i2i::cuda::cudnn_compiled_version() / 10000);
  BOOST_CHECK_NO_THROW(i2i::cuda::check_cudnn_version());
}

BOOST_AUTO_TEST_CASE(a_missing_device_is_a_clear_error_not_a_crash) {
  const auto p = i2i::cuda::probe_devices();
  BOOST_TEST_MESSAGE("CUDA devices: " << p.what());
  if (p.count > 0) {
    BOOST_CHECK_NO_THROW(i2i::cuda::require_device(0));
    return;
  }
  for (auto fn : {+[] { i2i::cuda::require_device(0); },
                  +[] { (void)i2i::cuda::to_device(i2i::tensor<float>::zeros(i2i::shape{4})); }}) {
    try {
      fn();
      BOOST_FAIL("no throw without a device");
    } catch (const i2i::device_error& e) {
      BOOST_TEST(contains(e.what(), "no CUDA device visible (cudaGetDeviceCount: "), e.what());
    }
  }
}

BOOST_AUTO_TEST_CASE(host_only_accessors_refuse_device_tensors) {
  // A tensor whose storage claims to be on a device must not be dereferenced on the host.
  float fake[4] = {};
  auto st = i2i::storage::adopt(fake, sizeof fake, i2i::device::cuda(0), nullptr);
  i2i::tensor<float> t(i2i::shape{4}, st);
  BOOST_CHECK_THROW((void)t.clone(), i2i::device_error);
  BOOST_CHECK_THROW((void)i2i::cuda::to_device(t), i2i::device_error);
}

BOOST_AUTO_TEST_SUITE_END()
