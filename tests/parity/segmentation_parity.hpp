#pragma once
// segmentation::trainer (the pix2pixHD evaluation's oracle) on two backends, written once over B and
// compiled twice: with cpu_backend<float> in segmentation_reference.cpp and with
// cuda_backend<float, cuda::fp32_strict> in test_segmentation_trainer_parity.cu. Free of backend
// headers: the generic trainer and host helpers only.
//
// Configuration: a U-Net of 4 classes, width 8, depth 2, at 16 x 32, batch 2 (batch norm in train
// mode), class 0 ignored as the program ignores the 'unlabelled' class. Batches are drawn on the host
// from fixed seeds: blocky label maps and images whose colour depends on the class, plus noise.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "i2i/recipes/segmentation/trainer.hpp"
#include "i2i/models/segmentation/unet.hpp"
#include "parity_host.hpp"

namespace i2i::parity {

using segmentation_spec = segmentation::unet<3, 4, 8, 2>;
inline constexpr std::int64_t segmentation_n = 2, segmentation_h = 16, segmentation_w = 32;
inline constexpr double segmentation_lr = 1e-3;

struct segmentation_batch {
  tensor<float> image, label;
};

/// Batch k: 4 x 4 blocks of classes 0..3; image channel c is bright where the class is c, plus noise.
inline segmentation_batch make_segmentation_batch(int k) {
  std::mt19937_64 rng(3000 + std::uint64_t(k));
  segmentation_batch b;
  const std::int64_t hw = segmentation_h * segmentation_w;
  b.label = tensor<float>::empty(shape::nchw(segmentation_n, 1, segmentation_h, segmentation_w));
  b.image = random_host(shape::nchw(segmentation_n, 3, segmentation_h, segmentation_w), 4000 + std::uint64_t(k),
                        -0.3f, 0.3f);
  for (std::int64_t n = 0; n < segmentation_n; ++n) {
    std::vector<int> block(std::size_t((segmentation_h / 4) * (segmentation_w / 4)));
    for (auto& c : block) c = int(rng() % 4);
    for (std::int64_t y = 0; y < segmentation_h; ++y)
      for (std::int64_t x = 0; x < segmentation_w; ++x) {
        const int c = block[std::size_t((y / 4) * (segmentation_w / 4) + x / 4)];
        b.label[n * hw + y * segmentation_w + x] = float(c);
        if (c > 0) b.image[(n * 3 + (c - 1)) * hw + y * segmentation_w + x] += 0.6f;
      }
  }
  return b;
}

/// What a run gives back, on the host.
struct segmentation_run {
  std::vector<double> losses, accuracies;  // per step
  std::vector<named_host> weights;         // every parameter after the run
};

/// `steps` iterations on batches 0..steps-1 from a freshly initialised trainer (seed 5).
template <class B>
segmentation_run run_segmentation_trainer(int steps) {
  segmentation::train_options o;
  o.adam.lr = segmentation_lr;
  o.loss.ignore_index = 0;
  o.seed = 5;
  segmentation::trainer<segmentation_spec, B> t(o);
  segmentation_run r;
  for (int s = 0; s < steps; ++s) {
    const auto b = make_segmentation_batch(s);
    const auto step = t.step(b.image, b.label);
    r.losses.push_back(step.loss);
    r.accuracies.push_back(step.pixel_accuracy);
  }
  for (const auto& p : t.net().all_parameters()) r.weights.push_back({p->name, B::to_host(p->value).clone()});
  return r;
}

/// The CPU side (segmentation_reference.cpp).
segmentation_run cpu_segmentation_run(int steps);

}  // namespace i2i::parity
