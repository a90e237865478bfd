#pragma once
// The EGSC-IT family's trainers on two backends, written once over B and compiled twice: with
// cpu_backend<float> in egscit_trainer_reference.cpp and with cuda_backend<float, cuda::fp32_strict> in
// test_egscit_trainer_parity.cu. Eigen-free: the egscit headers and host helpers only.
//
// Configuration: EGSC-IT's backbone at its smallest (config<1, 4, 1>, discriminator<3, 4, 2>) on 16 x 16
// RGB images, batch 2, 2 G steps per D step, augmentation on (drawn on the host: the same batches on both
// backends), lr 2e-4. Stage 2 (and its no_mask ablation) loads the F networks that a CPU stage-1 run
// saved; its perceptual terms run on the substitute VGG19 (options.hpp: seeded, the same on both).
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "i2i/io/safetensors.hpp"
#include "i2i/recipes/egscit/cyclegan.hpp"
#include "i2i/recipes/egscit/munit.hpp"
#include "i2i/recipes/egscit/trainer.hpp"
#include "parity_host.hpp"

namespace i2i::parity::egscit_parity {

using cfg = egscit::config<1, 4, 1>;
using dis = egscit::discriminator<3, 4, 2>;
inline constexpr double lr = 2e-4;  // pix2pixHD's, so that test_trainer_parity.cu's weight bound applies
inline constexpr int g_updates = 2;
inline constexpr int image_size = 16;

enum class trainer_kind { stage1, stage2, stage2_no_mask, stage2_no_adain, unit, cyclegan, munit };

inline const char* name_of(trainer_kind k) {
  switch (k) {
    case trainer_kind::stage1: return "stage 1";
    case trainer_kind::stage2: return "stage 2";
    case trainer_kind::stage2_no_mask: return "stage 2 no_mask";
    case trainer_kind::stage2_no_adain: return "stage 2 no_adain";
    case trainer_kind::unit: return "unit";
    case trainer_kind::cyclegan: return "cyclegan";
    case trainer_kind::munit: return "munit";
  }
  return "?";
}

inline egscit::train_options options(trainer_kind k) {
  egscit::train_options o;
  o.batch = 2;
  o.lr = lr;
  o.iterations = 10;
  o.g_updates = g_updates;
  o.seed = 5;
  o.transfer.eps = 1e-5;
  o.log_every = 0;
  o.config_name = "parity";
  switch (k) {
    case trainer_kind::stage1: return egscit::stage1_from(o);
    case trainer_kind::stage2: return o;
    case trainer_kind::stage2_no_mask: return egscit::with_ablation(o, egscit::ablation::no_feature_mask);
    case trainer_kind::stage2_no_adain: return egscit::with_ablation(o, egscit::ablation::no_adain);
    case trainer_kind::unit: return egscit::with_model(o, egscit::model_kind::unit);
    case trainer_kind::cyclegan: return egscit::with_model(o, egscit::model_kind::cyclegan);
    case trainer_kind::munit: return egscit::with_model(o, egscit::model_kind::munit);
  }
  return o;
}

/// n seeded random RGB images of one domain (image i is the same on every call with the same salt).
inline egscit::image_source images(std::size_t n, unsigned salt) {
  return {n, [salt](std::size_t i) {
            io::image img(image_size, image_size, 3);
            std::mt19937 g(unsigned(i) * 7919u + salt);
            for (auto& p : img.pixels) p = std::uint8_t(g() % 256);
            return img;
          }};
}

/// What a run gives back, on the host: the losses of every iteration and the weights it saved.
struct run_result {
  std::vector<egscit::step_losses> losses;
  std::vector<named_host> weights;  // "<file>:<tensor>" of every model file (not the Adam states)
};

/// Every F32 tensor of the model files (*.safetensors but *_adam_*) of `dir`, by file and tensor name.
inline std::vector<named_host> saved_weights(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (e.path().extension() == ".safetensors" && name.find("_adam_") == std::string::npos) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<named_host> v;
  for (const auto& f : files) {
    io::safetensors_reader r(f.string());
    for (const auto& e : r.entries())
      if (e.dtype == io::st_dtype::F32) v.push_back({f.filename().string() + ":" + e.name, r.read<float>(e.name)});
  }
  return v;
}

/// `iterations` iterations of trainer `k` on backend B, then save into `dir`. Stage 2 loads F from
/// `stage1_dir`. With `resume_from`, the trainer first loads that directory's checkpoint with its
/// training state (Adam, iteration) and continues.
template <class B>
run_result run(trainer_kind k, const std::filesystem::path& dir, int iterations,
               const std::filesystem::path& stage1_dir = {}, const std::filesystem::path& resume_from = {}) {
  const auto quiet = [](const std::string&) {};
  const auto a = images(8, 11), b = images(8, 23);
  run_result r;
  const auto go = [&](auto& t) {
    for (int i = 0; i < iterations; ++i) r.losses.push_back(t.step(a, b));
    t.save(dir);
  };
  std::filesystem::create_directories(dir);
  switch (k) {
    case trainer_kind::stage1: {
      egscit::stage1_trainer<cfg, B, dis> t(options(k), quiet);
      if (!resume_from.empty()) t.resume(resume_from);
      go(t);
      break;
    }
    case trainer_kind::stage2:
    case trainer_kind::stage2_no_mask:
    case trainer_kind::stage2_no_adain:
    case trainer_kind::unit: {
      egscit::stage2_trainer<cfg, B, dis> t(options(k), quiet);
      if (!resume_from.empty()) t.load(resume_from, true);
      else if (k != trainer_kind::unit) t.load_feature_masks(stage1_dir);
      go(t);
      break;
    }
    case trainer_kind::cyclegan: {
      egscit::cyclegan_trainer<cfg, B, dis> t(options(k), quiet);
      if (!resume_from.empty()) t.load(resume_from, true);
      go(t);
      break;
    }
    case trainer_kind::munit: {
      egscit::munit_trainer<cfg, B, dis> t(options(k), quiet);
      if (!resume_from.empty()) t.load(resume_from, true);
      go(t);
      break;
    }
  }
  r.weights = saved_weights(dir);
  return r;
}

/// The CPU side (egscit_trainer_reference.cpp).
run_result cpu_run(trainer_kind k, const std::filesystem::path& dir, int iterations,
                   const std::filesystem::path& stage1_dir = {}, const std::filesystem::path& resume_from = {});

}  // namespace i2i::parity::egscit_parity
