#pragma once
// CUDA runtime and cuDNN basics for the CUDA backend: checked calls, device discovery, version checks.
//
// Only nvcc translation units include .cuh headers (DESIGN §2), and nothing here may pull in Eigen:
// the CPU op library stays out of device code. Every failure is an i2i::device_error carrying the
// call, file:line and the runtime's own text, so a report from a user names what failed and where.
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

#include "i2i/core/error.hpp"

#ifndef I2I_WITH_CUDA
#define I2I_WITH_CUDA 1
#endif

namespace i2i::cuda {

namespace detail {
inline std::string call_site(const char* call, const char* file, int line) {
  return i2i::detail::concat(call, " at ", file, ":", line);
}
}  // namespace detail

/// Throws device_error naming the call and where it was made unless `status` is cudaSuccess.
/// Clears the runtime's sticky "last error" so that one failure is not reported again by a later call.
inline void check(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  (void)cudaGetLastError();
  throw device_error(i2i::detail::concat("CUDA call ", detail::call_site(call, file, line), " failed: ",
                                    cudaGetErrorString(status), " (", cudaGetErrorName(status), ")"));
}

/// Same for cuDNN status codes.
inline void check(cudnnStatus_t status, const char* call, const char* file, int line) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  throw device_error(i2i::detail::concat("cuDNN call ", detail::call_site(call, file, line), " failed: ",
                                    cudnnGetErrorString(status), " (status ", int(status), ")"));
}

/// Outcome of asking the runtime how many devices it sees. Without a driver (a CI machine) the runtime
/// answers with an error rather than zero; keep its text for the messages below.
struct device_probe {
  int count = 0;
  cudaError_t status = cudaSuccess;
  std::string what() const {
    return status == cudaSuccess ? i2i::detail::concat(count, " device(s)")
                                 : std::string("cudaGetDeviceCount: ") + cudaGetErrorString(status);
  }
};

inline device_probe probe_devices() {
  device_probe p;
  p.status = cudaGetDeviceCount(&p.count);
  if (p.status != cudaSuccess) {
    p.count = 0;
    (void)cudaGetLastError();
  }
  return p;
}

/// Number of visible CUDA devices; 0 when there is no device or no driver (never throws).
inline int device_count() { return probe_devices().count; }

/// Makes device `index` current, or throws a device_error saying why it cannot be used. This is the
/// runtime guard behind "a request for CUDA on a machine without a device throws, never falls back".
inline void require_device(int index = 0) {
  const device_probe p = probe_devices();
  require<device_error>(p.count > 0, "no CUDA device visible (", p.what(), ")");
  require<device_error>(index >= 0 && index < p.count, "CUDA device ", index, " requested but only ", p.count,
                        " device(s) visible (CUDA_VISIBLE_DEVICES may hide some)");
  check(cudaSetDevice(index), "cudaSetDevice(index)", __FILE__, __LINE__);
}

/// cuDNN version this code was compiled against (CUDNN_VERSION, e.g. 91900 for 9.19.0).
constexpr std::size_t cudnn_compiled_version() { return CUDNN_VERSION; }
/// cuDNN version of the library actually loaded.
inline std::size_t cudnn_loaded_version() { return cudnnGetVersion(); }

/// Throws unless the loaded cuDNN can serve code compiled against our headers: same major version and
/// not older (cuDNN keeps backward compatibility within a major release only). Needs no device.
inline void check_cudnn_version() {
  const std::size_t compiled = cudnn_compiled_version(), loaded = cudnn_loaded_version();
  require<device_error>(loaded / 10000 == compiled / 10000 && loaded >= compiled, "cuDNN version mismatch: compiled ",
                        "against ", compiled, " but loaded ", loaded,
                        " (the loaded libcudnn must have the same major version and be at least as new; "
                        "check LD_LIBRARY_PATH)");
}

}  // namespace i2i::cuda

/// Checked CUDA runtime / cuDNN call: I2I_CUDA_CHECK(cudaMalloc(&p, n)); throws i2i::device_error.
#define I2I_CUDA_CHECK(call) ::i2i::cuda::check((call), #call, __FILE__, __LINE__)
#define I2I_CUDNN_CHECK(call) ::i2i::cuda::check((call), #call, __FILE__, __LINE__)
