#pragma once
// model<Spec, Backend, In>: a spec bound to a backend — it owns the parameters and runs the spec.
//
//   model<global_generator, cpu_backend<float>> G("G");     // In from the spec's channels<C>, or given
//   auto ctx = G.forward(x);          // a context: the output, every tap, what backward needs
//   auto dx  = G.backward(ctx, dy, {{"relu3_1", g}});        // gradients may be injected at taps
//
// One model can run forward on several inputs before any backward (each call has its own context),
// which a GAN needs (D on real, D on fake). Parameter gradients accumulate until zero_grad().
//
// The gradients-ready hook (set_gradients_ready_hook) is told, during backward, which parameters have
// received their gradient of this call: after each element of every seq (in backward order, so the last
// layers come first), and for all of them at the end, with call_done = true. Data-parallel training
// starts the all-reduce of a bucket there while backward goes on (dist::data_parallel::watch). Without a
// hook backward does exactly what it did (one null check per seq element). A shared<> block reports its
// parameters when its element of the enclosing seq is done: a model lists a shared block's parameters
// once (a second use in one model would repeat their names, which the constructor refuses), so that is
// the last of this call's contributions to them; other models' calls may add more (data_parallel counts
// the calls, see expect_step).
//
// set_batch_norm_group makes every batch_norm layer synchronised (PyTorch's SyncBatchNorm): in training
// its statistics and the two sums of its backward are added up over a process group by the function
// given (dist::sync_batch_norm gives the communicator's all-reduce), so that N processes with batch b
// normalise as one process with batch N x b.
#include <algorithm>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "i2i/backend/concept.hpp"
#include "i2i/compose/build.hpp"
#include "i2i/model/parameter.hpp"
#include "i2i/model/run_state.hpp"
#include "i2i/optim/param.hpp"
#include "i2i/spec/channels.hpp"

namespace i2i {

/// Backend must hold parameters (parameter_backend); running the spec (forward, backward) needs the whole
/// op set (i2i::backend), so a storage-only binding (counting_backend) can count and name parameters but
/// not compute.
template <class Spec, parameter_backend Backend, int In = Spec::in_channels>
class model {
  static_assert(layer_spec<Spec>, "i2i::model<Spec, ...>: Spec must be a layer spec (see concept i2i::layer_spec)");
  static_assert(diag::model_needs_input_channels<In>::ok);

 public:
  using backend = Backend;
  using T = typename Backend::scalar;
  using instance_type = typename Spec::template instance<In, Backend>;
  static constexpr int in_channels = In;
  static constexpr int out_channels = Spec::out_channels(In);

  /// Receives parameters whose gradients this backward call has finished (see the header comment); the
  /// same parameter may be named more than once in one call, whose last report has call_done = true.
  using gradients_ready_hook = std::function<void(std::span<const std::shared_ptr<parameter<T>>>, bool call_done)>;

  /// Everything one forward call produced. Keep it until its backward is done.
  struct context {
    using backend = Backend;  // loss terms over a context (loss::gan_loss, feature_matching) compute on it
    typename instance_type::context inner;
    tap_list<T> taps;
    tensor<T> output;
    shape input_shape;

    const tensor<T>& out() const { return output; }
    const tensor<T>& tap(const std::string& key) const { return taps.at(key); }
  };

  /// `name` prefixes every parameter name (empty: the reference state_dict keys as they are).
  /// Models built with the same `shared` registry share their shared<> blocks.
  explicit model(std::string name = {}, shared_registry* shared = nullptr)
      : name_(std::move(name)), own_shared_(shared ? nullptr : std::make_unique<shared_registry>()),
        instance_(make_instance(shared ? shared : own_shared_.get())) {
    // Parameters are built on the host; a device backend moves them (and their gradients) to its memory.
    for (const auto& p : params_) {
      if (p->value.where().is_cpu()) p->value = Backend::to_backend(p->value);
      if (p->grad.defined() && p->grad.where().is_cpu()) p->grad = Backend::to_backend(p->grad);
    }
    std::set<std::string> seen;
    for (const auto& p : params_)
      require<error>(seen.insert(p->name).second, "model ", name_.empty() ? "" : name_ + " ",
                     ": two parameters are named '", p->name, "'; name the elements with named<> or seq indices");
  }
  model(const model&) = delete;
  model& operator=(const model&) = delete;

  context forward(const tensor<T>& x) const
    requires i2i::backend<Backend>
  {
    check_input(x);
    context c;
    c.input_shape = x.shape();
    run_state<T> rs{training_, &c.taps, nullptr};
    if (batch_norm_group_) rs.batch_norm_group = &batch_norm_group_;
    c.output = instance_.forward(x, c.inner, rs);
    return c;
  }
  /// Forward for inference: just the output, and nothing kept for a backward pass (no context, no
  /// taps; each layer's saved inputs are freed as soon as the layer has run). Same operations in the
  /// same order as forward(x).output, so the same numbers.
  tensor<T> operator()(const tensor<T>& x) const
    requires i2i::backend<Backend>
  {
    check_input(x);
    typename instance_type::context scratch;
    run_state<T> rs{training_, nullptr, nullptr, false};
    return instance_.forward(x, scratch, rs);
  }

  /// Backpropagates dy (undefined = zero) from the output and `tap_grads` from taps; returns dL/dx when
  /// need_input_grad. Parameter gradients are added to what the parameters hold.
  tensor<T> backward(const context& c, tensor<T> dy, const tap_list<T>& tap_grads = {}, bool need_input_grad = true)
    requires i2i::backend<Backend>
  {
    require<value_error>(c.output.defined(), where(), ": backward needs the context of a forward call");
    require<value_error>(!gradients_dropped_, where(), ": backward after drop_gradients() (an inference-only model)");
    if (!dy.defined()) dy = Backend::zeros(c.output.shape());
    require<shape_error>(dy.shape() == c.output.shape(), where(), ": output gradient has shape ", dy.shape(),
                         ", expected ", c.output.shape());
    run_state<T> rs{training_, nullptr, &tap_grads};
    if (batch_norm_group_) rs.batch_norm_group = &batch_norm_group_;
    if (!gradients_ready_) return instance_.backward(c.inner, dy, rs, need_input_grad);
    const std::function<void(const std::vector<std::shared_ptr<parameter<T>>>&, std::size_t, std::size_t)> ready =
        [&](const auto& registry, std::size_t first, std::size_t last) {
          if (&registry == &params_) gradients_ready_(std::span(params_).subspan(first, last - first), false);
        };
    rs.params_ready = &ready;
    tensor<T> dx = instance_.backward(c.inner, dy, rs, need_input_grad);
    gradients_ready_(std::span(params_), true);
    return dx;
  }

  /// Batch norm statistics over a process group from now on (see the header comment); empty: this
  /// process's own (the default). Every process of the group must run the same forward and backward calls.
  void set_batch_norm_group(std::function<void(std::span<double>)> sum_over_group) {
    batch_norm_group_ = std::move(sum_over_group);
  }
  bool batch_norm_synchronised() const { return bool(batch_norm_group_); }

  /// Called during every backward from now on (see the header comment); empty: no call.
  void set_gradients_ready_hook(gradients_ready_hook h) { gradients_ready_ = std::move(h); }

  /// Frees every gradient buffer: for a model that will only run inference (a translator), whose
  /// gradients would otherwise take as much memory as its weights. backward() is an error afterwards.
  /// Parameters shared with other models (shared<>) lose their gradients there too.
  void drop_gradients() {
    for (const auto& p : params_) p->grad = tensor<T>{};
    gradients_dropped_ = true;
  }

  void train(bool on = true) { training_ = on; }
  void eval() { training_ = false; }
  bool training() const { return training_; }

  /// Every parameter and buffer, in definition order.
  const std::vector<std::shared_ptr<parameter<T>>>& all_parameters() const { return params_; }
  /// Trainable, unfrozen parameters as an optimizer takes them.
  std::vector<optim::param_ref<T>> parameters() const {
    std::vector<optim::param_ref<T>> r;
    for (const auto& p : params_)
      if (p->trainable() && !p->frozen) r.push_back({p->name, p->value, p->grad});
    return r;
  }
  /// The parameter named `key` (exact state_dict key).
  parameter<T>& parameter_named(const std::string& key) const {
    for (const auto& p : params_)
      if (p->name == key) return *p;
    throw value_error(detail::concat(where(), ": no parameter named '", key, "'"));
  }
  /// Number of trainable elements (what PyTorch's sum(p.numel()) reports; buffers excluded).
  std::int64_t parameter_count() const {
    std::int64_t n = 0;
    for (const auto& p : params_)
      if (p->trainable()) n += p->value.numel();
    return n;
  }

  /// Freezes (or unfreezes) every parameter whose name is `prefix` or starts with `prefix.`; "" = all.
  /// Returns how many parameters changed, and throws when the prefix matches nothing.
  std::size_t freeze(const std::string& prefix, bool frozen = true) {
    std::size_t n = 0;
    for (const auto& p : params_)
      if (prefix.empty() || p->name == prefix || p->name.rfind(prefix + ".", 0) == 0 ||
          p->name.rfind(prefix + "_", 0) == 0) {
        p->frozen = frozen;
        ++n;
      }
    require<value_error>(n > 0, where(), ": no parameter under '", prefix, "' to freeze");
    return n;
  }
  void unfreeze(const std::string& prefix) { freeze(prefix, false); }

  void zero_grad() const {
    for (const auto& p : params_)
      if (p->grad.defined()) Backend::fill_zero(p->grad);
  }

  /// Output shape and forward FLOPs (2 x multiply-adds of convs and linear layers) for an input shape.
  shape output_shape(const shape& in) const {
    double f = 0;
    return instance_.trace(in, f);
  }
  double flops(const shape& in) const {
    double f = 0;
    instance_.trace(in, f);
    return f;
  }

  const std::string& name() const { return name_; }
  instance_type& root() { return instance_; }

 private:
  instance_type make_instance(shared_registry* shared) {
    build_context<T> bc{name_, "", &params_, shared};
    if constexpr (splicing_spec<Spec>) return instance_type(bc, 0);
    else return instance_type(bc);
  }
  std::string where() const { return name_.empty() ? std::string("model") : name_; }
  void check_input(const tensor<T>& x) const {
    require<shape_error>(x.rank() == 4 && x.c() == In, where(), ": input ", x.shape(), ", expected N x ", In,
                         " x H x W");
  }

  std::string name_;
  std::vector<std::shared_ptr<parameter<T>>> params_;
  std::unique_ptr<shared_registry> own_shared_;
  instance_type instance_;
  bool training_ = true;
  bool gradients_dropped_ = false;
  gradients_ready_hook gradients_ready_;
  std::function<void(std::span<double>)> batch_norm_group_;
};

}  // namespace i2i
