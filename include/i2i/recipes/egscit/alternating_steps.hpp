#pragma once
// alternating_steps<B>: the iteration every EGSC-IT-family trainer runs (stage 1, stage 2 / UNIT,
// CycleGAN, MUNIT), so that the schedule, the batches and the optimizer state are written once:
//
//   - the reference's poly learning rate lr0 (1 - t/T)^power, set on both optimizers at iteration t;
//   - one D step, then g_updates G steps, EACH on a fresh batch pair (the reference's queue dequeues one
//     per sess.run): draw numbers first_draw(t, 1 + g_updates, j, batch), the step's random generator
//     seeded by (seed, tag, t, j) — the tag keeps each trainer's draws what they were;
//   - Adam for G and Adam for D (optim::adam<B>), saved as <prefix>_adam_G / <prefix>_adam_D with the
//     iteration (the same file on every backend, so a run continues on the other one);
//   - the batches drawn and augmented on the host, then uploaded (draw_batch<B>).
//
//   alternating_steps<B> loop(opt, g_params, d_params, 0xb22, "egscit stage 2");
//   auto r = loop.step(a, b, zero_all, [&](xa, xb, rng) { return d_loss; }, [&](xa, xb, rng, r) { ... });
//
// The trainer keeps its networks and its D and G steps; the loop owns what is shared.
//
// Data-parallel (set_data_parallel, docs/distributed.md): rank 0's trainable weights and Adam states are
// broadcast, each rank draws its own `batch` of the global batch of batch x world (the same per-epoch
// permutation on every rank, rank r at positions r*batch.. of each draw), its own augmentation and noise
// stream (dist::rank_seed: rank 0 keeps the single-process one), and the gradients are averaged over the
// ranks before each Adam step: each D and G step announces its list before its first backward call
// (data_parallel::expect_step), so that from the second iteration on the buckets of the watched models
// start while the step's later backward calls run. World size 1 changes nothing.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "i2i/dist/data_parallel.hpp"
#include "i2i/io/optimizer_state.hpp"
#include "i2i/recipes/egscit/trainer_common.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/optim/schedule.hpp"
#include "i2i/train/stop_on_error.hpp"

namespace i2i::egscit::trainer_detail {

template <class B>
class alternating_steps {
 public:
  using T = typename B::scalar;
  alternating_steps(const train_options& o, std::vector<optim::param_ref<T>> g_params,
                    std::vector<optim::param_ref<T>> d_params, std::uint64_t tag, const char* who)
      : opt_(o),
        tag_(tag),
        who_(who),
        g(std::move(g_params), adam_options(o)),
        d(std::move(d_params), adam_options(o)),
        schedule_(o.lr, o.iterations, o.lr_power) {}

  /// Iteration t (0-based) of the next step; the number of iterations done.
  std::int64_t iteration() const { return t_; }

  /// One iteration. zero() clears every gradient before each step; d_step(xa, xb, rng) returns the
  /// weighted D loss and leaves D's gradients; g_step(xa, xb, rng, losses) fills the G terms and leaves
  /// G's gradients. Returns the iteration's losses with its lr.
  template <class Zero, class DStep, class GStep>
  step_losses step(const image_source& a, const image_source& b, Zero&& zero, DStep&& d_step, GStep&& g_step) {
    const int per = 1 + opt_.g_updates;
    step_losses r;
    r.lr = schedule_.lr_at(t_);
    g.set_lr(r.lr);
    d.set_lr(r.lr);
    for (int j = 0; j < per; ++j) {
      const std::uint64_t draw = first_draw(t_, per, j, opt_.batch * world_) + std::uint64_t(rank_ * opt_.batch);
      std::mt19937_64 rng(seed_of(dist::rank_seed(opt_.seed, rank_), tag_, std::uint64_t(t_), std::uint64_t(j)));
      auto xa = draw_batch<B>(a, sa_, draw, opt_.batch, opt_.augment, rng, who_);
      auto xb = draw_batch<B>(b, sb_, draw, opt_.batch, opt_.augment, rng, who_);
      zero();
      if (dp_) dp_->expect_step(j == 0 ? d.params() : g.params());
      if (j == 0) {
        r.d = train::stop_on_error(who_, t_ + 1, [&] { return train::loss_term("D", [&] { return d_step(xa, xb, rng); }); });
        if (dp_) dp_->reduce_gradients(d.params());
        d.step();
      } else {
        train::stop_on_error(who_, t_ + 1, [&] { train::loss_term("G", [&] { g_step(xa, xb, rng, r); }); });
        if (dp_) dp_->reduce_gradients(g.params());
        g.step();
      }
    }
    ++t_;
    if (dp_ && log_due()) r = averaged(r);  // the line the caller logs shows the ranks' mean, as pix2pixHD's
    return r;
  }

  /// Trains as one rank of dp's job from now on (after a resume): see the header comment. `watched`: the
  /// models the steps run backward through (each a model, or networks with for_each_model), whose
  /// backward calls start the gradient buckets; a model left out only delays its buckets to the end.
  template <class... Watched>
  void set_data_parallel(std::shared_ptr<dist::data_parallel> dp, Watched&... watched) {
    dp_ = dp && dp->active() ? std::move(dp) : nullptr;
    world_ = dp_ ? dp_->world_size() : 1;
    rank_ = dp_ ? dp_->rank() : 0;
    if (!dp_) return;
    (watch(watched), ...);
    for (auto* o : {&g, &d}) {
      dp_->broadcast_values(o->params());
      dp_->broadcast_optimizer(*o);
    }
  }

  /// Whether the caller should log after the iteration just done.
  bool log_due() const { return opt_.log_every > 0 && t_ % opt_.log_every == 0; }

  /// Both Adam states as <dir>/<prefix>_adam_{D,G}.safetensors, with `meta` (which carries the iteration).
  void save(const std::filesystem::path& dir, const std::string& prefix, const std::map<std::string, std::string>& meta) const {
    io::save_adam_state(d, (dir / (prefix + "_adam_D.safetensors")).string(), meta);
    io::save_adam_state(g, (dir / (prefix + "_adam_G.safetensors")).string(), meta);
  }
  /// Restores both Adam states and the iteration saved with them.
  void load(const std::filesystem::path& dir, const std::string& prefix) {
    io::load_adam_state(d, (dir / (prefix + "_adam_D.safetensors")).string());
    const auto path = (dir / (prefix + "_adam_G.safetensors")).string();
    const auto meta = io::load_adam_state(g, path);
    t_ = io::metadata_number<std::int64_t>(meta, "iteration", path);
  }

 private:
  template <class M>
  void watch(M& m) {
    if constexpr (requires { typename M::gradients_ready_hook; }) dp_->watch(m);
    else m.for_each_model([&](auto& inner) { watch(inner); });
  }
  static optim::adam_options adam_options(const train_options& o) { return {o.lr, o.beta1, o.beta2, o.adam_eps, 0}; }
  /// The losses averaged over the ranks (every rank calls it at the same iterations); the lr is shared.
  step_losses averaged(const step_losses& r) const {
    train::step_record mine;
    mine.set("d", r.d);
    mine.set("g", r.g);
    mine.set("recon", r.recon);
    mine.set("cycle", r.cycle);
    mine.set("content", r.content);
    mine.set("style", r.style);
    const auto mean = dp_->average(mine);
    step_losses out = r;
    out.d = mean["d"];
    out.g = mean["g"];
    out.recon = mean["recon"];
    out.cycle = mean["cycle"];
    out.content = mean["content"];
    out.style = mean["style"];
    return out;
  }

  train_options opt_;  // a copy: the loop must not depend on where its trainer keeps the options
  std::uint64_t tag_;
  const char* who_;

 public:
  optim::adam<B> g, d;  ///< G's and D's optimizers

 private:
  optim::poly_decay schedule_;
  sampler sa_{opt_.seed, 0}, sb_{opt_.seed, 1};
  std::int64_t t_ = 0;
  std::shared_ptr<dist::data_parallel> dp_;  ///< null: one process
  int world_ = 1, rank_ = 0;
};

/// Runs `step()` until iteration `until` (exclusive; capped at the options' iterations); the last losses.
template <class Trainer>
step_losses train_until(Trainer& t, std::int64_t until, const image_source& a, const image_source& b) {
  step_losses last;
  until = std::min(until, t.options().iterations);
  while (t.iteration() < until) last = t.step(a, b);
  return last;
}

}  // namespace i2i::egscit::trainer_detail
