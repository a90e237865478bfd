#pragma once
// pix2pixhd::trainer<Cfg, Backend>: pix2pixHD's training loop over any backend (the full description,
// the step, the schedule and the checkpoint layout are in trainer.hpp). This header is Eigen-free so
// that an nvcc translation unit can instantiate trainer<Cfg, cuda_backend<float, P>>: everything that
// differs between backends goes through train_ops<Backend>, specialised in trainer.hpp (cpu_backend:
// data::encode_input, cpu::segment_mean) and in trainer_cuda.cuh (cuda_backend: device one-hot /
// boundary maps and segment mean). The optimizers are optim::adam<Backend> and their state files
// io/optimizer_state.hpp's on every backend.
//
// train_ops<B> provides:
//   record                    the step's loss record (train::step_record, alias step_losses, on every backend)
//   encode(label, inst, label_nc, no_instance)                  data::encode_input on B's tensors
//   segments, make_segments(ids), segment_mean(x, s), segment_mean_backward(dy, s)
//   has_vgg                   whether the VGG term is compiled for B (true on both backends);
//                             without it --no_vgg_loss is required
// The losses are the library's terms (loss::gan_loss, feature_matching, vgg_perceptual over B's loss ops), the fake
// pool stays on the host (fake_pool.hpp) and checkpoints go through to_host / assign_from_host, so a
// checkpoint written on one backend resumes on the other.
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
#include "i2i/data/loader.hpp"
#include "i2i/data/transform.hpp"
#include "i2i/io/checkpoint.hpp"
#include "i2i/io/optimizer_state.hpp"
#include "i2i/loss/types/feature_matching.hpp"
#include "i2i/loss/types/gan_loss.hpp"
#include "i2i/loss/types/vgg_perceptual.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/model/init.hpp"
#include "i2i/models/pix2pixhd/fake_pool.hpp"
#include "i2i/models/pix2pixhd/instance_map_check.hpp"
#include "i2i/models/pix2pixhd/options.hpp"
#include "i2i/models/vgg19.hpp"
#include "i2i/optim/adam.hpp"
#include "i2i/optim/schedule.hpp"
#include "i2i/train/step_record.hpp"

namespace i2i {
template <cpu_scalar T>
struct cpu_backend;
}

namespace i2i::pix2pixhd {

/// The backend-specific pieces of the trainer (see above); specialised per backend.
template <class Backend>
struct train_ops;

/// The losses of one step (train/step_record.hpp, Eigen-free): what the trainer returns on every backend.
using step_losses = train::step_record;

template <class Cfg, class Backend = cpu_backend<float>>
class trainer {
 public:
  using backend = Backend;
  using ops = train_ops<Backend>;
  using record = typename ops::record;  ///< train::step_record (step_losses) on every backend
  using adam = optim::adam<Backend>;
  using G_model = model<typename Cfg::generator, backend>;
  using D_model = model<typename Cfg::discriminator, backend>;
  using E_model = model<typename Cfg::feature_encoder, backend>;
  using vgg_model = model<models::vgg19, backend>;
  static constexpr int K = Cfg::n_local_enhancers;

  explicit trainer(train_options o)
      : opt_((resolve_options<Cfg>(o), std::move(o))),
        schedule_(opt_.lr, opt_.niter, opt_.niter_decay),
        pool_(opt_.pool_size, data::mix64(opt_.seed ^ 0x9001)) {
    initialize(G_, init_policy::pix2pixhd(), opt_.seed * 3 + 1);
    initialize(D_, init_policy::pix2pixhd(), opt_.seed * 3 + 2);
    if (Cfg::feat) {
      E_ = std::make_unique<E_model>();
      initialize(*E_, init_policy::pix2pixhd(), opt_.seed * 3 + 3);
    }
    if (!opt_.no_vgg_loss) {
      if constexpr (ops::has_vgg) {
        vgg_ = std::make_unique<vgg_model>();
        load_model(*vgg_, opt_.vgg_weights);
        perceptual_.emplace(*vgg_, opt_.lambda_feat);
      } else {
        throw value_error(i2i::detail::concat("pix2pixhd trainer on ", backend::name,
                                              ": the VGG loss is not compiled for this backend; pass "
                                              "--no_vgg_loss"));
      }
    }
    fm_.lambda_feat = opt_.lambda_feat;
    fm_.n_layers = Cfg::preset::n_layers_D;  // taps per scale = n_layers + 1 post-activation maps
    fm_.num_d = Cfg::num_D;
    d_adam_.emplace(D_.parameters(), adam_opts());
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
  double lr() const { return g_adam_->lr(); }

  G_model& G() { return G_; }
  D_model& D() { return D_; }
  E_model* E() { return E_.get(); }
  adam& g_optimizer() { return *g_adam_; }
  adam& d_optimizer() { return *d_adam_; }
  fake_pool& pool() { return pool_; }
  /// The last step's fake (G's output before its update), in the backend's memory.
  const tensor<float>& last_fake() const { return last_fake_; }

  std::string dir() const { return (std::filesystem::path(opt_.checkpoints_dir) / opt_.name).string(); }

  // ---- inputs -------------------------------------------------------------------------------------
  /// one_hot(label) | boundary_map(inst) (or the RGB input with label_nc 0): D's label part, in the
  /// backend's memory (label and inst are host tensors, or already the backend's).
  tensor<float> encode_labels(const tensor<float>& label, const tensor<float>& inst) const {
    const tensor<float> x = ops::encode(backend::to_backend(label), inst.defined() ? backend::to_backend(inst) : inst,
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
    record rec;
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
    if constexpr (Cfg::feat) {
      feat.emplace(encode_features(real, inst));
      g_in = backend::concat_channels({labels, feat->output});
    }
    auto g_ctx = G_.forward(g_in);
    const tensor<float>& fake = g_ctx.output;
    last_fake_ = fake;

    const tensor<float> fake_in = backend::concat_channels({labels, fake});
    // The pool lives on the host (pix2pixHD's util/image_pool.py): one download and one upload per step
    // on a device backend, identities on the CPU.
    const tensor<float> pooled =
        pool_.capacity() == 0 ? fake_in : backend::to_backend(pool_.query(backend::to_host(fake_in)));
    const auto ctx_a = D_.forward(pooled);  // A: detached (pooled) fake, for D
    auto d_fake = gan(ctx_a, loss::gan_target::fake);
    const auto ctx_b = D_.forward(backend::concat_channels({labels, real}));  // B: real
    auto d_real = gan(ctx_b, loss::gan_target::real);
    // C: the fake, not pooled, for G. Without a pool it is pass A's input through the same weights.
    std::optional<typename D_model::context> own_c;
    if (pooled.data() != fake_in.data()) own_c.emplace(D_.forward(fake_in));
    const auto& ctx_c = own_c ? *own_c : ctx_a;
    auto g_gan = gan(ctx_c, loss::gan_target::real);
    double loss_g = g_gan.value;
    rec.set("G_GAN", g_gan.value);
    loss::injection<backend> into_d = std::move(g_gan.grad);
    if (!opt_.no_ganFeat_loss) {
      auto fm = fm_(ctx_c, ctx_b);
      rec.set("G_GAN_Feat", fm.value);
      loss_g += fm.value;
      into_d.add(fm.grad);
    }
    tensor<float> dfake_vgg;
    if constexpr (ops::has_vgg) {
      if (perceptual_) {
        auto v = (*perceptual_)(fake, real);
        rec.set("G_VGG", v.value);
        loss_g += v.value;
        dfake_vgg = v.grad;
      }
    }
    const double loss_d = 0.5 * (d_fake.value + d_real.value);
    rec.set("D_real", d_real.value);
    rec.set("D_fake", d_fake.value);
    rec.set("G", loss_g);
    rec.set("D", loss_d);

    // G (+E) update.
    g_adam_->zero_grad();
    tensor<float> d_cat;
    {
      d_frozen frozen(D_);
      d_cat = loss::backward(D_, ctx_c, into_d, true);
    }
    tensor<float> dfake = backend::split_channels(d_cat, {Cfg::label_channels, 3})[1];
    if (dfake_vgg.defined()) dfake = backend::add(dfake, dfake_vgg);
    const tensor<float> dg_in = G_.backward(g_ctx, dfake, {}, Cfg::feat);
    if constexpr (Cfg::feat) {
      const auto parts = backend::split_channels(dg_in, {Cfg::label_channels, Cfg::feat_nc});
      E_->backward(feat->encoder, ops::segment_mean_backward(parts[1], feat->segments), {}, false);
    }
    g_adam_->step();

    // D update.
    d_adam_->zero_grad();
    d_fake.grad.scale(0.5);
    d_real.grad.scale(0.5);
    loss::backward(D_, ctx_a, d_fake.grad, false);
    loss::backward(D_, ctx_b, d_real.grad, false);
    d_adam_->step();

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
        const auto rec = step(loader.load(std::uint64_t(epoch_), std::size_t(epoch_iter_)));
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

  void save(const std::string& prefix = "latest") const {
    std::filesystem::create_directories(dir());
    const auto meta = metadata();
    save_model(G_, path(prefix, "net_G"), meta);
    save_model(D_, path(prefix, "net_D"), meta);
    if (E_) save_model(*E_, path(prefix, "net_E"), meta);
    io::save_adam_state(*g_adam_, path(prefix, "optim_G"), meta);
    io::save_adam_state(*d_adam_, path(prefix, "optim_D"), meta);
    pool_.save(path(prefix, "pool"));
  }

  /// --continue_train: restores everything `save(prefix)` wrote in dir(), strictly.
  void resume(const std::string& prefix = "latest") {
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
    same("seed", std::to_string(opt_.seed));
    same("batch_size", std::to_string(opt_.batch_size));
    epoch_ = io::metadata_number<std::int64_t>(meta, "epoch", g_path);
    epoch_iter_ = io::metadata_number<std::int64_t>(meta, "epoch_iter", g_path);
    total_ = io::metadata_number<std::int64_t>(meta, "total_iterations", g_path);
    load_model(G_, g_path);
    load_model(D_, path(prefix, "net_D"));
    if (E_) load_model(*E_, path(prefix, "net_E"));
    build_g_optimizer();  // the parameter group of this epoch (frozen G1 or all of G)
    io::load_adam_state(*g_adam_, path(prefix, "optim_G"));
    io::load_adam_state(*d_adam_, path(prefix, "optim_D"));
    pool_.load(path(prefix, "pool"));
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
  /// D frozen for G's backward (restoring each flag).
  struct d_frozen {
    explicit d_frozen(const D_model& d) {
      for (const auto& p : d.all_parameters()) {
        saved.emplace_back(p.get(), p->frozen);
        p->frozen = true;
      }
    }
    ~d_frozen() {
      for (auto& [p, f] : saved) p->frozen = f;
    }
    std::vector<std::pair<parameter<float>*, bool>> saved;
  };

  /// E's forward context, the instance map as segments and the pooled features.
  struct feature_context {
    typename E_model::context encoder;
    typename ops::segments segments;
    tensor<float> output;
  };

  /// E(image), then the mean of each channel over each instance (instance_pooling.hpp over ops).
  feature_context encode_features(const tensor<float>& image, const tensor<float>& instances) const {
    feature_context c{E_->forward(image), {}, {}};
    const auto& f = c.encoder.output;
    require_instance_map_matches(instances, f);
    c.segments = ops::make_segments(instances);
    c.output = ops::segment_mean(f, c.segments);
    return c;
  }

  template <class Ctx>
  loss::term_result<backend> gan(const Ctx& c, loss::gan_target t) const {
    return opt_.no_lsgan ? loss::gan_loss<loss::vanilla>{}(c, t) : loss::gan_loss<loss::lsgan>{}(c, t);
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
    g_adam_.emplace(std::move(params), adam_opts());
    if (d_adam_) g_adam_->set_lr(d_adam_->lr());
  }

  void apply_lr() {
    const double lr = finished() ? 0.0 : schedule_.lr_at(epoch_);
    g_adam_->set_lr(lr);
    d_adam_->set_lr(lr);
  }

  train_options opt_;
  optim::constant_then_linear_decay schedule_;
  G_model G_;
  D_model D_;
  std::unique_ptr<E_model> E_;
  std::unique_ptr<vgg_model> vgg_;
  std::optional<loss::vgg_perceptual<vgg_model>> perceptual_;
  loss::feature_matching fm_{};
  std::optional<adam> g_adam_, d_adam_;
  fake_pool pool_;
  tensor<float> last_fake_;
  std::int64_t epoch_ = 1, epoch_iter_ = 0, total_ = 0;
};

}  // namespace i2i::pix2pixhd
