#pragma once
// pix2pixhd::trainer and pix2pix's step on two backends, written once over B and compiled twice: with
// cpu_backend<float> in trainer_reference.cpp (after backend/cpu/backend.hpp) and with
// cuda_backend<float, cuda::fp32_strict> in test_trainer_parity.cu (after backend/cuda/backend.cuh).
// Eigen-free: the trainers' headers and host helpers only.
//
// Configuration: the tiny preset at 32 x 64, label_nc 3 with instance maps, --instance_feat (E and the
// instance-wise pooling), --pool_size 2 (the host pool in the loop), LSGAN + feature matching; no VGG
// unless a VGG19 weights file is given (write_vgg_weights: random weights, the VGG term on top).
// Batches are drawn on the host from fixed seeds (blocky label and instance maps, images in [-1, 1]).
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "i2i/data/encode_on_backend.hpp"
#include "i2i/models/pix2pix/networks.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"
#include "parity_host.hpp"

namespace i2i::parity {

using trainer_cfg = pix2pixhd::config<pix2pixhd::tiny_preset, false, 4, true>;
inline constexpr std::int64_t trainer_h = 32, trainer_w = 64;
inline constexpr double trainer_lr = 2e-4;

/// The run's options; with vgg_weights non-empty the VGG term is on (--vgg_weights FILE).
inline pix2pixhd::train_options trainer_options(const std::string& checkpoints, const std::string& vgg_weights = {}) {
  pix2pixhd::train_options o;
  o.preset = "tiny";
  o.name = "parity";
  o.checkpoints_dir = checkpoints;
  o.data.dataroot = checkpoints;  // not read: batches are made here
  o.data.label_nc = 3;
  o.instance_feat = true;
  o.no_vgg_loss = vgg_weights.empty();
  o.vgg_weights = vgg_weights;
  o.pool_size = 2;
  o.batch_size = 1;
  o.niter = 1;
  o.niter_decay = 1;
  o.save_latest_freq = 0;
  o.save_epoch_freq = 0;
  o.seed = 11;
  o.lr = trainer_lr;
  return o;
}

struct host_batch {
  tensor<float> label, inst, image;
};

/// Batch k: 4 x 8 blocks of labels in {0, 1, 2}, instances that split some of them, a random image.
inline host_batch trainer_batch(int k) {
  std::mt19937_64 rng(1000 + std::uint64_t(k));
  host_batch b;
  b.label = tensor<float>::empty(shape::nchw(1, 1, trainer_h, trainer_w));
  b.inst = tensor<float>::empty(shape::nchw(1, 1, trainer_h, trainer_w));
  std::vector<int> block_label(4 * 8), block_inst(4 * 8);
  for (std::size_t i = 0; i < block_label.size(); ++i) {
    block_label[i] = int(rng() % 3);
    block_inst[i] = block_label[i] * 10 + int(rng() % 2);
  }
  for (std::int64_t y = 0; y < trainer_h; ++y)
    for (std::int64_t x = 0; x < trainer_w; ++x) {
      const std::size_t blk = std::size_t((y / 8) * 8 + x / 8);
      b.label[y * trainer_w + x] = float(block_label[blk]);
      b.inst[y * trainer_w + x] = float(block_inst[blk]);
    }
  b.image = random_host(shape::nchw(1, 3, trainer_h, trainer_w), 2000 + std::uint64_t(k), -0.95f, 0.95f);
  return b;
}

/// What a run gives back, on the host.
struct trainer_run {
  std::vector<std::vector<std::pair<std::string, double>>> losses;  // per step, in record order
  std::vector<named_host> g, d, e;                                  // weights after the run
  tensor<float> last_fake;
};

template <class Model>
std::vector<named_host> host_weights(const Model& m) {
  std::vector<named_host> v;
  for (const auto& p : m.all_parameters()) v.push_back({p->name, Model::backend::to_host(p->value).clone()});
  return v;
}

/// `steps` iterations on batches 0..steps-1 from a fresh trainer (or, with resume_from, a trainer that
/// first resumes "latest" from that checkpoints dir and continues with the batches after it). With
/// save_after >= 0, "latest" is saved after that many steps. With vgg_weights, the VGG term is on.
template <class B>
trainer_run run_trainer(const std::string& checkpoints, int steps, int first_batch = 0, bool resume = false,
                        int save_after = -1, const std::string& vgg_weights = {}) {
  pix2pixhd::trainer<trainer_cfg, B> t(trainer_options(checkpoints, vgg_weights));
  if (resume) t.resume("latest");
  trainer_run r;
  for (int s = 0; s < steps; ++s) {
    const auto b = trainer_batch(first_batch + s);
    const auto rec = t.step(b.label, b.inst, b.image);
    r.losses.push_back(rec.items());
    if (save_after == s + 1) t.save("latest");
  }
  r.g = host_weights(t.G());
  r.d = host_weights(t.D());
  r.e = host_weights(*t.E());
  r.last_fake = B::to_host(t.last_fake()).clone();
  return r;
}

/// pix2pix (models/pix2pix/networks.hpp: train::gan_step with vanilla GAN + 100 L1) at 32 x 64 on the same
/// batches (label_nc 3 one-hot, no instance map): a small U-Net (5 levels, ngf 8) and PatchGAN (ndf 8,
/// 2 layers), `steps` iterations from seeds 21 / 22.
using pix2pix_cfg = pix2pix::config<3, 5, 8, 8, 2>;

template <class B>
trainer_run run_pix2pix(int steps) {
  model<typename pix2pix_cfg::generator, B> G;
  model<typename pix2pix_cfg::discriminator, B> D;
  initialize(G, init_policy::pix2pixhd(), 21);
  initialize(D, init_policy::pix2pixhd(), 22);
  auto step = pix2pix::make_step(G, D, loss::gan_loss<loss::vanilla>{}, 100.0, {.lr = trainer_lr, .beta1 = 0.5});
  trainer_run r;
  for (int s = 0; s < steps; ++s) {
    const auto b = trainer_batch(s);
    const auto labels = data::encode_input_on<B>(B::to_backend(b.label), tensor<float>{}, pix2pix_cfg::label_nc, true);
    r.losses.push_back(step.step(labels, B::to_backend(b.image)).items());
  }
  r.g = host_weights(G);
  r.d = host_weights(D);
  r.last_fake = B::to_host(step.last_fake()).clone();
  return r;
}

/// The CPU sides (trainer_reference.cpp).
trainer_run cpu_pix2pix_run(int steps);
trainer_run cpu_trainer_run(const std::string& checkpoints, int steps, int first_batch, bool resume, int save_after,
                            const std::string& vgg_weights = {});

/// Random VGG19 weights (He-normal convs, seed 5) saved to `path`, for the VGG term's case.
void write_vgg_weights(const std::string& path);

/// Host BCE-with-logits (cpu::bce_with_logits_loss) for the device-loss parity case.
host_loss bce_host(const tensor<float>& logits, bool real_target);

}  // namespace i2i::parity
