#pragma once
// Shared by pix2pixhd_encode_features, pix2pixhd_edit and pix2pixhd_studio: command line parsing and what a trained
// pix2pixHD checkpoint says about itself.
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

namespace pix2pixhd_cli {

/// Whether --help or -h is among the arguments (checked before parsing, so it works with other options).
inline bool help_requested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") return true;
  return false;
}

/// main()'s catch: "<program>: error: <message>" on stderr (without repeating the program's name when
/// the message starts with it); returns the exit status 1.
inline int report_error(const std::string& program, const std::exception& e) {
  const std::string msg = e.what();
  const std::string own = program + ": ";
  std::cerr << own << "error: " << (msg.rfind(own, 0) == 0 ? msg.substr(own.size()) : msg) << "\n";
  return 1;
}

/// Minimal "--key value" / "--flag" parsing with errors that name the program and the option.
class args {
 public:
  args(std::string program, int argc, char** argv, std::vector<std::string> flags)
      : program_(std::move(program)), flags_(std::move(flags)) {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      i2i::require<i2i::value_error>(a.size() > 2 && a.compare(0, 2, "--") == 0, program_, ": unexpected argument '",
                                     a, "' (options are --name value)");
      a = a.substr(2);
      const bool is_flag = std::find(flags_.begin(), flags_.end(), a) != flags_.end();
      if (is_flag) {
        values_[a] = "1";
        continue;
      }
      i2i::require<i2i::value_error>(i + 1 < argc, program_, ": --", a, " needs a value");
      values_[a] = argv[++i];
    }
  }

  bool has(const std::string& k) const { return values_.count(k) != 0; }
  bool flag(const std::string& k) { return take(k).has_value(); }

  std::string text(const std::string& k, const std::string& fallback) {
    auto v = take(k);
    return v ? *v : fallback;
  }
  std::string required(const std::string& k) {
    auto v = take(k);
    i2i::require<i2i::value_error>(v.has_value(), program_, ": --", k, " is required");
    return *v;
  }
  std::int64_t integer(const std::string& k, std::int64_t fallback) {
    auto v = take(k);
    return v ? parse_int(k, *v) : fallback;
  }
  std::int64_t required_integer(const std::string& k) { return parse_int(k, required(k)); }
  double number(const std::string& k, double fallback) {
    auto v = take(k);
    if (!v) return fallback;
    std::size_t used = 0;
    double x = 0;
    try {
      x = std::stod(*v, &used);
    } catch (const std::exception&) {
    }
    i2i::require<i2i::value_error>(used != 0 && used == v->size(), program_, ": --", k, " needs a number, got '", *v, "'");
    return x;
  }

  /// Every option must have been consumed: a misspelt one is an error, not silently ignored.
  void finish() const {
    for (const auto& [k, v] : values_)
      i2i::require<i2i::value_error>(used_.count(k) != 0, program_, ": unknown option --", k, " (see --help)");
  }

 private:
  std::optional<std::string> take(const std::string& k) {
    used_[k] = true;
    auto it = values_.find(k);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  std::int64_t parse_int(const std::string& k, const std::string& v) const {
    std::size_t used = 0;
    long long x = 0;
    try {
      x = std::stoll(v, &used);
    } catch (const std::exception&) {
    }
    i2i::require<i2i::value_error>(used != 0 && used == v.size(), program_, ": --", k, " needs an integer, got '", v,
                                   "'");
    return x;
  }

  std::string program_;
  std::vector<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> used_;
};

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

/// The transform and dataset options shared by both programs (pix2pixHD's defaults).
inline i2i::data::dataset_options dataset_options_from(args& a, const std::string& phase, int label_nc) {
  i2i::data::dataset_options d;
  d.dataroot = a.required("dataroot");
  d.phase = phase;
  d.label_nc = label_nc;
  d.transform.load_size = int(a.integer("loadSize", 1024));
  d.transform.fine_size = int(a.integer("fineSize", 512));
  d.transform.mode = i2i::data::parse_resize_mode(a.text("resize_or_crop", "scale_width"));
  d.transform.is_train = false;  // serial, no flips: encode_features.py and test.py both set no_flip
  d.transform.no_flip = true;
  d.max_dataset_size = std::size_t(a.integer("max_dataset_size", std::int64_t(SIZE_MAX >> 1)));
  return d;
}

inline std::string checkpoint_path(const std::string& dir, const std::string& name, const std::string& epoch,
                                   const std::string& net) {
  return (std::filesystem::path(dir) / name / (epoch + "_net_" + net + ".safetensors")).string();
}

}  // namespace pix2pixhd_cli
