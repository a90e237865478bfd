#pragma once
// pix2pix_train's training loop over any backend B: main.cpp (a host TU) runs it on cpu_backend<float>,
// train_gpu.cuh (nvcc TUs, generated from instantiate_gpu.cu.in) on cuda_backend<float>. Eigen-free.
// Batches are loaded and decoded on the host and uploaded once per step; the step is train::gan_step
// (pix2pix::make_step); checkpoints go through to_host / assign_from_host, so a checkpoint trained on
// one backend continues on the other.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "i2i/core/threads.hpp"
#include "i2i/data/encode_on_backend.hpp"
#include "i2i/data/loader.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/io/checkpoint_set.hpp"
#include "i2i/io/optimizer_state.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/model/init.hpp"
#include "i2i/models/pix2pix/networks.hpp"
#include "i2i/optim/schedule.hpp"
#include "i2i/train/stop_on_error.hpp"

namespace p2p_train {

using namespace i2i;
namespace fs = std::filesystem;

struct options {
  std::string dataroot, name, checkpoints_dir = "./checkpoints", gan_mode = "vanilla", phase = "train";
  std::string results_dir = "./results", which_epoch = "latest";
  int label_nc = 0, batch = 1, print_freq = 100, save_latest_freq = 1000;
  std::int64_t niter = 100, niter_decay = 100, max_iterations = -1;
  std::size_t max_dataset_size = SIZE_MAX, how_many = SIZE_MAX;
  double lr = 2e-4, beta1 = 0.5, lambda_l1 = 100;
  std::uint64_t seed = 0;
  bool no_flip = false, continue_train = false;
};

inline data::dataset_options data_options(const options& o, int num_downs, bool train) {
  data::dataset_options d;
  d.dataroot = o.dataroot;
  d.phase = o.phase;
  d.label_nc = o.label_nc;
  d.no_instance = true;  // pix2pix sees the label map only
  d.max_dataset_size = o.max_dataset_size;
  d.transform.mode = data::resize_mode::none;
  d.transform.is_train = train;
  d.transform.no_flip = o.no_flip || !train;
  d.transform.n_downsample_global = num_downs;
  return d;
}

template <class Cfg, class Mode, class B>
void train_with(const options& o, const fs::path& dir, const std::shared_ptr<dist::communicator>& job) {
  const bool root = job->is_root();  // with several ranks (docs/distributed.md) rank 0 prints, logs, saves
  std::ostream quiet(nullptr);
  std::ostream& out = root ? std::cout : quiet;
  data::aligned_dataset ds(data_options(o, Cfg::num_downs, true));
  data::batch_loader loader(ds, {.batch_size = o.batch, .seed = o.seed, .world_size = job->world_size(),
                                 .rank = job->rank()});
  model<typename Cfg::generator, B> G;
  model<typename Cfg::discriminator, B> D;
  initialize(G, init_policy::pix2pixhd(), o.seed * 2 + 1);  // N(0, 0.02) weights, as pix2pix's init_type normal
  initialize(D, init_policy::pix2pixhd(), o.seed * 2 + 2);
  auto step = pix2pix::make_step(G, D, loss::gan_loss<Mode>{}, o.lambda_l1, {.lr = o.lr, .beta1 = o.beta1});
  const auto path = [&](const char* what) { return (dir / (std::string("latest_") + what + ".safetensors")).string(); };
  std::int64_t total = 0;
  if (o.continue_train) {
    io::recover_checkpoint_set(dir, "latest");  // complete, the last complete one, or an io_error
    load_model(G, path("net_G"));
    load_model(D, path("net_D"));
    io::load_adam_state(step.generator_optimizer(), path("optim_G"));
    io::load_adam_state(step.discriminator_optimizer(), path("optim_D"));
    total = io::metadata_number<std::int64_t>(io::read_checkpoint_metadata(path("net_G")), "total_iterations",
                                              path("net_G"));
    out << "continuing '" << o.name << "' from iteration " << total << "\n";
  }
  // Data-parallel: rank 0's weights and Adam states, then gradients averaged before each update.
  dist::data_parallel dp(job);
  dp.broadcast_parameters(G);
  dp.broadcast_parameters(D);
  dp.broadcast_optimizer(step.generator_optimizer());
  dp.broadcast_optimizer(step.discriminator_optimizer());
  dp.attach(step, G, D);  // gradients averaged before each update, overlapped with backward
  const optim::constant_then_linear_decay schedule(o.lr, o.niter, o.niter_decay);
  const std::int64_t per_epoch = std::int64_t(loader.batches_per_epoch());
  const std::int64_t last = o.max_iterations >= 0 ? std::min(o.max_iterations, schedule.total_iterations(per_epoch))
                                                  : schedule.total_iterations(per_epoch);
  out << "pix2pix: G U-Net (" << Cfg::num_downs << " levels, ngf " << Cfg::ngf << ", " << G.parameter_count()
            << " parameters), D PatchGAN (ndf " << Cfg::ndf << ", n_layers " << Cfg::n_layers << ", "
            << D.parameter_count() << " parameters), " << o.gan_mode << " GAN + " << o.lambda_l1 << " L1; "
            << ds.size() << " pairs, batch " << o.batch << ", " << per_epoch << " iterations per epoch, "
            << num_threads() << " threads\n";
  auto save = [&](std::int64_t it) {
    if (!root) return;
    std::map<std::string, std::string> meta{
        {"i2i.model", "pix2pix"},          {"label_nc", std::to_string(Cfg::label_nc)},
        {"num_downs", std::to_string(Cfg::num_downs)}, {"ngf", std::to_string(Cfg::ngf)},
        {"ndf", std::to_string(Cfg::ndf)}, {"n_layers", std::to_string(Cfg::n_layers)},
        {"gan_mode", o.gan_mode},          {"total_iterations", std::to_string(it)},
        {"epoch", std::to_string(it / per_epoch)}};
    io::checkpoint_set_writer set(dir, "latest");  // the files below are committed as one set
    save_model(G, path("net_G"), meta);
    save_model(D, path("net_D"), meta);
    io::save_adam_state(step.generator_optimizer(), path("optim_G"));
    io::save_adam_state(step.discriminator_optimizer(), path("optim_D"));
    set.commit({{"total_iterations", meta["total_iterations"]}});
  };
  std::ofstream log;
  if (root) log.open((dir / "loss_log.txt").string(), std::ios::app);
  auto t0 = std::chrono::steady_clock::now();
  int since = 0;
  for (std::int64_t it = total; it < last; ++it) {
    const std::int64_t epoch = it / per_epoch + 1;
    if (it % per_epoch == 0 || it == total) {
      step.generator_optimizer().set_lr(schedule.lr_at(epoch));
      step.discriminator_optimizer().set_lr(schedule.lr_at(epoch));
    }
    const auto b = loader.load(std::uint64_t(epoch - 1), std::size_t(it % per_epoch));
    // One upload per tensor; the encoding runs on B (data::encode_input on the CPU).
    const auto rec_here = train::stop_on_error("pix2pix_train", it + 1, [&] {
      return step.step(
          data::encode_input_on<B>(B::to_backend(b.label), tensor<float>{}, Cfg::label_nc, /*no_instance=*/true),
          B::to_backend(b.image));
    });
    ++since;
    if ((it + 1) % o.print_freq == 0 || it + 1 == last) {
      const auto rec = dp.average(rec_here);  // every rank takes part; alone: rec_here itself
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / since;
      std::ostringstream line;
      line << "(epoch: " << epoch << ", iters: " << (it % per_epoch + 1) * o.batch * job->world_size() << ", time: " << s
           << " s/iter, lr " << step.generator_optimizer().lr() << ") G_GAN " << rec["G_GAN"] << " G_L1 "
           << rec["G_l1"] << " D_real " << rec["D_real"] << " D_fake " << rec["D_fake"];
      out << line.str() << std::endl;
      log << line.str() << "\n" << std::flush;
      t0 = std::chrono::steady_clock::now();
      since = 0;
    }
    if ((it + 1) % o.save_latest_freq == 0) save(it + 1);
  }
  save(last);
  out << "saved '" << path("net_G") << "' after " << last << " iterations\n";
}

/// Trains configuration Cfg on backend B (the models on B's current device) as one rank of `job`
/// (a communicator for B's tensors: dist::world() on the CPU, dist::device_world on a GPU).
template <class Cfg, class B>
void train(const options& o, const std::shared_ptr<dist::communicator>& job) {
  const fs::path dir = fs::path(o.checkpoints_dir) / o.name;
  fs::create_directories(dir);
  if (o.gan_mode == "vanilla") train_with<Cfg, loss::vanilla, B>(o, dir, job);
  else train_with<Cfg, loss::lsgan, B>(o, dir, job);
}

}  // namespace p2p_train
