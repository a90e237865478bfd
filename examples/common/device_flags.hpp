#pragma once
// --gpu / --gpu_ids N: how every training program of the examples picks its backend, declared once (one
// --help text, one range, one error for a build without CUDA), so that the programs cannot drift apart.
//
//   examples::device_choice device;
//   examples::add_device_options(cli, device);
//   ... cli.parse(argc, argv) ...
//   if (device.cuda_device() >= 0) examples::require_cuda_build("egscit_train");   // before the GPU TUs
#include <optional>
#include <string>

#include "i2i/core/error.hpp"
#include "program_options.hpp"

namespace examples {

/// What --gpu and --gpu_ids asked for.
struct device_choice {
  bool gpu = false;             ///< --gpu: CUDA device 0
  std::optional<int> gpu_ids;   ///< --gpu_ids N: device N, or -1 for the CPU; wins over --gpu

  /// The CUDA device asked for, or -1 for the CPU backend (the default).
  int cuda_device() const { return gpu_ids ? *gpu_ids : gpu ? 0 : -1; }
};

/// Declares --gpu and --gpu_ids on `app`, in their own help group.
inline void add_device_options(CLI::App& app, device_choice& d) {
  const std::string group = "Device (needs a build with I2I_WITH_CUDA and a visible device; no CPU fallback)";
  app.add_flag("--gpu", d.gpu, "train on CUDA device 0")->group(group);
  add_number(app, "--gpu_ids", d.gpu_ids, -1, 1023, "CUDA device N, or -1 for the CPU (the default); wins over --gpu")
      ->group(group);
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
