#pragma once
// CUDA graphs: the device work of a callable captured once and replayed with one launch.
//
//   cuda::graph g;
//   if (!g.capture([&] { y = G(x_static); }))       // fn's host code runs once, here
//     log(g.reason());                               // e.g. a host read inside fn: run fn eagerly instead
//   ...write the next input into x_static...
//   g.replay();                                      // the same kernels on the same addresses
//
// Why: a pix2pixHD step is hundreds of small kernels; at small images their launches, not their work,
// bound the step (TorchInductor's CUDA graphs alone took pix2pix from 1.4x to 2.2x, pytorch/pytorch#96191).
//
// What capture needs from fn, and what this class provides:
//   - no host synchronisation inside fn (no device->host read, no cudaMemcpy, no cudaFree): CUDA refuses
//     it, capture() then returns false with CUDA's or the op's message in reason(), and nothing of fn ran
//     on the device (its host side effects did: callers capture only what they can run again);
//   - fixed addresses: fn's allocations come from this graph's private pool (allocator.cuh, "graph
//     pools"), kept until the graph is destroyed, so each replay writes where the capture wrote. Tensors
//     fn leaves behind (its outputs) keep their blocks: read them after replay(), and copy what must
//     survive the next replay;
//   - its own stream: the legacy default stream cannot be captured, so capture and replay run on a
//     stream owned by the graph, ordered after the caller's current stream by an event and before it by
//     another, so to the caller a replay is one more op on its stream;
//   - cuDNN's algorithm search is not capturable: run fn eagerly once first (the algorithm cache then
//     holds its problems), as graphed_forward does.
// The caching allocator in I2I_CUDA_ALLOCATOR=direct mode frees with cudaFree, which capture forbids:
// capture() then returns false saying so.
#include <cuda_runtime.h>

#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "i2i/backend/cuda/allocator.cuh"
#include "i2i/backend/cuda/runtime.cuh"
#include "i2i/backend/cuda/stream.cuh"
#include "i2i/core/error.hpp"

namespace i2i::cuda {

/// An event for ordering two streams (no timing).
class ordering_event {
 public:
  ordering_event() { I2I_CUDA_CHECK(cudaEventCreateWithFlags(&e_, cudaEventDisableTiming)); }
  ~ordering_event() {
    if (e_) (void)cudaEventDestroy(e_);
  }
  ordering_event(const ordering_event&) = delete;
  ordering_event& operator=(const ordering_event&) = delete;
  /// `after` waits for everything queued on `before` so far.
  void order(cudaStream_t before, cudaStream_t after) {
    I2I_CUDA_CHECK(cudaEventRecord(e_, before));
    I2I_CUDA_CHECK(cudaStreamWaitEvent(after, e_, 0));
  }

 private:
  cudaEvent_t e_ = nullptr;
};

class graph {
 public:
  graph() = default;
  ~graph() { clear(); }
  graph(const graph&) = delete;
  graph& operator=(const graph&) = delete;

  /// Captures the device work of fn() on the current device. True when the graph is ready to replay;
  /// false (reason() says why) when CUDA or an op refused the capture, in which case fn's device work
  /// did not run. A graph already captured is replaced.
  template <class F>
  bool capture(F&& fn) {
    clear();
    if (!device_allocator::instance().caching()) {
      reason_ = "I2I_CUDA_ALLOCATOR=direct frees every tensor with cudaFree, which a capture forbids";
      return false;
    }
    dev_ = current_device();
    home_ = current_stream();
    stream_ = std::make_unique<owned_stream>();
    in_ = std::make_unique<ordering_event>();
    out_ = std::make_unique<ordering_event>();
    // Earlier work on the caller's stream first; then its idle free blocks seed this graph's pool.
    I2I_CUDA_CHECK(cudaStreamSynchronize(home_));
    device_allocator::instance().begin_pool(dev_, this, home_);
    pool_open_ = true;
    cudaGraph_t g = nullptr;
    {
      stream_guard on(stream_->get());
      pool_scope pool(this);
      I2I_CUDA_CHECK(cudaStreamBeginCapture(stream_->get(), cudaStreamCaptureModeThreadLocal));
      try {
        fn();
      } catch (const std::exception& e) {
        reason_ = e.what();
      }
      const cudaError_t st = cudaStreamEndCapture(stream_->get(), &g);
      if (reason_.empty() && st != cudaSuccess)
        reason_ = i2i::detail::concat("cudaStreamEndCapture: ", cudaGetErrorName(st), " (", cudaGetErrorString(st),
                                      "): something in the captured code synchronised with the host");
    }
    (void)cudaGetLastError();  // a refused capture leaves its error behind
    if (!reason_.empty()) {
      if (g) (void)cudaGraphDestroy(g);
      device_allocator::instance().retire_pool(dev_, this, home_);
      pool_open_ = false;
      return false;
    }
    graph_ = g;
    const cudaError_t inst = cudaGraphInstantiate(&exec_, graph_, 0);
    if (inst != cudaSuccess) {
      (void)cudaGetLastError();
      reason_ = i2i::detail::concat("cudaGraphInstantiate: ", cudaGetErrorName(inst), " (", cudaGetErrorString(inst), ")");
      exec_ = nullptr;
      return false;
    }
    return true;
  }

  /// Runs the captured work once more, ordered after the work queued on the caller's current stream
  /// and before whatever the caller queues next on it.
  void replay() {
    require<device_error>(ready(), "cuda::graph::replay: nothing captured", reason_.empty() ? "" : " (capture failed: ",
                          reason_, reason_.empty() ? "" : ")");
    require<device_error>(current_device() == dev_, "cuda::graph::replay: captured on device ", dev_,
                          ", replayed with device ", current_device(), " current");
    const cudaStream_t caller = current_stream();
    in_->order(caller, stream_->get());
    I2I_CUDA_CHECK(cudaGraphLaunch(exec_, stream_->get()));
    out_->order(stream_->get(), caller);
  }

  bool ready() const noexcept { return exec_ != nullptr; }
  /// Why the last capture failed ("" after a successful one).
  const std::string& reason() const noexcept { return reason_; }
  /// Device bytes held by this graph's pool (its replay's working set).
  std::size_t pool_bytes() const { return pool_open_ ? device_allocator::instance().pool_bytes(dev_, this) : 0; }

  /// Waits for the last replay, destroys the graph and retires its pool; ready() is false afterwards.
  void clear() noexcept {
    if (stream_) (void)cudaStreamSynchronize(stream_->get());  // the last replay has finished
    if (exec_) (void)cudaGraphExecDestroy(exec_);
    if (graph_) (void)cudaGraphDestroy(graph_);
    exec_ = nullptr;
    graph_ = nullptr;
    if (pool_open_) device_allocator::instance().retire_pool(dev_, this, home_);
    pool_open_ = false;
    reason_.clear();
    (void)cudaGetLastError();
  }

 private:
  int dev_ = 0;
  cudaStream_t home_ = nullptr;
  std::unique_ptr<owned_stream> stream_;
  std::unique_ptr<ordering_event> in_, out_;
  cudaGraph_t graph_ = nullptr;
  cudaGraphExec_t exec_ = nullptr;
  bool pool_open_ = false;
  std::string reason_;
};

}  // namespace i2i::cuda
