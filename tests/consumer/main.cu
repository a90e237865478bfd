// Builds against i2i::cuda from an installed prefix. Runs without a GPU: it reports what it sees.
#include <cstdio>

#include "i2i/backend/cuda/memory.cuh"

int main() {
  i2i::cuda::check_cudnn_version();
  const auto p = i2i::cuda::probe_devices();
  std::printf("cuDNN %zu, %s\n", i2i::cuda::cudnn_loaded_version(), p.what().c_str());
  if (p.count > 0) {
    const auto h = i2i::tensor<float>::filled(i2i::shape{16}, 3.0f);
    const auto back = i2i::cuda::to_host(i2i::cuda::to_device(h));
    if (back[15] != 3.0f) return 1;
  }
  std::printf("consumer_cuda ok\n");
  return 0;
}
