#pragma once
// Shared by pix2pixhd_encode_features, pix2pixhd_edit and pix2pixhd_studio: their common options (declared
// with CLI11) and what a trained pix2pixHD checkpoint says about itself.
//
// The trainer (include/i2i/recipes/pix2pixhd/trainer.hpp) writes <checkpoints>/<name>/<epoch>_net_{G,E}
// .safetensors with the metadata preset, netG, label_nc, no_instance, instance_feat and label_channels;
// these programs read them so that the architecture need not be repeated on the command line (an
// explicit --preset/--netG/--label_nc must agree with the file). The transform options (--loadSize,
// --fineSize, --resize_or_crop) are not stored: pass the ones training used.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "i2i/core/error.hpp"
#include "i2i/data/aligned_dataset.hpp"
#include "i2i/io/checkpoint.hpp"
#include "pix2pixhd_options.hpp"

namespace pix2pixhd_cli {

/// main()'s catch: "<program>: error: <message>" on stderr (without repeating the program's name when
/// the message starts with it); returns the exit status 1.
inline int report_error(const std::string& program, const std::exception& e) {
  const std::string msg = e.what();
  const std::string own = program + ": ";
  std::cerr << own << "error: " << (msg.rfind(own, 0) == 0 ? msg.substr(own.size()) : msg) << "\n";
  return 1;
}

/// The options of a program that reads a trained run: where its checkpoint is and the data it reads.
struct trained_run {
  std::string checkpoints_dir = "./checkpoints", name, which_epoch = "latest";
  i2i::data::dataset_options data;  ///< --dataroot, --max_dataset_size and the transform (pix2pixHD's defaults)

  /// <checkpoints_dir>/<name>/<which_epoch>_net_<net>.safetensors
  std::string checkpoint(const std::string& net) const {
    return (std::filesystem::path(checkpoints_dir) / name / (which_epoch + "_net_" + net + ".safetensors")).string();
  }
  /// The dataset of `phase`, read as test.py and encode_features.py read it: serially, no flips.
  i2i::data::dataset_options dataset(const std::string& phase, int label_nc) const {
    i2i::data::dataset_options d = data;
    d.phase = phase;
    d.label_nc = label_nc;
    d.transform.is_train = false;
    d.transform.no_flip = true;
    return d;
  }
};

/// Declares --checkpoints_dir, --name (required), --which_epoch, --dataroot (required), --max_dataset_size,
/// --loadSize, --fineSize, --resize_or_crop (the values used in training: they are not stored) and --threads.
inline void add_trained_run(CLI::App& app, trained_run& r) {
  namespace flags = examples::pix2pixhd_flags;
  flags::add_experiment(app, r.name, r.checkpoints_dir)->required();
  flags::add_which_epoch(app, r.which_epoch);
  app.add_option("--dataroot", r.data.dataroot, "the dataset (<dataroot>/<phase>_label, _inst, _img)")->required();
  flags::add_max_dataset_size(app, r.data.max_dataset_size);
  flags::add_transform(app, r.data.transform);
  examples::add_threads(app);
}

/// --preset, --netG and --label_nc: normally read from the checkpoint; given, they must agree with it.
struct architecture_flags {
  std::string preset, netG;
  std::optional<int> label_nc;

  /// The given ones, as read_config takes them (empty = not given).
  std::map<std::string, std::string> given() const {
    return {{"preset", preset}, {"netG", netG}, {"label_nc", label_nc ? std::to_string(*label_nc) : ""}};
  }
};

inline void add_architecture(CLI::App& app, architecture_flags& a) {
  const std::string group = "Architecture (default: the checkpoint's; given, it must agree)";
  app.add_option("--preset", a.preset, "tiny, cpu or full")->group(group);
  app.add_option("--netG", a.netG, "global or local")->group(group);
  examples::pix2pixhd_flags::add_label_nc(app, a.label_nc, "label map classes")->group(group);
}

/// What a checkpoint's metadata says, with command line values taking part only when they agree.
struct checkpoint_config {
  std::string preset, netG;
  int label_nc = 0;
  bool instance_feat = false, no_instance = false;
};

inline std::string meta_or(const std::map<std::string, std::string>& m, const std::string& k, const std::string& d) {
  auto it = m.find(k);
  return it == m.end() ? d : it->second;
}

/// Reads preset/netG/label_nc/instance_feat from `path`'s metadata; `given` holds the command line's values
/// (empty = not given). Missing in both: the fallbacks (pix2pixHD's defaults); given and stored but
/// different: value_error naming both.
inline checkpoint_config read_config(const std::string& program, const std::string& path,
                                     const std::map<std::string, std::string>& given,
                                     const std::map<std::string, std::string>& fallback) {
  i2i::require<i2i::io_error>(std::filesystem::exists(path), program, ": checkpoint '", path,
                              "' does not exist (check --checkpoints_dir, --name and --which_epoch; train with "
                              "pix2pixhd_train --instance_feat first)");
  const auto meta = i2i::io::read_checkpoint_metadata(path);
  auto pick = [&](const std::string& k) {
    const std::string stored = meta_or(meta, k, ""), cli = meta_or(given, k, "");
    if (!stored.empty() && !cli.empty())
      i2i::require<i2i::value_error>(stored == cli, program, ": --", k, " ", cli, " but '", path, "' was trained with ",
                                     k, " ", stored, "; leave --", k, " out or pass the training value");
    if (!cli.empty()) return cli;
    if (!stored.empty()) return stored;
    return meta_or(fallback, k, "");
  };
  checkpoint_config c;
  c.preset = pick("preset");
  c.netG = pick("netG");
  c.label_nc = std::stoi(pick("label_nc"));
  c.no_instance = meta_or(meta, "no_instance", "0") == "1";
  c.instance_feat = meta_or(meta, "instance_feat", "1") == "1";
  i2i::require<i2i::value_error>(!c.no_instance && c.instance_feat, program, ": '", path, "' was trained ",
                                 c.no_instance ? "with --no_instance" : "without --instance_feat",
                                 "; feature encoding and editing need a model trained with --instance_feat "
                                 "(and instance maps)");
  return c;
}

}  // namespace pix2pixhd_cli
