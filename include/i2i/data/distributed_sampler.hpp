#pragma once
// The distributed sampler (PyTorch's torch.utils.data.DistributedSampler): every rank shuffles the
// whole data set in the same order (the loader's seed + epoch), the order is padded by repeating its
// head until its length divides the world size (so every rank takes the same number of steps and none
// waits in a collective for a batch that never comes), and rank r takes positions r, r + W, r + 2W...
// With world size 1 the order is returned unchanged: a single-process run sees the batches it always saw.
//
//   auto mine = data::shard(order, world_size, rank);   // this rank's part of an epoch's order
#include <cstddef>
#include <vector>

#include "i2i/core/error.hpp"

namespace i2i::data {

/// Samples per rank for a data set of n: ceil(n / world).
inline std::size_t shard_size(std::size_t n, int world) {
  require<value_error>(world >= 1, "data::shard: world size ", world, " must be >= 1");
  return (n + std::size_t(world) - 1) / std::size_t(world);
}

/// Rank `rank`'s part of `order` (see the header comment).
inline std::vector<std::size_t> shard(const std::vector<std::size_t>& order, int world, int rank) {
  require<value_error>(world >= 1 && rank >= 0 && rank < world, "data::shard: rank ", rank, " of a world of size ",
                       world);
  if (world == 1) return order;
  const std::size_t per = shard_size(order.size(), world);
  std::vector<std::size_t> mine;
  mine.reserve(per);
  if (order.empty()) return mine;
  // Position p of the padded order is order[p % n] (torch repeats the head as often as needed).
  for (std::size_t k = 0; k < per; ++k) mine.push_back(order[(k * std::size_t(world) + std::size_t(rank)) % order.size()]);
  return mine;
}

}  // namespace i2i::data
