#pragma once
// EGSC-IT training on the CPU backend (research/egscit.md §5, §6): stage 1 pretrains one VAE-GAN per
// domain and keeps its encoder as the feature-mask network F; stage 2 trains the full model with F
// frozen and loaded from stage 1.
//
//   stage1_trainer<Cfg> s1(opt);  s1.train(src_A, src_B, opt.iterations);  s1.save_feature_masks(dir);
//   stage2_trainer<Cfg> s2(opt);  s2.load_feature_masks(dir);  s2.train(src_A, src_B, opt.iterations);
//   auto y = s2.translate(x_content, domain::A, x_exemplar);     // A -> B in the exemplar's style
//
// Iteration t (both stages): the learning rate of G and D is lr0 (1 - t/T)^0.9; one D step, then
// g_updates G steps (1 in stage 1, 5 in stage 2), each on a FRESH batch of each domain, as the
// reference's queue dequeues one per sess.run. A and B are drawn independently (the MNIST-Single train
// records are random couples of independently shuffled lists, so this has the same distribution).
//
// Determinism and resume: every random draw of iteration t (which images, flips, zoom windows, latent
// noise) comes from generators seeded by (seed, t, step), and the learning rate is a function of t, so
// the state of a run is its weights, its two Adam states and t. save()/resume() write and read exactly
// that, and a resumed run equals the uninterrupted one.
//
// Stage 1 (UNIT_VAEGAN_recon), per domain X and not shared: part1 = F_X (the encoder's domain part),
// part2 = one resblock, + N(0, I), part3 = one resblock, part4 = the decoder (NRes blocks, deconvs,
// 1x1 + tanh), D_X. G loss 10 G_adv(D_X(x^)) + 100 L1(x^, x) + 0.1 mean(z^2); D loss 10 D_adv(x, x^).
// Only part1 is kept (save_feature_masks writes F_A.safetensors and F_B.safetensors).
//
// Stage 2: the translator (translator_networks: E_A, E_B with the shared encoder block, the shared
// generator block S, decoders G_A, G_B; F_A, F_B frozen) and D_A, D_B, all from random initialisation
// (the reference does not initialise the translator from stage 1). Losses of §5 with the routing of
// transfer.hpp; the G optimizer holds E, S, G (never F, never D).
//
// UNIT (model_kind::unit, research model 1000, §6.5) is this stage-2 model with the mask, AdaIN and the
// perceptual terms off (with_model). It reads no F, so it trains without load_feature_masks and its
// checkpoint holds no F; EGSC-IT (and any ablation that still reads F) keeps refusing to train without it.
// The shared helpers (sampler, augmentation, seeding, checkpoint metadata) are in trainer_common.hpp.
//
// Perceptual features. With a VGG19 weights file (perceptual_options::vgg_weights) the content and style
// terms use VGG19 relu{1..5}_1 with TF-SAME pooling, as the reference. Without one the trainer logs that
// it has no VGG weights and substitutes the frozen stage-1 feature-mask networks: the terms involving x_AB
// are computed on F_B's features (last residual block) and those involving x_BA on F_A's, one layer with
// weight 1. F_X was trained to reconstruct domain X, so its features carry that domain's colours — what
// the Gram style term needs. The loss is never dropped silently; only opt.perceptual = false (the
// "w/o perceptual loss" ablation) or zero weights turn it off. With perceptual_options::network =
// mobilenet_v2 (--perceptual mobilenet_v2) the terms use the installable ImageNet MobileNetV2's four
// taps (models/mobilenet_v2.hpp; not VGG19), images fed in their [-1, 1] range, content weights l/4;
// the weights file must exist (no substitute). Stage-2 checkpoints record the choice
// (egscit.perceptual: vgg19, feature_mask_nets, mobilenet_v2 or off).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "i2i/io/checkpoint_set.hpp"
#include "i2i/io/npz.hpp"
#include "i2i/model/init.hpp"
#include "i2i/recipes/egscit/alternating_steps.hpp"
#include "i2i/models/egscit/losses.hpp"
#include "i2i/recipes/egscit/options.hpp"
#include "i2i/models/egscit/transfer.hpp"
#include "i2i/models/egscit/translator.hpp"
#include "i2i/models/mobilenet_v2.hpp"
#include "i2i/models/vgg19.hpp"

namespace i2i::egscit {

/// Stage-1 part2 / part3: one residual block, not shared between domains.
template <class Cfg>
struct vae_block : chain<channels<Cfg::latent>, named<"res", typename Cfg::shared_block>> {};

// ---------------------------------------------------------------------------------------------------
// Stage 1: the feature-mask pretraining.

template <class Cfg, class Backend = cpu_backend<float>, class Dis = discriminator<Cfg::output_nc>>
class stage1_trainer {
 public:
  using T = typename Backend::scalar;
  struct vaegan {
    model<feature_mask_net<Cfg>, Backend> part1;
    model<vae_block<Cfg>, Backend> part2, part3;
    model<decoder<Cfg>, Backend> part4;
    model<Dis, Backend> D;
    explicit vaegan(const std::string& d) : part1("F_" + d), part2("P2_" + d), part3("P3_" + d), part4("P4_" + d), D("D_" + d) {}
    template <class F>
    void for_each_model(F&& f) {
      f(part1);
      f(part2);
      f(part3);
      f(part4);
      f(D);
    }
  };

  explicit stage1_trainer(train_options opt, std::function<void(const std::string&)> log = {})
      : opt_(validated(opt)), log_(std::move(log)), A_("A"), B_("B"),
        loop_(opt_, g_params(), trainer_detail::joined_parameters(A_.D, B_.D), 0xa11, "egscit stage 1") {
    std::uint64_t s = opt_.seed;
    for (vaegan* v : {&A_, &B_}) {
      initialize(v->part1, init_policy::egscit(), trainer_detail::seed_of(s, 11));
      initialize(v->part2, init_policy::egscit(), trainer_detail::seed_of(s, 12));
      initialize(v->part3, init_policy::egscit(), trainer_detail::seed_of(s, 13));
      initialize(v->part4, init_policy::egscit(), trainer_detail::seed_of(s, 14));
      initialize(v->D, init_policy::glorot(), trainer_detail::seed_of(s, 15));
      ++s;
    }
  }

  vaegan& net(domain d) { return d == domain::A ? A_ : B_; }
  std::int64_t iteration() const { return loop_.iteration(); }
  /// Data-parallel from now on (alternating_steps::set_data_parallel); call it after a resume.
  void set_data_parallel(std::shared_ptr<dist::data_parallel> dp) { loop_.set_data_parallel(std::move(dp), A_, B_); }
  const train_options& options() const { return opt_; }
  optim::adam<Backend>& generator_optimizer() { return loop_.g; }
  optim::adam<Backend>& discriminator_optimizer() { return loop_.d; }

  /// x^ of a batch (noise as opt.noise_test says; gradients not kept).
  tensor<T> reconstruct(domain d, const tensor<T>& x) {
    std::mt19937_64 rng(trainer_detail::seed_of(opt_.seed, 0xe7a1, std::uint64_t(x.n())));
    auto& v = net(d);
    auto z = trainer_detail::add_noise<Backend>(v.part2(v.part1(x)), opt_.noise_test, rng);
    return v.part4(v.part3(z));
  }

  /// One iteration: one D step, then g_updates G steps, each on fresh batches.
  step_losses step(const image_source& a, const image_source& b) {
    auto r = loop_.step(
        a, b, [&] { zero_all(); },
        [&](const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng) {
          return d_step(A_, xa, rng) + d_step(B_, xb, rng);
        },
        [&](const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng, step_losses& l) {
          double ra = 0, rb = 0;
          l.g = g_step(A_, xa, rng, ra) + g_step(B_, xb, rng, rb);
          l.recon = 0.5 * (ra + rb);
        });
    if (loop_.log_due())
      trainer_detail::say(log_, i2i::detail::concat("stage 1 iteration ", iteration(), ": D ", r.d, ", G ", r.g,
                                                    ", L1 recon ", r.recon, ", lr ", r.lr));
    return r;
  }

  /// Runs iterations until `until` (exclusive; capped at opt.iterations).
  step_losses train(const image_source& a, const image_source& b, std::int64_t until) {
    return trainer_detail::train_until(*this, until, a, b);
  }

  /// F_A.safetensors and F_B.safetensors: what stage 2 loads.
  void save_feature_masks(const std::filesystem::path& dir) const {
    std::filesystem::create_directories(dir);
    const auto meta = checkpoint_metadata<Cfg>(opt_, iteration(), "1");
    trainer_detail::save_in(A_.part1, dir, "F_A", meta);
    trainer_detail::save_in(B_.part1, dir, "F_B", meta);
  }
  /// Everything a resume needs: every part, both D, both Adam states (with the iteration).
  void save(const std::filesystem::path& dir) const {
    io::checkpoint_set_writer set(dir, "stage1");  // the files below are committed as one set
    save_feature_masks(dir);
    for (const vaegan* v : {&A_, &B_}) {
      trainer_detail::save_in(v->part2, dir, v->part2.name());
      trainer_detail::save_in(v->part3, dir, v->part3.name());
      trainer_detail::save_in(v->part4, dir, v->part4.name());
      trainer_detail::save_in(v->D, dir, v->D.name());
    }
    loop_.save(dir, "stage1", checkpoint_metadata<Cfg>(opt_, iteration(), "1"));
    set.commit({{"iteration", std::to_string(iteration())}});
  }
  void resume(const std::filesystem::path& dir) {
    io::recover_checkpoint_set(dir, "stage1");  // complete, the last complete one, or an io_error
    for (vaegan* v : {&A_, &B_}) {
      trainer_detail::load_from(v->part1, dir, v->part1.name());
      trainer_detail::load_from(v->part2, dir, v->part2.name());
      trainer_detail::load_from(v->part3, dir, v->part3.name());
      trainer_detail::load_from(v->part4, dir, v->part4.name());
      trainer_detail::load_from(v->D, dir, v->D.name());
    }
    loop_.load(dir, "stage1");
  }

 private:
  static train_options validated(train_options o) {
    o.validate();
    return o;
  }
  std::vector<optim::param_ref<T>> g_params() const {
    std::vector<optim::param_ref<T>> r;
    for (const vaegan* v : {&A_, &B_})
      for (auto ps : {v->part1.parameters(), v->part2.parameters(), v->part3.parameters(), v->part4.parameters()})
        r.insert(r.end(), ps.begin(), ps.end());
    return r;
  }
  void zero_all() {
    for (vaegan* v : {&A_, &B_}) v->for_each_model([](auto& m) { m.zero_grad(); });
  }
  double d_step(vaegan& v, const tensor<T>& x, std::mt19937_64& rng) {
    auto z = trainer_detail::add_noise<Backend>(v.part2(v.part1(x)), opt_.noise_train, rng);
    auto fake = v.part4(v.part3(z));
    auto cr = v.D.forward(x), cf = v.D.forward(fake);
    auto l = discriminator_adv<Backend>(cr.output, cf.output);
    v.D.backward(cr, trainer_detail::scaled<Backend>(l.grad_real, opt_.weights.gan), {}, false);
    v.D.backward(cf, trainer_detail::scaled<Backend>(l.grad_fake, opt_.weights.gan), {}, false);
    return opt_.weights.gan * l.value;
  }
  double g_step(vaegan& v, const tensor<T>& x, std::mt19937_64& rng, double& recon) {
    const auto& w = opt_.weights;
    auto c1 = v.part1.forward(x);
    auto c2 = v.part2.forward(c1.output);
    auto z = trainer_detail::add_noise<Backend>(c2.output, opt_.noise_train, rng);
    auto c3 = v.part3.forward(z);
    auto c4 = v.part4.forward(c3.output);
    auto cd = v.D.forward(c4.output);
    auto adv = generator_adv<Backend>(cd.output);
    auto l1 = Backend::l1_loss(c4.output, x);
    auto kl = kl_term<Backend>(z);
    recon = l1.value;
    auto dx = v.D.backward(cd, trainer_detail::scaled<Backend>(adv.grad, w.gan), {}, true);
    trainer_detail::add_scaled<Backend>(dx, l1.grad, w.l1);
    auto dz = v.part3.backward(c3, v.part4.backward(c4, dx));
    trainer_detail::add_scaled<Backend>(dz, kl.grad, w.kl);
    v.part1.backward(c1, v.part2.backward(c2, dz), {}, false);
    return w.gan * adv.value + w.l1 * l1.value + w.kl * kl.value;
  }

  train_options opt_;
  std::function<void(const std::string&)> log_;
  vaegan A_, B_;
  trainer_detail::alternating_steps<Backend> loop_;
};

// ---------------------------------------------------------------------------------------------------
// Stage 2: EGSC-IT.

template <class Cfg, class Backend = cpu_backend<float>, class Dis = discriminator<Cfg::output_nc>>
class stage2_trainer {
 public:
  using T = typename Backend::scalar;
  using nets = translator_networks<Cfg, Backend>;
  using vgg_model = model<models::vgg19_tf_same, Backend>;
  using mobilenet_v2_model = model<models::mobilenet_v2, Backend>;

  /// The encoder side of one pass: mu = E(x), z = mu + noise, c = S(z).
  struct encoded {
    typename model<encoder<Cfg>, Backend>::context e;
    tensor<T> z;
    typename model<generator_shared<Cfg>, Backend>::context s;
    const tensor<T>& code() const { return s.output; }
  };
  /// The decoder side: transfer(c; f_s, f_e), then G.
  struct decoded {
    transfer_result<T> tr;
    typename model<decoder<Cfg>, Backend>::context g;
    tensor<T> f_s, f_e;
    const tensor<T>& image() const { return g.output; }
  };
  /// Every output of §4's table for one (x_A, x_B) batch pair.
  struct pass {
    tensor<T> x_A, x_B, f_A, f_B;
    encoded eA, eB, eAB, eBA;  // eAB encodes x_AB (towards x_ABA), eBA encodes x_BA (towards x_BAB)
    decoded AA, BA, AB, BB, ABA, BAB;
  };

  explicit stage2_trainer(train_options opt, std::function<void(const std::string&)> log = {})
      : D_A("D_A"), D_B("D_B"), opt_(validated(opt)), log_(std::move(log)),
        loop_(opt_, net.generator_parameters(), trainer_detail::joined_parameters(D_A, D_B), 0xb22, "egscit stage 2") {
    const auto s = opt_.seed;
    // E_A, E_B, S each initialise the shared blocks they hold; the last write wins, which is one draw.
    initialize(net.E_A, init_policy::egscit(), trainer_detail::seed_of(s, 21));
    initialize(net.E_B, init_policy::egscit(), trainer_detail::seed_of(s, 22));
    initialize(net.S, init_policy::egscit(), trainer_detail::seed_of(s, 23));
    initialize(net.G_A, init_policy::egscit(), trainer_detail::seed_of(s, 24));
    initialize(net.G_B, init_policy::egscit(), trainer_detail::seed_of(s, 25));
    initialize(net.F_A, init_policy::egscit(), trainer_detail::seed_of(s, 26));
    initialize(net.F_B, init_policy::egscit(), trainer_detail::seed_of(s, 27));
    initialize(D_A, init_policy::glorot(), trainer_detail::seed_of(s, 28));
    initialize(D_B, init_policy::glorot(), trainer_detail::seed_of(s, 29));
    setup_perceptual();
  }

  /// Whether this model reads F_A, F_B: the mask, AdaIN's statistics or the substitute perceptual
  /// features. UNIT (and EGSC-IT with every F use ablated) does not, so it trains without stage 1.
  bool uses_feature_masks() const {
    return opt_.transfer.use_mask || opt_.transfer.use_adain ||
           (perceptual_on() && source_ == perceptual_source::feature_mask_nets);
  }

  nets net;
  model<Dis, Backend> D_A, D_B;

  std::int64_t iteration() const { return loop_.iteration(); }
  /// Data-parallel from now on (alternating_steps::set_data_parallel); call it after a resume.
  void set_data_parallel(std::shared_ptr<dist::data_parallel> dp) {
    loop_.set_data_parallel(std::move(dp), net, D_A, D_B);
  }
  const train_options& options() const { return opt_; }
  /// "vgg19" or "feature_mask_nets" (the substitute), and the sentence the trainer logged about it.
  perceptual_source perceptual_features() const { return source_; }
  const std::string& perceptual_note() const { return note_; }
  bool uses_perceptual() const { return perceptual_on(); }
  optim::adam<Backend>& generator_optimizer() { return loop_.g; }
  optim::adam<Backend>& discriminator_optimizer() { return loop_.d; }

  /// Loads F_A and F_B from stage 1's save_feature_masks (strict); they stay frozen.
  void load_feature_masks(const std::filesystem::path& dir) {
    trainer_detail::load_from(net.F_A, dir, "F_A");
    trainer_detail::load_from(net.F_B, dir, "F_B");
    f_loaded_ = true;
  }
  bool feature_masks_loaded() const { return f_loaded_; }

  // ---- forward passes (public for tests and inference) ----

  encoded encode(domain d, const tensor<T>& x, bool noise, std::mt19937_64& rng) const {
    encoded r;
    r.e = (d == domain::A ? net.E_A : net.E_B).forward(x);
    r.z = trainer_detail::add_noise<Backend>(r.e.output, noise, rng);
    r.s = net.S.forward(r.z);
    return r;
  }
  decoded decode(domain d, const tensor<T>& code, const tensor<T>& f_s, const tensor<T>& f_e) const {
    decoded r;
    r.f_s = f_s;
    r.f_e = f_e;
    r.tr = transfer_forward<Backend>(code, f_s, f_e, opt_.transfer);
    r.g = (d == domain::A ? net.G_A : net.G_B).forward(r.tr.y);
    return r;
  }
  /// F_d(x); an undefined tensor when neither the mask nor AdaIN reads it (UNIT, and the perceptual
  /// substitute computes its own).
  tensor<T> features(domain d, const tensor<T>& x) const {
    if (!opt_.transfer.use_mask && !opt_.transfer.use_adain) return {};
    return (d == domain::A ? net.F_A : net.F_B)(x);
  }

  /// The whole graph of one G step (cycles included when `cycles`).
  pass forward(const tensor<T>& x_A, const tensor<T>& x_B, bool noise, std::mt19937_64& rng, bool cycles = true) const {
    pass p;
    p.x_A = x_A;
    p.x_B = x_B;
    p.f_A = features(domain::A, x_A);
    p.f_B = features(domain::B, x_B);
    p.eA = encode(domain::A, x_A, noise, rng);
    p.eB = encode(domain::B, x_B, noise, rng);
    p.AA = decode(domain::A, p.eA.code(), p.f_A, p.f_A);
    p.BA = decode(domain::A, p.eB.code(), p.f_B, p.f_A);
    p.AB = decode(domain::B, p.eA.code(), p.f_A, p.f_B);
    p.BB = decode(domain::B, p.eB.code(), p.f_B, p.f_B);
    if (cycles) {
      // The cycles reuse the ORIGINAL images' masks and statistics (§4).
      p.eAB = encode(domain::B, p.AB.image(), noise, rng);
      p.ABA = decode(domain::A, p.eAB.code(), p.f_A, p.f_A);
      p.eBA = encode(domain::A, p.BA.image(), noise, rng);
      p.BAB = decode(domain::B, p.eBA.code(), p.f_B, p.f_B);
    }
    return p;
  }

  /// Translates `content` (of domain `from`) into the other domain in the style of `exemplar` (an
  /// image of the other domain), sample i with exemplar i. Latent noise as opt.noise_test says.
  tensor<T> translate(const tensor<T>& content, domain from, const tensor<T>& exemplar, std::uint64_t noise_seed = 0) const {
    require<shape_error>(content.rank() == 4 && exemplar.rank() == 4 && content.n() == exemplar.n(),
                         "egscit::translate: content ", content.shape(), " and exemplar ", exemplar.shape(),
                         " need the same batch size (exemplar i styles content i)");
    const domain to = from == domain::A ? domain::B : domain::A;
    std::mt19937_64 rng(trainer_detail::seed_of(opt_.seed, 0x7e57, noise_seed));
    auto e = encode(from, content, opt_.noise_test, rng);
    return decode(to, e.code(), features(from, content), features(to, exemplar)).image();
  }
  /// Self-reconstruction x_XX of a batch.
  tensor<T> reconstruct(const tensor<T>& x, domain d, std::uint64_t noise_seed = 0) const {
    std::mt19937_64 rng(trainer_detail::seed_of(opt_.seed, 0x7e58, noise_seed));
    auto e = encode(d, x, opt_.noise_test, rng);
    auto f = features(d, x);
    return decode(d, e.code(), f, f).image();
  }

  // ---- training ----

  step_losses step(const image_source& a, const image_source& b) {
    require<value_error>(f_loaded_ || allow_untrained_f_ || !uses_feature_masks(),
                         "egscit stage 2: the feature-mask networks F_A, F_B are not "
                         "loaded; call load_feature_masks(<stage-1 dir>) first (the reference asserts pretrained_path)");
    auto r = loop_.step(
        a, b, [&] { zero_all(); },
        [&](const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng) { return d_step(xa, xb, rng); },
        [&](const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng, step_losses& l) { g_step(xa, xb, rng, l); });
    if (loop_.log_due())
      trainer_detail::say(log_, i2i::detail::concat("stage 2 iteration ", iteration(), ": D ", r.d, ", G ", r.g,
                                                    ", L1 recon ", r.recon, ", cycle ", r.cycle, ", content ",
                                                    r.content, ", style ", r.style, ", lr ", r.lr));
    return r;
  }
  step_losses train(const image_source& a, const image_source& b, std::int64_t until) {
    return trainer_detail::train_until(*this, until, a, b);
  }

  /// For tests that exercise stage 2 on random F (never for real runs).
  void allow_untrained_feature_masks(bool on = true) { allow_untrained_f_ = on; }

  /// One G step's loss and gradients on a fixed batch pair, without an optimizer step (gradients are
  /// left in the parameters). Public so that tests can check the freezing of F and D.
  step_losses generator_gradients(const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng) {
    zero_all();
    step_losses r;
    g_step(xa, xb, rng, r);
    return r;
  }

  void save(const std::filesystem::path& dir) const {
    std::filesystem::create_directories(dir);
    auto meta = checkpoint_metadata<Cfg>(opt_, iteration(), "2");
    io::checkpoint_set_writer set(dir, "stage2");  // the files below are committed as one set
    meta["egscit.perceptual"] = perceptual_on() ? to_string(source_) : "off";
    trainer_detail::save_in(net.E_A, dir, "E_A", meta);
    trainer_detail::save_in(net.E_B, dir, "E_B", meta);
    trainer_detail::save_in(net.S, dir, "S", meta);
    trainer_detail::save_in(net.G_A, dir, "G_A", meta);
    trainer_detail::save_in(net.G_B, dir, "G_B", meta);
    if (uses_feature_masks()) {  // UNIT has none to save (its F are the unused random initialisation)
      trainer_detail::save_in(net.F_A, dir, "F_A", meta);
      trainer_detail::save_in(net.F_B, dir, "F_B", meta);
    }
    trainer_detail::save_in(D_A, dir, "D_A", meta);
    trainer_detail::save_in(D_B, dir, "D_B", meta);
    loop_.save(dir, "stage2", meta);
    set.commit({{"iteration", std::to_string(iteration())}});
  }
  /// Loads the translator and F (for translation; F only when this model uses it); with_training_state
  /// also loads D and both Adam states and the iteration (to resume). The options are this trainer's:
  /// load.hpp's load_translator reads them from the checkpoint metadata first.
  void load(const std::filesystem::path& dir, bool with_training_state = true) {
    if (with_training_state) io::recover_checkpoint_set(dir, "stage2");  // complete, the last complete one, or an io_error
    check_config_metadata<Cfg>(dir / "E_A.safetensors");
    trainer_detail::load_from(net.E_A, dir, "E_A");
    trainer_detail::load_from(net.E_B, dir, "E_B");
    trainer_detail::load_from(net.S, dir, "S");
    trainer_detail::load_from(net.G_A, dir, "G_A");
    trainer_detail::load_from(net.G_B, dir, "G_B");
    if (uses_feature_masks()) {
      trainer_detail::load_from(net.F_A, dir, "F_A");
      trainer_detail::load_from(net.F_B, dir, "F_B");
      f_loaded_ = true;
    }
    if (!with_training_state) return;
    trainer_detail::load_from(D_A, dir, "D_A");
    trainer_detail::load_from(D_B, dir, "D_B");
    loop_.load(dir, "stage2");
  }

 private:
  static train_options validated(train_options o) {
    o.validate();
    require<value_error>(o.kind == model_kind::egscit || o.kind == model_kind::unit, "egscit::stage2_trainer: model kind '",
                         o.kind, "' is not EGSC-IT or UNIT (CycleGAN: cyclegan_trainer, MUNIT: munit_trainer)");
    require<value_error>(o.kind != model_kind::unit || (!o.transfer.use_mask && !o.transfer.use_adain && !o.perceptual),
                         "egscit::stage2_trainer: UNIT (model 1000) has no mask, AdaIN or perceptual loss; build its "
                         "options with with_model(o, model_kind::unit)");
    return o;
  }
  void zero_all() {
    net.zero_grad();
    D_A.zero_grad();
    D_B.zero_grad();
  }
  bool perceptual_on() const {
    return opt_.perceptual && (opt_.weights.content != 0 || opt_.weights.style != 0);
  }
  void setup_perceptual() {
    if (!perceptual_on()) {
      note_ = "perceptual losses off (ablation w/o perceptual loss, or zero weights)";
      return;
    }
    if (opt_.vgg.network == perceptual_source::mobilenet_v2) {
      const auto& file = opt_.vgg.mobilenet_v2_weights;
      require<value_error>(!file.empty(), "egscit stage 2: --perceptual mobilenet_v2 needs a weights file "
                           "(cmake/fetch_mobilenet_v2.sh makes it)");
      mobilenet_v2_ = std::make_unique<mobilenet_v2_model>("");
      models::load_mobilenet_v2(*mobilenet_v2_, file);  // throws naming what is wrong; freezes
      mobilenet_v2_->eval();
      source_ = perceptual_source::mobilenet_v2;
      note_ = "perceptual losses on MobileNetV2 (an 8-bit ImageNet MobileNetV2, not VGG19) block_1_expand_relu, "
              "block_3_expand_relu, block_6_expand_relu, block_10_project from '" + file + "'";
      trainer_detail::say(log_, note_);
      return;
    }
    require<value_error>(opt_.vgg.network == perceptual_source::vgg19, "egscit stage 2: perceptual network ",
                         opt_.vgg.network, " cannot be chosen (vgg19 or mobilenet_v2)");
    const auto& path = opt_.vgg.vgg_weights;
    if (!path.empty() && std::filesystem::exists(path)) {
      vgg_ = std::make_unique<vgg_model>("");
      if (path.size() > 4 && path.compare(path.size() - 4, 4, ".npz") == 0)  // docs/checkpoints.md's conversion
        io::load_state_dict(state_dict_of(*vgg_), io::read_npz<float>(path), io::load_mode::strict, {}, path);
      else
        load_model(*vgg_, path);  // safetensors
      vgg_->freeze("");
      vgg_->eval();
      vgg_map_ = opt_.vgg.normalisation == vgg_normalisation::caffe_bgr ? models::vgg_input::caffe_bgr()
                                                                        : models::vgg_input::imagenet();
      source_ = perceptual_source::vgg19;
      note_ = "perceptual losses on VGG19 relu1_1..relu5_1 from '" + path + "'";
    } else {
      require<value_error>(opt_.vgg.allow_substitute, "egscit stage 2: no VGG19 weights file (",
                           path.empty() ? std::string("none given") : "'" + path + "' does not exist",
                           ") and the substitute is not allowed");
      source_ = perceptual_source::feature_mask_nets;
      note_ = std::string("NOTE: no VGG19 weights file (") +
              (path.empty() ? std::string("none given") : "'" + path + "' does not exist") +
              "); the perceptual content and style losses use the documented substitute: the frozen stage-1 "
              "feature-mask networks' features (F_B for terms on x_AB, F_A for terms on x_BA), one layer";
    }
    trainer_detail::say(log_, note_);
  }

  struct feats {
    std::vector<tensor<T>> maps;
    std::shared_ptr<void> ctx;  // the model context (VGG or F), for backward
  };
  /// phi(x) for terms on an output of domain d (the substitute picks F_d; VGG is domain-blind).
  feats phi(domain d, const tensor<T>& x) const {
    feats f;
    if (source_ == perceptual_source::vgg19) {
      auto c = std::make_shared<typename vgg_model::context>(vgg_->forward(vgg_map_.apply(x)));
      for (auto k : models::vgg19_tf_same::taps) f.maps.push_back(c->tap(std::string(k)));
      f.ctx = c;
    } else if (source_ == perceptual_source::mobilenet_v2) {
      auto c = std::make_shared<typename mobilenet_v2_model::context>(mobilenet_v2_->forward(x));
      for (auto k : models::mobilenet_v2::taps) f.maps.push_back(c->tap(std::string(k)));
      f.ctx = c;
    } else {
      const auto& F = d == domain::A ? net.F_A : net.F_B;
      auto c = std::make_shared<typename model<feature_mask_net<Cfg>, Backend>::context>(F.forward(x));
      f.maps.push_back(c->output);
      f.ctx = c;
    }
    return f;
  }
  tensor<T> phi_backward(domain d, const feats& f, const std::vector<tensor<T>>& g) {
    if (source_ == perceptual_source::vgg19) {
      const auto& c = *std::static_pointer_cast<typename vgg_model::context>(f.ctx);
      tap_list<T> tg;
      for (std::size_t l = 0; l < g.size(); ++l) tg.put(std::string(models::vgg19_tf_same::taps[l]), g[l]);
      return vgg_map_.backward(vgg_->backward(c, tensor<T>(), tg, true));
    }
    if (source_ == perceptual_source::mobilenet_v2) {
      const auto& c = *std::static_pointer_cast<typename mobilenet_v2_model::context>(f.ctx);
      tap_list<T> tg;
      for (std::size_t l = 0; l < g.size(); ++l) tg.put(std::string(models::mobilenet_v2::taps[l]), g[l]);
      return mobilenet_v2_->backward(c, tensor<T>(), tg, true);
    }
    auto& F = d == domain::A ? net.F_A : net.F_B;  // frozen: only the input gradient is computed
    const auto& c = *std::static_pointer_cast<typename model<feature_mask_net<Cfg>, Backend>::context>(f.ctx);
    return F.backward(c, g[0], {}, true);
  }
  std::vector<double> content_weights() const {
    if (source_ == perceptual_source::mobilenet_v2) return content_layer_weights(models::mobilenet_v2::taps.size());
    return source_ == perceptual_source::vgg19 ? content_layer_weights(5) : std::vector<double>{1.0};
  }
  std::vector<double> style_weights() const {
    if (source_ == perceptual_source::mobilenet_v2) return std::vector<double>(models::mobilenet_v2::taps.size(), 1.0);
    return std::vector<double>(source_ == perceptual_source::vgg19 ? 5 : 1, 1.0);
  }


  double d_step(const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng) {
    auto p = forward(xa, xb, opt_.noise_train, rng, false);
    const double w = opt_.weights.gan;
    double total = 0;
    for (auto [D, real, fake] : {std::tuple{&D_A, &xa, &p.BA.image()}, std::tuple{&D_B, &xb, &p.AB.image()}}) {
      auto cr = D->forward(*real), cf = D->forward(*fake);
      auto l = discriminator_adv<Backend>(cr.output, cf.output);
      D->backward(cr, trainer_detail::scaled<Backend>(l.grad_real, w), {}, false);
      D->backward(cf, trainer_detail::scaled<Backend>(l.grad_fake, w), {}, false);
      total += w * l.value;
    }
    return total;
  }

  tensor<T> decode_backward(domain d, const decoded& dc, const tensor<T>& code, const tensor<T>& dy) {
    auto& G = d == domain::A ? net.G_A : net.G_B;
    auto dt = G.backward(dc.g, dy, {}, true);
    return transfer_backward<Backend>(code, dc.f_s, dc.f_e, dc.tr, dt).dx;
  }
  /// dc -> through S, plus the KL gradient on z, -> through E (input gradient when asked).
  tensor<T> encode_backward(domain d, const encoded& e, const tensor<T>& dc, const tensor<T>& dz_extra, bool need_dx) {
    auto dz = net.S.backward(e.s, dc, {}, true);
    if (dz_extra.defined()) trainer_detail::add_scaled<Backend>(dz, dz_extra, 1.0);
    return (d == domain::A ? net.E_A : net.E_B).backward(e.e, dz, {}, need_dx);
  }

  void g_step(const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng, step_losses& r) {
    using trainer_detail::add_scaled;
    using trainer_detail::scaled;
    const auto& w = opt_.weights;
    auto p = forward(xa, xb, opt_.noise_train, rng, true);
    const auto& x_AB = p.AB.image();
    const auto& x_BA = p.BA.image();

    // KL on the joint latent [z_A; z_B], counted in the A and the B term; cycle KLs.
    const auto zj = trainer_detail::cat_batch<Backend>(p.eA.z, p.eB.z);
    auto kl = kl_term<Backend>(zj);
    auto kl_zA = trainer_detail::slice_batch<Backend>(kl.grad, 0, p.eA.z.n());
    auto kl_zB = trainer_detail::slice_batch<Backend>(kl.grad, p.eA.z.n(), p.eB.z.n());
    auto klA = kl_term<Backend>(p.eBA.z), klB = kl_term<Backend>(p.eAB.z);  // z'_A (E_A(x_BA)), z'_B (E_B(x_AB))

    auto l1AA = Backend::l1_loss(p.AA.image(), xa), l1BB = Backend::l1_loss(p.BB.image(), xb);
    auto l1ABA = Backend::l1_loss(p.ABA.image(), xa), l1BAB = Backend::l1_loss(p.BAB.image(), xb);

    double g = 2 * w.kl * kl.value + w.kl_cycle * (klA.value + klB.value) + w.l1 * (l1AA.value + l1BB.value) +
               w.l1_cycle * (l1ABA.value + l1BAB.value);

    // Cycles first: they give gradients for x_AB and x_BA.
    auto dABA_code = decode_backward(domain::A, p.ABA, p.eAB.code(), scaled<Backend>(l1ABA.grad, w.l1_cycle));
    tensor<T> d_AB = encode_backward(domain::B, p.eAB, dABA_code, scaled<Backend>(klB.grad, w.kl_cycle), true);
    auto dBAB_code = decode_backward(domain::B, p.BAB, p.eBA.code(), scaled<Backend>(l1BAB.grad, w.l1_cycle));
    tensor<T> d_BA = encode_backward(domain::A, p.eBA, dBAB_code, scaled<Backend>(klA.grad, w.kl_cycle), true);

    // GAN terms through the (not updated here) discriminators.
    auto cA = D_A.forward(x_BA), cB = D_B.forward(x_AB);
    auto advA = generator_adv<Backend>(cA.output), advB = generator_adv<Backend>(cB.output);
    g += w.gan * (advA.value + advB.value);
    add_scaled<Backend>(d_BA, D_A.backward(cA, scaled<Backend>(advA.grad, w.gan), {}, true), 1.0);
    add_scaled<Backend>(d_AB, D_B.backward(cB, scaled<Backend>(advB.grad, w.gan), {}, true), 1.0);

    // Perceptual content and style on normalised features.
    r.content = r.style = 0;
    if (perceptual_on()) {
      for (auto [dom, pred, content_target, style_target, dpred] :
           {std::tuple{domain::B, &x_AB, &xa, &xb, &d_AB}, std::tuple{domain::A, &x_BA, &xb, &xa, &d_BA}}) {
        auto fp = phi(dom, *pred);
        const auto fc = phi(dom, *content_target).maps;
        const auto fs = phi(dom, *style_target).maps;
        auto c = perceptual_content<Backend>(fp.maps, fc, content_weights());
        auto s = perceptual_style<Backend>(fp.maps, fs, style_weights());
        r.content += c.value;
        r.style += s.value;
        std::vector<tensor<T>> gl(fp.maps.size());
        for (std::size_t l = 0; l < gl.size(); ++l) {
          gl[l] = scaled<Backend>(c.grads[l], w.content);
          add_scaled<Backend>(gl[l], s.grads[l], w.style);
        }
        add_scaled<Backend>(*dpred, phi_backward(dom, fp, gl), 1.0);
      }
      g += w.content * r.content + w.style * r.style;
    }
    loss::require_finite(g, "egscit stage 2 generator loss");

    // Translations and self-reconstructions, then the shared S and the encoders.
    auto dcA = decode_backward(domain::B, p.AB, p.eA.code(), d_AB);
    auto dcB = decode_backward(domain::A, p.BA, p.eB.code(), d_BA);
    add_scaled<Backend>(dcA, decode_backward(domain::A, p.AA, p.eA.code(), scaled<Backend>(l1AA.grad, w.l1)), 1.0);
    add_scaled<Backend>(dcB, decode_backward(domain::B, p.BB, p.eB.code(), scaled<Backend>(l1BB.grad, w.l1)), 1.0);
    encode_backward(domain::A, p.eA, dcA, scaled<Backend>(kl_zA, 2 * w.kl), false);
    encode_backward(domain::B, p.eB, dcB, scaled<Backend>(kl_zB, 2 * w.kl), false);

    r.g = g;
    r.recon = 0.5 * (l1AA.value + l1BB.value);
    r.cycle = 0.5 * (l1ABA.value + l1BAB.value);
  }

  train_options opt_;
  std::function<void(const std::string&)> log_;
  trainer_detail::alternating_steps<Backend> loop_;
  std::unique_ptr<vgg_model> vgg_;
  std::unique_ptr<mobilenet_v2_model> mobilenet_v2_;
  models::vgg_input::channel_map vgg_map_ = models::vgg_input::caffe_bgr();
  perceptual_source source_ = perceptual_source::feature_mask_nets;
  std::string note_;
  bool f_loaded_ = false, allow_untrained_f_ = false;
};

}  // namespace i2i::egscit
