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
#include <memory>
#include <string>

#include "device_flags.hpp"
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

void usage() {
  std::cerr << "usage: egscit_train [--model egscit|unit|cyclegan|munit] [--stage 1|2]\n"
               "                    (--data DIR | --mnist-single [--mnist DIR]) --out DIR\n"
               "                    [--stage1 DIR] [--config mnist|street|small|medium] [--iterations T] [--run N]\n"
               "                    [--batch B] [--lr LR] [--g-updates K] [--style W] [--content W] [--eps E]\n"
               "                    [--seed S] [--ablation none|no_mask|no_adain|no_perceptual] [--no-noise-test]\n"
               "                    [--no-augment] [--vgg FILE] [--vgg-input caffe|imagenet]\n"
               "                    [--perceptual vgg19|mobilenet_v2] [--mobilenet-v2 FILE] [--resume]\n"
               "                    [--save-every N] [--log-every N] [--gpu | --gpu_ids N] [--help]\n"
            << examples::gpu_help;
}

args parse(int argc, char** argv) {
  static const char* flags[] = {"--mnist-single", "--no-noise-test", "--no-augment", "--resume", "--gpu", "--help"};
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    bool flag = false;
    for (auto f : flags) flag = flag || k == f;
    if (flag) {
      a.kv[k] = "1";
      continue;
    }
    require<value_error>(k.rfind("--", 0) == 0 && i + 1 < argc, "egscit_train: unexpected argument '", k,
                         "' (options take a value)");
    a.kv[k] = argv[++i];
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 2) {
    usage();
    return 2;
  }
  const auto a = parse(argc, argv);
  if (a.has("--help")) {
    usage();
    return 0;
  }
  const int device = examples::gpu_device(a.has("--gpu"), a.has("--gpu_ids"), std::stoll(a.get("--gpu_ids", "-1")));
  if (device >= 0) examples::require_cuda_build("egscit_train");
  const model_kind kind = model_kind_from_string(a.get("--model", "egscit"));
  if (kind == model_kind::egscit)
    require<value_error>(a.has("--stage") && (a.get("--stage") == "1" || a.get("--stage") == "2"),
                         "egscit_train: --stage 1 or --stage 2 is required for --model egscit");
  else
    require<value_error>(!a.has("--stage") && !a.has("--stage1") && !a.has("--ablation"), "egscit_train: --model ",
                         kind, " is one stage without F; --stage, --stage1 and --ablation are EGSC-IT's");
  require<value_error>(a.has("--out"), "egscit_train: --out DIR is required");
  require<value_error>(a.has("--data") != a.has("--mnist-single"), "egscit_train: give exactly one of --data DIR "
                       "and --mnist-single");
  const std::string cfg = a.get("--config", "mnist");

  train_options o = cfg == "street" ? preset_mnist_multiple() : preset_mnist_single();
  if (a.has("--iterations")) o.iterations = std::stoll(a.get("--iterations"));
  if (a.has("--batch")) o.batch = std::stoi(a.get("--batch"));
  if (a.has("--lr")) o.lr = std::stod(a.get("--lr"));
  if (a.has("--g-updates")) o.g_updates = std::stoi(a.get("--g-updates"));
  if (a.has("--style")) o.weights.style = std::stod(a.get("--style"));
  if (a.has("--content")) o.weights.content = std::stod(a.get("--content"));
  if (a.has("--eps")) o.transfer.eps = std::stod(a.get("--eps"));
  if (a.has("--seed")) o.seed = std::stoull(a.get("--seed"));
  if (a.has("--no-noise-test")) o.noise_test = false;
  if (a.has("--no-augment")) o.augment = false;
  o.log_every = std::stoll(a.get("--log-every", "100"));
  o.vgg.vgg_weights = a.get("--vgg");
  o.vgg.normalisation = a.get("--vgg-input", "caffe") == "imagenet" ? vgg_normalisation::imagenet
                                                                    : vgg_normalisation::caffe_bgr;
  const std::string perceptual = a.get("--perceptual", "vgg19");
  require<value_error>(perceptual == "vgg19" || perceptual == "mobilenet_v2", "egscit_train: --perceptual '",
                       perceptual, "' is not vgg19 or mobilenet_v2");
  o.vgg.network = perceptual == "mobilenet_v2" ? perceptual_source::mobilenet_v2 : perceptual_source::vgg19;
  o.vgg.mobilenet_v2_weights = a.get("--mobilenet-v2");
  const std::string abl = a.get("--ablation", "none");
  const std::map<std::string, ablation> abls{{"none", ablation::none},
                                             {"no_mask", ablation::no_feature_mask},
                                             {"no_adain", ablation::no_adain},
                                             {"no_perceptual", ablation::no_perceptual}};
  require<value_error>(abls.count(abl) != 0, "egscit_train: unknown --ablation '", abl, "'");
  o = with_ablation(o, abls.at(abl));
  o = with_model(o, kind);  // after the flags: the baselines' switches are part of the model
  o.config_name = cfg;

  image_source src_a, src_b;
  std::shared_ptr<data::mnist_single> ms;
  if (a.has("--data")) {
    const fs::path d = a.get("--data");
    src_a = folder_source((d / "trainA").string());
    src_b = folder_source((d / "trainB").string());
  } else {
    const char* env = std::getenv("I2I_DATA_DIR");
    const std::string dir = a.get("--mnist", (fs::path(env ? env : I2I_DEFAULT_DATA_DIR) / "mnist").string());
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
  if (kind == model_kind::egscit) cout << " stage " << a.get("--stage") << ", ablation " << ablation_name(o);
  cout << ", config " << cfg << (device >= 0 ? ", CUDA device " + std::to_string(device) : "") << ", "
            << src_a.size << " A / " << src_b.size << " B images, batch " << o.batch
            << ", lr " << o.lr << ", T " << o.iterations << ", " << o.g_updates << " G : 1 D\n";
  return with_named_config(cfg, [&]<class Cfg, class Dis>() {
#ifdef I2I_EXAMPLES_WITH_GPU
    if (device >= 0) return train_gpu<Cfg, Dis>(a, o, src_a, src_b, device);
#endif
    return train<cpu_backend<float>, Cfg, Dis>(a, o, src_a, src_b, dist::world());
  });
} catch (const std::exception& e) {
  i2i::dist::abort_job_if_distributed(std::string("egscit_train: ") + e.what());
  std::cerr << e.what() << "\n";
  return 1;
}
