#pragma once
// The CycleGAN baseline as the EGSC-IT authors ran it for MNIST (research model 1500, egscit.md §6.5):
// "built inside the same framework", i.e. EGSC-IT's backbone with every EGSC-IT addition removed.
//
//   x_AB = G_AB(x_A)   G_AB = E_A then G_B: the encoder's domain part, the block that EGSC-IT shares
//                      (here E_A's own), the block G shares (here G_B's own), G_B's decoder
//   x_BA = G_BA(x_B)   likewise with E_B, G_A
//
// No parameter is shared between the two directions, there is no latent noise and no KL, no mask, no
// AdaIN, no self-reconstruction and no perceptual term. Losses:
//
//   L_G = 10 (G_adv(D_B, x_AB) + G_adv(D_A, x_BA)) + 100 (L1(G_BA(x_AB), x_A) + L1(G_AB(x_BA), x_B))
//   L_D = 10 sum_X 0.5 [mean((D_X(real) - 1)^2) + mean(D_X(fake)^2)]      (LSGAN, EGSC-IT's D)
//
// (weights: train_options::weights.gan and .l1_cycle). Everything else is stage2_trainer's convention
// (trainer_common.hpp): 1 D step then g_updates (5) G steps per iteration, each on fresh batches from the
// per-domain epoch samplers, augmentation, poly lr, Adam(0.5, 0.999), every random draw seeded by
// (seed, t, step), so that save() + load() + train() equals an uninterrupted run.
//
// translate(content, from, exemplar, noise_seed) has stage2_trainer's signature; CycleGAN is not
// exemplar-guided, so the exemplar (and the seed: there is no noise) is ignored.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <functional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "i2i/io/checkpoint_set.hpp"
#include "i2i/model/init.hpp"
#include "i2i/recipes/egscit/alternating_steps.hpp"
#include "i2i/models/egscit/losses.hpp"
#include "i2i/models/egscit/networks.hpp"
#include "i2i/models/egscit/transfer.hpp"

namespace i2i::egscit {

/// One direction's generator: E_X's layers then G_Y's, the two formerly shared blocks as the
/// direction's own ("enc_res", "gen_res").
template <class Cfg>
struct cyclegan_generator
    : chain<channels<Cfg::input_nc>, named<"enc", typename Cfg::encoder_body>, named<"enc_res", typename Cfg::shared_block>,
            named<"gen_res", typename Cfg::shared_block>, named<"dec", typename Cfg::decoder_body>> {
  static_assert(Cfg::input_nc == Cfg::output_nc, "egscit::cyclegan_generator: the cycles need input_nc == output_nc");
};

template <class Cfg, class Backend = cpu_backend<float>, class Dis = discriminator<Cfg::output_nc>>
class cyclegan_trainer {
 public:
  using T = typename Backend::scalar;
  using gen_model = model<cyclegan_generator<Cfg>, Backend>;

  explicit cyclegan_trainer(train_options opt, std::function<void(const std::string&)> log = {})
      : G_AB("G_AB"), G_BA("G_BA"), D_A("D_A"), D_B("D_B"), opt_(validated(opt)), log_(std::move(log)),
        loop_(opt_, trainer_detail::joined_parameters(G_AB, G_BA), trainer_detail::joined_parameters(D_A, D_B),
              0xc9c1e, "egscit cyclegan") {
    const auto s = opt_.seed;
    initialize(G_AB, init_policy::egscit(), trainer_detail::seed_of(s, 41));
    initialize(G_BA, init_policy::egscit(), trainer_detail::seed_of(s, 42));
    initialize(D_A, init_policy::glorot(), trainer_detail::seed_of(s, 43));
    initialize(D_B, init_policy::glorot(), trainer_detail::seed_of(s, 44));
  }

  gen_model G_AB, G_BA;  ///< A -> B (E_A, G_B) and B -> A (E_B, G_A)
  model<Dis, Backend> D_A, D_B;

  std::int64_t iteration() const { return loop_.iteration(); }
  /// Data-parallel from now on (alternating_steps::set_data_parallel); call it after load().
  void set_data_parallel(std::shared_ptr<dist::data_parallel> dp) {
    loop_.set_data_parallel(std::move(dp), G_AB, G_BA, D_A, D_B);
  }
  const train_options& options() const { return opt_; }
  optim::adam<Backend>& generator_optimizer() { return loop_.g; }
  optim::adam<Backend>& discriminator_optimizer() { return loop_.d; }

  /// content (of domain `from`) into the other domain; the exemplar only has to have content's batch
  /// size (the interface is stage2_trainer's), it does not influence the output.
  tensor<T> translate(const tensor<T>& content, domain from, const tensor<T>& exemplar, std::uint64_t noise_seed = 0) const {
    (void)noise_seed;
    require<shape_error>(content.rank() == 4 && (!exemplar.defined() || exemplar.n() == content.n()),
                         "egscit::cyclegan_trainer::translate: content ", content.shape(), " and exemplar ",
                         exemplar.defined() ? exemplar.shape() : shape{}, " need the same batch size");
    return (from == domain::A ? G_AB : G_BA)(content);
  }
  /// x_XYX: the cycle of a batch of domain d.
  tensor<T> cycle(const tensor<T>& x, domain d) const {
    return d == domain::A ? G_BA(G_AB(x)) : G_AB(G_BA(x));
  }

  step_losses step(const image_source& a, const image_source& b) {
    auto r = loop_.step(
        a, b, [&] { zero_all(); }, [&](const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64&) { return d_step(xa, xb); },
        [&](const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64&, step_losses& l) { g_step(xa, xb, l); });
    if (loop_.log_due())
      trainer_detail::say(log_, i2i::detail::concat("cyclegan iteration ", iteration(), ": D ", r.d, ", G ", r.g,
                                                    ", cycle ", r.cycle, ", lr ", r.lr));
    return r;
  }
  step_losses train(const image_source& a, const image_source& b, std::int64_t until) {
    return trainer_detail::train_until(*this, until, a, b);
  }

  /// One G step's loss and gradients on a fixed batch pair, without an optimizer step (gradients are
  /// left in G_AB, G_BA; D's are zeroed first and receive only what backward through D leaves).
  step_losses generator_gradients(const tensor<T>& xa, const tensor<T>& xb) {
    zero_all();
    step_losses r;
    g_step(xa, xb, r);
    return r;
  }

  void save(const std::filesystem::path& dir) const {
    std::filesystem::create_directories(dir);
    io::checkpoint_set_writer set(dir, "cyclegan");  // the files below are committed as one set
    const auto meta = checkpoint_metadata<Cfg>(opt_, iteration(), "cyclegan");
    trainer_detail::save_in(G_AB, dir, "G_AB", meta);
    trainer_detail::save_in(G_BA, dir, "G_BA", meta);
    trainer_detail::save_in(D_A, dir, "D_A", meta);
    trainer_detail::save_in(D_B, dir, "D_B", meta);
    loop_.save(dir, "cyclegan", meta);
    set.commit({{"iteration", std::to_string(iteration())}});
  }
  /// Loads G_AB and G_BA; with_training_state also D, both Adam states and the iteration (to resume).
  void load(const std::filesystem::path& dir, bool with_training_state = true) {
    if (with_training_state) io::recover_checkpoint_set(dir, "cyclegan");  // complete, the last complete one, or an io_error
    check_config_metadata<Cfg>(dir / "G_AB.safetensors");
    trainer_detail::load_from(G_AB, dir, "G_AB");
    trainer_detail::load_from(G_BA, dir, "G_BA");
    if (!with_training_state) return;
    trainer_detail::load_from(D_A, dir, "D_A");
    trainer_detail::load_from(D_B, dir, "D_B");
    loop_.load(dir, "cyclegan");
  }

 private:
  static train_options validated(train_options o) {
    o.validate();
    require<value_error>(o.kind == model_kind::cyclegan, "egscit::cyclegan_trainer: options are for model kind '", o.kind,
                         "'; build them with with_model(o, model_kind::cyclegan)");
    return o;
  }
  void zero_all() {
    G_AB.zero_grad();
    G_BA.zero_grad();
    D_A.zero_grad();
    D_B.zero_grad();
  }
  double d_step(const tensor<T>& xa, const tensor<T>& xb) {
    const auto x_AB = G_AB(xa), x_BA = G_BA(xb);
    const double w = opt_.weights.gan;
    double total = 0;
    for (auto [D, real, fake] : {std::tuple{&D_A, &xa, &x_BA}, std::tuple{&D_B, &xb, &x_AB}}) {
      auto cr = D->forward(*real), cf = D->forward(*fake);
      auto l = discriminator_adv<Backend>(cr.output, cf.output);
      D->backward(cr, trainer_detail::scaled<Backend>(l.grad_real, w), {}, false);
      D->backward(cf, trainer_detail::scaled<Backend>(l.grad_fake, w), {}, false);
      total += w * l.value;
    }
    return total;
  }

  void g_step(const tensor<T>& xa, const tensor<T>& xb, step_losses& r) {
    using trainer_detail::add_scaled;
    using trainer_detail::scaled;
    const auto& w = opt_.weights;
    auto cAB = G_AB.forward(xa), cBA = G_BA.forward(xb);
    auto cABA = G_BA.forward(cAB.output), cBAB = G_AB.forward(cBA.output);
    auto l1A = Backend::l1_loss(cABA.output, xa), l1B = Backend::l1_loss(cBAB.output, xb);
    auto dB = D_B.forward(cAB.output), dA = D_A.forward(cBA.output);
    auto advB = generator_adv<Backend>(dB.output), advA = generator_adv<Backend>(dA.output);
    const double g = w.gan * (advA.value + advB.value) + w.l1_cycle * (l1A.value + l1B.value);
    loss::require_finite(g, "egscit cyclegan generator loss");

    // d/dx_AB: through D_B and through the cycle's G_BA; likewise d/dx_BA.
    auto d_AB = D_B.backward(dB, scaled<Backend>(advB.grad, w.gan), {}, true);
    add_scaled<Backend>(d_AB, G_BA.backward(cABA, scaled<Backend>(l1A.grad, w.l1_cycle), {}, true), 1.0);
    auto d_BA = D_A.backward(dA, scaled<Backend>(advA.grad, w.gan), {}, true);
    add_scaled<Backend>(d_BA, G_AB.backward(cBAB, scaled<Backend>(l1B.grad, w.l1_cycle), {}, true), 1.0);
    G_AB.backward(cAB, d_AB, {}, false);
    G_BA.backward(cBA, d_BA, {}, false);

    r.g = g;
    r.cycle = 0.5 * (l1A.value + l1B.value);
  }

  train_options opt_;
  std::function<void(const std::string&)> log_;
  trainer_detail::alternating_steps<Backend> loop_;
};

}  // namespace i2i::egscit
