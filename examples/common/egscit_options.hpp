#pragma once
// The options that the EGSC-IT programs share (egscit_train, egscit_translate, egscit_evaluate), declared
// once with one help text and one check each. egscit_train binds them to its settings; the programs
// that load a checkpoint bind them to egscit::load_overrides (given, they override the checkpoint's
// metadata), which is why each function takes a plain value or an optional one.
#include <optional>
#include <string>

#include "i2i/recipes/egscit/load.hpp"
#include "program_options.hpp"

namespace examples::egscit_flags {

/// --config mnist|street|small|medium: the compiled network configuration (egscit/load.hpp).
template <class Text>
CLI::Option* add_config(CLI::App& app, Text& config) {
  return add_text(app, "--config", config,
                  "the network configuration: mnist (n_1 = 1), street (n_1 = 3), or the CPU-sized small, medium")
      ->check(CLI::IsMember({"mnist", "street", "small", "medium"}));
}

/// --eps E: AdaIN's epsilon.
template <class Number>
CLI::Option* add_eps(CLI::App& app, Number& eps) {
  return add_number(app, "--eps", eps, 0.0, 1.0, "AdaIN's epsilon");
}

/// --no-noise-test: no latent noise at test time (the reference adds it).
inline CLI::Option* add_no_noise_test(CLI::App& app, bool& no_noise_test) {
  return app.add_flag("--no-noise-test", no_noise_test, "no latent noise at test time");
}

/// What a program that loads a checkpoint may override: --config, --ablation, --eps, --no-noise-test.
/// Call apply() after parsing.
struct override_flags {
  i2i::egscit::load_overrides overrides;
  bool no_noise_test = false;

  i2i::egscit::load_overrides apply() const {
    auto o = overrides;
    if (no_noise_test) o.noise_test = false;
    return o;
  }
};

inline void add_overrides(CLI::App& app, override_flags& f) {
  const std::string group = "Overrides of the checkpoint's metadata";
  add_config(app, f.overrides.config)->group(group);
  add_text(app, "--ablation", f.overrides.ablation,
           "EGSC-IT: none, no_mask, no_adain, no_perceptual, or several joined by '+'")
      ->group(group);
  add_eps(app, f.overrides.eps)->group(group);
  add_no_noise_test(app, f.no_noise_test)->group(group);
}

}  // namespace examples::egscit_flags
