#pragma once
// data_parallel: what PyTorch's DistributedDataParallel does, over a dist::communicator, for any model
// and backend (the communicator picks MPI for host tensors, NCCL for device tensors).
//
//   dist::data_parallel dp(dist::world());
//   dp.broadcast_parameters(G);  dp.broadcast_optimizer(adam_G);    // once, after loading a checkpoint
//   ... backward ...
//   dp.reduce_gradients(adam_G.params());                            // before every optimizer step
//   adam_G.step();
//   if (dp.is_root()) save(...);                                     // checkpoints and logs on rank 0
//
// What it synchronises, and how (research/field_notes.md §3; torch/csrc/distributed/c10d/reducer.cpp):
//  - at start, rank 0's parameters AND buffers (batch norm's running statistics) and optimizer state
//    (moments, step count) are broadcast, so every rank starts from one model whatever it loaded;
//  - gradients are averaged over the ranks (summed, then divided by the world size, as DDP's
//    bucket.div_(world_size)) in buckets of about 25 MB, filled in reverse parameter order (the order
//    backward produces them) and reduced in that fixed order on every rank; a parameter larger than a
//    bucket is a bucket of its own. The reduction runs after the whole backward: the models' backward
//    has no per-layer hook to start a bucket while earlier layers are still being differentiated;
//  - nothing else: batch norm keeps per-rank statistics (DDP's default), the fake-image pool and any
//    other random state are per rank.
// With a single_process communicator every call returns at once: single-process training is unchanged
// bit for bit.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "i2i/dist/communicator.hpp"
#include "i2i/optim/param.hpp"
#include "i2i/train/step_record.hpp"

namespace i2i::dist {

struct data_parallel_options {
  std::size_t bucket_bytes = std::size_t(25) << 20;  ///< DDP's bucket_cap_mb = 25
};

/// Buckets of a parameter list, as indices into it: reverse order, each bucket at most `cap` bytes
/// unless one parameter alone is larger (then it is alone). Every rank computes the same plan from the
/// same list, which is what keeps their collectives in step.
inline std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<std::size_t>& bytes, std::size_t cap) {
  std::vector<std::vector<std::size_t>> buckets;
  std::size_t filled = 0;
  for (std::size_t k = bytes.size(); k-- > 0;) {
    if (buckets.empty() || (filled > 0 && filled + bytes[k] > cap)) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(k);
    filled += bytes[k];
  }
  return buckets;
}

class data_parallel {
 public:
  explicit data_parallel(std::shared_ptr<communicator> comm, data_parallel_options o = {})
      : comm_(std::move(comm)), opt_(o) {
    require<value_error>(comm_ != nullptr, "dist::data_parallel: no communicator");
    require<value_error>(opt_.bucket_bytes > 0, "dist::data_parallel: bucket_bytes must be > 0");
  }

  communicator& comm() const { return *comm_; }
  const std::shared_ptr<communicator>& shared_comm() const { return comm_; }
  int world_size() const { return comm_->world_size(); }
  int rank() const { return comm_->rank(); }
  bool is_root() const { return comm_->is_root(); }
  /// Alone (world size 1) every call below is a no-op.
  bool active() const { return comm_->world_size() > 1; }
  const data_parallel_options& options() const { return opt_; }
  /// Gradient buckets reduced so far (tests and the docs' measurements count them).
  std::int64_t buckets_reduced() const { return buckets_reduced_; }

  /// Every parameter and buffer of `m` (model::all_parameters) takes rank 0's value.
  template <class Model>
  void broadcast_parameters(const Model& m) {
    if (!active()) return;
    std::vector<tensor<typename Model::T>> values;
    for (const auto& p : m.all_parameters()) values.push_back(p->value);
    in_buckets(values, [&](const auto& part) { comm_->broadcast(part, 0); });
  }

  /// The values of an optimizer's parameters (its trainable weights) take rank 0's.
  template <class T>
  void broadcast_values(const std::vector<optim::param_ref<T>>& params) {
    if (!active()) return;
    std::vector<tensor<T>> values;
    for (const auto& p : params) values.push_back(p.value);
    in_buckets(values, [&](const auto& part) { comm_->broadcast(part, 0); });
  }

  /// The optimizer's state (Adam's moments, SGD's momentum buffers) and its step count take rank 0's.
  template <class Optimizer>
  void broadcast_optimizer(Optimizer& o) {
    if (!active()) return;
    using T = typename Optimizer::T;
    std::vector<tensor<T>> state;
    if constexpr (requires { o.moments(); }) {
      for (const auto& s : o.moments()) {
        state.push_back(s.m);
        state.push_back(s.v);
      }
    } else if constexpr (requires { o.momentum_buffers(); }) {
      for (const auto& b : o.momentum_buffers()) state.push_back(b);
    }
    in_buckets(state, [&](const auto& part) { comm_->broadcast(part, 0); });
    double steps = double(o.steps());
    comm_->broadcast(std::span<double>(&steps, 1), 0);
    o.set_steps(std::int64_t(steps));
  }

  /// Averages the gradients of `params` over the ranks, bucket by bucket (see the header comment).
  template <class T>
  void reduce_gradients(const std::vector<optim::param_ref<T>>& params) {
    if (!active()) return;
    std::vector<tensor<T>> grads;
    grads.reserve(params.size());
    for (const auto& p : params) grads.push_back(p.grad);
    in_buckets(grads, [&](const auto& part) {
      comm_->all_reduce(part, reduce_op::average);
      ++buckets_reduced_;
    });
  }

  /// After a model's backward: averages the gradients of its trainable, unfrozen parameters.
  template <class Model>
  void after_backward(const Model& m) {
    reduce_gradients(m.parameters());
  }

  /// The losses averaged over the ranks (what one process with the whole batch would report, since the
  /// losses are means over the batch and every rank has as many samples). Alone: `r` itself.
  train::step_record average(const train::step_record& r) const {
    if (!active()) return r;
    std::vector<double> v;
    for (const auto& [k, x] : r.items()) v.push_back(x);
    comm_->all_reduce(std::span<double>(v), reduce_op::average);
    train::step_record out;
    std::size_t i = 0;
    for (const auto& [k, x] : r.items()) out.set(k, v[i++]);
    return out;
  }

 private:
  /// Calls f with each bucket of `ts` (plan_buckets), in the plan's order.
  template <class T, class F>
  void in_buckets(const std::vector<tensor<T>>& ts, F&& f) const {
    std::vector<std::size_t> bytes;
    bytes.reserve(ts.size());
    for (const auto& t : ts) bytes.push_back(std::size_t(t.numel()) * sizeof(T));
    for (const auto& b : plan_buckets(bytes, opt_.bucket_bytes)) {
      std::vector<tensor<T>> part;
      part.reserve(b.size());
      for (std::size_t k : b) part.push_back(ts[k]);
      f(part);
    }
  }

  std::shared_ptr<communicator> comm_;
  data_parallel_options opt_;
  std::int64_t buckets_reduced_ = 0;
};

/// A seed for randomness that is not keyed by sample (a rank's own noise, its image pool): rank 0 keeps
/// `seed`, so a single-process run is unchanged, and the other ranks get distinct streams. (The data
/// loader's crops and flips are keyed by (seed, epoch, sample index) and need no rank seed.)
inline std::uint64_t rank_seed(std::uint64_t seed, int rank) {
  return rank == 0 ? seed : seed ^ (0x9E3779B97F4A7C15ull * std::uint64_t(rank));
}

}  // namespace i2i::dist
