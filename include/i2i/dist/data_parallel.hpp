#pragma once
// data_parallel: what PyTorch's DistributedDataParallel does, over a dist::communicator, for any model
// and backend (the communicator picks MPI for host tensors, NCCL for device tensors).
//
//   dist::data_parallel dp(dist::world());
//   dp.broadcast_parameters(G);  dp.broadcast_optimizer(adam_G);    // once, after loading a checkpoint
//   dp.watch(G);                                                     // once: G's backward signals buckets
//   dp.expect(adam_G.params());                                      // right before the last backward
//   ... backward ...                                                 //   (buckets start as they fill)
//   (or dp.expect_step(adam_G.params()) before the FIRST of several backward calls that add to them)
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
//    bucket is a bucket of its own;
//  - overlapped with backward (watch + expect): the model's gradients-ready hook (model.hpp) reports the
//    parameters each layer's backward has finished; a bucket's all-reduce starts (non-blocking) once all
//    of its gradients are in AND every bucket before it in the plan has started, so every rank starts
//    the same collectives in the same order whatever order its layers report in (DDP's rule too).
//    reduce_gradients then starts what is left and waits for all, before the optimizer step. A step of
//    many backward calls through many models (EGSC-IT's: encoders, shared blocks and generators reached
//    from several losses) announces its list with expect_step before the first call instead: its first
//    step counts how many calls reach each gradient, and from the second step on a gradient is final
//    at the first report of its last call, as DDP's static_graph counts each parameter's hook firings
//    (a step reached by more calls than the first is refused, as DDP refuses a variable marked ready
//    twice, since its bucket may already be averaged). Without
//    expect() (a model with no hook, overlap_with_backward = false), reduce_gradients reduces the same
//    buckets after backward. Both paths make the same collectives over the same bytes, so the averaged
//    gradients are the same bit for bit (tests/dist: dist_collectives, dist_ddp_equivalence);
//  - bucket order: the first overlapped step of a parameter list plans its buckets in reverse parameter
//    order; at its end the buckets are rebuilt in the order that step's backward finished the gradients
//    (rank 0's order, broadcast, so that every rank keeps one plan), as DDP rebuilds its buckets after
//    the first iteration. Where the two orders differ (a parameter used only by a later call, as
//    pix2pixHD's feature encoder E after G's backward) the first plan would make a bucket wait for its
//    slowest gradient and every bucket after it wait too; the rebuilt one starts each bucket as soon as
//    backward has filled it. Several lists (G's and D's optimizers) keep a plan each;
//  - nothing else: batch norm keeps per-rank statistics (DDP's default; dist::sync_batch_norm makes
//    them the job's), the fake-image pool and any other random state are per rank.
// With a single_process communicator every call returns at once: single-process training is unchanged
// bit for bit.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "i2i/dist/communicator.hpp"
#include "i2i/optim/param.hpp"
#include "i2i/train/step_record.hpp"

namespace i2i::dist {

struct data_parallel_options {
  std::size_t bucket_bytes = std::size_t(25) << 20;  ///< DDP's bucket_cap_mb = 25
  /// Start each bucket's all-reduce during backward (watch + expect); false: all after backward.
  bool overlap_with_backward = true;
};

/// Buckets of a parameter list, as indices into it, taking the parameters in `order` (a permutation of
/// 0..n-1): each bucket at most `cap` bytes unless one parameter alone is larger (then it is alone).
/// Every rank computes the same plan from the same list and order, which keeps their collectives in step.
inline std::vector<std::vector<std::size_t>> plan_buckets_in_order(const std::vector<std::size_t>& order,
                                                                  const std::vector<std::size_t>& bytes,
                                                                  std::size_t cap) {
  require<value_error>(order.size() == bytes.size(), "dist::plan_buckets_in_order: ", order.size(),
                       " positions for ", bytes.size(), " parameters");
  std::vector<char> seen(bytes.size(), 0);
  std::vector<std::vector<std::size_t>> buckets;
  std::size_t filled = 0;
  for (std::size_t k : order) {
    require<value_error>(k < bytes.size() && !seen[k], "dist::plan_buckets_in_order: the order is not a permutation "
                                                       "(position ", k, " of ", bytes.size(), ")");
    seen[k] = 1;
    if (buckets.empty() || (filled > 0 && filled + bytes[k] > cap)) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(k);
    filled += bytes[k];
  }
  return buckets;
}

/// plan_buckets_in_order in reverse parameter order (the order a sequential backward produces them).
inline std::vector<std::vector<std::size_t>> plan_buckets(const std::vector<std::size_t>& bytes, std::size_t cap) {
  std::vector<std::size_t> order(bytes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = order.size() - 1 - i;
  return plan_buckets_in_order(order, bytes, cap);
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
  /// Of those, the buckets whose all-reduce started during a backward (from gradient_ready).
  std::int64_t buckets_started_in_backward() const { return started_in_backward_; }
  /// Buckets of the expected parameter list started so far (the current or last overlapped step).
  std::size_t buckets_started() const { return ov_.next; }
  /// The bucket plan of the last expect(): indices into its parameter list, in the order they start (after
  /// the list's first step, the order its backward finished the gradients; see the header comment).
  const std::vector<std::vector<std::size_t>>& overlap_plan() const {
    static const std::vector<std::vector<std::size_t>> none;
    return ov_.plan ? ov_.plan->buckets : none;
  }
  /// Whether the last expect()'s list has its buckets rebuilt in backward's order (after its first step).
  bool overlap_plan_rebuilt() const { return ov_.plan && ov_.plan->rebuilt; }

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

  /// From now on `m`'s backward reports its finished gradients (nothing happens until expect() or
  /// expect_step() names them). Alone, or with overlap_with_backward off: nothing.
  template <class Model>
  void watch(Model& m) {
    if (!active() || !opt_.overlap_with_backward) return;
    m.set_gradients_ready_hook([this](const auto& params, bool call_done) {
      if (!ov_.armed) return;
      for (const auto& p : params)
        if (p->grad.defined()) reported(p->grad.data());
      if (call_done) end_call();
      start_ready_buckets();
    });
  }
  /// Makes `step` (anything with set_last_backward_hook and set_gradient_hook: train::gan_step,
  /// segmentation::trainer) average its optimizers' gradients over the ranks before each update, the
  /// buckets overlapped with the backward of `models`. Alone: nothing (the step stays single-process).
  template <class Step, class... Models>
  void attach(Step& step, Models&... models) {
    if (!active()) return;
    (watch(models), ...);
    step.set_last_backward_hook([this](const auto& params) { this->expect(params); });
    step.set_gradient_hook([this](const auto& params) { this->reduce_gradients(params); });
  }

  /// Undoes watch(m).
  template <class Model>
  static void unwatch(Model& m) {
    m.set_gradients_ready_hook({});
  }

  /// Announces the parameters whose gradients the next backward call completes: call it right before
  /// the LAST backward that adds to them in this step (earlier ones would start buckets too soon), and
  /// reduce_gradients(params) after it. Alone, or with overlap_with_backward off: nothing.
  template <class T>
  void expect(const std::vector<optim::param_ref<T>>& params) {
    arm(params, false, "expect");
  }

  /// Announces the parameters whose gradients this step's backward calls produce, before the FIRST of
  /// them, for a step of several calls that each add to some of them (watched models, shared blocks;
  /// see the header comment), and reduce_gradients(params) after the last. The list's first such step
  /// reduces after backward and learns how many calls reach each gradient; from the next one on, buckets
  /// start as their gradients' last calls finish them. Every step must make the same calls in the same
  /// order (a gradient reached by more calls than in the first step is a dist_error). Alone, or with
  /// overlap_with_backward off: nothing.
  template <class T>
  void expect_step(const std::vector<optim::param_ref<T>>& params) {
    arm(params, true, "expect_step");
  }

  /// The gradient stored at `grad` is final for this step (the models' hook calls it): marks it and
  /// starts, in plan order, every bucket whose gradients are all final. Not expected: ignored.
  void gradient_ready(const void* grad) {
    if (!ov_.armed) return;
    const auto it = ov_.plan->index.find(grad);
    if (it != ov_.plan->index.end()) mark_ready(it->second);
    start_ready_buckets();
  }

  /// Averages the gradients of `params` over the ranks, bucket by bucket (see the header comment): after
  /// expect(params), starts the buckets not started yet and waits for all of them.
  template <class T>
  void reduce_gradients(const std::vector<optim::param_ref<T>>& params) {
    if (!active()) return;
    if (ov_.armed) {
      require<dist_error>(params.size() == ov_.plan->grads.size() &&
                              std::equal(params.begin(), params.end(), ov_.plan->grads.begin(),
                                         [](const auto& p, const buffer& b) { return p.grad.data() == b.data; }),
                          "dist::data_parallel::reduce_gradients: not the parameters of the last expect()");
      finish_overlap();
      return;
    }
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
  /// One parameter list's bucket plan, type-erased (its gradients as buffers).
  struct list_plan {
    dtype type = dtype::f32;
    std::vector<buffer> grads;                            ///< in the parameter list's order
    std::vector<std::size_t> bytes;                       ///< per position
    std::unordered_map<const void*, std::size_t> index;   ///< gradient storage -> position in the list
    std::vector<std::vector<std::size_t>> buckets;        ///< positions, in the order the buckets start
    std::vector<std::size_t> bucket_of;                   ///< position -> bucket
    bool rebuilt = false;                                 ///< buckets in backward's order (after step one)
    /// expect_step: per position, how many backward calls of a step reach it (rank 0's first step);
    /// empty until that step has been counted.
    std::vector<std::uint32_t> calls_per_step;

    bool holds(const std::vector<buffer>& bufs, dtype t) const {
      return t == type && bufs.size() == grads.size() &&
             std::equal(bufs.begin(), bufs.end(), grads.begin(),
                        [](const buffer& a, const buffer& b) { return a.data == b.data && a.count == b.count; });
    }
    void set_buckets(std::vector<std::vector<std::size_t>> b) {
      buckets = std::move(b);
      bucket_of.assign(grads.size(), 0);
      for (std::size_t i = 0; i < buckets.size(); ++i)
        for (std::size_t k : buckets[i]) bucket_of[k] = i;
    }
  };

  /// The step in flight: which plan, which gradients are final, which buckets have started.
  struct overlap_state {
    bool armed = false;
    bool whole_step = false;                              ///< expect_step (count calls), not expect
    list_plan* plan = nullptr;
    std::vector<std::size_t> missing;                     ///< per bucket: gradients not final yet
    std::vector<char> ready;                              ///< per position
    std::vector<std::uint32_t> calls;                     ///< per position: calls that reported it
    std::vector<char> in_call;                            ///< per position: reported by the current call
    std::vector<std::size_t> touched;                     ///< positions reported by the current call
    std::vector<std::uint64_t> last_report;               ///< per position: when its latest call first
                                                          ///< reported it (0: never), on `clock`
    std::uint64_t clock = 0;
    std::vector<std::unique_ptr<pending_collective>> in_flight;
    std::size_t next = 0;                                 ///< buckets [0, next) have started
  };

  /// The plan of this list (the same storage, sizes and type as an earlier one), or a new one in
  /// reverse parameter order. The plans live as long as the data_parallel (one per optimizer, typically).
  /// A list is recognised by its gradients' storage, which the optimizers allocate once: a program that
  /// reallocates gradients between steps should make a new data_parallel, since a reused address could
  /// then match an old plan on one rank and not on another.
  list_plan* plan_for(const std::vector<buffer>& bufs, dtype type, std::size_t element_bytes) {
    for (auto& p : plans_)
      if (p->holds(bufs, type)) return p.get();
    auto p = std::make_unique<list_plan>();
    p->type = type;
    p->grads = bufs;
    for (std::size_t k = 0; k < bufs.size(); ++k) {
      p->bytes.push_back(bufs[k].count * element_bytes);
      p->index.emplace(bufs[k].data, k);
    }
    p->set_buckets(plan_buckets(p->bytes, opt_.bucket_bytes));
    plans_.push_back(std::move(p));
    return plans_.back().get();
  }

  template <class T>
  void arm(const std::vector<optim::param_ref<T>>& params, bool whole_step, const char* who) {
    if (!active() || !opt_.overlap_with_backward) return;
    require<dist_error>(!ov_.armed, "dist::data_parallel::", who, ": the buckets of the last expect() or expect_step() "
                                    "were never reduced (call reduce_gradients before the optimizer step)");
    std::vector<tensor<T>> grads;
    grads.reserve(params.size());
    for (const auto& p : params) grads.push_back(p.grad);
    comm_->buffers_of(grads, "all_reduce");  // every gradient defined and on the communicator's device
    std::vector<buffer> bufs;
    for (const auto& g : grads) bufs.push_back({g.data(), std::size_t(g.numel())});
    ov_.plan = plan_for(bufs, dtype_of_v<T>, sizeof(T));
    const list_plan& p = *ov_.plan;
    const std::size_t n = p.grads.size();
    ov_.whole_step = whole_step;
    ov_.ready.assign(n, 0);
    ov_.calls.assign(n, 0);
    ov_.in_call.assign(n, 0);
    ov_.touched.clear();
    ov_.last_report.assign(n, 0);
    ov_.clock = 0;
    ov_.missing.assign(p.buckets.size(), 0);
    for (std::size_t b = 0; b < p.buckets.size(); ++b) ov_.missing[b] = p.buckets[b].size();
    ov_.in_flight.clear();
    ov_.in_flight.resize(p.buckets.size());
    ov_.next = 0;
    ov_.armed = true;
  }

  /// A watched model's backward call has added to the gradient at `grad`. After expect() the call is the
  /// last: the gradient is final. After expect_step() it is final at the first report of the call that
  /// completes its count (none in the list's first step, which only counts).
  void reported(const void* grad) {
    const auto it = ov_.plan->index.find(grad);
    if (it == ov_.plan->index.end()) return;
    const std::size_t k = it->second;
    if (!ov_.whole_step) {
      mark_ready(k);
      return;
    }
    if (ov_.in_call[k]) return;
    ov_.in_call[k] = 1;
    ov_.touched.push_back(k);
    ++ov_.calls[k];
    ov_.last_report[k] = ++ov_.clock;
    const auto& needed = ov_.plan->calls_per_step;
    if (needed.empty() || needed[k] == 0) return;  // counting, or never final before the end: never started early
    require<dist_error>(ov_.calls[k] <= needed[k], "dist::data_parallel: gradient ", k, " of the list of expect_step() (",
                        ov_.plan->grads.size(), " gradients) was reached by ", ov_.calls[k],
                        " backward calls in this step, ", needed[k], " in the list's first step, so its bucket "
                        "may already have been averaged; a step whose backward calls vary needs "
                        "overlap_with_backward = false");
    if (ov_.calls[k] == needed[k]) ready_now(k);
  }
  /// The watched model's backward call has ended: the next report of a gradient is another call's.
  void end_call() {
    for (std::size_t k : ov_.touched) ov_.in_call[k] = 0;
    ov_.touched.clear();
  }

  void mark_ready(std::size_t k) {
    if (ov_.ready[k]) return;
    ov_.last_report[k] = ++ov_.clock;
    ready_now(k);
  }
  void ready_now(std::size_t k) {
    ov_.ready[k] = 1;
    --ov_.missing[ov_.plan->bucket_of[k]];
  }

  /// After the list's first overlapped step: its buckets in the order that step finished the gradients
  /// (by the first report of the last call that reached each; those never reported, in reverse parameter
  /// order, last), rank 0's order on every rank. After expect_step, rank 0's call counts too.
  void rebuild_in_backward_order() {
    list_plan& p = *ov_.plan;
    const std::size_t n = p.grads.size();
    std::vector<std::size_t> reported_order;
    for (std::size_t k = 0; k < n; ++k)
      if (ov_.last_report[k] > 0) reported_order.push_back(k);
    std::sort(reported_order.begin(), reported_order.end(),
              [&](std::size_t a, std::size_t b) { return ov_.last_report[a] < ov_.last_report[b]; });
    std::vector<double> shared(reported_order.begin(), reported_order.end());
    for (std::size_t k = n; k-- > 0;)
      if (ov_.last_report[k] == 0) shared.push_back(double(k));
    for (std::size_t k = 0; k < n; ++k) shared.push_back(double(ov_.calls[k]));
    comm_->broadcast(std::span<double>(shared), 0);  // one plan for all, whatever order a rank saw
    std::vector<std::size_t> positions(shared.begin(), shared.begin() + std::ptrdiff_t(n));
    p.set_buckets(plan_buckets_in_order(positions, p.bytes, opt_.bucket_bytes));
    p.rebuilt = true;
    if (ov_.whole_step && p.calls_per_step.empty())
      p.calls_per_step.assign(shared.begin() + std::ptrdiff_t(n), shared.end());
  }

  /// Starts, in plan order, the buckets whose gradients are all final, after letting the ones in flight
  /// advance (MPI moves a non-blocking collective on only inside its calls).
  void start_ready_buckets() {
    for (std::size_t b = 0; b < ov_.next; ++b)
      if (ov_.in_flight[b]) ov_.in_flight[b]->progress();
    while (ov_.next < ov_.plan->buckets.size() && ov_.missing[ov_.next] == 0) {
      start_bucket(ov_.next++);
      ++started_in_backward_;
    }
  }

  void start_bucket(std::size_t b) {
    const list_plan& p = *ov_.plan;
    std::vector<buffer> part;
    for (std::size_t k : p.buckets[b])
      if (p.grads[k].count > 0) part.push_back(p.grads[k]);
    ov_.in_flight[b] = comm_->start_all_reduce_buffers(part, p.type, reduce_op::average);
  }

  void finish_overlap() {
    ov_.armed = false;  // first: a failed wait must not leave the next step's expect() refused
    while (ov_.next < ov_.plan->buckets.size()) start_bucket(ov_.next++);
    for (auto& p : ov_.in_flight) {
      p->wait();
      p.reset();
      ++buckets_reduced_;
    }
    if (!ov_.plan->rebuilt || (ov_.whole_step && ov_.plan->calls_per_step.empty())) rebuild_in_backward_order();
  }

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
  std::int64_t started_in_backward_ = 0;
  std::vector<std::unique_ptr<list_plan>> plans_;
  overlap_state ov_;
};

/// A seed for randomness that is not keyed by sample (a rank's own noise, its image pool): rank 0 keeps
/// `seed`, so a single-process run is unchanged, and the other ranks get distinct streams. (The data
/// loader's crops and flips are keyed by (seed, epoch, sample index) and need no rank seed.)
inline std::uint64_t rank_seed(std::uint64_t seed, int rank) {
  return rank == 0 ? seed : seed ^ (0x9E3779B97F4A7C15ull * std::uint64_t(rank));
}

}  // namespace i2i::dist
