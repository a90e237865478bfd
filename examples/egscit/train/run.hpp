#pragma once
// egscit_train's training body over any backend B (Eigen-free and CUDA-free, so that the host TU,
// main.cpp, runs it on cpu_backend and the nvcc TUs of --gpu, run_gpu.cuh, on cuda_backend): the trainer
// of the model kind and stage asked for, the save/resume loop. Images are read and augmented on the
// host; the trainers upload each batch once (trainer_common.hpp).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "i2i/dist/data_parallel.hpp"
#include "i2i/recipes/egscit/cyclegan.hpp"
#include "i2i/recipes/egscit/munit.hpp"
#include "i2i/recipes/egscit/trainer.hpp"

namespace egscit_train {

namespace fs = std::filesystem;
using namespace i2i;
using namespace i2i::egscit;

struct args {
  std::map<std::string, std::string> kv;
  bool has(const std::string& k) const { return kv.count(k) != 0; }
  std::string get(const std::string& k, const std::string& d = "") const { return has(k) ? kv.at(k) : d; }
};

/// Trains t from where it is (after a resume) as one rank of `job` (docs/distributed.md: rank 0's
/// weights first, gradients averaged, each rank its share of every batch; rank 0 saves and prints).
template <class Trainer>
void run(Trainer& t, const args& a, const image_source& src_a, const image_source& src_b, const fs::path& out,
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
  (void)a;
}

/// Trains on backend B as one rank of `job`, a communicator for B's tensors (dist::world() on the CPU,
/// dist::device_world on a GPU; one process without mpirun).
template <class B, class Cfg, class Dis>
int train(const args& a, const train_options& o, const image_source& src_a, const image_source& src_b,
          const std::shared_ptr<dist::communicator>& job) {
  const fs::path out = a.get("--out");
  const int stage = std::stoi(a.get("--stage", "2"));
  const std::int64_t until = std::min<std::int64_t>(o.iterations, std::stoll(a.get("--run", std::to_string(o.iterations))));
  const std::int64_t save_every = std::stoll(a.get("--save-every", "4000"));
  auto log = [root = job->is_root()](const std::string& s) {
    if (root) std::cout << s << std::endl;
  };
  std::ostream quiet(nullptr);
  std::ostream& cout = job->is_root() ? std::cout : quiet;
  if (o.kind == model_kind::cyclegan) {
    auto t = std::make_unique<cyclegan_trainer<Cfg, B, Dis>>(o, log);
    if (a.has("--resume")) t->load(out, true);
    run(*t, a, src_a, src_b, out, until, save_every, job);
    cout << "cyclegan done: " << out.string() << " (egscit_evaluate --model " << out.string() << ")\n";
    return 0;
  }
  if (o.kind == model_kind::munit) {
    auto t = std::make_unique<munit_trainer<Cfg, B, Dis>>(o, log);
    if (a.has("--resume")) t->load(out, true);
    run(*t, a, src_a, src_b, out, until, save_every, job);
    cout << "munit done: " << out.string() << " (egscit_evaluate --model " << out.string() << ")\n";
    return 0;
  }
  if (o.kind == model_kind::unit) {  // stage 2 without F: no stage 1 to run or load
    auto t = std::make_unique<stage2_trainer<Cfg, B, Dis>>(o, log);
    if (a.has("--resume")) t->load(out, true);
    run(*t, a, src_a, src_b, out, until, save_every, job);
    cout << "unit done: " << out.string() << " (egscit_evaluate --model " << out.string() << ")\n";
    return 0;
  }
  if (stage == 1) {
    auto t = std::make_unique<stage1_trainer<Cfg, B, Dis>>(stage1_from(o), log);
    if (a.has("--resume")) t->resume(out);
    run(*t, a, src_a, src_b, out, until, save_every, job);
    cout << "stage 1 done: F_A / F_B in " << out.string() << " (pass --stage1 " << out.string()
              << " to stage 2)\n";
    return 0;
  }
  require<value_error>(a.has("--stage1") || a.has("--resume"),
                       "egscit_train: stage 2 needs --stage1 DIR (the stage-1 output with F_A/F_B.safetensors)");
  auto t = std::make_unique<stage2_trainer<Cfg, B, Dis>>(o, log);
  if (a.has("--resume")) t->load(out, true);
  else t->load_feature_masks(a.get("--stage1"));
  run(*t, a, src_a, src_b, out, until, save_every, job);
  cout << "stage 2 done: the translator is in " << out.string() << " (egscit_translate --model "
            << out.string() << ")\n";
  return 0;
}

}  // namespace egscit_train
