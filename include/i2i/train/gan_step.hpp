#pragma once
// gan_step<G, D, Gan, Extra...>: THE conditional-GAN training iteration, in pix2pixHD's order
// (research/pix2pixhd.md §2.2 and §2.6), generic over the generator and discriminator models, the
// backend they run on and the loss terms. pix2pixHD's trainer, pix2pix and the benchmark all call it.
//
//   train::gan_step step(G, D, {.pool_size = 0}, loss::l1_term{.weight = 100});
//   auto rec = step.step(input, real);        // rec["G_GAN"], rec["G_GAN_Feat"], rec["G_l1"], rec["D_real"], ...
//
// One call does, with fake = G(input) and cat = concat on channels:
//   A  D(pool(cat(cond, fake))), the fake DETACHED       -> D_fake = GAN(A, fake)
//   B  D(cat(cond, real))                                -> D_real = GAN(B, real)
//   C  D(cat(cond, fake)), NOT pooled, not detached      -> G_GAN  = GAN(C, real)
//      G_GAN_Feat = feature matching of C's taps against B's (B detached), when enabled
//      G_<name>   = each extra term on (fake, real): L1, VGG perceptual, ... (weights inside the terms)
//   loss_G = G_GAN + G_GAN_Feat + sum G_<name>;  loss_D = 0.5 (D_fake + D_real)
//   then: zero G's grads, backward(loss_G), Adam step on G; zero D's grads, backward(loss_D), Adam step on D.
// All D passes run before either update, so D's step uses predictions made before G moved, as in
// pix2pixHD. Without a pool, A and C are one forward pass (same input, same weights). The G backward
// goes through D; D is frozen for it (its parameters get no gradient and no time is spent on them),
// which is what pix2pixHD's discarded-then-zeroed D gradients amount to.
//
// What D sees beside the image (the D-input policy, gan_step_options):
//   conditional = true, condition_channels = -1   cond = G's input (pix2pix, pix2pixHD without features)
//   conditional = false                           D sees the image alone (an unconditional D)
//   condition_channels = k                        the caller passes cond (k channels) to
//                                                 step(input, real, cond): pix2pixHD with --instance_feat,
//                                                 whose D sees the labels but not E's features (§2.1)
// The input-gradient hook (the last argument of step) receives dloss_G/dinput after G's backward and
// before G's Adam step: pix2pixHD routes its feature channels into the encoder E through instance-wise
// pooling (B::segment_mean_backward); E's parameters then sit in G's optimizer (set_generator_optimizer).
// The gradient hook (set_gradient_hook) sees each optimizer's parameters after their backward and before
// its step: data-parallel training averages the gradients over the ranks there (dist/data_parallel.hpp).
// The last-backward hook (set_last_backward_hook) sees them just before the last backward call that adds
// to them (G's backward; D's backward of pass B): data-parallel training arms its overlapped all-reduce
// there, so buckets start while that backward goes on (dist::data_parallel::expect).
//
// The fake history pool (image_pool) lives on the host and is saved with a checkpoint (pool().save /
// load). Gan is a loss::gan_loss<lsgan | vanilla> (the GAN mode, over every scale of a multiscale D), or
// loss::gan_loss_of_mode when the mode is a runtime flag; Extra... are image terms (loss::image_term:
// `term.apply<backend>(fake, real) -> loss_value`, with a `name`) fixed at compile time, or a
// loss::custom_term<T> wrapping any function; an Extra may be a std::optional<term>, which is off while
// empty (pix2pixHD's --no_vgg_loss). The optimizers are the backend's optim::adam<B> with pix2pixHD's
// defaults (lr 2e-4, betas 0.5/0.999); schedules reach them through generator_optimizer() /
// discriminator_optimizer().
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "i2i/loss/types/feature_matching.hpp"
#include "i2i/loss/types/gan_loss.hpp"
#include "i2i/model/parameter.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/train/image_pool.hpp"
#include "i2i/train/step_record.hpp"
#include "i2i/train/stop_on_error.hpp"

namespace i2i::train {

struct gan_step_options {
  optim::adam_options g_adam{};   ///< G's Adam (pix2pixHD: lr 2e-4, betas 0.5/0.999)
  optim::adam_options d_adam{};   ///< D's Adam
  std::int64_t pool_size = 0;     ///< pix2pixHD's --pool_size; 0 = no history pool
  std::uint64_t pool_seed = 0;
  bool conditional = true;        ///< D sees (cond | image); false: the image alone
  std::int64_t condition_channels = -1;  ///< -1: cond = G's input; k: the caller passes cond (k channels)
  bool feature_matching = true;   ///< pix2pixHD's default; needs taps in D (--no_ganFeat_loss turns it off)
  loss::feature_matching fm{};    ///< lambda_feat 10, num_D and n_layers from D's taps
  double d_loss_factor = 0.5;     ///< loss_D = factor * (D_fake + D_real)
};

namespace step_detail {
/// Freezes every parameter of a model for its lifetime and restores each flag afterwards (also when
/// backward throws), so a user's own frozen sub-trees stay frozen.
template <class Model>
class freeze_scope {
 public:
  explicit freeze_scope(const Model& m) {
    for (const auto& p : m.all_parameters()) {
      saved_.emplace_back(p.get(), p->frozen);
      p->frozen = true;
    }
  }
  ~freeze_scope() {
    for (auto& [p, f] : saved_) p->frozen = f;
  }
  freeze_scope(const freeze_scope&) = delete;
  freeze_scope& operator=(const freeze_scope&) = delete;

 private:
  std::vector<std::pair<parameter<typename Model::T>*, bool>> saved_;
};

/// An extra term as gan_step holds it: X itself, or std::optional<X> (off while empty).
template <class X>
struct term_of {
  using type = X;
  static X* get(X& x) { return &x; }
};
template <class X>
struct term_of<std::optional<X>> {
  using type = X;
  static X* get(std::optional<X>& x) { return x ? &*x : nullptr; }
};
}  // namespace step_detail

template <class G, class D, class Gan = loss::gan_loss<loss::lsgan>, class... Extra>
class gan_step {
 public:
  using T = typename G::T;
  using backend = typename G::backend;
  static_assert(std::is_same_v<T, typename D::T>, "i2i::train::gan_step: G and D must use the same scalar type");
  /// Receives dloss_G/dinput (G's input gradient) before G's optimizer steps.
  using input_gradient_hook = std::function<void(const tensor<T>&)>;
  /// Receives an optimizer's parameters once their gradients are complete, just before its step:
  /// data-parallel training averages them over the ranks there (dist::data_parallel::reduce_gradients).
  using gradient_hook = std::function<void(const std::vector<optim::param_ref<T>>&)>;
  static_assert((loss::image_term<typename step_detail::term_of<Extra>::type, backend> && ...),
                "i2i::train::gan_step: every extra term must be callable as term.apply<backend>(fake, real) -> "
                "loss::loss_value<T> and have a `name` (see concept i2i::loss::image_term)");

  gan_step(G& g, D& d, gan_step_options o = {}, Extra... extra) : gan_step(g, d, Gan{}, std::move(o), std::move(extra)...) {}

  gan_step(G& g, D& d, Gan gan, gan_step_options o, Extra... extra)
      : g_(g), d_(d), gan_(std::move(gan)), opt_(std::move(o)), extras_(std::move(extra)...),
        g_adam_(g.parameters(), opt_.g_adam), d_adam_(d.parameters(), opt_.d_adam), pool_(opt_.pool_size, opt_.pool_seed) {
    const std::int64_t d_in_conditional = condition_channels() + G::out_channels;
    require<shape_error>(opt_.conditional ? D::in_channels == d_in_conditional : D::in_channels == G::out_channels,
                         "gan_step: D takes ", D::in_channels, " channels but sees ",
                         opt_.conditional ? "condition | image = " : "the image = ",
                         opt_.conditional ? d_in_conditional : G::out_channels, " channels (G maps ", G::in_channels,
                         " to ", G::out_channels, opt_.conditional ? "); set conditional = false for an unconditional D" : ")");
    require<value_error>(std::isfinite(opt_.d_loss_factor), "gan_step: d_loss_factor ", opt_.d_loss_factor, " is not finite");
  }

  gan_step(const gan_step&) = delete;
  gan_step& operator=(const gan_step&) = delete;

  /// One iteration on a batch: input (N x G::in_channels x H x W) and its target real (N x G::out_channels x H x W).
  /// D's condition is G's input (or nothing with conditional = false).
  step_record step(const tensor<T>& input, const tensor<T>& real, const input_gradient_hook& into_input = {}) {
    require<value_error>(opt_.condition_channels < 0 || !opt_.conditional,
                         "gan_step: condition_channels is ", opt_.condition_channels,
                         ", so D's condition must be passed: step(input, real, condition)");
    return run(input, real, input, into_input);
  }

  /// D sees condition | image (condition: N x condition_channels x H x W, e.g. pix2pixHD's labels without
  /// E's features).
  step_record step(const tensor<T>& input, const tensor<T>& real, const tensor<T>& condition,
                   const input_gradient_hook& into_input = {}) {
    require<shape_error>(!opt_.conditional || (condition.rank() == 4 && condition.c() == condition_channels() &&
                                                condition.n() == real.n() && condition.h() == real.h() &&
                                                condition.w() == real.w()),
                         "gan_step: D's condition has shape ", condition.shape(), ", expected N x ",
                         condition_channels(), " x H x W like real ", real.shape());
    return run(input, real, condition, into_input);
  }

 private:
  /// The channels of D's condition: condition_channels, or G's input's when it is -1.
  std::int64_t condition_channels() const {
    return opt_.condition_channels < 0 ? std::int64_t(G::in_channels) : opt_.condition_channels;
  }

  step_record run(const tensor<T>& input, const tensor<T>& real, const tensor<T>& cond,
                  const input_gradient_hook& into_input) {
    require<shape_error>(input.rank() == 4 && real.rank() == 4 && input.n() == real.n() && input.h() == real.h() &&
                             input.w() == real.w(),
                         "gan_step: input has shape ", input.shape(), " and real has shape ", real.shape(),
                         "; both must be N x C x H x W with the same N, H and W");
    step_record rec;
    pending_.clear();
    // A loss's host value goes into the record; a part left in backend memory (defer_loss_values, a
    // captured step) is kept by name for the caller to read after the replay (pending_values()).
    const auto record = [&](const std::string& name, const auto& v) {
      rec.set(name, v.value);
      if (v.pending.defined()) pending_.emplace_back(name, v.pending);
    };
    auto g_ctx = g_.forward(input);
    const tensor<T>& fake = g_ctx.output;
    require<shape_error>(fake.shape() == real.shape(), "gan_step: G's output has shape ", fake.shape(),
                         " but real has shape ", real.shape());
    last_fake_ = fake;

    const tensor<T> fake_in = d_input(cond, fake);  // D's input gradient reaches G only through pass C
    // A: D on the pooled, detached fake, for D's loss (the pool is on the host).
    const tensor<T> pooled = pool_.template query_on<backend>(fake_in);
    const auto ctx_a = d_.forward(pooled);
    auto d_fake = loss_term("D_fake", [&] { return gan_(ctx_a, loss::gan_target::fake); });
    // B: D on the real pair (real features are detached: only D's loss backpropagates through B).
    const auto ctx_b = d_.forward(d_input(cond, real));
    auto d_real = loss_term("D_real", [&] { return gan_(ctx_b, loss::gan_target::real); });
    // C: D on the fake again, not pooled, for G's adversarial and feature-matching terms. Without a pool
    // pass A saw the same tensor through the same weights, so its context is pass C's (contexts are
    // read-only in backward); only a batch-norm D's running statistics notice: they see the fake once.
    std::optional<typename D::context> own_c;
    if (pooled.data() != fake_in.data()) own_c.emplace(d_.forward(fake_in));
    const auto& ctx_c = own_c ? *own_c : ctx_a;
    auto g_gan = loss_term("G_GAN", [&] { return gan_(ctx_c, loss::gan_target::real); });
    loss::loss_value<T> loss_g;  // value and pending parts only
    loss::term_detail::add_value<backend>(loss_g, g_gan);
    record("G_GAN", g_gan);
    loss::injection<backend> into_d = std::move(g_gan.grad);
    if (opt_.feature_matching) {
      auto fm = loss_term("G_GAN_Feat", [&] { return opt_.fm(ctx_c, ctx_b); });
      record("G_GAN_Feat", fm);
      loss::term_detail::add_value<backend>(loss_g, fm);
      into_d.add(fm.grad);
    }
    tensor<T> dfake_direct;  // gradient of the extra terms w.r.t. fake
    std::apply(
        [&](auto&... held) {
          (
              [&] {
                auto* term = step_detail::term_of<std::remove_reference_t<decltype(held)>>::get(held);
                if (term == nullptr) return;  // an empty optional term is off
                auto r = loss_term("G_" + std::string(term->name),
                                   [&] { return term->template apply<backend>(fake, real); });
                record("G_" + std::string(term->name), r);
                loss::term_detail::add_value<backend>(loss_g, r);
                dfake_direct = dfake_direct.defined() ? backend::add(dfake_direct, r.grad) : r.grad;
              }(),
              ...);
        },
        extras_);
    loss::loss_value<T> loss_d;
    loss::term_detail::add_value<backend>(loss_d, d_fake);
    loss::term_detail::add_value<backend>(loss_d, d_real);
    loss_d.value *= opt_.d_loss_factor;
    if (loss_d.pending.defined()) loss_d.pending = backend::scale(loss_d.pending, T(opt_.d_loss_factor));
    record("D_real", d_real);
    record("D_fake", d_fake);
    record("G", loss_g);
    record("D", loss_d);

    // G update: backward(loss_G) through D (frozen) into G, then Adam on G.
    g_adam_.zero_grad();
    tensor<T> d_cat;
    {
      step_detail::freeze_scope<D> frozen(d_);
      d_cat = loss::backward(d_, ctx_c, into_d, true);
    }
    tensor<T> dfake =
        opt_.conditional
            ? backend::split_channels(d_cat, std::vector<std::int64_t>{cond.c(), std::int64_t(G::out_channels)})[1]
            : d_cat;
    if (dfake_direct.defined()) dfake = backend::add(dfake, dfake_direct);
    if (before_last_backward_) before_last_backward_(g_adam_.params());
    const tensor<T> dinput = g_.backward(g_ctx, dfake, {}, bool(into_input));
    if (into_input) into_input(dinput);
    if (before_update_) before_update_(g_adam_.params());
    g_adam_.step();

    // D update: backward(loss_D) through passes A and B, then Adam on D.
    d_adam_.zero_grad();
    d_fake.grad.scale(opt_.d_loss_factor);
    d_real.grad.scale(opt_.d_loss_factor);
    loss::backward(d_, ctx_a, d_fake.grad, false);
    if (before_last_backward_) before_last_backward_(d_adam_.params());
    loss::backward(d_, ctx_b, d_real.grad, false);
    if (before_update_) before_update_(d_adam_.params());
    d_adam_.step();
    return rec;
  }



 public:
  optim::adam<backend>& generator_optimizer() { return g_adam_; }
  optim::adam<backend>& discriminator_optimizer() { return d_adam_; }
  /// Replaces G's optimizer, e.g. by one over a larger parameter group (pix2pixHD's niter_fix_global).
  void set_generator_optimizer(optim::adam<backend> a) { g_adam_ = std::move(a); }
  void set_discriminator_optimizer(optim::adam<backend> a) { d_adam_ = std::move(a); }
  const optim::adam<backend>& generator_optimizer() const { return g_adam_; }
  const optim::adam<backend>& discriminator_optimizer() const { return d_adam_; }
  /// Called before each of the two optimizer steps (see gradient_hook); empty: no call.
  void set_gradient_hook(gradient_hook h) { before_update_ = std::move(h); }
  /// Called before the last backward call into each optimizer's parameters (see the header comment).
  void set_last_backward_hook(gradient_hook h) { before_last_backward_ = std::move(h); }
  /// The fake history pool; pool().save / load keep it with a checkpoint.
  image_pool<T>& pool() { return pool_; }
  const image_pool<T>& pool() const { return pool_; }
  const gan_step_options& options() const { return opt_; }
  Gan& gan() { return gan_; }
  std::tuple<Extra...>& extras() { return extras_; }
  /// The last step's fake batch (G's output before its update).
  const tensor<T>& last_fake() const { return last_fake_; }
  /// The last step's loss parts left in backend memory, by record name (empty unless it ran inside a
  /// loss::defer_loss_values scope): record[name] + pending[0] is the loss.
  const std::vector<std::pair<std::string, tensor<T>>>& pending_values() const { return pending_; }
  /// Why this step cannot be captured as a CUDA graph ("" when it can): everything between its input and
  /// its optimizer updates must be device work without host decisions.
  std::string capture_refusal() const {
    if (opt_.pool_size > 0)
      return i2i::detail::concat("the fake-image pool (pool_size ", opt_.pool_size, ") chooses on the host");
    if (before_update_ || before_last_backward_)
      return "gradient hooks (data-parallel training) run host code inside the step";
    return {};
  }

 private:
  tensor<T> d_input(const tensor<T>& input, const tensor<T>& image) const {
    return opt_.conditional ? backend::concat_channels(std::vector<tensor<T>>{input, image}) : image;
  }

  G& g_;
  D& d_;
  Gan gan_;
  gan_step_options opt_;
  std::tuple<Extra...> extras_;
  optim::adam<backend> g_adam_, d_adam_;
  image_pool<T> pool_;
  tensor<T> last_fake_;
  std::vector<std::pair<std::string, tensor<T>>> pending_;
  gradient_hook before_update_;
  gradient_hook before_last_backward_;
};

template <class G, class D, class... E>
gan_step(G&, D&, gan_step_options, E...) -> gan_step<G, D, loss::gan_loss<loss::lsgan>, E...>;
template <class G, class D>
gan_step(G&, D&) -> gan_step<G, D>;
template <class G, class D, class M, class... E>
gan_step(G&, D&, loss::gan_loss<M>, gan_step_options, E...) -> gan_step<G, D, loss::gan_loss<M>, E...>;

}  // namespace i2i::train
