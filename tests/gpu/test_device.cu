// GPU tests that need a device: they run for real on a GPU machine and are skipped elsewhere.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "device_precondition.hpp"
#include "i2i/backend/cuda/memory.cuh"

namespace {

__global__ void affine_kernel(float* x, long long n, float a, float b) {
  const long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x;
  if (i < n) x[i] = a * x[i] + b;
}

i2i::tensor<float> ramp(const i2i::shape& s) {
  auto t = i2i::tensor<float>::empty(s);
  for (std::int64_t i = 0; i < t.numel(); ++i) t[i] = float(i % 97) * 0.25f - 7.0f;
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cuda_device, *boost::unit_test::precondition(i2i::test::cuda_device_present()))

BOOST_AUTO_TEST_CASE(tensor_round_trip_through_device_memory) {
  i2i::cuda::require_device(0);
  const auto host = ramp(i2i::shape::nchw(2, 3, 17, 13));
  const auto dev = i2i::cuda::to_device(host);
  BOOST_TEST(dev.where() == i2i::device::cuda(0));
  BOOST_TEST(dev.shape() == host.shape());
  const auto back = i2i::cuda::to_host(dev);
  BOOST_TEST(back.where().is_cpu());
  BOOST_TEST(std::vector<float>(back.data(), back.data() + back.numel()) ==
                 std::vector<float>(host.data(), host.data() + host.numel()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(kernel_runs_on_device_memory) {
  const auto host = ramp(i2i::shape::nchw(1, 2, 33, 31));
  auto dev = i2i::cuda::to_device(host);
  const long long n = dev.numel();
  affine_kernel<<<unsigned((n + 255) / 256), 256>>>(dev.data(), n, 2.0f, 1.0f);
  I2I_CUDA_CHECK(cudaGetLastError());
  I2I_CUDA_CHECK(cudaDeviceSynchronize());
  const auto back = i2i::cuda::to_host(dev);
  for (std::int64_t i = 0; i < host.numel(); ++i) BOOST_TEST_REQUIRE(back[i] == 2.0f * host[i] + 1.0f);
}

BOOST_AUTO_TEST_CASE(cudnn_handle_and_activation_match_the_host) {
  i2i::cuda::require_device(0);
  i2i::cuda::check_cudnn_version();
  cudnnHandle_t handle = nullptr;
  I2I_CUDNN_CHECK(cudnnCreate(&handle));
  cudnnTensorDescriptor_t desc = nullptr;
  cudnnActivationDescriptor_t act = nullptr;
  I2I_CUDNN_CHECK(cudnnCreateTensorDescriptor(&desc));
  I2I_CUDNN_CHECK(cudnnCreateActivationDescriptor(&act));
  const auto host = ramp(i2i::shape::nchw(2, 4, 9, 11));
  I2I_CUDNN_CHECK(cudnnSetTensor4dDescriptor(desc, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 2, 4, 9, 11));
  I2I_CUDNN_CHECK(cudnnSetActivationDescriptor(act, CUDNN_ACTIVATION_TANH, CUDNN_NOT_PROPAGATE_NAN, 0.0));
  const auto x = i2i::cuda::to_device(host);
  auto y = i2i::cuda::device_empty<float>(host.shape());
  const float one = 1.0f, zero = 0.0f;
  I2I_CUDNN_CHECK(cudnnActivationForward(handle, act, &one, desc, x.data(), &zero, desc, y.data()));
  I2I_CUDA_CHECK(cudaDeviceSynchronize());
  const auto back = i2i::cuda::to_host(y);
  for (std::int64_t i = 0; i < host.numel(); ++i) BOOST_TEST_REQUIRE(std::abs(back[i] - std::tanh(host[i])) < 1e-6f);
  cudnnDestroyActivationDescriptor(act);
  cudnnDestroyTensorDescriptor(desc);
  cudnnDestroy(handle);
}

BOOST_AUTO_TEST_CASE(bad_device_index_throws_naming_the_count) {
  const int n = i2i::cuda::device_count();
  try {
    i2i::cuda::require_device(n);
    BOOST_FAIL("require_device(" << n << ") did not throw");
  } catch (const i2i::device_error& e) {
    BOOST_TEST(std::string(e.what()).find("only " + std::to_string(n) + " device(s) visible") != std::string::npos,
               e.what());
  }
}

BOOST_AUTO_TEST_CASE(failed_allocation_is_a_device_error) {
  // 1 PiB cannot be allocated on any current GPU: the error must name the call, not crash.
  try {
    (void)i2i::cuda::device_empty<float>(i2i::shape{std::int64_t(1) << 48});
    BOOST_FAIL("allocating 1 PiB did not throw");
  } catch (const i2i::device_error& e) {
    BOOST_TEST(std::string(e.what()).find("cudaMalloc") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
