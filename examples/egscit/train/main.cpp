// Trains EGSC-IT stage 1 (feature-mask pretraining) or stage 2 (the full model), or one of the baselines
// the authors ran in the same backbone (UNIT, CycleGAN, MUNIT; egscit.md §6.5), on the CPU or, with
// --gpu / --gpu_ids N, on a CUDA device (docs/egscit.md, research/egscit.md §6):
//
//   egscit_train --stage 1 --data data/egscit/mnist_BW --out runs/mnist/stage1
//   egscit_train --stage 2 --data data/egscit/mnist_BW --stage1 runs/mnist/stage1 --out runs/mnist/stage2
//                [--vgg vgg19.safetensors]
//   egscit_train --model unit|cyclegan|munit --data data/egscit/mnist_BW --out runs/mnist/unit
//   egscit_train --stage 1 --mnist-single --out ...        (MNIST-Single built in memory from real MNIST)
//
// Options: --model egscit|unit|cyclegan|munit (default egscit; the baselines have one stage and need no
// --stage or --stage1), --config mnist|street|small|medium (n_1 = 1 / 3 / two CPU-sized networks, load.hpp),
// --iterations T (poly schedule length, default 60000), --run N (stop after iteration N, resumable), --batch,
// --lr, --g-updates, --style, --content, --eps, --seed, --ablation none|no_mask|no_adain|no_perceptual
// (EGSC-IT), --no-noise-test, --no-augment, --vgg FILE, --vgg-input caffe|imagenet, --perceptual
// vgg19|mobilenet_v2 with --mobilenet-v2 FILE (cmake/fetch_mobilenet_v2.sh's; not VGG19), --resume,
// --save-every N, --log-every N, --gpu, --gpu_ids N, --help. --data DIR reads DIR/trainA and DIR/trainB (egscit_prepare_data's layout).
// The model kind, ablation and configuration go into the checkpoint metadata, so egscit_translate and
// egscit_evaluate rebuild the model without flags; checkpoints are the same files on both backends, so a
// run started on one continues (--resume) on the other.
//
// This file is the host TU (Eigen: the CPU backend, the MNIST reader). The training body is run.hpp; the
// GPU runs are run_gpu.cuh, explicitly instantiated per configuration in nvcc TUs (instantiate_gpu.cu.in).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <memory>
#include <string>

#include "device_flags.hpp"
#include "egscit_options.hpp"
#include "i2i/backend/cpu/backend.hpp"
#include "i2i/recipes/egscit/mnist_single.hpp"
#include "i2i/dist/launch.hpp"
#include "i2i/recipes/egscit/load.hpp"
#include "run.hpp"
#ifdef I2I_EXAMPLES_WITH_GPU
#include "run_gpu_decl.hpp"
#endif

namespace {

using namespace egscit_train;

const std::map<std::string, ablation> ablations{{"none", ablation::none},
                                                {"no_mask", ablation::no_feature_mask},
                                                {"no_adain", ablation::no_adain},
                                                {"no_perceptual", ablation::no_perceptual}};

}  // namespace

int main(int argc, char** argv) try {
  using examples::add_number;
  namespace flags = examples::egscit_flags;
  run_args r;
  std::string model = "egscit", cfg = "mnist", ablation_text = "none", data_dir, mnist_dir, vgg_input = "caffe",
              perceptual = "vgg19", vgg, mobilenet_v2;
  std::optional<int> stage, batch, g_updates;
  std::optional<std::int64_t> iterations;
  std::optional<double> lr, style, content, eps;
  std::optional<std::uint64_t> seed;
  std::int64_t log_every = 100;
  bool mnist_single = false, no_noise_test = false, no_augment = false;
  examples::device_choice device_flags;
  examples::command_line cli{"egscit_train", "Trains EGSC-IT stage 1 or 2, or a baseline in the same backbone "
                                             "(UNIT, CycleGAN, MUNIT)"};
  cli.add_option("--model", model, "the model kind (the baselines have one stage: no --stage, --stage1)")
      ->check(CLI::IsMember({"egscit", "unit", "cyclegan", "munit"}));
  auto* stage_opt = add_number(cli, "--stage", stage, 1, 2, "EGSC-IT's stage (required for --model egscit)");
  auto* data_opt = cli.add_option("--data", data_dir, "reads DIR/trainA and DIR/trainB (egscit_prepare_data's layout)");
  auto* single_opt = cli.add_flag("--mnist-single", mnist_single, "MNIST-Single built in memory from real MNIST");
  data_opt->excludes(single_opt);
  cli.add_option("--mnist", mnist_dir, "with --mnist-single: the MNIST IDX files (default $I2I_DATA_DIR/mnist)")
      ->needs(single_opt);
  cli.add_option("--out", r.out, "where checkpoints are saved")->required();
  auto* stage1_opt = cli.add_option("--stage1", r.stage1, "stage 2: stage 1's output (F_A/F_B.safetensors)");
  flags::add_config(cli, cfg);
  add_number(cli, "--iterations", iterations, 1, examples::unlimited<std::int64_t>,
             "the poly schedule's length (60000)");
  add_number(cli, "--run", r.run, 0, examples::unlimited<std::int64_t>, "stop after iteration N (resumable)");
  add_number(cli, "--batch", batch, 1, 65536, "images per batch");
  add_number(cli, "--lr", lr, 0.0, 1.0, "the learning rate");
  add_number(cli, "--g-updates", g_updates, 1, 1000, "generator updates per discriminator update");
  add_number(cli, "--style", style, 0.0, 1e9, "the style loss's weight");
  add_number(cli, "--content", content, 0.0, 1e9, "the content loss's weight");
  flags::add_eps(cli, eps);
  examples::add_seed(cli, seed, "random seed");
  auto* ablation_opt = cli.add_option("--ablation", ablation_text, "EGSC-IT's ablations")
                           ->check(CLI::IsMember({"none", "no_mask", "no_adain", "no_perceptual"}));
  flags::add_no_noise_test(cli, no_noise_test);
  cli.add_flag("--no-augment", no_augment, "no data augmentation");
  cli.add_option("--vgg", vgg, "torchvision vgg19 features as safetensors");
  cli.add_option("--vgg-input", vgg_input, "the VGG's input normalisation")->check(CLI::IsMember({"caffe", "imagenet"}));
  cli.add_option("--perceptual", perceptual, "the perceptual network")
      ->check(CLI::IsMember({"vgg19", "mobilenet_v2"}));
  cli.add_option("--mobilenet-v2", mobilenet_v2,
                 "for mobilenet_v2: cmake/fetch_mobilenet_v2.sh's file (an 8-bit ImageNet MobileNetV2, not VGG19)");
  cli.add_flag("--resume", r.resume, "resume from --out");
  add_number(cli, "--save-every", r.save_every, 0, examples::unlimited<std::int64_t>,
             "iterations between checkpoints (0: at the end only)");
  add_number(cli, "--log-every", log_every, 1, examples::unlimited<std::int64_t>, "iterations between loss lines");
  examples::add_device_options(cli, device_flags);
  if (const auto status = cli.parse(argc, argv)) return *status;

  const int device = device_flags.cuda_device();
  if (device >= 0) examples::require_cuda_build("egscit_train");
  const model_kind kind = model_kind_from_string(model);
  if (kind == model_kind::egscit)
    require<value_error>(stage.has_value(), "egscit_train: --stage 1 or --stage 2 is required for --model egscit");
  else
    require<value_error>(!*stage_opt && !*stage1_opt && !*ablation_opt, "egscit_train: --model ", kind,
                         " is one stage without F; --stage, --stage1 and --ablation are EGSC-IT's");
  require<value_error>(*data_opt || mnist_single, "egscit_train: give exactly one of --data DIR and --mnist-single");
  r.stage = stage.value_or(2);

  train_options o = cfg == "street" ? preset_mnist_multiple() : preset_mnist_single();
  if (iterations) o.iterations = *iterations;
  if (batch) o.batch = *batch;
  if (lr) o.lr = *lr;
  if (g_updates) o.g_updates = *g_updates;
  if (style) o.weights.style = *style;
  if (content) o.weights.content = *content;
  if (eps) o.transfer.eps = *eps;
  if (seed) o.seed = *seed;
  if (no_noise_test) o.noise_test = false;
  if (no_augment) o.augment = false;
  o.log_every = log_every;
  o.vgg.vgg_weights = vgg;
  o.vgg.normalisation = vgg_input == "imagenet" ? vgg_normalisation::imagenet : vgg_normalisation::caffe_bgr;
  o.vgg.network = perceptual == "mobilenet_v2" ? perceptual_source::mobilenet_v2 : perceptual_source::vgg19;
  o.vgg.mobilenet_v2_weights = mobilenet_v2;
  o = with_ablation(o, ablations.at(ablation_text));
  o = with_model(o, kind);  // after the flags: the baselines' switches are part of the model
  o.config_name = cfg;
  require_named_config(cfg);  // before the data is read

  image_source src_a, src_b;
  std::shared_ptr<data::mnist_single> ms;
  if (!data_dir.empty()) {
    const fs::path d = data_dir;
    src_a = folder_source((d / "trainA").string());
    src_b = folder_source((d / "trainB").string());
  } else {
    const char* env = std::getenv("I2I_DATA_DIR");
    const std::string dir = !mnist_dir.empty() ? mnist_dir : (fs::path(env ? env : I2I_DEFAULT_DATA_DIR) / "mnist").string();
    ms = std::make_shared<data::mnist_single>(data::load_grey_source(data::grey_source::mnist, data::split::train, dir),
                                              data::split::train);
    src_a = {ms->size(), [ms](std::size_t i) { return ms->a(i); }};
    src_b = {ms->size(), [ms](std::size_t i) { return ms->b(i); }};
  }
  const auto job = dist::world();  // under mpirun, one rank of a data-parallel job (docs/distributed.md)
  if (job->world_size() > 1 && job->is_root())
    std::cout << dist::describe(*job) << " (rank 0 prints and saves; batch " << o.batch << " per rank)" << std::endl;
  std::ostream quiet(nullptr);
  std::ostream& cout = job->is_root() ? std::cout : quiet;
  cout << "model " << kind;
  if (kind == model_kind::egscit) cout << " stage " << r.stage << ", ablation " << ablation_name(o);
  cout << ", config " << cfg << (device >= 0 ? ", CUDA device " + std::to_string(device) : "") << ", "
            << src_a.size << " A / " << src_b.size << " B images, batch " << o.batch
            << ", lr " << o.lr << ", T " << o.iterations << ", " << o.g_updates << " G : 1 D\n";
  return with_named_config(cfg, [&]<class Cfg, class Dis>() {
#ifdef I2I_EXAMPLES_WITH_GPU
    if (device >= 0) {
      if constexpr (gpu_built<Cfg>)
        return train_gpu<Cfg, Dis>(r, o, src_a, src_b, device);
      else
        throw value_error("egscit_train: this build has no --gpu trainer for configuration '" + cfg +
                          "' (built for:" EGSCIT_GPU_CONFIG_NAMES "; configure with -DI2I_EGSCIT_GPU_CONFIGS=...)");
    }
#endif
    return train<cpu_backend<float>, Cfg, Dis>(r, o, src_a, src_b, dist::world());
  });
} catch (const std::exception& e) {
  i2i::dist::abort_job_if_distributed(std::string("egscit_train: ") + e.what());
  std::cerr << e.what() << "\n";
  return 1;
}
