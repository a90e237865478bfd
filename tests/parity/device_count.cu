// Prints the number of visible CUDA devices (0 without a device or driver); used by run_memcheck.cmake.
#include <cstdio>

#include "i2i/backend/cuda/runtime.cuh"

int main() {
  std::printf("%d\n", i2i::cuda::device_count());
  return 0;
}
