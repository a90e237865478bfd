#pragma once
// A model's inference forward replayed as a CUDA graph (graph.cuh): what an embedder calls per frame.
//
//   model<global_generator, cuda_backend<float, cuda::bf16_mixed>> G("G");
//   G.eval(); G.drop_gradients();
//   cuda::graphed_forward run(G);
//   for (auto& frame : frames) out = run(frame);   // 1st call eager, 2nd captures and replays, then replays
//
// Per input shape: the first call runs eagerly (cuDNN chooses and caches its algorithms, the allocator
// warms up), the second captures the forward on a fixed input buffer and replays it, every later call
// copies the input into that buffer, replays, and returns a copy of the output (the graph's own output
// is overwritten by the next replay). A new shape captures anew. When capture is refused, the reason is
// kept (fallback_reason()) and printed once to stderr, and every call runs eagerly: same results, no
// graph. Parameters are read by address, so weights changed in place (a loaded checkpoint, an optimizer
// step) are seen by the next replay; rebinding a parameter to another tensor is not (call reset()).
#include <cstdio>
#include <string>

#include "i2i/backend/cuda/graph.cuh"
#include "i2i/backend/cuda/memory.cuh"
#include "i2i/core/tensor.hpp"

namespace i2i::cuda {

template <class Model>
class graphed_forward {
 public:
  explicit graphed_forward(const Model& m) : m_(&m) {}

  /// m(x) for a device (or host) input x; the result is a new device tensor.
  tensor<float> operator()(const tensor<float>& x) {
    if (x.shape() != shape_) reset_for(x.shape());
    ++calls_;
    if (!fallback_.empty() || calls_ == 1) return (*m_)(on_device(x));
    if (!graph_.ready()) {
      input_ = device_empty<float>(shape_, current_device());
      copy_async(x, input_);
      if (!graph_.capture([&] { output_ = (*m_)(input_); })) {
        fallback_ = graph_.reason();
        output_ = {};
        std::fprintf(stderr, "i2i: the forward at %s runs without a CUDA graph: %s\n", shape_.str().c_str(),
                     fallback_.c_str());
        return (*m_)(on_device(x));
      }
    } else {
      copy_async(x, input_);
    }
    graph_.replay();
    tensor<float> y = device_empty<float>(output_.shape(), current_device());
    copy_async(output_, y);
    return y;
  }

  /// True once a graph replays the forward for the current shape.
  bool graphed() const noexcept { return graph_.ready(); }
  /// Why the forward runs eagerly ("" while it does not).
  const std::string& fallback_reason() const noexcept { return fallback_; }
  /// Device bytes kept for the graph (its working set; the output copy handed back is not counted).
  std::size_t graph_bytes() const { return graph_.pool_bytes(); }
  /// Drops the graph: the next call runs eagerly and the one after captures again.
  void reset() { reset_for(shape{}); }

 private:
  void reset_for(const shape& s) {
    output_ = {};
    input_ = {};
    graph_.clear();
    shape_ = s;
    calls_ = 0;
    fallback_.clear();
  }
  static tensor<float> on_device(const tensor<float>& x) {
    return x.where().is_cpu() ? to_device(x, current_device()) : x;
  }
  const Model* m_;
  graph graph_;
  tensor<float> input_, output_;
  shape shape_{};
  long long calls_ = 0;
  std::string fallback_;
};

}  // namespace i2i::cuda
