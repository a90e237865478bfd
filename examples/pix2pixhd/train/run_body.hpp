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
#include "i2i/models/pix2pixhd/trainer.hpp"

namespace p2phd_train {

/// "(epoch: 3, iters: 120, time: 0.412) G_GAN: 0.912 G_GAN_Feat: 3.104 ..." as the reference's
/// Visualizer.print_current_errors (time = seconds per sample).
template <class Record>
std::string loss_line(std::int64_t epoch, std::int64_t iters, double t, const Record& r) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "(epoch: %lld, iters: %lld, time: %.3f) ", (long long)epoch, (long long)iters, t);
  std::string s = buf;
  for (const char* k : {"G_GAN", "G_GAN_Feat", "G_VGG", "D_real", "D_fake"})
    if (r.contains(k)) {
      std::snprintf(buf, sizeof buf, "%s: %.3f ", k, r[k]);
      s += buf;
    }
  return s;
}

/// Resume or --load_pretrain, the data, the loop with its printing and logging, the final save: the
/// same for trainer<Cfg> (CPU) and trainer<Cfg, cuda_backend<float>> (run_gpu.cuh).
template <class Trainer>
void run_loop(Trainer& t) {
  using namespace i2i;
  const auto& opt = t.options();
  std::filesystem::create_directories(t.dir());
  if (opt.continue_train) {
    t.resume("latest");
    std::cout << "Resuming from epoch " << t.epoch() << " at iteration " << t.epoch_iter() << " ("
              << t.total_iterations() << " iterations done), lr " << t.lr() << "\n";
  } else if (!opt.load_pretrain.empty()) {
    std::cout << t.load_pretrain(opt.load_pretrain);
  }
  data::aligned_dataset ds(opt.data);
  data::batch_loader loader(ds, {.batch_size = opt.batch_size, .shuffle = !opt.serial_batches, .seed = opt.seed});
  std::cout << "#training images = " << ds.size() << " (" << loader.batches_per_epoch() << " iterations per epoch)\n"
            << "G: " << t.G().parameter_count() << " parameters, D: " << t.D().parameter_count() << " parameters"
            << (t.E() ? ", E: " + std::to_string(t.E()->parameter_count()) + " parameters" : std::string()) << "\n";

  std::ofstream log((std::filesystem::path(t.dir()) / "loss_log.txt").string(), std::ios::app);
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
        const auto now = std::chrono::steady_clock::now();
        const double per_sample = std::chrono::duration<double>(now - last).count() / double(since * opt.batch_size);
        last = now;
        since = 0;
        const std::string line = loss_line(tr.epoch(), tr.epoch_iter() * opt.batch_size, per_sample, r);
        std::cout << line << std::endl;
        log << line << "\n";
        log.flush();
      },
      [&](const auto& tr, std::int64_t finished) {
        std::cout << "End of epoch " << finished << " / " << tr.total_epochs() << "; saved '" << tr.path("latest", "net_G")
                  << "'; lr for the next epoch " << tr.lr() << std::endl;
      });
  if (!t.finished()) {
    t.save("latest");
    std::cout << "Stopped after --max_iterations at epoch " << t.epoch() << ", iteration " << t.epoch_iter()
              << "; saved 'latest' (continue with --continue_train)\n";
  }
}

}  // namespace p2phd_train
