#pragma once
// The MUNIT baseline of EGSC-IT's MNIST table, trained in EGSC-IT's backbone with EGSC-IT's training
// conventions (research/egscit.md §6.5, §11; docs/munit.md). The networks are in munit_networks.hpp.
//
//   munit_trainer<mnist> t(opt);           // train_options: batch, lr0, T, D:G ratio, augment, seed
//   t.train(src_A, src_B, opt.iterations);
//   auto y = t.translate(x_A, domain::A, x_B);   // A -> B in the style E^s_B(x_B)
//
// Losses (MUNIT's trainer.py gen_update / dis_update, MUNIT's default weights, munit_weights):
//   s_A, s_B ~ N(0, I) (StyleDim x 1 x 1), c_X, s'_X = E^c_X(x_X), E^s_X(x_X)
//   x_XX = G_X(c_X, s'_X), x_BA = G_A(c_B, s_A), x_AB = G_B(c_A, s_B)
//   L_G = gan_w (G_adv(D_A, x_BA) + G_adv(D_B, x_AB)) + recon_x_w (L1(x_AA, x_A) + L1(x_BB, x_B))
//       + recon_s_w (L1(E^s_A(x_BA), s_A) + L1(E^s_B(x_AB), s_B))
//       + recon_c_w (L1(E^c_B(x_AB), c_A) + L1(E^c_A(x_BA), c_B))
//       + recon_x_cyc_w (L1(G_A(E^c_B(x_AB), s'_A), x_A) + L1(G_B(E^c_A(x_BA), s'_B), x_B))
//   L_D = gan_w sum_X [mean(D_X(fake)^2) + mean((D_X(real) - 1)^2)]        (LSGAN, MUNIT's calc_dis_loss)
// As in MUNIT the content target c_X is not detached: the content term's gradient reaches E^c_X through
// both sides. No VGG term (docs/munit.md says why).
//
// Training conventions are stage2_trainer's (trainer.hpp): per iteration t, lr0 (1 - t/T)^0.9 for G and
// D, one D step then g_updates G steps, each on fresh batches drawn by the same sampler and augmentation,
// every random draw (images, flips, zooms, style codes) from generators seeded by (seed, t, step), Adam
// (beta1, beta2) from train_options; save()/load() write and read the weights, both Adam states and t,
// so a resumed run equals the uninterrupted one. train_options' EGSC-IT-only fields (weights, transfer,
// perceptual, vgg, noise_*) are not used.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "i2i/io/checkpoint_set.hpp"
#include "i2i/recipes/egscit/alternating_steps.hpp"
#include "i2i/models/egscit/munit_networks.hpp"
#include "i2i/recipes/egscit/trainer.hpp"

namespace i2i::egscit {

/// MUNIT's loss weights (configs/*.yaml defaults).
struct munit_weights {
  double gan = 1;            ///< gan_w
  double recon_x = 10;       ///< recon_x_w: L1 self-reconstruction
  double recon_s = 1;        ///< recon_s_w: L1 style-code reconstruction
  double recon_c = 1;        ///< recon_c_w: L1 content-code reconstruction
  double recon_x_cyc = 0;    ///< recon_x_cyc_w: L1 cycle through the reconstructed content (0: off)

  void validate() const {
    require<value_error>(gan >= 0 && recon_x >= 0 && recon_s >= 0 && recon_c >= 0 && recon_x_cyc >= 0,
                         "egscit::munit_weights: gan ", gan, ", recon_x ", recon_x, ", recon_s ", recon_s, ", recon_c ",
                         recon_c, ", recon_x_cyc ", recon_x_cyc, " (every weight must be >= 0)");
  }
};

/// MUNIT in the backbone of Cfg, trained like stage 2. step_losses' fields: d, g (weighted totals),
/// recon (mean L1 self-reconstruction), cycle (mean L1 cycle; 0 when recon_x_cyc is 0), content and
/// style (the mean UNWEIGHTED content- and style-code reconstruction terms: MUNIT has no perceptual loss,
/// these are its latent losses), lr.
template <class Cfg, class Backend = cpu_backend<float>, class Dis = discriminator<Cfg::output_nc>, int MlpWidth = 256,
          int StyleDim = 8>
class munit_trainer {
 public:
  using T = typename Backend::scalar;
  using arch = munit_arch<Cfg, StyleDim, MlpWidth>;
  using generator_type = munit_generator<arch, Backend>;
  using decoded = typename generator_type::decoded;

  /// The encoder side of one image: content code and style code, with what backward needs.
  struct encoded {
    typename model<typename arch::content_encoder, Backend>::context c;
    typename model<typename arch::style_encoder, Backend>::context s;
    const tensor<T>& content() const { return c.output; }
    const tensor<T>& style() const { return s.output; }
  };

  explicit munit_trainer(train_options opt, std::function<void(const std::string&)> log = {}, munit_weights w = {})
      : gen_A("gen_A"), gen_B("gen_B"), D_A("D_A"), D_B("D_B"), opt_(validated(opt)), w_(validated(w)),
        log_(std::move(log)),
        loop_(opt_, trainer_detail::joined_parameters(gen_A, gen_B), trainer_detail::joined_parameters(D_A, D_B),
              0xc33, "egscit munit") {
    const auto s = opt_.seed;
    // G as MUNIT initialises it (kaiming; with EGSC-IT's N(0, 0.02) the predicted AdaIN stds start near
    // 0 and shut the residual blocks and the style path off), D as stage 2 does (Glorot): it is
    // EGSC-IT's discriminator.
    gen_A.init_kaiming(trainer_detail::seed_of(s, 41));
    gen_B.init_kaiming(trainer_detail::seed_of(s, 42));
    initialize(D_A, init_policy::glorot(), trainer_detail::seed_of(s, 43));
    initialize(D_B, init_policy::glorot(), trainer_detail::seed_of(s, 44));
  }

  generator_type gen_A, gen_B;
  model<Dis, Backend> D_A, D_B;

  std::int64_t iteration() const { return loop_.iteration(); }
  /// Data-parallel from now on (alternating_steps::set_data_parallel); call it after load().
  void set_data_parallel(std::shared_ptr<dist::data_parallel> dp) {
    loop_.set_data_parallel(std::move(dp), gen_A, gen_B, D_A, D_B);
  }
  const train_options& options() const { return opt_; }
  const munit_weights& weights() const { return w_; }
  optim::adam<Backend>& generator_optimizer() { return loop_.g; }
  optim::adam<Backend>& discriminator_optimizer() { return loop_.d; }
  generator_type& gen(domain d) { return d == domain::A ? gen_A : gen_B; }
  const generator_type& gen(domain d) const { return d == domain::A ? gen_A : gen_B; }

  // ---- forward passes (public for tests and inference) ----

  encoded encode(domain d, const tensor<T>& x) const {
    const auto& g = gen(d);
    return {g.enc_content.forward(x), g.enc_style.forward(x)};
  }
  decoded decode(domain d, const tensor<T>& content, const tensor<T>& style) const { return gen(d).decode(content, style); }
  /// N style codes ~ N(0, I), N x StyleDim x 1 x 1 (MUNIT's prior), in the backend's memory.
  static tensor<T> random_style(std::int64_t n, std::mt19937_64& rng) {
    auto s = tensor<T>::empty(shape::nchw(n, StyleDim, 1, 1));
    std::normal_distribution<double> nd(0, 1);
    for (std::int64_t i = 0; i < s.numel(); ++i) s[i] = T(nd(rng));
    return Backend::to_backend(s);  // drawn on the host: the same codes on every backend
  }

  /// Translates `content` (of domain `from`) into the other domain in the style of `exemplar` (an image
  /// of the other domain), sample i with exemplar i: G_to(E^c_from(content), E^s_to(exemplar)). MUNIT's
  /// test path has no noise, so noise_seed changes nothing (it is there for stage2_trainer's interface).
  tensor<T> translate(const tensor<T>& content, domain from, const tensor<T>& exemplar, std::uint64_t noise_seed = 0) const {
    (void)noise_seed;
    require<shape_error>(content.rank() == 4 && exemplar.rank() == 4 && content.n() == exemplar.n(),
                         "munit::translate: content ", content.shape(), " and exemplar ", exemplar.shape(),
                         " need the same batch size (exemplar i styles content i)");
    const domain to = from == domain::A ? domain::B : domain::A;
    return decode(to, gen(from).enc_content(content), gen(to).enc_style(exemplar)).image();
  }
  /// MUNIT's multimodal sampling: the style code drawn from N(0, I) with a generator seeded by `seed`.
  tensor<T> translate_random(const tensor<T>& content, domain from, std::uint64_t seed) const {
    const domain to = from == domain::A ? domain::B : domain::A;
    std::mt19937_64 rng(trainer_detail::seed_of(opt_.seed, 0x7e59, seed));
    return decode(to, gen(from).enc_content(content), random_style(content.n(), rng)).image();
  }
  /// Self-reconstruction G_d(E^c_d(x), E^s_d(x)).
  tensor<T> reconstruct(const tensor<T>& x, domain d, std::uint64_t noise_seed = 0) const {
    (void)noise_seed;
    return decode(d, gen(d).enc_content(x), gen(d).enc_style(x)).image();
  }

  // ---- training ----

  step_losses step(const image_source& a, const image_source& b) {
    auto r = loop_.step(
        a, b, [&] { zero_all(); },
        [&](const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng) { return d_step(xa, xb, rng); },
        [&](const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng, step_losses& l) { g_step(xa, xb, rng, l); });
    if (loop_.log_due())
      trainer_detail::say(log_, i2i::detail::concat("munit iteration ", iteration(), ": D ", r.d, ", G ", r.g,
                                                    ", L1 recon_x ", r.recon, ", cycle ", r.cycle, ", recon_c ",
                                                    r.content, ", recon_s ", r.style, ", lr ", r.lr));
    return r;
  }
  /// Runs iterations until `until` (exclusive; capped at opt.iterations).
  step_losses train(const image_source& a, const image_source& b, std::int64_t until) {
    return trainer_detail::train_until(*this, until, a, b);
  }

  /// One G step's loss and gradients on a fixed batch pair, without an optimizer step (the gradients are
  /// left in the parameters); the style codes come from `rng`. For gradient checks.
  step_losses generator_gradients(const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng) {
    zero_all();
    step_losses r;
    g_step(xa, xb, rng, r);
    return r;
  }

  /// gen_A, gen_B, D_A, D_B (weights) and both Adam states with the iteration; metadata names the model.
  void save(const std::filesystem::path& dir) const {
    std::filesystem::create_directories(dir);
    io::checkpoint_set_writer set(dir, "munit");  // the files below are committed as one set
    const auto meta = metadata();
    io::save_state_dict(gen_A.state(), (dir / "gen_A.safetensors").string(), meta);
    io::save_state_dict(gen_B.state(), (dir / "gen_B.safetensors").string(), meta);
    trainer_detail::save_in(D_A, dir, "D_A", meta);
    trainer_detail::save_in(D_B, dir, "D_B", meta);
    loop_.save(dir, "munit", meta);
    set.commit({{"iteration", std::to_string(iteration())}});
  }
  /// Loads both generators (strict; enough to translate); with_training_state also D, both Adam states
  /// and the iteration (to resume).
  void load(const std::filesystem::path& dir, bool with_training_state = true) {
    if (with_training_state) io::recover_checkpoint_set(dir, "munit");  // complete, the last complete one, or an io_error
    load_generator(gen_A, dir / "gen_A.safetensors");
    load_generator(gen_B, dir / "gen_B.safetensors");
    if (!with_training_state) return;
    trainer_detail::load_from(D_A, dir, "D_A");
    trainer_detail::load_from(D_B, dir, "D_B");
    loop_.load(dir, "munit");
  }

 private:
  static train_options validated(train_options o) {
    o.validate();
    return o;
  }
  static munit_weights validated(munit_weights w) {
    w.validate();
    return w;
  }
  /// checkpoint_metadata (configuration, switches, seed, iteration: what load_translator rebuilds the
  /// model from) with MUNIT's kind and its style code's sizes.
  std::map<std::string, std::string> metadata() const {
    auto m = checkpoint_metadata<Cfg>(opt_, iteration(), "munit");
    m["egscit.model"] = "munit";
    m["munit.style_dim"] = std::to_string(StyleDim);
    m["munit.mlp_width"] = std::to_string(MlpWidth);
    return m;
  }
  static void load_generator(generator_type& g, const std::filesystem::path& file) {
    const auto path = file.string();
    // The state aliases the parameters on the CPU; copy back through the backend for any other.
    auto sd = g.state();
    io::load_state_dict(sd, path);
    const auto params = g.all_parameters();
    for (std::size_t i = 0; i < params.size(); ++i) Backend::assign_from_host(params[i]->value, sd[i].value);
    auto meta = io::read_checkpoint_metadata(path);
    auto it = meta.find("munit.style_dim");
    require<io_error>(it == meta.end() || it->second == std::to_string(StyleDim), "munit load: '", path,
                      "' has style_dim ", it == meta.end() ? std::string() : it->second, ", this trainer ", StyleDim);
  }
  void zero_all() {
    gen_A.zero_grad();
    gen_B.zero_grad();
    D_A.zero_grad();
    D_B.zero_grad();
  }

  /// LSGAN as MUNIT's calc_dis_loss: mean(D(fake)^2) + mean((D(real) - 1)^2), no 1/2.
  double d_step(const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng) {
    const auto s_a = random_style(xa.n(), rng), s_b = random_style(xb.n(), rng);
    const auto x_ba = decode(domain::A, gen_B.enc_content(xb), s_a).image();
    const auto x_ab = decode(domain::B, gen_A.enc_content(xa), s_b).image();
    const double w = w_.gan;
    double total = 0;
    for (auto [D, real, fake] : {std::tuple{&D_A, &xa, &x_ba}, std::tuple{&D_B, &xb, &x_ab}}) {
      auto cr = D->forward(*real), cf = D->forward(*fake);
      auto lr = Backend::lsgan_loss(cr.output, loss::gan_target::real);
      auto lf = Backend::lsgan_loss(cf.output, loss::gan_target::fake);
      D->backward(cr, trainer_detail::scaled<Backend>(lr.grad, w), {}, false);
      D->backward(cf, trainer_detail::scaled<Backend>(lf.grad, w), {}, false);
      total += w * (lr.value + lf.value);
    }
    loss::require_finite(total, "munit discriminator loss");
    return total;
  }

  /// Backward of E^c_X and E^s_X on one image (either gradient may be undefined = zero); returns dL/dx
  /// when need_dx.
  tensor<T> encode_backward(domain d, const encoded& e, const tensor<T>& dc, const tensor<T>& ds, bool need_dx) {
    auto& g = gen(d);
    tensor<T> dx;
    if (dc.defined()) dx = g.enc_content.backward(e.c, dc, {}, need_dx);
    if (ds.defined()) {
      auto d2 = g.enc_style.backward(e.s, ds, {}, need_dx);
      if (need_dx) {
        if (dx.defined()) trainer_detail::add_scaled<Backend>(dx, d2, 1.0);
        else dx = d2;
      }
    }
    return dx;
  }

  void g_step(const tensor<T>& xa, const tensor<T>& xb, std::mt19937_64& rng, step_losses& r) {
    using trainer_detail::add_scaled;
    using trainer_detail::scaled;
    const auto& w = w_;
    const bool cyc = w.recon_x_cyc > 0;
    const auto s_a = random_style(xa.n(), rng), s_b = random_style(xb.n(), rng);
    const auto eA = encode(domain::A, xa), eB = encode(domain::B, xb);
    auto AA = decode(domain::A, eA.content(), eA.style());
    auto BB = decode(domain::B, eB.content(), eB.style());
    auto BA = decode(domain::A, eB.content(), s_a);
    auto AB = decode(domain::B, eA.content(), s_b);
    const auto eBA = encode(domain::A, BA.image());  // c_B recon, s_A recon
    const auto eAB = encode(domain::B, AB.image());  // c_A recon, s_B recon
    decoded ABA, BAB;
    if (cyc) {
      ABA = decode(domain::A, eAB.content(), eA.style());
      BAB = decode(domain::B, eBA.content(), eB.style());
    }

    auto lxa = Backend::l1_loss(AA.image(), xa), lxb = Backend::l1_loss(BB.image(), xb);
    auto lsa = Backend::l1_loss(eBA.style(), s_a), lsb = Backend::l1_loss(eAB.style(), s_b);
    auto lca = Backend::l1_loss(eAB.content(), eA.content()), lcb = Backend::l1_loss(eBA.content(), eB.content());
    auto cA = D_A.forward(BA.image()), cB = D_B.forward(AB.image());
    auto advA = generator_adv<Backend>(cA.output), advB = generator_adv<Backend>(cB.output);
    double g = w.gan * (advA.value + advB.value) + w.recon_x * (lxa.value + lxb.value) +
               w.recon_s * (lsa.value + lsb.value) + w.recon_c * (lca.value + lcb.value);
    r.cycle = 0;
    loss::loss_value<T> lcyca, lcycb;
    if (cyc) {
      lcyca = Backend::l1_loss(ABA.image(), xa);
      lcycb = Backend::l1_loss(BAB.image(), xb);
      g += w.recon_x_cyc * (lcyca.value + lcycb.value);
      r.cycle = 0.5 * (lcyca.value + lcycb.value);
    }
    loss::require_finite(g, "munit generator loss");

    // Gradients for the codes of the originals, gathered before their encoders run backward.
    tensor<T> dcA = scaled<Backend>(lca.grad, -w.recon_c), dcB = scaled<Backend>(lcb.grad, -w.recon_c);  // the undetached targets
    tensor<T> dsA, dsB;  // s'_A, s'_B
    tensor<T> dcA_rec = scaled<Backend>(lca.grad, w.recon_c), dcB_rec = scaled<Backend>(lcb.grad, w.recon_c);
    if (cyc) {
      auto [dc1, ds1] = gen_A.decode_backward(ABA, scaled<Backend>(lcyca.grad, w.recon_x_cyc));
      add_scaled<Backend>(dcA_rec, dc1, 1.0);
      dsA = ds1;
      auto [dc2, ds2] = gen_B.decode_backward(BAB, scaled<Backend>(lcycb.grad, w.recon_x_cyc));
      add_scaled<Backend>(dcB_rec, dc2, 1.0);
      dsB = ds2;
    }
    // Through the encoders of the translations to x_AB and x_BA, plus the GAN terms.
    auto d_AB = encode_backward(domain::B, eAB, dcA_rec, scaled<Backend>(lsb.grad, w.recon_s), true);
    auto d_BA = encode_backward(domain::A, eBA, dcB_rec, scaled<Backend>(lsa.grad, w.recon_s), true);
    add_scaled<Backend>(d_AB, D_B.backward(cB, scaled<Backend>(advB.grad, w.gan), {}, true), 1.0);
    add_scaled<Backend>(d_BA, D_A.backward(cA, scaled<Backend>(advA.grad, w.gan), {}, true), 1.0);
    // The translations (their style codes are samples: no gradient needed) and the self-reconstructions.
    add_scaled<Backend>(dcA, gen_B.decode_backward(AB, d_AB).first, 1.0);
    add_scaled<Backend>(dcB, gen_A.decode_backward(BA, d_BA).first, 1.0);
    {
      auto [dc, ds] = gen_A.decode_backward(AA, scaled<Backend>(lxa.grad, w.recon_x));
      add_scaled<Backend>(dcA, dc, 1.0);
      add_scaled<Backend>(dsA, ds, 1.0);
    }
    {
      auto [dc, ds] = gen_B.decode_backward(BB, scaled<Backend>(lxb.grad, w.recon_x));
      add_scaled<Backend>(dcB, dc, 1.0);
      add_scaled<Backend>(dsB, ds, 1.0);
    }
    encode_backward(domain::A, eA, dcA, dsA, false);
    encode_backward(domain::B, eB, dcB, dsB, false);

    r.g = g;
    r.recon = 0.5 * (lxa.value + lxb.value);
    r.content = 0.5 * (lca.value + lcb.value);
    r.style = 0.5 * (lsa.value + lsb.value);
  }

  train_options opt_;
  munit_weights w_;
  std::function<void(const std::string&)> log_;
  trainer_detail::alternating_steps<Backend> loop_;
};

}  // namespace i2i::egscit
