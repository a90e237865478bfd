#pragma once
// pix2pixHD's training loop (research/pix2pixhd.md §2), for one compiled configuration (options.hpp), as
// one template over any backend. This header includes no backend (so neither the CPU's linear-algebra
// library nor CUDA): a host TU includes the CPU backend's header and instantiates trainer<Cfg>
// (cpu_backend<float>), an nvcc TU includes the CUDA backend's and instantiates
// trainer<Cfg, cuda_backend<float, P>>.
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
// The step is train::gan_step's: D's condition is the label part (D never sees E's features, §2.1),
// G's input gradient reaches E through the step's input-gradient hook and B::segment_mean_backward, E's
// parameters sit in G's optimizer, the history pool is the step's (saved with the checkpoint), the GAN
// mode is --no_lsgan as a runtime flag (loss::gan_loss_of_mode) and the VGG term an optional extra.
// This trainer adds only what is pix2pixHD's own: encoding the labels (B::one_hot, B::boundary_map),
// E and its instance-wise pooling (B::segment_mean), the schedule and the checkpoints. Everything runs
// through B:: ops, so a checkpoint trained on one backend trains on and loads on the other.
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
//                                  label_nc, no_instance, instance_feat, label_channels, perceptual
//                                  (vgg19, mobilenet_v2 or none), epoch,
//                                  epoch_iter, total_iterations, seed, batch_size, lr, loadSize,
//                                  fineSize, resize_or_crop (pix2pixhd_test rebuilds G from these)
//   <prefix>_net_D.safetensors     the multiscale D
//   <prefix>_net_E.safetensors     the feature encoder (only with --instance_feat)
//   <prefix>_optim_G.safetensors   Adam state of G (+E) (io/optimizer_state.hpp)
//   <prefix>_optim_D.safetensors   Adam state of D
//   <prefix>_pool.safetensors      the fake pool's images and its generator state
// The data position is (epoch, epoch_iter): batch_loader's batches are pure functions of (seed, epoch,
// index), so resuming reloads exactly the batches an uninterrupted run would see.
//
// Data-parallel (docs/distributed.md): set_data_parallel(dp) after resume/load_pretrain broadcasts rank
// 0's G, D, E and optimizer states, averages the gradients over the ranks before each Adam step (the
// GAN step's gradient hook) and makes save() a no-op on ranks other than 0. Checkpoints are the same
// plain files, so a run resumes on any world size (the loader then shards the epoch differently).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "i2i/core/dtype.hpp"
#include "i2i/data/encode_on_backend.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/data/loader.hpp"
#include "i2i/data/transform.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/io/checkpoint_set.hpp"
#include "i2i/io/optimizer_state.hpp"
#include "i2i/loss/types/feature_matching.hpp"
#include "i2i/loss/types/gan_loss.hpp"
#include "i2i/loss/types/vgg_perceptual.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/model/init.hpp"
#include "i2i/models/pix2pixhd/instance_map_check.hpp"
#include "i2i/models/mobilenet_v2.hpp"
#include "i2i/recipes/pix2pixhd/options.hpp"
#include "i2i/models/vgg19.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/optim/schedule.hpp"
#include "i2i/train/gan_step.hpp"
#include "i2i/train/image_pool.hpp"
#include "i2i/train/step_record.hpp"
#include "i2i/train/stop_on_error.hpp"

namespace i2i {
template <cpu_scalar T>
struct cpu_backend;
}

namespace i2i::pix2pixhd {

/// The losses of one step (train/step_record.hpp): what the trainer returns on every backend.
using step_losses = train::step_record;

template <class Cfg, class Backend = cpu_backend<float>>
class trainer {
 public:
  using backend = Backend;
  using record = step_losses;  ///< train::step_record on every backend
  using adam = optim::adam<Backend>;
  using G_model = model<typename Cfg::generator, backend>;
  using D_model = model<typename Cfg::discriminator, backend>;
  using E_model = model<typename Cfg::feature_encoder, backend>;
  using vgg_model = model<models::vgg19, backend>;
  using mobilenet_v2_model = model<models::mobilenet_v2, backend>;
  /// The GAN step: --no_lsgan picks the mode at run time; the VGG-form term is on VGG19 or (with
  /// --perceptual mobilenet_v2) on MobileNetV2, at most one of the two, none with --no_vgg_loss.
  using step_type = train::gan_step<G_model, D_model, loss::gan_loss_of_mode,
                                    std::optional<loss::vgg_perceptual<vgg_model>>,
                                    std::optional<loss::vgg_perceptual<mobilenet_v2_model>>>;
  static constexpr int K = Cfg::n_local_enhancers;

  explicit trainer(train_options o)
      : opt_((resolve_options<Cfg>(o), std::move(o))), schedule_(opt_.lr, opt_.niter, opt_.niter_decay) {
    initialize(G_, init_policy::pix2pixhd(), opt_.seed * 3 + 1);
    initialize(D_, init_policy::pix2pixhd(), opt_.seed * 3 + 2);
    if (Cfg::feat) {
      E_ = std::make_unique<E_model>();
      initialize(*E_, init_policy::pix2pixhd(), opt_.seed * 3 + 3);
    }
    std::optional<loss::vgg_perceptual<vgg_model>> perceptual;
    std::optional<loss::vgg_perceptual<mobilenet_v2_model>> perceptual_mobilenet_v2;
    if (!opt_.no_vgg_loss && opt_.perceptual == "vgg19") {
      vgg_ = std::make_unique<vgg_model>();
      load_model(*vgg_, opt_.vgg_weights);
      perceptual.emplace(*vgg_, opt_.lambda_feat, loss::vgg_perceptual<vgg_model>::pix2pixhd_layers(), "VGG");
    } else if (!opt_.no_vgg_loss) {
      // pix2pixHD's form (weighted L1 of the taps, lambda_feat) with weights doubling towards the deepest
      // tap as pix2pixHD's do; the record names the network: G_MobileNetV2.
      mobilenet_v2_ = std::make_unique<mobilenet_v2_model>();
      models::load_mobilenet_v2(*mobilenet_v2_, opt_.mobilenet_v2_weights);
      perceptual_mobilenet_v2.emplace(*mobilenet_v2_, opt_.lambda_feat, loss::mobilenet_v2_taps(1. / 8, 1. / 4, 1. / 2, 1.),
                                      "MobileNetV2");
    }
    train::gan_step_options so;
    so.g_adam = adam_opts();
    so.d_adam = adam_opts();
    so.pool_size = opt_.pool_size;
    so.pool_seed = data::mix64(opt_.seed ^ 0x9001);
    so.conditional = true;
    so.condition_channels = Cfg::label_channels;  // D sees the labels, never E's features
    so.feature_matching = !opt_.no_ganFeat_loss;
    so.fm.lambda_feat = opt_.lambda_feat;
    so.fm.n_layers = Cfg::preset::n_layers_D;  // taps per scale = n_layers + 1 post-activation maps
    so.fm.num_d = Cfg::num_D;
    so.d_loss_factor = 0.5;
    step_.emplace(G_, D_, loss::gan_loss_of_mode{.vanilla_mode = opt_.no_lsgan}, std::move(so), std::move(perceptual),
                  std::move(perceptual_mobilenet_v2));
    build_g_optimizer();
    apply_lr();
  }

  trainer(const trainer&) = delete;
  trainer& operator=(const trainer&) = delete;

  // ---- state --------------------------------------------------------------------------------------
  const train_options& options() const { return opt_; }
  std::int64_t epoch() const { return epoch_; }                 ///< current epoch, from 1
  std::int64_t epoch_iter() const { return epoch_iter_; }       ///< batches of this epoch done
  std::int64_t total_iterations() const { return total_; }
  std::int64_t total_epochs() const { return schedule_.total_epochs(); }
  bool finished() const { return epoch_ > total_epochs(); }
  /// True while G1 (and inner enhancers) are frozen (netG local, epoch <= niter_fix_global).
  bool global_fixed() const { return Cfg::local && opt_.niter_fix_global > 0 && epoch_ <= opt_.niter_fix_global; }
  double lr() const { return step_->generator_optimizer().lr(); }

  G_model& G() { return G_; }
  D_model& D() { return D_; }
  E_model* E() { return E_.get(); }
  adam& g_optimizer() { return step_->generator_optimizer(); }
  adam& d_optimizer() { return step_->discriminator_optimizer(); }
  train::image_pool<float>& pool() { return step_->pool(); }
  step_type& gan_step() { return *step_; }
  /// Runs every step (without --instance_feat) as runner(gan_step, G's input, real, D's condition)
  /// instead of gan_step.step(...): how a backend-specific executor such as cuda::graphed_step takes over
  /// the step while this trainer stays backend-neutral. An empty runner restores the plain call.
  using step_runner = std::function<record(step_type&, const tensor<float>&, const tensor<float>&, const tensor<float>&)>;
  void set_step_runner(step_runner r) { runner_ = std::move(r); }
  /// The last step's fake (G's output before its update), in the backend's memory.
  const tensor<float>& last_fake() const { return step_->last_fake(); }

  std::string dir() const { return (std::filesystem::path(opt_.checkpoints_dir) / opt_.name).string(); }

  // ---- inputs -------------------------------------------------------------------------------------
  /// one_hot(label) | boundary_map(inst) (or the RGB input with label_nc 0): D's label part, in the
  /// backend's memory (label and inst are host tensors, or already the backend's).
  tensor<float> encode_labels(const tensor<float>& label, const tensor<float>& inst) const {
    const tensor<float> x =
        data::encode_input_on<backend>(backend::to_backend(label), inst.defined() ? backend::to_backend(inst) : inst,
                                       opt_.data.label_nc, opt_.data.no_instance);
    require<shape_error>(x.c() == Cfg::label_channels, "pix2pixhd trainer: encoded labels have ", x.c(),
                         " channels, the configuration expects ", Cfg::label_channels);
    return x;
  }

  // ---- one iteration ------------------------------------------------------------------------------
  record step(const data::batch& b) {
    require<value_error>(b.image.defined(), "pix2pixhd trainer: the batch has no target image (load_image off?)");
    require<value_error>(opt_.data.no_instance || b.inst.defined(),
                         "pix2pixhd trainer: the batch has no instance map but no_instance is off");
    const std::string where = b.label_paths.empty() ? std::string("batch") : "'" + b.label_paths.front() + "'";
    try {
      data::require_divisible(b.label.shape(), Cfg::size_multiple, "pix2pixhd trainer: " + where);
      return step(b.label, b.inst, b.image);
    } catch (const shape_error& e) {
      throw shape_error(i2i::detail::concat(e.what(), " (batch of ", where, ")"));
    } catch (const value_error& e) {
      throw value_error(i2i::detail::concat(e.what(), " (batch of ", where, ")"));
    }
  }

  /// One iteration on host (or backend) tensors: the batch is uploaded once (label, inst, image).
  record step(const tensor<float>& label_in, const tensor<float>& inst_in, const tensor<float>& real_in) {
    const tensor<float> label = backend::to_backend(label_in);
    const tensor<float> inst =
        opt_.data.no_instance || !inst_in.defined() ? tensor<float>{} : backend::to_backend(inst_in);
    const tensor<float> real = backend::to_backend(real_in);
    const tensor<float> labels = encode_labels(label, inst);
    require<shape_error>(real.rank() == 4 && real.c() == 3 && real.n() == labels.n() && real.h() == labels.h() &&
                             real.w() == labels.w(),
                         "pix2pixhd trainer: image ", real.shape(), " does not match the label map ", label.shape());
    std::optional<feature_context> feat;
    tensor<float> g_in = labels;
    typename step_type::input_gradient_hook into_e;
    if constexpr (Cfg::feat) {
      feat.emplace(encode_features(real, inst));
      g_in = backend::concat_channels({labels, feat->output});
      // G's input gradient: its feature channels go back through the instance pooling into E.
      into_e = [&](const tensor<float>& dg_in) {
        const auto parts = backend::split_channels(dg_in, {Cfg::label_channels, Cfg::feat_nc});
        E_->backward(feat->encoder, backend::segment_mean_backward(parts[1], feat->instances), {}, false);
      };
    }
    // A step runner (set_step_runner: pix2pixhd_train --cuda_graphs replays the step as a CUDA graph)
    // takes the step when there is no feature-encoder hook to run inside it.
    record rec = runner_ && !into_e ? runner_(*step_, g_in, real, labels) : step_->step(g_in, real, labels, into_e);
    ++epoch_iter_;
    ++total_;
    return rec;
  }

  /// The epoch's batches are done: unfreeze G1 after epoch niter_fix_global (a fresh Adam over all of
  /// G (+E)), advance the epoch and set both optimizers' lr for it.
  void end_epoch() {
    const bool was_fixed = global_fixed();
    ++epoch_;
    epoch_iter_ = 0;
    if (was_fixed && !global_fixed()) build_g_optimizer();
    apply_lr();
  }

  /// The whole schedule (or up to max_iterations), from the current position: checkpoints every
  /// save_latest_freq iterations and at every epoch end, snapshot <epoch>_* every save_epoch_freq.
  /// `on_step(trainer, record)` is called after each iteration, `on_epoch(trainer, finished_epoch)`
  /// after each epoch.
  void run(const data::batch_loader& loader,
           const std::function<void(const trainer&, const record&)>& on_step = {},
           const std::function<void(const trainer&, std::int64_t)>& on_epoch = {}) {
    const std::int64_t per_epoch = std::int64_t(loader.batches_per_epoch());
    std::int64_t done = 0;
    while (!finished()) {
      while (epoch_iter_ < per_epoch) {
        if (opt_.max_iterations >= 0 && done >= opt_.max_iterations) return;
        const auto rec = train::stop_on_error("pix2pixhd trainer", total_ + 1, [&] {
          return step(loader.load(std::uint64_t(epoch_), std::size_t(epoch_iter_)));
        });
        ++done;
        if (on_step) on_step(*this, rec);
        if (opt_.save_latest_freq > 0 && total_ % opt_.save_latest_freq == 0) save("latest");
      }
      const std::int64_t finished_epoch = epoch_;
      end_epoch();
      save("latest");
      if (opt_.save_epoch_freq > 0 && finished_epoch % opt_.save_epoch_freq == 0) save(std::to_string(finished_epoch));
      if (on_epoch) on_epoch(*this, finished_epoch);
    }
  }

  // ---- data-parallel ------------------------------------------------------------------------------
  /// Trains as one rank of dp's job from now on (see the header comment); call it on every rank.
  void set_data_parallel(std::shared_ptr<dist::data_parallel> dp) {
    dp_ = std::move(dp);
    dist::data_parallel::unwatch(G_);
    dist::data_parallel::unwatch(D_);
    if (E_) dist::data_parallel::unwatch(*E_);
    step_->set_last_backward_hook({});
    if (!dp_) {
      step_->set_gradient_hook({});
      return;
    }
    dp_->broadcast_parameters(G_);
    dp_->broadcast_parameters(D_);
    if (E_) dp_->broadcast_parameters(*E_);
    dp_->broadcast_optimizer(step_->generator_optimizer());
    dp_->broadcast_optimizer(step_->discriminator_optimizer());
    // A checkpoint of another world size: the samples done this epoch are kept, the batches are
    // counted in this job's (this rank's) batches.
    if (dp_->world_size() != saved_world_size_) {
      epoch_iter_ = epoch_iter_ * saved_world_size_ / dp_->world_size();
      saved_world_size_ = dp_->world_size();
    }
    if (dp_->active()) {
      // Buckets start during G's and D's last backward (and E's, which runs inside G's update).
      dp_->attach(*step_, G_, D_);
      if (E_) dp_->watch(*E_);
    }
  }
  const dist::data_parallel* data_parallel() const { return dp_.get(); }

  // ---- checkpoints --------------------------------------------------------------------------------
  std::string path(const std::string& prefix, const std::string& what) const {
    return (std::filesystem::path(dir()) / (prefix + "_" + what + ".safetensors")).string();
  }

  /// The metadata stored with G: what a test or feature program needs to rebuild the configuration.
  std::map<std::string, std::string> metadata() const {
    return {{"i2i.model", "pix2pixhd"},
            {"preset", opt_.preset},
            {"netG", opt_.netG},
            {"label_nc", std::to_string(opt_.data.label_nc)},
            {"no_instance", opt_.data.no_instance ? "1" : "0"},
            {"instance_feat", opt_.instance_feat ? "1" : "0"},
            {"label_channels", std::to_string(Cfg::label_channels)},
            {"perceptual", opt_.no_vgg_loss ? std::string("none") : opt_.perceptual},
            {"epoch", std::to_string(epoch_)},
            {"epoch_iter", std::to_string(epoch_iter_)},
            {"total_iterations", std::to_string(total_)},
            {"seed", std::to_string(opt_.seed)},
            {"batch_size", std::to_string(opt_.batch_size)},
            {"lr", io::detail::number_text(lr())},
            {"loadSize", std::to_string(opt_.data.transform.load_size)},
            {"fineSize", std::to_string(opt_.data.transform.fine_size)},
            {"resize_or_crop", data::to_string(opt_.data.transform.mode)}};
  }

  /// Writes the checkpoint (on rank 0 only when data-parallel: every rank holds the same weights).
  void save(const std::string& prefix = "latest") const {
    if (dp_ && !dp_->is_root()) return;
    std::filesystem::create_directories(dir());
    auto meta = metadata();
    if (dp_ && dp_->active()) meta["world_size"] = std::to_string(dp_->world_size());  // epoch_iter counts its batches
    io::checkpoint_set_writer set(dir(), prefix);  // the files below are committed as one set
    save_model(G_, path(prefix, "net_G"), meta);
    save_model(D_, path(prefix, "net_D"), meta);
    if (E_) save_model(*E_, path(prefix, "net_E"), meta);
    io::save_adam_state(step_->generator_optimizer(), path(prefix, "optim_G"), meta);
    io::save_adam_state(step_->discriminator_optimizer(), path(prefix, "optim_D"), meta);
    step_->pool().save(path(prefix, "pool"));
    set.commit({{"epoch", meta["epoch"]}, {"epoch_iter", meta["epoch_iter"]}, {"total_iterations", meta["total_iterations"]}});
  }

  /// --continue_train: restores everything `save(prefix)` wrote in dir(), strictly.
  void resume(const std::string& prefix = "latest") {
    io::recover_checkpoint_set(dir(), prefix);  // a complete set, or the last complete one, or an io_error
    const std::string g_path = path(prefix, "net_G");
    require<io_error>(std::filesystem::exists(g_path), "pix2pixhd trainer: --continue_train but '", g_path,
                      "' does not exist (train without --continue_train first, or check --name/--checkpoints_dir)");
    const auto meta = io::read_checkpoint_metadata(g_path);
    auto text = [&](const char* k) {
      auto it = meta.find(k);
      require<io_error>(it != meta.end(), "pix2pixhd trainer: '", g_path, "' has no metadata '", k, "'");
      return it->second;
    };
    auto same = [&](const char* k, const std::string& now) {
      require<value_error>(text(k) == now, "pix2pixhd trainer: '", g_path, "' was trained with ", k, " ", text(k),
                           " but this run has ", now, "; continue with the same options");
    };
    same("preset", opt_.preset);
    same("netG", opt_.netG);
    same("label_channels", std::to_string(Cfg::label_channels));
    same("instance_feat", opt_.instance_feat ? "1" : "0");
    if (meta.count("perceptual")) same("perceptual", opt_.no_vgg_loss ? std::string("none") : opt_.perceptual);
    same("seed", std::to_string(opt_.seed));
    same("batch_size", std::to_string(opt_.batch_size));
    epoch_ = io::metadata_number<std::int64_t>(meta, "epoch", g_path);
    epoch_iter_ = io::metadata_number<std::int64_t>(meta, "epoch_iter", g_path);
    total_ = io::metadata_number<std::int64_t>(meta, "total_iterations", g_path);
    saved_world_size_ = meta.count("world_size") ? io::metadata_number<int>(meta, "world_size", g_path) : 1;
    load_model(G_, g_path);
    load_model(D_, path(prefix, "net_D"));
    if (E_) load_model(*E_, path(prefix, "net_E"));
    build_g_optimizer();  // the parameter group of this epoch (frozen G1 or all of G)
    io::load_adam_state(step_->generator_optimizer(), path(prefix, "optim_G"));
    io::load_adam_state(step_->discriminator_optimizer(), path(prefix, "optim_D"));
    step_->pool().load(path(prefix, "pool"));
    apply_lr();
  }

  /// --load_pretrain DIR: partial loads of DIR/latest_net_{G,D,E}.safetensors (a global run into a
  /// local G carries G1 = model.*; D carries the scales whose keys exist). Returns a report per model.
  std::string load_pretrain(const std::string& from) {
    namespace fs = std::filesystem;
    std::string report;
    auto one = [&](auto& m, const char* what) {
      const std::string p = (fs::path(from) / (std::string("latest_net_") + what + ".safetensors")).string();
      if (!fs::exists(p)) {
        report += i2i::detail::concat("net", what, ": '", p, "' not found, left initialised\n");
        return;
      }
      const auto r = load_model(m, p, io::load_mode::partial);
      report += i2i::detail::concat("net", what, ": loaded ", r.loaded.size(), " of ", m.all_parameters().size(),
                                    " tensors from '", p, "'", r.describe(), "\n");
      require<value_error>(!r.loaded.empty(), "pix2pixhd trainer: --load_pretrain: '", p,
                           "' shares no tensor with this net", what, " (another preset or label_nc?)", r.describe());
    };
    one(G_, "G");
    one(D_, "D");
    if (E_) one(*E_, "E");
    return report;
  }

 private:
  /// E's forward context, the instance map and the pooled features.
  struct feature_context {
    typename E_model::context encoder;
    tensor<float> instances;
    tensor<float> output;
  };

  /// E(image), then the mean of each channel over each instance (B::segment_mean).
  feature_context encode_features(const tensor<float>& image, const tensor<float>& instances) const {
    feature_context c{E_->forward(image), instances, {}};
    const auto& f = c.encoder.output;
    require_instance_map_matches(instances, f);
    c.output = backend::segment_mean(f, instances);
    return c;
  }

  optim::adam_options adam_opts() const {
    optim::adam_options a;
    a.lr = opt_.lr;
    a.beta1 = opt_.beta1;
    a.beta2 = 0.999;
    return a;
  }

  /// G's optimizer for the current epoch: while global_fixed(), only model{K}_* (the reference's
  /// `key.startswith('model' + str(K))`) is trainable and in the group; otherwise all of G. E joins
  /// either way. A new optimizer has fresh moments, as the reference's update_fixed_params.
  void build_g_optimizer() {
    const std::string outer = "model" + std::to_string(K);
    for (const auto& p : G_.all_parameters())
      p->frozen = global_fixed() && p->name.rfind(outer, 0) != 0;
    auto params = G_.parameters();
    if (E_)
      for (auto& p : E_->parameters()) params.push_back({"netE." + p.name, p.value, p.grad});
    adam g(std::move(params), adam_opts());
    g.set_lr(step_->discriminator_optimizer().lr());
    step_->set_generator_optimizer(std::move(g));
  }

  void apply_lr() {
    const double lr = finished() ? 0.0 : schedule_.lr_at(epoch_);
    step_->generator_optimizer().set_lr(lr);
    step_->discriminator_optimizer().set_lr(lr);
  }

  train_options opt_;
  optim::constant_then_linear_decay schedule_;
  G_model G_;
  D_model D_;
  std::unique_ptr<E_model> E_;
  std::unique_ptr<vgg_model> vgg_;
  std::unique_ptr<mobilenet_v2_model> mobilenet_v2_;
  std::optional<step_type> step_;  ///< built once the models are (it holds references to them)
  step_runner runner_;
  std::shared_ptr<dist::data_parallel> dp_;  ///< null: one process
  int saved_world_size_ = 1;                 ///< world size of the run that wrote the resumed checkpoint
  std::int64_t epoch_ = 1, epoch_iter_ = 0, total_ = 0;
};

}  // namespace i2i::pix2pixhd
