#pragma once
// pix2pixhd_train's loop, written over the trainer type so that the CPU program (run.hpp) and the GPU
// one (run_gpu.cuh, an nvcc TU) share it. Eigen-free: it includes only the trainer's Eigen-free core
// and the data loader.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "i2i/data/loader.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/recipes/pix2pixhd/trainer.hpp"

namespace p2phd_train {

/// "(epoch: 3, iters: 120, time: 0.412) G_GAN: 0.912 G_GAN_Feat: 3.104 ..." as the reference's
/// Visualizer.print_current_errors (time = seconds per sample).
template <class Record>
std::string loss_line(std::int64_t epoch, std::int64_t iters, double t, const Record& r) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "(epoch: %lld, iters: %lld, time: %.3f) ", (long long)epoch, (long long)iters, t);
  std::string s = buf;
  // The perceptual term is named after its network: G_VGG, or G_MobileNetV2 with --perceptual mobilenet_v2.
  for (const char* k : {"G_GAN", "G_GAN_Feat", "G_VGG", "G_MobileNetV2", "D_real", "D_fake"})
    if (r.contains(k)) {
      std::snprintf(buf, sizeof buf, "%s: %.3f ", k, r[k]);
      s += buf;
    }
  return s;
}

/// Resume or --load_pretrain, the data, the loop with its printing and logging, the final save: the
/// same for trainer<Cfg> (CPU) and trainer<Cfg, cuda_backend<float>> (run_gpu.cuh). With several ranks
/// (`job`, docs/distributed.md) every rank loads its shard of each epoch, rank 0's state is broadcast
/// after the resume, and only rank 0 prints, logs and saves (the printed losses are the ranks' mean).
template <class Trainer>
void run_loop(Trainer& t, std::shared_ptr<i2i::dist::communicator> job) {
  using namespace i2i;
  const auto& opt = t.options();
  const bool root = job->is_root();
  std::ostream quiet(nullptr);  // what ranks other than 0 would print
  std::ostream& out = root ? std::cout : quiet;
  if (root) std::filesystem::create_directories(t.dir());
  if (opt.continue_train) {
    t.resume("latest");
    out << "Resuming from epoch " << t.epoch() << " at iteration " << t.epoch_iter() << " ("
        << t.total_iterations() << " iterations done), lr " << t.lr() << "\n";
  } else if (!opt.load_pretrain.empty()) {
    out << t.load_pretrain(opt.load_pretrain);
  }
  t.set_data_parallel(std::make_shared<dist::data_parallel>(job));
  data::aligned_dataset ds(opt.data);
  data::batch_loader loader(ds, {.batch_size = opt.batch_size, .shuffle = !opt.serial_batches, .seed = opt.seed,
                                 .world_size = job->world_size(), .rank = job->rank()});
  out << "#training images = " << ds.size() << " (" << loader.batches_per_epoch() << " iterations per epoch"
      << (job->world_size() > 1 ? " on each of " + std::to_string(job->world_size()) + " ranks" : std::string())
      << ")\n"
      << "G: " << t.G().parameter_count() << " parameters, D: " << t.D().parameter_count() << " parameters"
      << (t.E() ? ", E: " + std::to_string(t.E()->parameter_count()) + " parameters" : std::string()) << "\n";

  std::ofstream log;
  if (root) log.open((std::filesystem::path(t.dir()) / "loss_log.txt").string(), std::ios::app);
  const std::time_t now = std::time(nullptr);
  std::string stamp = std::ctime(&now);
  if (!stamp.empty() && stamp.back() == '\n') stamp.pop_back();
  log << "================ Training Loss (" << stamp << ") ================\n";
  auto last = std::chrono::steady_clock::now();
  std::int64_t since = 0;
  t.run(
      loader,
      [&](const auto& tr, const auto& r) {
        ++since;
        if (tr.total_iterations() % opt.print_freq != 0) return;
        const auto mean = tr.data_parallel()->average(r);  // every rank takes part; alone: r itself
        const auto now = std::chrono::steady_clock::now();
        const std::int64_t world = job->world_size();  // samples of a step: batch_size on every rank
        const double per_sample =
            std::chrono::duration<double>(now - last).count() / double(since * opt.batch_size * world);
        last = now;
        since = 0;
        if (!root) return;
        const std::string line = loss_line(tr.epoch(), tr.epoch_iter() * opt.batch_size * world, per_sample, mean);
        std::cout << line << std::endl;
        log << line << "\n";
        log.flush();
      },
      [&](const auto& tr, std::int64_t finished) {
        out << "End of epoch " << finished << " / " << tr.total_epochs() << "; saved '" << tr.path("latest", "net_G")
            << "'; lr for the next epoch " << tr.lr() << std::endl;
      });
  if (!t.finished()) {
    t.save("latest");
    out << "Stopped after --max_iterations at epoch " << t.epoch() << ", iteration " << t.epoch_iter()
        << "; saved 'latest' (continue with --continue_train)\n";
  }
}

}  // namespace p2phd_train
