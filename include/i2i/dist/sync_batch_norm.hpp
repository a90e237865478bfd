#pragma once
// dist::sync_batch_norm: PyTorch's SyncBatchNorm for any model. Every batch_norm layer of the model then
// normalises with the statistics of the whole job's batch (the per-channel sum, sum of squares and
// count all-reduced in forward) and its backward all-reduces the two sums batch norm's input gradient
// needs (sum of dy, sum of dy * xhat), so that N ranks with batch b train as one process with batch
// N x b. The parameters' own gradients stay per rank (data_parallel averages them, as DDP does).
//
//   dist::sync_batch_norm(net, dist::world());   // on every rank, before training
//
// The running statistics are then the job's and the same on every rank. Cost: two all-reduces of
// 2 x channels (+1) doubles per batch-norm layer and step, on the host (through MPI; a GPU communicator
// routes host values through its host communicator). Alone (world size 1) it changes nothing.
#include <memory>
#include <span>
#include <utility>

#include "i2i/dist/communicator.hpp"

namespace i2i::dist {

template <class Model>
void sync_batch_norm(Model& m, std::shared_ptr<communicator> comm) {
  if (!comm || comm->world_size() == 1) {
    m.set_batch_norm_group({});
    return;
  }
  m.set_batch_norm_group([comm = std::move(comm)](std::span<double> v) { comm->all_reduce(v, reduce_op::sum); });
}

}  // namespace i2i::dist
