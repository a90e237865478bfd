// pix2pixhd_train: pix2pixHD's train.py on the CPU backend, or on a CUDA GPU with --gpu / --gpu_ids N
// (research/pix2pixhd.md §2; docs/pix2pixhd.md "Training on a GPU").
/*
     pix2pixhd_train --dataroot data/pix2pixhd/digits --name digits_global --label_nc 11 --preset cpu \
         --netG global --loadSize 256 --fineSize 256 --resize_or_crop none --niter 10 --niter_decay 10 \
         --no_vgg_loss
     pix2pixhd_train ... --name digits_local --netG local --load_pretrain checkpoints/digits_global \
         --niter_fix_global 5
*/
//
// Losses are printed every --print_freq iterations as the reference prints them and appended to
// <checkpoints_dir>/<name>/loss_log.txt; checkpoints are described in pix2pixhd/trainer.hpp and
// docs/pix2pixhd.md.
#include <exception>
#include <fstream>
#include <iostream>

#include "../cli.hpp"
#include "device_flags.hpp"
#include "i2i/core/threads.hpp"
#include "i2i/dist/launch.hpp"
#include "run.hpp"
#include "run_gpu_decl.hpp"

namespace p2phd_train {
#define P2PHD_EXTERN(P, L) P2PHD_DECLARE_4(P, L, extern)
P2PHD_CONFIGS(P2PHD_EXTERN)
#undef P2PHD_EXTERN
#ifdef I2I_EXAMPLES_WITH_GPU
#define P2PHD_EXTERN_GPU(P, L) P2PHD_DECLARE_GPU_4(P, L, extern)
P2PHD_CONFIGS(P2PHD_EXTERN_GPU)
#undef P2PHD_EXTERN_GPU
#endif
}  // namespace p2phd_train

namespace {

const std::string usage =
    std::string("pix2pixhd_train --dataroot DIR --name NAME [options]   (pix2pixHD's train.py options)\n"
                "  experiment: --checkpoints_dir DIR (./checkpoints) --preset cpu|full (cpu) --seed N (0) --threads N\n") +
    examples::gpu_help +
    "  data:       --label_nc N (35; 0 = RGB input from <phase>_A) --no_instance --loadSize N (1024)\n"
    "              --fineSize N (512) --resize_or_crop resize_and_crop|crop|scale_width|scale_width_and_crop|none\n"
    "              (scale_width) --no_flip --batchSize N (1) --serial_batches --max_dataset_size N --phase train\n"
    "  networks:   --netG global|local (global) --instance_feat; checked against the preset:\n"
    "              --ngf --n_downsample_global --n_blocks_global --n_local_enhancers --n_blocks_local\n"
    "              --ndf --n_layers_D --num_D\n"
    "  losses:     --lambda_feat 10 --no_ganFeat_loss --no_vgg_loss --vgg_weights FILE (torchvision vgg19\n"
    "              features as safetensors; needed unless --no_vgg_loss) --no_lsgan --pool_size N (0)\n"
    "              --perceptual vgg19|mobilenet_v2 (vgg19) --mobilenet_v2_weights FILE (for mobilenet_v2:\n"
    "              cmake/fetch_mobilenet_v2.sh's file; an 8-bit ImageNet MobileNetV2, not VGG19)\n"
    "  schedule:   --lr 2e-4 --beta1 0.5 --niter 100 --niter_decay 100 --niter_fix_global N (0)\n"
    "  checkpoints: --continue_train --load_pretrain DIR --save_latest_freq N (1000 iterations)\n"
    "              --save_epoch_freq N (10) --print_freq N (100) --max_iterations N (stop early, resumable)\n";

}  // namespace

namespace {

/// The program for one rank of `job` (the whole program when it runs alone).
int train_main(int argc, char** argv, const std::shared_ptr<i2i::dist::communicator>& job) {
  using namespace i2i;
  p2phd_cli::args a(argc, argv,
                    {"no_instance", "instance_feat", "no_ganFeat_loss", "no_vgg_loss", "no_lsgan", "no_flip",
                     "serial_batches", "continue_train", "gpu"},
                    {"dataroot", "name", "checkpoints_dir", "preset", "seed", "threads", "label_nc", "loadSize",
                     "fineSize", "resize_or_crop", "batchSize", "max_dataset_size", "phase", "netG", "ngf",
                     "n_downsample_global", "n_blocks_global", "n_local_enhancers", "n_blocks_local", "ndf",
                     "n_layers_D", "num_D", "lambda_feat", "vgg_weights", "perceptual", "mobilenet_v2_weights", "pool_size", "lr", "beta1", "niter",
                     "niter_decay", "niter_fix_global", "load_pretrain", "save_latest_freq", "save_epoch_freq",
                     "print_freq", "max_iterations", "gpu_ids"});
  if (a.help || !a.has("dataroot")) {
    std::cout << usage;
    return a.help ? 0 : 2;
  }
  if (a.has("threads")) set_num_threads(int(a.integer("threads", 1)));
  pix2pixhd::train_options o;
  o.name = a.str("name", o.name);
  o.checkpoints_dir = a.str("checkpoints_dir", o.checkpoints_dir);
  o.preset = a.str("preset", o.preset);
  o.seed = std::uint64_t(a.integer("seed", 0));
  o.data.dataroot = a.str("dataroot");
  o.data.phase = a.str("phase", "train");
  o.data.label_nc = int(a.integer("label_nc", 35));
  o.data.no_instance = a.flag("no_instance");
  if (a.has("max_dataset_size")) o.data.max_dataset_size = std::size_t(a.integer("max_dataset_size", 0));
  o.data.transform.load_size = int(a.integer("loadSize", 1024));
  o.data.transform.fine_size = int(a.integer("fineSize", 512));
  o.data.transform.mode = data::parse_resize_mode(a.str("resize_or_crop", "scale_width"));
  o.data.transform.no_flip = a.flag("no_flip");
  o.data.transform.is_train = true;
  o.batch_size = int(a.integer("batchSize", 1));
  o.serial_batches = a.flag("serial_batches");
  o.instance_feat = a.flag("instance_feat");
  o.netG = a.str("netG", "global");
  o.ngf = int(a.integer("ngf", -1));
  o.n_downsample_global = int(a.integer("n_downsample_global", -1));
  o.n_blocks_global = int(a.integer("n_blocks_global", -1));
  o.n_local_enhancers = int(a.integer("n_local_enhancers", -1));
  o.n_blocks_local = int(a.integer("n_blocks_local", -1));
  o.ndf = int(a.integer("ndf", -1));
  o.n_layers_D = int(a.integer("n_layers_D", -1));
  o.num_D = int(a.integer("num_D", -1));
  o.lambda_feat = a.number("lambda_feat", 10);
  o.no_ganFeat_loss = a.flag("no_ganFeat_loss");
  o.no_vgg_loss = a.flag("no_vgg_loss");
  o.vgg_weights = a.str("vgg_weights");
  o.perceptual = a.str("perceptual", o.perceptual);
  o.mobilenet_v2_weights = a.str("mobilenet_v2_weights");
  o.no_lsgan = a.flag("no_lsgan");
  o.pool_size = int(a.integer("pool_size", 0));
  o.lr = a.number("lr", 2e-4);
  o.beta1 = a.number("beta1", 0.5);
  o.niter = int(a.integer("niter", 100));
  o.niter_decay = int(a.integer("niter_decay", 100));
  o.niter_fix_global = int(a.integer("niter_fix_global", 0));
  o.continue_train = a.flag("continue_train");
  o.load_pretrain = a.str("load_pretrain");
  o.save_latest_freq = a.integer("save_latest_freq", 1000);
  o.save_epoch_freq = int(a.integer("save_epoch_freq", 10));
  o.print_freq = a.integer("print_freq", 100);
  o.max_iterations = a.integer("max_iterations", -1);
  require<value_error>(o.print_freq >= 1, "--print_freq must be >= 1");

  if (job->world_size() > 1 && job->is_root())
    std::cout << dist::describe(*job) << " (rank 0 prints, logs and saves)" << std::endl;
  // opt.txt, as the reference writes it: every option of this run.
  if (job->is_root()) {
    std::filesystem::create_directories(std::filesystem::path(o.checkpoints_dir) / o.name);
    std::ofstream f((std::filesystem::path(o.checkpoints_dir) / o.name / "opt.txt").string());
    f << "------------ Options -------------\n";
    for (int i = 1; i < argc; ++i) f << argv[i] << (i + 1 < argc && argv[i + 1][0] != '-' ? " " : "\n");
    f << "-------------- End ----------------\n";
  }
  const int gpu = examples::gpu_device(a.flag("gpu"), a.has("gpu_ids"), a.integer("gpu_ids", -1));
  if (gpu >= 0) {
    examples::require_cuda_build("pix2pixhd_train");
#ifdef I2I_EXAMPLES_WITH_GPU
    p2phd_cli::dispatch(o, [&]<class Cfg>() { p2phd_train::run_training_gpu<Cfg>(o, gpu, job); });
#endif
  } else {
    p2phd_cli::dispatch(o, [&]<class Cfg>() { p2phd_train::run_training<Cfg>(o, job); });
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    // Under mpirun each process is one rank of a data-parallel job (docs/distributed.md); alone, one process.
    return train_main(argc, argv, i2i::dist::world());
  } catch (const std::exception& e) {
    i2i::dist::abort_job_if_distributed(std::string("pix2pixhd_train: ") + e.what());
    std::cerr << "pix2pixhd_train: " << e.what() << "\n";
    return 1;
  }
}
