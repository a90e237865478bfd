#pragma once
// The job's communicator for device (CUDA backend) tensors, as every GPU training program gets it:
//
//   const int device = i2i::dist::rank_device(first_device, *i2i::dist::world());  // + local rank
//   i2i::cuda::set_device(device);
//   auto job = i2i::dist::device_world(i2i::dist::world(), device);
//
// Alone (no mpirun) it is the host's single-process communicator: no NCCL communicator is made and the
// single-GPU path is what it always was. Under mpirun it is a nccl_communicator (target i2i::nccl); a
// build without NCCL refuses to run several GPU ranks rather than train them apart.
#include <memory>

#include "i2i/dist/communicator.hpp"
#ifdef I2I_WITH_NCCL
#include "i2i/dist/nccl_communicator.cuh"
#endif

namespace i2i::dist {

/// The CUDA device of this rank: one GPU per local rank, counted from `first` (--gpu_ids).
inline int rank_device(int first, const communicator& host) {
  return host.world_size() > 1 ? first + host.local_rank() : first;
}

inline std::shared_ptr<communicator> device_world(std::shared_ptr<communicator> host, int device) {
  if (host->world_size() == 1) return host;
#ifdef I2I_WITH_NCCL
  return std::make_shared<nccl_communicator>(std::move(host), device);
#else
  (void)device;
  throw device_error(detail::concat("dist::device_world: ", host->world_size(),
                                    " GPU ranks need NCCL, and this program was built without it (i2i::nccl: "
                                    "nccl.h and libnccl in the CUDA folder or NCCL_ROOT)"));
#endif
}

}  // namespace i2i::dist
