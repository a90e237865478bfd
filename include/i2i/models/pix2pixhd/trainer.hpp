#pragma once
// pix2pixHD's training loop (research/pix2pixhd.md §2), for one compiled configuration (options.hpp), on
// the CPU backend (this header) or on a GPU (trainer<Cfg, cuda_backend<float, P>> in an nvcc TU that
// includes trainer_cuda.cuh instead; the loop itself is trainer_core.hpp, written over the backend):
//
//   pix2pixhd::train_options o;  o.data.dataroot = "data/pix2pixhd/digits";  o.data.label_nc = 11; ...
//   pix2pixhd::trainer<pix2pixhd::config<pix2pixhd::cpu_preset, false, 12, false>> t(o);
//   t.run(loader, [](const auto& t, const train::step_record& r) { ... });   // or t.step(batch) yourself
//
// One iteration (step) is §2.2/§2.6 exactly: input = one_hot(label) | boundary_map(inst) (| E's
// instance-pooled features); fake = G(input); D on pool(input | fake) detached -> D_fake; D on
// input | real -> D_real; D on input | fake (not pooled) -> G_GAN, G_GAN_Feat (lambda 10, weights
// (1/num_D) 4/(n_layers_D+1), real taps detached), G_VGG (lambda 10, 1/32..1, real detached); then zero
// G (+E) grads, backward loss_G through D (D frozen: its gradients would be discarded), Adam on G (+E);
// zero D grads, backward loss_D = 0.5 (D_fake + D_real), Adam on D.
//
// Why not train::gan_step: its D input is G's input | image, but with --instance_feat D must not see
// the features (§2.1), and G's input gradient must reach E; and its history pool cannot be saved,
// which exact resume needs. The step here is gan_step's order with those two differences; the loss
// terms (gan_loss, feature_matching, vgg_perceptual) are the shared ones.
//
// Schedule: lr constant for niter epochs, then linear decay over niter_decay (constant_then_linear_decay,
// set on both optimizers at the start of every epoch). Staged training: with netG local and
// niter_fix_global N > 0, G's optimizer holds only the outermost enhancer model{K}_* (+ E) for epochs
// 1..N and G1 is frozen (typically loaded with --load_pretrain from a global run: G1's keys model.0..
// are the global G's, so a partial load carries them and reports the global's model.<last> as
// unexpected). After epoch N a new Adam over ALL of G (+E) is created and used, and it gets the
// schedule's current lr — the reference at HEAD keeps stepping the old optimizer (G1 never tuned, G's
// lr never decays) and would start the new one at lr0 even in the decay phase (§2.9).
//
// Checkpoint layout, in <checkpoints_dir>/<name>/ (prefix "latest" or the epoch number):
//   <prefix>_net_G.safetensors     G (state_dict keys as the reference); metadata: preset, netG,
//                                  label_nc, no_instance, instance_feat, label_channels, epoch,
//                                  epoch_iter, total_iterations, seed, batch_size, lr, loadSize,
//                                  fineSize, resize_or_crop (pix2pixhd_test rebuilds G from these)
//   <prefix>_net_D.safetensors     the multiscale D
//   <prefix>_net_E.safetensors     the feature encoder (only with --instance_feat)
//   <prefix>_optim_G.safetensors   Adam state of G (+E) (io/optimizer_state.hpp)
//   <prefix>_optim_D.safetensors   Adam state of D
//   <prefix>_pool.safetensors      the fake pool's images and its generator state
// The data position is (epoch, epoch_iter): batch_loader's batches are pure functions of (seed, epoch,
// index), so resuming reloads exactly the batches an uninterrupted run would see.
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/backend/cpu/segment_mean.hpp"
#include "i2i/data/encode.hpp"
#include "i2i/loss/types/all.hpp"
#include "i2i/models/pix2pixhd/instance_pooling.hpp"
#include "i2i/models/pix2pixhd/trainer_core.hpp"
#include "i2i/train/gan_step.hpp"  // train::step_record

namespace i2i::pix2pixhd {

/// The CPU's pieces of the trainer: host encoding and cpu::segment_mean.
template <>
struct train_ops<cpu_backend<float>> {
  using record = train::step_record;
  using segments = cpu::segment_index;
  static constexpr bool has_vgg = true;

  static tensor<float> encode(const tensor<float>& label, const tensor<float>& inst, std::int64_t label_nc,
                              bool no_instance) {
    return no_instance ? data::encode_input(label, label_nc) : data::encode_input(label, inst, label_nc);
  }
  static segments make_segments(const tensor<float>& ids) {
    return cpu::make_segment_index(ids, "encode_instance_features");
  }
  static tensor<float> segment_mean(const tensor<float>& x, const segments& s) { return cpu::segment_mean(x, s); }
  static tensor<float> segment_mean_backward(const tensor<float>& dy, const segments& s) {
    return cpu::segment_mean_backward(dy, s);
  }
};

}  // namespace i2i::pix2pixhd
