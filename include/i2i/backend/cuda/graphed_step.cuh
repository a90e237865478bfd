#pragma once
// A whole training step (train::gan_step: G and D passes, losses, both backward passes, both Adam
// updates) captured once as a CUDA graph (graph.cuh) and replayed every iteration.
//
//   train::gan_step step(G, D, {}, loss::l1_term{.weight = 100});   // G, D on cuda_backend
//   cuda::graphed_step run(step);
//   for (...) { auto rec = run.step(input, real); }                 // rec as step.step(input, real) gives
//
// Per input shape: the first `eager_steps` calls run the step as it is (cuDNN chooses its algorithms,
// the allocator warms up); the next captures it on fixed input buffers and replays it; later calls copy
// the batch in, write the optimizers' scalars for the step and replay. A new shape captures anew. What
// makes the step capturable, and where it lives:
//   - no host read inside: the losses run inside a loss::defer_loss_values scope (values stay on the
//     device, loss/loss_types.hpp), the step keeps their device parts (gan_step::pending_values) and this
//     class reads them all after the replay;
//   - the per-step optimizer scalars (Adam's bias corrections, the learning rate) change between replays:
//     both optimizers use live scalars (optim/adam.hpp), written before each replay;
//   - a non-finite loss: the losses raise a device flag that makes both Adam updates do nothing, and this
//     class then throws the loss's value_error naming it, as the eager step does, with the weights as they
//     were before the step (the flag is cleared at the start of every replay);
//   - the step's host decisions: gan_step::capture_refusal() (a fake-image pool, data-parallel hooks);
//     with one, or when CUDA refuses the capture, the step runs eagerly from then on and
//     fallback_reason() says why (printed once to stderr).
// Weights and optimizer moments are read and written in place, so checkpoints saved and loaded between
// steps work as usual. An optimizer replaced between steps (gan_step::set_generator_optimizer, as
// pix2pixHD's niter_fix_global does) is noticed (its live scalars are off) and the step is captured
// again; rebinding parameters to other tensors is not: call reset() after it.
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "i2i/backend/cuda/backend.cuh"
#include "i2i/backend/cuda/graph.cuh"
#include "i2i/loss/loss_types.hpp"
#include "i2i/train/step_record.hpp"

namespace i2i::cuda {

template <class Step>
class graphed_step {
 public:
  using T = typename Step::T;
  using backend = typename Step::backend;
  static_assert(std::is_same_v<T, float>, "cuda::graphed_step: the step must run on cuda_backend (float storage)");

  explicit graphed_step(Step& s, int eager_steps = 1) : s_(&s), eager_steps_(eager_steps) {
    require<value_error>(eager_steps >= 1, "cuda::graphed_step: eager_steps is ", eager_steps,
                         "; at least one eager step must choose the convolution algorithms before a capture");
  }
  ~graphed_step() { leave_live_scalars(); }
  graphed_step(const graphed_step&) = delete;
  graphed_step& operator=(const graphed_step&) = delete;

  /// One training step on (input, real), as Step::step(input, real).
  train::step_record step(const tensor<T>& input, const tensor<T>& real) { return run(input, real, nullptr); }
  /// The same with D's condition passed (Step::step(input, real, condition): pix2pixHD's trainer).
  train::step_record step(const tensor<T>& input, const tensor<T>& real, const tensor<T>& condition) {
    return run(input, real, &condition);
  }

  /// True once a graph replays the step for the current shapes.
  bool graphed() const noexcept { return graph_.ready(); }
  /// Why the step runs eagerly ("" while it does not).
  const std::string& fallback_reason() const noexcept { return fallback_; }
  /// Device bytes kept for the graph (the step's working set).
  std::size_t graph_bytes() const { return graph_.pool_bytes(); }
  /// Drops the graph: the next call runs eagerly and a later one captures again.
  void reset() { reset_for(shape{}, shape{}, shape{}); }

 private:
  train::step_record eager(const tensor<T>& input, const tensor<T>& real, const tensor<T>* condition) {
    return condition ? s_->step(input, real, *condition) : s_->step(input, real);
  }

  train::step_record run(const tensor<T>& input, const tensor<T>& real, const tensor<T>* condition) {
    const shape cs = condition ? condition->shape() : shape{};
    if (input.shape() != input_shape_ || real.shape() != real_shape_ || cs != condition_shape_)
      reset_for(input.shape(), real.shape(), cs);
    // An optimizer replaced since the capture (pix2pixHD's niter_fix_global builds a new one) is not the
    // one the graph updates: capture again, after one eager step.
    if (graph_.ready() && !(s_->generator_optimizer().live_scalars() && s_->discriminator_optimizer().live_scalars()))
      reset_for(input_shape_, real_shape_, condition_shape_);
    ++calls_;
    if (!fallback_.empty() || calls_ <= eager_steps_) return eager(input, real, condition);
    if (!graph_.ready()) {
      if (!capture(input, real, condition)) return eager(input, real, condition);
    } else {
      copy_async(input, input_);
      copy_async(real, real_);
      if (condition) copy_async(*condition, condition_);
      s_->generator_optimizer().prepare_step();
      s_->discriminator_optimizer().prepare_step();
    }
    graph_.replay();
    return read_record();
  }

  bool capture(const tensor<T>& input, const tensor<T>& real, const tensor<T>* condition) {
    if (std::string why = s_->capture_refusal(); !why.empty()) return fall_back(std::move(why));
    input_ = device_empty<T>(input.shape(), current_device());
    real_ = device_empty<T>(real.shape(), current_device());
    condition_ = condition ? device_empty<T>(condition->shape(), current_device()) : tensor<T>{};
    flag_ = device_zeros<T>(shape{1}, current_device());
    copy_async(input, input_);
    copy_async(real, real_);
    if (condition) copy_async(*condition, condition_);
    auto& ga = s_->generator_optimizer();
    auto& da = s_->discriminator_optimizer();
    ga.use_live_scalars(flag_);
    da.use_live_scalars(flag_);
    live_ = true;
    ga.prepare_step();  // this step's scalars, and the live tensors the captured updates will read
    da.prepare_step();
    const bool ok = graph_.capture([&] {
      backend::fill_zero(flag_);  // every replay starts with the flag down
      loss::defer_loss_values<T> defer(flag_);
      host_record_ = condition ? s_->step(input_, real_, condition_) : s_->step(input_, real_);
      pending_ = s_->pending_values();
    });
    if (ok) return true;
    // Nothing of the step ran on the device: undo the step count prepare_step advanced.
    ga.set_steps(ga.steps() - 1);
    da.set_steps(da.steps() - 1);
    return fall_back(graph_.reason());
  }

  bool fall_back(std::string why) {
    leave_live_scalars();
    fallback_ = std::move(why);
    input_ = real_ = condition_ = flag_ = {};
    pending_.clear();
    std::fprintf(stderr, "i2i: the training step at %s runs without a CUDA graph: %s\n", input_shape_.str().c_str(),
                 fallback_.c_str());
    return false;
  }

  /// The record of the replayed step: its host parts (fixed at capture) plus the device parts read now.
  train::step_record read_record() {
    train::step_record rec = host_record_;
    std::string bad;
    for (const auto& [name, t] : pending_) {
      const double v = rec[name] + double(backend::to_host(t)[0]);
      rec.set(name, v);
      if (!std::isfinite(v) && bad.empty()) bad = i2i::detail::concat(name, " is ", v);
    }
    if (backend::to_host(flag_)[0] != 0 || !bad.empty())
      throw value_error(i2i::detail::concat(
          "the loss term ", bad.empty() ? std::string("(a part of one)") : bad,
          ": an input holds NaN or Inf, or the values overflowed (check the learning rate and the inputs); this "
          "step's optimizer updates were skipped"));
    return rec;
  }

  void leave_live_scalars() noexcept {
    if (!live_) return;
    s_->generator_optimizer().use_host_scalars();
    s_->discriminator_optimizer().use_host_scalars();
    live_ = false;
  }

  void reset_for(shape in, shape re, shape cs) {
    pending_.clear();
    host_record_ = {};
    graph_.clear();
    leave_live_scalars();
    input_ = real_ = condition_ = flag_ = {};
    input_shape_ = std::move(in);
    real_shape_ = std::move(re);
    condition_shape_ = std::move(cs);
    calls_ = 0;
    fallback_.clear();
  }

  Step* s_;
  int eager_steps_;
  graph graph_;
  tensor<T> input_, real_, condition_, flag_;
  shape input_shape_{}, real_shape_{}, condition_shape_{};
  long long calls_ = 0;
  bool live_ = false;
  train::step_record host_record_;
  std::vector<std::pair<std::string, tensor<T>>> pending_;
  std::string fallback_;
};

}  // namespace i2i::cuda
