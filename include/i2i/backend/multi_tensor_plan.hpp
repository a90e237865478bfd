#pragma once
// How one elementwise update over a list of tensors (the optimizers' B::adam_update_many) is cut into
// kernel launches, as PyTorch's multi_tensor_apply does: every tensor is split into chunks of `chunk`
// elements, each chunk is one thread block, and a launch takes at most `max_tensors` tensors and
// `max_blocks` blocks, so that its table of tensor addresses and its block map fit in the kernel's
// parameters (no upload, nothing to free, and a CUDA graph can capture it). A tensor whose chunks do not
// all fit goes on in the next launch. Backend-neutral and CUDA-free, so that the CPU tests it.
//
//   for (const auto& l : plan_multi_tensor(sizes, 65536, 48, 320))
//     launch l.blocks.size() blocks; block b updates chunk l.blocks[b].chunk of tensor l.tensors[l.blocks[b].slot]
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i {

struct multi_tensor_launch {
  struct block {
    std::uint32_t slot;  ///< index into `tensors`
    std::int64_t chunk;  ///< elements [chunk x chunk_size, (chunk + 1) x chunk_size) of that tensor
  };
  std::vector<std::size_t> tensors;  ///< indices into the list, ascending, at most max_tensors
  std::vector<block> blocks;         ///< at most max_blocks, in list order
};

/// The launches for tensors of `sizes` elements (empty ones are skipped); every element of every tensor
/// lies in exactly one block of one launch.
inline std::vector<multi_tensor_launch> plan_multi_tensor(std::span<const std::int64_t> sizes, std::int64_t chunk,
                                                          std::size_t max_tensors, std::size_t max_blocks) {
  require<value_error>(chunk > 0 && max_tensors > 0 && max_blocks > 0, "plan_multi_tensor: chunk ", chunk,
                       ", max_tensors ", max_tensors, ", max_blocks ", max_blocks, " must be positive");
  std::vector<multi_tensor_launch> launches;
  multi_tensor_launch cur;
  const auto flush = [&] {
    if (!cur.blocks.empty()) launches.push_back(std::move(cur));
    cur = {};
  };
  for (std::size_t t = 0; t < sizes.size(); ++t) {
    require<value_error>(sizes[t] >= 0, "plan_multi_tensor: tensor ", t, " has ", sizes[t], " elements");
    const std::int64_t chunks = (sizes[t] + chunk - 1) / chunk;
    for (std::int64_t c = 0; c < chunks; ++c) {
      if (cur.tensors.empty() || cur.tensors.back() != t) {
        if (cur.tensors.size() == max_tensors) flush();
        cur.tensors.push_back(t);
      }
      cur.blocks.push_back({std::uint32_t(cur.tensors.size() - 1), c});
      if (cur.blocks.size() == max_blocks) flush();
    }
  }
  flush();
  return launches;
}

}  // namespace i2i
