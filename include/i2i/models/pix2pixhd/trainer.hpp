#pragma once
// pix2pixHD's training loop on the CPU backend (research/pix2pixhd.md §2), for one compiled
// configuration (options.hpp):
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
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "i2i/backend/cpu/backend.hpp"
#include "i2i/data/encode.hpp"
#include "i2i/data/loader.hpp"
#include "i2i/io/optimizer_state.hpp"
#include "i2i/loss/types/all.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/model/init.hpp"
#include "i2i/models/pix2pixhd/instance_pooling.hpp"
#include "i2i/models/pix2pixhd/options.hpp"
#include "i2i/models/vgg19.hpp"
#include "i2i/optim/schedule.hpp"
#include "i2i/train/gan_step.hpp"  // train::step_record

namespace i2i::pix2pixhd {

/// pix2pixHD's fake history pool (util/image_pool.py) with the same draws as train::image_pool, plus
/// save/load of its images and generator state so that a resumed run continues identically.
class fake_pool {
 public:
  explicit fake_pool(std::int64_t capacity = 0, std::uint64_t seed = 0) : capacity_(capacity), rng_(seed) {
    require<value_error>(capacity >= 0, "fake_pool: negative pool size ", capacity);
  }
  std::int64_t capacity() const { return capacity_; }
  std::int64_t size() const { return std::int64_t(images_.size()); }

  tensor<float> query(const tensor<float>& batch) {
    if (capacity_ == 0) return batch;
    require_nchw("fake_pool::query", "batch", batch);
    const shape one = shape::nchw(1, batch.c(), batch.h(), batch.w());
    if (!images_.empty())
      require<shape_error>(images_.front().shape() == one, "fake_pool::query: batch has shape ", batch.shape(),
                           " but the pool holds images of shape ", images_.front().shape());
    const std::size_t per = std::size_t(one.numel());
    auto out = tensor<float>::empty(batch.shape());
    for (std::int64_t n = 0; n < batch.n(); ++n) {
      const float* src = batch.data() + n * per;
      float* dst = out.data() + n * per;
      if (size() < capacity_) {
        auto keep = tensor<float>::empty(one);
        std::memcpy(keep.data(), src, per * sizeof(float));
        images_.push_back(std::move(keep));
        std::memcpy(dst, src, per * sizeof(float));
      } else if (double(rng_() >> 11) * 0x1.0p-53 > 0.5) {
        const std::uint64_t n_cap = std::uint64_t(capacity_), limit = UINT64_MAX - UINT64_MAX % n_cap;
        std::uint64_t x;
        do x = rng_();
        while (x >= limit);
        auto& slot = images_[std::size_t(x % n_cap)];
        std::memcpy(dst, slot.data(), per * sizeof(float));
        std::memcpy(slot.data(), src, per * sizeof(float));
      } else {
        std::memcpy(dst, src, per * sizeof(float));
      }
    }
    return out;
  }

  void save(const std::string& path) const {
    state_dict<float> sd;
    for (std::size_t i = 0; i < images_.size(); ++i) sd.push_back({"pool." + std::to_string(i), images_[i]});
    std::ostringstream rng_text;
    rng_text << rng_;  // the standard fixes mt19937_64's textual state
    io::save_state_dict(sd, path,
                        {{"i2i.content", "pix2pixhd_fake_pool"},
                         {"capacity", std::to_string(capacity_)},
                         {"size", std::to_string(images_.size())},
                         {"rng", rng_text.str()}});
  }

  void load(const std::string& path) {
    const auto meta = io::read_checkpoint_metadata(path);
    auto get = [&](const char* k) {
      auto it = meta.find(k);
      require<io_error>(it != meta.end(), "fake_pool::load: '", path, "' has no metadata '", k,
                        "' (not a fake pool file)");
      return it->second;
    };
    require<io_error>(get("i2i.content") == "pix2pixhd_fake_pool", "fake_pool::load: '", path,
                      "' is not a fake pool file");
    const auto cap = io::metadata_number<std::int64_t>(meta, "capacity", path);
    require<value_error>(cap == capacity_, "fake_pool::load: '", path, "' holds a pool of size ", cap,
                         " but this run has --pool_size ", capacity_);
    const auto n = io::metadata_number<std::int64_t>(meta, "size", path);
    const io::safetensors_reader file(path);
    std::vector<tensor<float>> imgs;
    state_dict<float> targets;
    for (std::int64_t i = 0; i < n; ++i) {
      const std::string key = "pool." + std::to_string(i);
      const auto* e = file.find(key);
      require<io_error>(e != nullptr && e->dims.size() == 4, "fake_pool::load: '", path, "' lacks '", key,
                        "' or it is not N x C x H x W");
      imgs.push_back(tensor<float>::zeros(shape::nchw(std::int64_t(e->dims[0]), std::int64_t(e->dims[1]),
                                                      std::int64_t(e->dims[2]), std::int64_t(e->dims[3]))));
      targets.push_back({key, imgs.back()});
    }
    if (n > 0) io::load_state_dict(targets, path, io::load_mode::strict);
    std::istringstream is(get("rng"));
    std::mt19937_64 r;
    is >> r;
    require<io_error>(!is.fail(), "fake_pool::load: '", path, "': unreadable generator state");
    images_ = std::move(imgs);
    rng_ = r;
  }

 private:
  std::int64_t capacity_;
  std::mt19937_64 rng_;
  std::vector<tensor<float>> images_;
};

template <class Cfg>
class trainer {
 public:
  using backend = cpu_backend<float>;
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
      vgg_ = std::make_unique<vgg_model>();
      load_model(*vgg_, opt_.vgg_weights);
      perceptual_.emplace(*vgg_, opt_.lambda_feat);
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
  optim::adam<float>& g_optimizer() { return *g_adam_; }
  optim::adam<float>& d_optimizer() { return *d_adam_; }
  fake_pool& pool() { return pool_; }
  /// The last step's fake (G's output before its update).
  const tensor<float>& last_fake() const { return last_fake_; }

  std::string dir() const { return (std::filesystem::path(opt_.checkpoints_dir) / opt_.name).string(); }

  // ---- inputs -------------------------------------------------------------------------------------
  /// one_hot(label) | boundary_map(inst) (or the RGB input with label_nc 0): D's label part.
  tensor<float> encode_labels(const tensor<float>& label, const tensor<float>& inst) const {
    tensor<float> x = opt_.data.no_instance ? data::encode_input(label, opt_.data.label_nc)
                                            : data::encode_input(label, inst, opt_.data.label_nc);
    require<shape_error>(x.c() == Cfg::label_channels, "pix2pixhd trainer: encoded labels have ", x.c(),
                         " channels, the configuration expects ", Cfg::label_channels);
    return x;
  }

  // ---- one iteration ------------------------------------------------------------------------------
  train::step_record step(const data::batch& b) {
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

  train::step_record step(const tensor<float>& label, const tensor<float>& inst, const tensor<float>& real) {
    train::step_record rec;
    const tensor<float> labels = encode_labels(label, inst);
    require<shape_error>(real.rank() == 4 && real.c() == 3 && real.n() == labels.n() && real.h() == labels.h() &&
                             real.w() == labels.w(),
                         "pix2pixhd trainer: image ", real.shape(), " does not match the label map ", label.shape());
    std::optional<instance_features_context<E_model>> feat;
    tensor<float> g_in = labels;
    if constexpr (Cfg::feat) {
      feat.emplace(encode_instance_features(*E_, real, inst));
      g_in = backend::concat_channels({labels, feat->output});
    }
    auto g_ctx = G_.forward(g_in);
    const tensor<float>& fake = g_ctx.output;
    last_fake_ = fake;

    const tensor<float> fake_in = backend::concat_channels({labels, fake});
    const tensor<float> pooled = pool_.query(fake_in);
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
    loss::injection<float> into_d = std::move(g_gan.grad);
    if (!opt_.no_ganFeat_loss) {
      auto fm = fm_(ctx_c, ctx_b);
      rec.set("G_GAN_Feat", fm.value);
      loss_g += fm.value;
      into_d.add(fm.grad);
    }
    tensor<float> dfake_vgg;
    if (perceptual_) {
      auto v = (*perceptual_)(fake, real);
      rec.set("G_VGG", v.value);
      loss_g += v.value;
      dfake_vgg = v.grad;
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
      encode_instance_features_backward(*E_, *feat, parts[1], false);
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
           const std::function<void(const trainer&, const train::step_record&)>& on_step = {},
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

  template <class Ctx>
  loss::term_result<float> gan(const Ctx& c, loss::gan_target t) const {
    return opt_.no_lsgan ? vanilla_(c, t) : lsgan_(c, t);
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
  loss::gan_loss<loss::lsgan> lsgan_{};
  loss::gan_loss<loss::vanilla> vanilla_{};
  loss::feature_matching fm_{};
  std::optional<optim::adam<float>> g_adam_, d_adam_;
  fake_pool pool_;
  tensor<float> last_fake_;
  std::int64_t epoch_ = 1, epoch_iter_ = 0, total_ = 0;
};

}  // namespace i2i::pix2pixhd
