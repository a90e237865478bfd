#pragma once
// Rebuilding a trained EGSC-IT-family model from its checkpoint directory, for egscit_translate,
// egscit_evaluate and tests: every file a trainer saves carries checkpoint_metadata (trainer_common.hpp),
// so the model kind, the ablation, the configuration's name and the inference switches come from the
// directory and need no flags.
//
//   auto m = load_translator("runs/unit");          // reads the metadata, builds and loads the model
//   auto y = m.translate(x_a, domain::A, x_b, 0);   // x_a in B's style (UNIT/CycleGAN ignore x_b)
//
// The configurations the programs know by name (named_configs): "mnist" (config<1>, §6.4), "street"
// (config<3>), and two CPU-sized ones: "small" (config<1, 8, 1>, D widths 8, 3 layers; the integration
// tests' network) and "medium" (config<1, 16, 2>, D widths 16, 3 layers).
//
// I2I_EGSCIT_CONFIGS (a string literal, ","-separated; default all four) says which of them
// with_named_config instantiates: each is every trainer and model kind again, tens of seconds of
// compiler per program, so a build that needs fewer (CI: the tests' "mnist;small") names them. The build
// sets it once for every target (CMake cache variable I2I_EGSCIT_CONFIGS on i2i::recipes), so all
// translation units of a program agree. A known name that was not compiled in is a value_error saying so.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "i2i/recipes/egscit/cyclegan.hpp"
#include "i2i/recipes/egscit/evaluate.hpp"
#include "i2i/recipes/egscit/munit.hpp"
#include "i2i/recipes/egscit/trainer.hpp"

namespace i2i::egscit {

namespace named_configs {
using small = config<1, 8, 1>;
using small_dis = discriminator<3, 8, 3>;
using medium = config<1, 16, 2>;
using medium_dis = discriminator<3, 16, 3>;
}  // namespace named_configs

#ifndef I2I_EGSCIT_CONFIGS
#define I2I_EGSCIT_CONFIGS "mnist,street,small,medium"
#endif

/// Whether the ","-separated `list` names `name` (a whole entry).
constexpr bool config_listed(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    const auto end = list.find(',');
    if (list.substr(0, end) == name) return true;
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
  return false;
}
/// Whether with_named_config was compiled for the configuration called `name` (I2I_EGSCIT_CONFIGS).
constexpr bool named_config_built(std::string_view name) { return config_listed(I2I_EGSCIT_CONFIGS, name); }

/// A value_error unless `name` is a named configuration that with_named_config was compiled for: a program
/// calls it before loading data, so that a wrong --config fails at once.
inline void require_named_config(const std::string& name) {
  require<value_error>(name == "mnist" || name == "street" || name == "small" || name == "medium",
                       "egscit: unknown configuration '", name, "' (mnist, street, small, medium)");
  require<value_error>(named_config_built(name), "egscit: configuration '", name,
                       "' was not compiled into this program (built: ", I2I_EGSCIT_CONFIGS,
                       "; configure with -DI2I_EGSCIT_CONFIGS=...)");
}

/// Calls f.template operator()<Cfg, Dis>() for the configuration called `name` (mnist, street, small,
/// medium, as far as I2I_EGSCIT_CONFIGS compiled them in); every branch must return the same type.
template <class F>
decltype(auto) with_named_config(const std::string& name, F&& f) {
  require_named_config(name);
  if constexpr (named_config_built("mnist"))
    if (name == "mnist") return f.template operator()<mnist, discriminator<>>();
  if constexpr (named_config_built("street"))
    if (name == "street") return f.template operator()<street, discriminator<>>();
  if constexpr (named_config_built("small"))
    if (name == "small") return f.template operator()<named_configs::small, named_configs::small_dis>();
  if constexpr (named_config_built("medium"))
    if (name == "medium") return f.template operator()<named_configs::medium, named_configs::medium_dis>();
  throw value_error("egscit: configuration '" + name + "' has no branch in with_named_config");  // not reached
}

/// What a checkpoint directory says about its model.
struct checkpoint_info {
  std::filesystem::path dir, file;              ///< the directory, and the file the metadata came from
  std::map<std::string, std::string> metadata;  ///< that file's metadata
  train_options options;                        ///< defaults with the metadata applied
  std::string config;                           ///< configuration name ("mnist" for older checkpoints)
  std::int64_t iteration = 0;
};

/// A metadata-only file that egscit_train wrote next to MUNIT checkpoints before munit_trainer recorded
/// the whole checkpoint_metadata itself; still read (first) so that those directories load.
inline constexpr const char* model_card_file = "egscit_model.safetensors";

/// Reads the metadata of the directory's model: E_A.safetensors (EGSC-IT, UNIT), G_AB.safetensors
/// (CycleGAN), an older MUNIT directory's model card, gen_A.safetensors (MUNIT), else the first
/// *.safetensors (by name) whose metadata names a model.
inline checkpoint_info read_checkpoint_info(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  require<io_error>(fs::is_directory(dir), "egscit: model directory '", dir.string(), "' does not exist");
  checkpoint_info info;
  info.dir = dir;
  for (const char* f : {"E_A.safetensors", "G_AB.safetensors", model_card_file, "gen_A.safetensors"})
    if (fs::exists(dir / f)) {
      info.file = dir / f;
      break;
    }
  if (info.file.empty()) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".safetensors") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files)
      if (file_metadata(f).count("egscit.model")) {
        info.file = f;
        break;
      }
  }
  require<io_error>(!info.file.empty(), "egscit: '", dir.string(), "' holds no trained model (no E_A.safetensors, ",
                    "G_AB.safetensors or file with egscit.model metadata); train one with egscit_train");
  info.metadata = file_metadata(info.file);
  info.options = apply_checkpoint_metadata(train_options{}, info.metadata, info.file.string());
  info.config = info.options.config_name.empty() ? "mnist" : info.options.config_name;
  if (info.metadata.count("iteration"))
    info.iteration = io::metadata_number<std::int64_t>(info.metadata, "iteration", info.file.string());
  return info;
}

/// Explicit choices that win over the checkpoint's metadata (the programs' flags).
struct load_overrides {
  std::optional<std::string> config;    ///< --config
  std::optional<std::string> ablation;  ///< --ablation (EGSC-IT only)
  std::optional<double> eps;            ///< --eps
  std::optional<bool> noise_test;       ///< --no-noise-test
};

/// A loaded model behind one translate function (it keeps the trainer alive).
struct loaded_translator {
  checkpoint_info info;
  translate_fn translate;
};

/// The model of `info` built as configuration <Cfg, Dis> and loaded for inference (no D, no Adam, no
/// perceptual network).
template <class Cfg, class Dis, class B = cpu_backend<float>>
loaded_translator load_translator_as(const checkpoint_info& info) {
  train_options o = info.options;
  o.perceptual = false;  // inference needs no perceptual network (and must not look for VGG)
  o.vgg.allow_substitute = true;
  loaded_translator r{info, {}};
  const auto quiet = [](const std::string&) {};
  switch (o.kind) {
    case model_kind::egscit:
    case model_kind::unit: {
      auto t = std::make_shared<stage2_trainer<Cfg, B, Dis>>(o, quiet);
      t->load(info.dir, false);
      r.translate = [t](const tensor<float>& c, domain from, const tensor<float>& e, std::uint64_t seed) {
        return B::to_host(t->translate(B::to_backend(c), from, B::to_backend(e), seed));
      };
      return r;
    }
    case model_kind::cyclegan: {
      auto t = std::make_shared<cyclegan_trainer<Cfg, B, Dis>>(o, quiet);
      t->load(info.dir, false);
      r.translate = [t](const tensor<float>& c, domain from, const tensor<float>& e, std::uint64_t seed) {
        return B::to_host(t->translate(B::to_backend(c), from, B::to_backend(e), seed));
      };
      return r;
    }
    case model_kind::munit: {
      auto t = std::make_shared<munit_trainer<Cfg, B, Dis>>(o, quiet);
      t->load(info.dir, false);
      r.translate = [t](const tensor<float>& c, domain from, const tensor<float>& e, std::uint64_t seed) {
        return B::to_host(t->translate(B::to_backend(c), from, B::to_backend(e), seed));
      };
      return r;
    }
  }
  throw value_error(i2i::detail::concat("egscit: '", info.dir.string(), "' holds a ", o.kind,
                                        " model, which this build cannot load"));
}

/// Reads `dir`'s metadata, applies the overrides, and loads the model on backend B (its translate
/// function takes and returns host tensors).
template <class B = cpu_backend<float>>
loaded_translator load_translator(const std::filesystem::path& dir, const load_overrides& over = {}) {
  auto info = read_checkpoint_info(dir);
  if (over.config) info.config = *over.config;
  if (over.ablation) {
    require<value_error>(info.options.kind == model_kind::egscit, "egscit: --ablation applies to EGSC-IT, not to the ",
                         info.options.kind, " model in '", dir.string(), "'");
    auto o = info.options;  // the override replaces the checkpoint's ablation, it does not add to it
    o.transfer.use_mask = o.transfer.use_adain = o.perceptual = true;
    info.options = with_ablation_name(o, *over.ablation);
  }
  if (over.eps) info.options.transfer.eps = *over.eps;
  if (over.noise_test) info.options.noise_test = *over.noise_test;
  info.options.config_name = info.config;
  return with_named_config(info.config, [&]<class Cfg, class Dis>() { return load_translator_as<Cfg, Dis, B>(info); });
}

}  // namespace i2i::egscit
