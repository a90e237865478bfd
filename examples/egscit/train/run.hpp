#pragma once
// egscit_train's training body over any backend B (Eigen-free and CUDA-free, so that the host TU,
// main.cpp, runs it on cpu_backend and the nvcc TUs of --gpu, run_gpu.cuh, on cuda_backend): the trainer
// of the model kind and stage asked for, the save/resume loop. Images are read and augmented on the
// host; the trainers upload each batch once (trainer_common.hpp).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "i2i/dist/data_parallel.hpp"
#include "i2i/recipes/egscit/cyclegan.hpp"
#include "i2i/recipes/egscit/munit.hpp"
#include "i2i/recipes/egscit/trainer.hpp"

namespace egscit_train {

namespace fs = std::filesystem;
using namespace i2i;
using namespace i2i::egscit;

/// What the training loop takes from egscit_train's command line (main.cpp declares the options).
struct run_args {
  fs::path out;                     ///< --out: where checkpoints are saved (and resumed from)
  int stage = 2;                    ///< --stage 1|2 (EGSC-IT; the baselines have one stage)
  std::optional<std::int64_t> run;  ///< --run N: stop after iteration N (resumable)
  std::int64_t save_every = 4000;   ///< --save-every N
  bool resume = false;              ///< --resume from --out
  std::string stage1;               ///< --stage1 DIR: stage 1's output, for stage 2
};

/// Trains t from where it is (after a resume) as one rank of `job` (docs/distributed.md: rank 0's
/// weights first, gradients averaged, each rank its share of every batch; rank 0 saves and prints).
template <class Trainer>
void run(Trainer& t, const image_source& src_a, const image_source& src_b, const fs::path& out,
         std::int64_t until, std::int64_t save_every, const std::shared_ptr<dist::communicator>& job) {
  t.set_data_parallel(std::make_shared<dist::data_parallel>(job));
  const auto t0 = std::chrono::steady_clock::now();
  while (t.iteration() < until) {
    const auto next = save_every > 0 ? std::min(until, (t.iteration() / save_every + 1) * save_every) : until;
    t.train(src_a, src_b, next);
    if (!job->is_root()) continue;
    t.save(out);
    std::cout << "iteration " << t.iteration() << " saved to " << out.string() << " ("
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s)\n";
  }
}

/// Trains on backend B as one rank of `job`, a communicator for B's tensors (dist::world() on the CPU,
/// dist::device_world on a GPU; one process without mpirun).
template <class B, class Cfg, class Dis>
int train(const run_args& a, const train_options& o, const image_source& src_a, const image_source& src_b,
          const std::shared_ptr<dist::communicator>& job) {
  const fs::path& out = a.out;
  const int stage = a.stage;
  const std::int64_t until = std::min<std::int64_t>(o.iterations, a.run.value_or(o.iterations));
  const std::int64_t save_every = a.save_every;
  auto log = [root = job->is_root()](const std::string& s) {
    if (root) std::cout << s << std::endl;
  };
  std::ostream quiet(nullptr);
  std::ostream& cout = job->is_root() ? std::cout : quiet;
  if (o.kind == model_kind::cyclegan) {
    auto t = std::make_unique<cyclegan_trainer<Cfg, B, Dis>>(o, log);
    if (a.resume) t->load(out, true);
    run(*t, src_a, src_b, out, until, save_every, job);
    cout << "cyclegan done: " << out.string() << " (egscit_evaluate --model " << out.string() << ")\n";
    return 0;
  }
  if (o.kind == model_kind::munit) {
    auto t = std::make_unique<munit_trainer<Cfg, B, Dis>>(o, log);
    if (a.resume) t->load(out, true);
    run(*t, src_a, src_b, out, until, save_every, job);
    cout << "munit done: " << out.string() << " (egscit_evaluate --model " << out.string() << ")\n";
    return 0;
  }
  if (o.kind == model_kind::unit) {  // stage 2 without F: no stage 1 to run or load
    auto t = std::make_unique<stage2_trainer<Cfg, B, Dis>>(o, log);
    if (a.resume) t->load(out, true);
    run(*t, src_a, src_b, out, until, save_every, job);
    cout << "unit done: " << out.string() << " (egscit_evaluate --model " << out.string() << ")\n";
    return 0;
  }
  if (stage == 1) {
    auto t = std::make_unique<stage1_trainer<Cfg, B, Dis>>(stage1_from(o), log);
    if (a.resume) t->resume(out);
    run(*t, src_a, src_b, out, until, save_every, job);
    cout << "stage 1 done: F_A / F_B in " << out.string() << " (pass --stage1 " << out.string()
              << " to stage 2)\n";
    return 0;
  }
  require<value_error>(!a.stage1.empty() || a.resume,
                       "egscit_train: stage 2 needs --stage1 DIR (the stage-1 output with F_A/F_B.safetensors)");
  auto t = std::make_unique<stage2_trainer<Cfg, B, Dis>>(o, log);
  if (a.resume) t->load(out, true);
  else t->load_feature_masks(a.stage1);
  run(*t, src_a, src_b, out, until, save_every, job);
  cout << "stage 2 done: the translator is in " << out.string() << " (egscit_translate --model "
            << out.string() << ")\n";
  return 0;
}

}  // namespace egscit_train
