#pragma once
// The options that pix2pixHD's programs share (pix2pixhd_train, _test, _edit, _encode_features, _studio,
// pix2pix_train, pix2pixhd_segment, i2i_export), declared once with the reference's names (--dataroot,
// --loadSize, --which_epoch, ...), one help text and one range each. Each function binds the options
// to the caller's variables; their values when declared are the defaults --help shows.
#include <cstddef>
#include <cstdint>
#include <string>

#include "i2i/data/aligned_dataset.hpp"
#include "i2i/data/transform.hpp"
#include "program_options.hpp"

namespace examples::pix2pixhd_flags {

/// --name (the experiment: <checkpoints_dir>/<name>) and --checkpoints_dir; returns --name's option,
/// for the programs that require it.
inline CLI::Option* add_experiment(CLI::App& app, std::string& name, std::string& checkpoints_dir) {
  app.add_option("--checkpoints_dir", checkpoints_dir, "where the experiments' checkpoints are");
  return app.add_option("--name", name, "the experiment: checkpoints in <checkpoints_dir>/<name>");
}

/// --which_epoch: the checkpoint to load, <which_epoch>_net_G.safetensors ("latest" or an epoch number).
inline CLI::Option* add_which_epoch(CLI::App& app, std::string& which_epoch) {
  return app.add_option("--which_epoch", which_epoch, "which checkpoint to load: latest or an epoch number");
}

/// --results_dir: where the results go (<results_dir>/<name>/...).
inline CLI::Option* add_results_dir(CLI::App& app, std::string& results_dir) {
  return app.add_option("--results_dir", results_dir, "where the results are written");
}

/// --dataroot (required) and --phase: the folders <dataroot>/<phase>_label, _inst, _img.
inline void add_data_folders(CLI::App& app, std::string& dataroot, std::string& phase) {
  app.add_option("--dataroot", dataroot, "the dataset: <dataroot>/<phase>_label, _inst, _img")->required();
  app.add_option("--phase", phase, "which split of the dataset");
}

/// --max_dataset_size N: the first N pairs by sorted order.
inline CLI::Option* add_max_dataset_size(CLI::App& app, std::size_t& n) {
  return add_number(app, "--max_dataset_size", n, 1, unlimited<std::size_t>, "use only the first N pairs")
      ->default_str("all");
}

/// --label_nc N: the label maps' classes (0: RGB inputs).
template <class Int>
CLI::Option* add_label_nc(CLI::App& app, Int& label_nc, const std::string& help) {
  return add_number(app, "--label_nc", label_nc, 0, 65535, help);
}

/// The transform's options as given on the command line (a program may fill the rest from a checkpoint).
struct transform_given {
  CLI::Option *load_size = nullptr, *fine_size = nullptr, *resize_or_crop = nullptr;
};

/// --loadSize, --fineSize and --resize_or_crop into `t` (pix2pixHD's defaults unless `t` says otherwise).
inline transform_given add_transform(CLI::App& app, i2i::data::transform_options& t) {
  transform_given g;
  g.load_size = add_number(app, "--loadSize", t.load_size, 1, 65536, "scale images to this size");
  g.fine_size = add_number(app, "--fineSize", t.fine_size, 1, 65536, "then crop to this size");
  g.resize_or_crop =
      app.add_option_function<std::string>(
             "--resize_or_crop", [&t](const std::string& mode) { t.mode = i2i::data::parse_resize_mode(mode); },
             "how images are scaled and cropped at load time")
          ->check(CLI::IsMember({"resize_and_crop", "crop", "scale_width", "scale_width_and_crop", "none"}))
          ->default_str(i2i::data::to_string(t.mode));
  return g;
}

/// --no_flip: no random horizontal flips in training.
inline CLI::Option* add_no_flip(CLI::App& app, bool& no_flip) {
  return app.add_flag("--no_flip", no_flip, "no random horizontal flips");
}

/// --continue_train: resume from <checkpoints_dir>/<name>/latest_*.
inline CLI::Option* add_continue_train(CLI::App& app, bool& continue_train) {
  return app.add_flag("--continue_train", continue_train, "resume from the latest checkpoint");
}

/// The reference's schedule: --niter epochs at --lr, --niter_decay epochs decaying it to 0, Adam's
/// --beta1, and --max_iterations (stop early this run; the schedule stays resumable).
template <class Epochs, class Iterations>
void add_schedule(CLI::App& app, Epochs& niter, Epochs& niter_decay, Iterations& max_iterations, double& lr,
                  double& beta1) {
  add_number(app, "--niter", niter, 0, unlimited<Epochs>, "epochs at the starting learning rate");
  add_number(app, "--niter_decay", niter_decay, 0, unlimited<Epochs>, "epochs of linear decay to zero");
  add_number(app, "--max_iterations", max_iterations, -1, unlimited<Iterations>,
             "stop after this many iterations in this run (-1: the schedule's end; resumable)");
  add_number(app, "--lr", lr, 0.0, 1.0, "Adam's initial learning rate");
  add_number(app, "--beta1", beta1, 0.0, 0.999999, "Adam's beta1");
}

/// --batchSize N.
template <class Int>
CLI::Option* add_batch_size(CLI::App& app, Int& batch) {
  return add_number(app, "--batchSize", batch, 1, 65536, "images per batch");
}

/// --print_freq N and --save_latest_freq N (iterations between loss lines / latest checkpoints).
template <class Print, class Save>
void add_frequencies(CLI::App& app, Print& print_freq, Save& save_latest_freq, Save min_save) {
  add_number(app, "--print_freq", print_freq, 1, unlimited<Print>, "iterations between loss lines");
  add_number(app, "--save_latest_freq", save_latest_freq, min_save, unlimited<Save>,
             min_save == 0 ? "iterations between latest checkpoints (0: at epoch ends only)"
                           : "iterations between latest checkpoints");
}

}  // namespace examples::pix2pixhd_flags
