#pragma once
// The CUDA backend's placement for the shared argument checks (backend/checks/placement.hpp): a tensor
// must live in the memory of the current device (cuda::current_device()). Kernels run on the current
// device and stream, so a tensor elsewhere would be read across devices.
#include "i2i/backend/checks/placement.hpp"
#include "i2i/backend/cuda/stream.cuh"

namespace i2i::cuda {

struct on_current_device {
  template <class T>
  static void require_placed(const char* op, const char* arg, const tensor<T>& t) {
    require<device_error>(t.where().is_cuda(), op, ": ", arg, " of shape ", t.shape(), " lives on ", t.where(),
                          "; the CUDA op needs a device tensor");
    require<device_error>(t.where().index == current_device(), op, ": ", arg, " of shape ", t.shape(), " lives on ",
                          t.where(), " but the current device is cuda:", current_device(),
                          " (select it with cuda::device_guard)");
  }
};
static_assert(checks::placement<on_current_device>);

}  // namespace i2i::cuda
