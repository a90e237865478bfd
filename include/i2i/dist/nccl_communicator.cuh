#pragma once
// nccl_communicator: dist::communicator over NCCL for device tensors (nvcc TUs only; target i2i::nccl).
// The bootstrap is llm.c's and PyTorch's: rank 0 calls ncclGetUniqueId, the id travels to every rank
// through the host communicator (MPI under mpirun), and each rank calls ncclCommInitRank on the GPU of
// its local rank. Host-side calls (barrier, loss averaging) go through the host communicator.
//
//   auto comm = std::make_shared<i2i::dist::nccl_communicator>(i2i::dist::world(), device);
// (programs use dist::device_world, dist/device_world.cuh, which needs no NCCL when they run alone).
//
// Streams: each collective waits for the current (compute) stream through an event, runs on the
// communicator's own stream (ncclGroupStart/End around its buffers: one fused launch per bucket,
// ncclAvg for the average), and the compute stream waits for it in turn, so the optimizer step that
// follows sees the reduced gradients without a host synchronisation in between.
// start_all_reduce_buffers does the first half (the wait for the compute stream's work so far, the
// grouped launch on the communicator's stream, an event of its own recorded after it) and returns; its
// wait() makes the then-current compute stream wait for that event and watches it with the deadline.
// data_parallel calls it from the backward hook, so a bucket's reduction runs on the communicator's
// stream while the compute stream goes on with the layers before it.
//
// Failure: the host waits for each collective with a deadline (I2I_DIST_TIMEOUT seconds, default 300),
// polling ncclCommGetAsyncError; on an asynchronous error or at the deadline it calls ncclCommAbort
// (which frees the GPU and unblocks NCCL's kernels) and ends the job through the host communicator's
// abort, naming this rank and the collective.
#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "i2i/backend/cuda/runtime.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/dist/communicator.hpp"

namespace i2i::dist {

namespace nccl_detail {

inline ncclDataType_t datatype_of(dtype t) {
  switch (t) {
    case dtype::f32: return ncclFloat32;
    case dtype::f64: return ncclFloat64;
    case dtype::f16: return ncclFloat16;
    case dtype::bf16: return ncclBfloat16;
  }
  return ncclFloat32;
}

}  // namespace nccl_detail

class nccl_communicator : public communicator {
 public:
  /// Joins the job of `host` on CUDA device `device` (every rank calls it; rank 0 makes the id).
  nccl_communicator(std::shared_ptr<communicator> host, int device)
      : host_(std::move(host)), device_(device), timeout_(collective_timeout_seconds()) {
    require<value_error>(host_ != nullptr, "dist::nccl: no host communicator to exchange the NCCL id through");
    cuda::set_device(device_);
    I2I_CUDA_CHECK(cudaSetDevice(device_));
    ncclUniqueId id{};
    if (host_->rank() == 0) check(ncclGetUniqueId(&id), "ncclGetUniqueId");
    // The id is 128 opaque bytes: sent as doubles through the host communicator's broadcast.
    static_assert(sizeof(ncclUniqueId) % sizeof(double) == 0, "ncclUniqueId is a whole number of doubles");
    std::vector<double> words(sizeof(ncclUniqueId) / sizeof(double));
    std::memcpy(words.data(), &id, sizeof id);
    host_->broadcast(std::span<double>(words), 0);
    std::memcpy(&id, words.data(), sizeof id);
    // Non-blocking init: a missing peer is caught by the deadline instead of hanging in init.
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    check(ncclCommInitRankConfig(&comm_, host_->world_size(), id, host_->rank(), &config), "ncclCommInitRank");
    wait_ready("ncclCommInitRank");
    I2I_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    I2I_CUDA_CHECK(cudaEventCreateWithFlags(&inputs_ready_, cudaEventDisableTiming));
    I2I_CUDA_CHECK(cudaEventCreateWithFlags(&done_, cudaEventDisableTiming));
  }
  ~nccl_communicator() override {
    if (done_) cudaEventDestroy(done_);
    if (inputs_ready_) cudaEventDestroy(inputs_ready_);
    if (stream_) cudaStreamDestroy(stream_);
    if (comm_) ncclCommDestroy(comm_);
  }
  nccl_communicator(const nccl_communicator&) = delete;
  nccl_communicator& operator=(const nccl_communicator&) = delete;

  int world_size() const override { return host_->world_size(); }
  int rank() const override { return host_->rank(); }
  int local_rank() const override { return host_->local_rank(); }
  std::string name() const override { return "nccl"; }
  bool accepts(const device& d) const override { return !d.is_cpu(); }
  int device_index() const { return device_; }
  cudaStream_t stream() const { return stream_; }
  communicator& host() const { return *host_; }

  void barrier() override { host_->barrier(); }

  void broadcast_buffers(std::span<const buffer> bufs, dtype type, int root) override {
    if (bufs.empty()) return;
    run("broadcast", [&] {
      for (const auto& b : bufs)
        check(ncclBroadcast(b.data, b.data, b.count, nccl_detail::datatype_of(type), root, comm_, stream_), "ncclBroadcast");
    });
  }

  void all_reduce_buffers(std::span<const buffer> bufs, dtype type, reduce_op op) override {
    if (bufs.empty()) return;
    run("all_reduce", [&] { enqueue_all_reduce(bufs, type, op); });
  }

  std::unique_ptr<pending_collective> start_all_reduce_buffers(std::span<const buffer> bufs, dtype type,
                                                               reduce_op op) override {
    if (bufs.empty()) return std::make_unique<completed_collective>();
    auto p = std::make_unique<pending_all_reduce>(*this);
    launch("all_reduce", [&] { enqueue_all_reduce(bufs, type, op); });
    I2I_CUDA_CHECK(cudaEventRecord(p->done, stream_));
    return p;
  }

  [[noreturn]] void abort(const std::string& why, int code = 1) override {
    if (comm_) ncclCommAbort(comm_);
    comm_ = nullptr;
    host_->abort(why, code);
    throw dist_error(why);  // not reached: the host's abort ends the job or throws
  }

 protected:
  void all_reduce_host(std::span<const buffer> bufs, dtype type, reduce_op op) override {
    host_->all_reduce_buffers(bufs, type, op);
  }
  void broadcast_host(std::span<const buffer> bufs, dtype type, int root) override {
    host_->broadcast_buffers(bufs, type, root);
  }

 private:
  /// A started all-reduce: the event recorded on the communicator's stream after it.
  class pending_all_reduce final : public pending_collective {
   public:
    explicit pending_all_reduce(nccl_communicator& c) : comm_(c) {
      I2I_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
    }
    ~pending_all_reduce() override {
      if (!finished_) {  // abandoned by an exception: later work on the compute stream still needs it
        try {
          wait();
        } catch (const std::exception& e) {
          comm_.abort(e.what());
        }
      }
      cudaEventDestroy(done);
    }
    bool progress() override { return cudaEventQuery(done) == cudaSuccess; }
    void wait() override {
      if (finished_) return;
      finished_ = true;
      I2I_CUDA_CHECK(cudaStreamWaitEvent(cuda::current_stream(), done, 0));
      comm_.wait_done("all_reduce", done);
      ++comm_.completed_;
    }
    cudaEvent_t done = nullptr;

   private:
    nccl_communicator& comm_;
    bool finished_ = false;
  };

  void enqueue_all_reduce(std::span<const buffer> bufs, dtype type, reduce_op op) {
    const ncclRedOp_t nop = op == reduce_op::average ? ncclAvg : ncclSum;
    for (const auto& b : bufs)
      check(ncclAllReduce(b.data, b.data, b.count, nccl_detail::datatype_of(type), nop, comm_, stream_), "ncclAllReduce");
  }

  void check(ncclResult_t r, const char* call) {
    if (r == ncclSuccess || r == ncclInProgress) return;
    const std::string why = detail::concat("dist::nccl: rank ", rank(), " of ", world_size(), ": ", call, " failed: ",
                                           ncclGetErrorString(r), " (", ncclGetLastError(comm_), ")");
    if (world_size() > 1) abort(why);
    throw dist_error(why);
  }

  /// The stream dance of the header comment around one grouped collective, then the watchdog wait.
  template <class Enqueue>
  void run(const char* what, Enqueue&& enqueue) {
    launch(what, std::forward<Enqueue>(enqueue));
    I2I_CUDA_CHECK(cudaEventRecord(done_, stream_));
    I2I_CUDA_CHECK(cudaStreamWaitEvent(cuda::current_stream(), done_, 0));
    wait_done(what, done_);
    ++completed_;
  }

  /// The communicator's stream waits for the compute stream's work so far, then runs one grouped
  /// collective.
  template <class Enqueue>
  void launch(const char* what, Enqueue&& enqueue) {
    I2I_CUDA_CHECK(cudaEventRecord(inputs_ready_, cuda::current_stream()));
    I2I_CUDA_CHECK(cudaStreamWaitEvent(stream_, inputs_ready_, 0));
    check(ncclGroupStart(), "ncclGroupStart");
    enqueue();
    check(ncclGroupEnd(), "ncclGroupEnd");
    wait_ready(what);
  }

  /// Non-blocking communicators return ncclInProgress until the operation is enqueued.
  void wait_ready(const char* what) {
    watch(what, [&] {
      ncclResult_t state = ncclSuccess;
      check(ncclCommGetAsyncError(comm_, &state), "ncclCommGetAsyncError");
      if (state == ncclInProgress) return false;
      check(state, what);
      return true;
    });
  }

  /// Polls the collective's completion event and NCCL's asynchronous error until the deadline.
  void wait_done(const char* what, cudaEvent_t done) {
    watch(what, [&] {
      ncclResult_t state = ncclSuccess;
      check(ncclCommGetAsyncError(comm_, &state), "ncclCommGetAsyncError");
      if (state != ncclSuccess && state != ncclInProgress) check(state, what);
      const cudaError_t q = cudaEventQuery(done);
      if (q == cudaErrorNotReady) return false;
      I2I_CUDA_CHECK(q);
      return true;
    });
  }

  template <class Done>
  void watch(const char* what, Done&& done) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout_));
    for (std::uint64_t spins = 0; !done(); ++spins) {
      if (clock::now() > deadline)
        abort(detail::concat("dist::nccl: ", what, " #", completed_ + 1, " waited more than ", timeout_,
                             " s for the other ranks (I2I_DIST_TIMEOUT): a rank has stalled or died after ", completed_,
                             " collectives"));
      if (spins > 1000) std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  }

  std::shared_ptr<communicator> host_;
  int device_;
  double timeout_;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t inputs_ready_ = nullptr, done_ = nullptr;
  std::int64_t completed_ = 0;
};

}  // namespace i2i::dist
