#pragma once
// dist::communicator: the collectives data-parallel training needs (broadcast, all-reduce sum/average,
// barrier) over the tensors of one backend, with the job's shape (world size, rank, local rank).
//
//   auto comm = dist::world();                       // dist/launch.hpp: MPI under mpirun, else one process
//   comm->all_reduce(std::vector{g1, g2}, dist::reduce_op::average);   // one collective for both
//   comm->broadcast(std::vector{w}, 0);
//
// Implementations: single_process (world size 1; every call returns at once, so trainers run unchanged
// without mpirun), mpi_communicator (host tensors, dist/mpi_communicator.hpp) and nccl_communicator
// (device tensors, dist/nccl_communicator.cuh, nvcc TUs only). This header is backend-neutral: it names
// neither MPI nor NCCL nor a backend, so trainers can hold a communicator without including either.
//
// A call with several tensors is ONE collective: the implementation packs them (MPI) or groups them
// (NCCL), which is how data_parallel reduces a ~25 MB bucket of gradients in one go. Every rank must make
// the same calls with the same shapes in the same order (as with MPI and NCCL themselves).
//
// start_all_reduce begins an all-reduce and returns at once with a pending_collective; its wait() ends
// it (with the same watchdog deadline as the blocking calls). data_parallel overlaps gradient buckets
// with backward this way. The blocking all_reduce is start + wait, so both give the same numbers.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "i2i/core/device.hpp"
#include "i2i/core/dtype.hpp"
#include "i2i/core/error.hpp"
#include "i2i/core/tensor.hpp"

namespace i2i::dist {

/// A collective failed or timed out, or a rank of the job failed; the message names the rank.
class dist_error : public error {
 public:
  using error::error;
};

enum class reduce_op { sum, average };

/// A collective that was started and not yet waited for (communicator::start_all_reduce). Its buffers
/// must stay allocated and untouched until wait() has returned; every started collective must be waited
/// for, on every rank, in the order they were started.
class pending_collective {
 public:
  virtual ~pending_collective() = default;
  /// Lets the communicator advance it without blocking (MPI moves a non-blocking collective on only
  /// inside MPI calls); true once it is done. wait() is still required.
  virtual bool progress() { return true; }
  /// Blocks until it is done (or ends the job at the watchdog's deadline); the result is then in the
  /// buffers (for NCCL: ordered before everything the compute stream runs next).
  virtual void wait() = 0;
};

/// What a communicator without a non-blocking path returns: the collective ran before start returned.
class completed_collective final : public pending_collective {
 public:
  void wait() override {}
};

/// The watchdog's deadline for one collective, in seconds: I2I_DIST_TIMEOUT, default 300. Past it, a
/// rank that still waits for the others ends the job (a peer has stalled or died).
inline double collective_timeout_seconds() {
  if (const char* s = std::getenv("I2I_DIST_TIMEOUT")) {
    char* end = nullptr;
    const double v = std::strtod(s, &end);
    if (end != s && v > 0) return v;
  }
  return 300.0;
}

/// One contiguous buffer of a collective: `count` elements at `data` (host or device memory).
struct buffer {
  void* data;
  std::size_t count;
};

class communicator {
 public:
  virtual ~communicator() = default;

  virtual int world_size() const = 0;
  virtual int rank() const = 0;
  /// The rank among the processes of this machine: the GPU a rank drives is its local rank.
  virtual int local_rank() const = 0;
  /// "mpi", "nccl" or "single process": for the set-up line a program prints.
  virtual std::string name() const = 0;
  /// Where the tensors this communicator reduces must live (cpu for MPI, cuda for NCCL).
  virtual bool accepts(const device& d) const = 0;

  /// Blocks until every rank has called it.
  virtual void barrier() = 0;
  /// Every buffer takes root's values (one collective).
  virtual void broadcast_buffers(std::span<const buffer> bufs, dtype type, int root) = 0;
  /// Every buffer becomes the element-wise sum (or average) over the ranks (one collective).
  virtual void all_reduce_buffers(std::span<const buffer> bufs, dtype type, reduce_op op) = 0;
  /// Starts the all-reduce of all_reduce_buffers and returns before it is done (see pending_collective).
  /// The default runs the blocking call.
  virtual std::unique_ptr<pending_collective> start_all_reduce_buffers(std::span<const buffer> bufs, dtype type,
                                                                       reduce_op op) {
    all_reduce_buffers(bufs, type, op);
    return std::make_unique<completed_collective>();
  }
  /// Ends the whole job (every rank) after printing `why` with this rank's number: the failure path of
  /// a rank that cannot go on, so that the others do not wait for it forever.
  [[noreturn]] virtual void abort(const std::string& why, int code = 1) = 0;

  bool is_root() const { return rank() == 0; }

  // ---- tensors --------------------------------------------------------------------------------------
  template <class T>
  void all_reduce(const std::vector<tensor<T>>& ts, reduce_op op = reduce_op::sum) {
    const auto bufs = buffers_of(ts, "all_reduce");
    all_reduce_buffers(bufs, dtype_of_v<T>, op);
  }
  template <class T>
  std::unique_ptr<pending_collective> start_all_reduce(const std::vector<tensor<T>>& ts, reduce_op op = reduce_op::sum) {
    const auto bufs = buffers_of(ts, "all_reduce");
    return start_all_reduce_buffers(bufs, dtype_of_v<T>, op);
  }
  template <class T>
  void all_reduce(const tensor<T>& t, reduce_op op = reduce_op::sum) {
    all_reduce(std::vector<tensor<T>>{t}, op);
  }
  template <class T>
  void broadcast(const std::vector<tensor<T>>& ts, int root = 0) {
    const auto bufs = buffers_of(ts, "broadcast");
    broadcast_buffers(bufs, dtype_of_v<T>, root);
  }
  template <class T>
  void broadcast(const tensor<T>& t, int root = 0) {
    broadcast(std::vector<tensor<T>>{t}, root);
  }
  /// Host scalars (loss values, a step counter) reduced in place.
  void all_reduce(std::span<double> values, reduce_op op = reduce_op::sum) {
    const buffer b{values.data(), values.size()};
    if (world_size() > 1 && !values.empty()) all_reduce_host(std::span<const buffer>(&b, 1), dtype::f64, op);
  }
  void broadcast(std::span<double> values, int root = 0) {
    const buffer b{values.data(), values.size()};
    if (world_size() > 1 && !values.empty()) broadcast_host(std::span<const buffer>(&b, 1), dtype::f64, root);
  }

 protected:
  /// Host-memory collectives of small control values (a GPU communicator routes them through MPI).
  virtual void all_reduce_host(std::span<const buffer> bufs, dtype type, reduce_op op) { all_reduce_buffers(bufs, type, op); }
  virtual void broadcast_host(std::span<const buffer> bufs, dtype type, int root) { broadcast_buffers(bufs, type, root); }

 public:
  /// The buffers of tensors this communicator can reduce (undefined tensors and foreign devices are
  /// errors; empty tensors are left out).
  template <class T>
  std::vector<buffer> buffers_of(const std::vector<tensor<T>>& ts, const char* op) const {
    std::vector<buffer> bufs;
    bufs.reserve(ts.size());
    for (const auto& t : ts) {
      require<dist_error>(t.defined(), "dist::", name(), "::", op, ": an undefined tensor");
      require<device_error>(accepts(t.where()), "dist::", name(), "::", op, ": a tensor of shape ", t.shape(),
                            " lives on ", t.where(), ", which this communicator does not reduce (MPI takes host "
                            "tensors, NCCL device tensors: pick the communicator of the trainer's backend)");
      if (t.numel() > 0) bufs.push_back({t.data(), std::size_t(t.numel())});
    }
    return bufs;
  }
};

/// World size 1: every collective is the identity and returns at once (no MPI, no NCCL).
class single_process final : public communicator {
 public:
  int world_size() const override { return 1; }
  int rank() const override { return 0; }
  int local_rank() const override { return 0; }
  std::string name() const override { return "single process"; }
  bool accepts(const device&) const override { return true; }
  void barrier() override {}
  void broadcast_buffers(std::span<const buffer>, dtype, int root) override {
    require<dist_error>(root == 0, "dist::single_process::broadcast: root ", root, " of a world of size 1");
  }
  void all_reduce_buffers(std::span<const buffer>, dtype, reduce_op) override {}
  [[noreturn]] void abort(const std::string& why, int code = 1) override { throw dist_error(why); }
};

}  // namespace i2i::dist
