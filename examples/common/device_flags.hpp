#pragma once
// --gpu / --gpu_ids N: how every training program of the examples picks its backend, with one text for
// --help and one error for a build without CUDA. The program's own parser reads the two options; this
// header turns them into a device number and says what they mean, so the programs cannot drift apart.
//
//   const int device = examples::gpu_device(a.flag("gpu"), a.has("gpu_ids"), a.integer("gpu_ids", -1));
//   if (device >= 0) examples::require_cuda_build("egscit_train");   // before dispatching to the GPU TUs
#include <string>

#include "i2i/core/error.hpp"

namespace examples {

/// The --help lines of the two options (indented like the programs' other sections).
inline constexpr const char* gpu_help =
    "  device:     --gpu (CUDA device 0) or --gpu_ids N (device N; -1 = the CPU, the default); needs a\n"
    "              build with I2I_WITH_CUDA and a visible device (no CPU fallback)\n";

/// The CUDA device the options ask for, or -1 for the CPU backend: --gpu_ids N wins over --gpu.
inline int gpu_device(bool gpu_flag, bool has_gpu_ids, long long gpu_ids) {
  if (has_gpu_ids) {
    i2i::require<i2i::value_error>(gpu_ids >= -1 && gpu_ids < 1024, "--gpu_ids ", gpu_ids,
                                   " is out of range (-1 for the CPU, else a CUDA device number)");
    return int(gpu_ids);
  }
  return gpu_flag ? 0 : -1;
}

/// Whether this program was compiled with its CUDA translation units (I2I_EXAMPLES_WITH_GPU).
inline constexpr bool built_with_cuda =
#ifdef I2I_EXAMPLES_WITH_GPU
    true;
#else
    false;
#endif

/// Throws device_error naming the program when it was built without the CUDA backend.
inline void require_cuda_build(const std::string& program) {
  if (!built_with_cuda)
    throw i2i::device_error("--gpu / --gpu_ids: this " + program +
                            " was built without the CUDA backend (configure with -DI2I_WITH_CUDA=ON on a machine "
                            "with CUDA 13 and cuDNN 9)");
}

}  // namespace examples
