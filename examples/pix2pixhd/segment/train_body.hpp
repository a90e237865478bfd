#pragma once
// pix2pixhd_segment train's loop, written over the backend so that the CPU program (main.cpp) and the
// GPU one (train_gpu.cu, an nvcc TU) share it. Eigen-free: the generic segmentation trainer, the data
// loader and the checkpoint I/O only. Batches are drawn and decoded on the host; the trainer uploads
// each once.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "i2i/data/loader.hpp"
#include "i2i/dist/data_parallel.hpp"
#include "i2i/dist/sync_batch_norm.hpp"
#include "i2i/io/checkpoint_set.hpp"
#include "i2i/io/optimizer_state.hpp"
#include "i2i/model/checkpoint.hpp"
#include "i2i/recipes/segmentation/trainer.hpp"
#include "i2i/models/segmentation/unet.hpp"
#include "i2i/train/stop_on_error.hpp"

namespace segment_train {

// The compiled network: F = 16 channels at full resolution, 3 downsamplings (16 .. 128 channels).
constexpr int width = 16, depth = 3;
template <int Classes>
using net_spec = i2i::segmentation::unet<3, Classes, width, depth>;

struct train_args {
  std::string dataroot, out;
  int label_nc = 0, batch = 4, print_freq = 50, save_freq = 500;
  std::int64_t iterations = 3000, ignore_index = -1;
  std::size_t max_dataset_size = SIZE_MAX;
  double lr = 1e-3;
  std::uint64_t seed = 1;
  bool no_flip = false, continue_train = false;
  bool sync_bn = false;  ///< batch norm statistics over all ranks (dist::sync_batch_norm)
  i2i::data::augment_options augment;  ///< zoom and colour jitter (off by default)
};

/// The augmentation as the checkpoint's metadata and the summary line state it.
inline std::string augment_text(const i2i::data::augment_options& g) {
  if (!g.active()) return "none";
  char s[160];
  std::snprintf(s, sizeof s, "brightness %g contrast %g saturation %g hue %g max_scale %g", g.brightness, g.contrast,
                g.saturation, g.hue, g.max_scale);
  return s;
}

/// Trains the U-Net of Classes classes on backend B; `runs_on` ends the summary line ("2 threads",
/// "CUDA device 0"). `job` is the data-parallel world (dist::world() on the CPU, dist::device_world on a
/// GPU; one rank alone trains as before): each rank takes every world_size-th batch of the epoch's order,
/// the gradients are averaged before each update, and rank 0 prints, logs and saves.
template <int Classes, class B>
void train(const train_args& a, const std::string& runs_on, const std::shared_ptr<i2i::dist::communicator>& job) {
  using namespace i2i;
  namespace fs = std::filesystem;
  const bool root = job->is_root();
  std::ostream quiet(nullptr);
  std::ostream& out = root ? std::cout : quiet;
  data::dataset_options d;
  d.dataroot = a.dataroot;
  d.label_nc = Classes;
  d.no_instance = true;  // the oracle sees images only; the label map is its target
  d.max_dataset_size = a.max_dataset_size;
  d.transform.mode = data::resize_mode::none;
  d.transform.no_flip = a.no_flip;
  d.transform.n_downsample_global = depth;
  d.augment = a.augment;
  data::aligned_dataset ds(d);
  data::batch_loader loader(ds, {.batch_size = a.batch, .seed = a.seed, .world_size = job->world_size(),
                                 .rank = job->rank()});
  segmentation::train_options o;
  o.adam.lr = a.lr;
  o.loss.ignore_index = a.ignore_index;
  o.seed = a.seed;
  segmentation::trainer<net_spec<Classes>, B> t(o);
  fs::create_directories(a.out);
  const std::string net_path = (fs::path(a.out) / "segmenter.safetensors").string();
  const std::string optim_path = (fs::path(a.out) / "optim.safetensors").string();
  std::int64_t start = 0;
  if (a.continue_train) {
    io::recover_checkpoint_set(a.out, "segmenter");  // complete, the last complete one, or an io_error
    load_model(t.net(), net_path);
    io::load_adam_state(t.optimizer(), optim_path);
    start = io::metadata_number<std::int64_t>(io::read_checkpoint_metadata(net_path), "iterations", net_path);
    out << "continuing from iteration " << start << " of '" << net_path << "'\n";
  }
  // Data-parallel: rank 0's weights and Adam state, then gradients averaged before each update.
  dist::data_parallel dp(job);
  dp.broadcast_parameters(t.net());
  dp.broadcast_optimizer(t.optimizer());
  dp.attach(t, t.net());  // gradients averaged before each update, overlapped with backward
  if (a.sync_bn) dist::sync_batch_norm(t.net(), job);
  out << "segmenter: U-Net F " << width << ", depth " << depth << ", " << Classes << " classes, "
            << t.net().parameter_count() << " parameters; " << ds.size() << " training pairs from '" << a.dataroot
            << "', batch " << a.batch << ", augmentation: " << augment_text(a.augment) << ", " << runs_on
            << (a.ignore_index >= 0 ? ", ignoring class " + std::to_string(a.ignore_index) : std::string()) << "\n";
  auto save = [&](std::int64_t it) {
    if (!root) return;
    std::map<std::string, std::string> meta{{"i2i.model", "segmentation_unet"},
                                            {"label_nc", std::to_string(Classes)},
                                            {"width", std::to_string(width)},
                                            {"depth", std::to_string(depth)},
                                            {"iterations", std::to_string(it)},
                                            {"batch", std::to_string(a.batch)},
                                            {"ignore_index", std::to_string(a.ignore_index)},
                                            {"augment", augment_text(a.augment)},
                                            {"dataroot", a.dataroot}};
    io::checkpoint_set_writer set(a.out, "segmenter");  // the files below are committed as one set
    save_model(t.net(), net_path, meta);
    io::save_adam_state(t.optimizer(), optim_path);
    set.commit({{"iterations", meta["iterations"]}});
  };
  std::ofstream log;
  if (root) log.open((fs::path(a.out) / "train_log.txt").string(), std::ios::app);
  const std::size_t per_epoch = loader.batches_per_epoch();
  double loss_sum = 0, acc_sum = 0;
  int n = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t it = start; it < a.iterations; ++it) {
    const auto b = loader.load(std::uint64_t(it) / per_epoch, std::size_t(it) % per_epoch);
    const auto r = train::stop_on_error("pix2pixhd_segment train", it + 1, [&] { return t.step(b.image, b.label); });
    loss_sum += r.loss;
    acc_sum += r.pixel_accuracy;
    ++n;
    if ((it + 1) % a.print_freq == 0 || it + 1 == a.iterations) {
      // every rank takes part; alone: its own sums
      train::step_record mine;
      mine.set("loss", loss_sum / n);
      mine.set("accuracy", acc_sum / n);
      const auto means = dp.average(mine);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / n;
      char line[200];
      std::snprintf(line, sizeof line, "(epoch: %lld, iters: %lld) loss %.4f train pixel accuracy %.4f  %.3f s/iter",
                    (long long)(it / std::int64_t(per_epoch) + 1), (long long)(it + 1), means["loss"], means["accuracy"], s);
      out << line << std::endl;
      log << line << "\n" << std::flush;
      loss_sum = acc_sum = 0;
      n = 0;
      t0 = std::chrono::steady_clock::now();
    }
    if ((it + 1) % a.save_freq == 0) save(it + 1);
  }
  save(a.iterations);
  out << "saved '" << net_path << "'\n";
}

}  // namespace segment_train
