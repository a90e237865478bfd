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
#include "pix2pixhd_options.hpp"
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
P2PHD_GPU_CONFIGS(P2PHD_EXTERN_GPU)
#undef P2PHD_EXTERN_GPU
#endif
}  // namespace p2phd_train

namespace {

/// The program for one rank of `job` (the whole program when it runs alone).
int train_main(int argc, char** argv, const std::shared_ptr<i2i::dist::communicator>& job) {
  using namespace i2i;
  namespace flags = examples::pix2pixhd_flags;
  using examples::add_number;
  using examples::unlimited;
  pix2pixhd::train_options o;
  o.data.transform.is_train = true;
  examples::device_choice device;
  examples::command_line cli{"pix2pixhd_train",
                             "pix2pixHD's train.py on the CPU backend, or on a CUDA GPU with --gpu / --gpu_ids N"};
  flags::add_experiment(cli, o.name, o.checkpoints_dir);
  cli.add_option("--preset", o.preset, "the compiled network sizes: tiny, cpu or full");
  examples::add_seed(cli, o.seed);
  examples::add_threads(cli);
  examples::add_device_options(cli, device);
  flags::add_data_folders(cli, o.data.dataroot, o.data.phase);
  flags::add_label_nc(cli, o.data.label_nc, "label map classes (0: RGB inputs from <phase>_A)");
  cli.add_flag("--no_instance", o.data.no_instance, "no instance maps");
  flags::add_transform(cli, o.data.transform);
  flags::add_no_flip(cli, o.data.transform.no_flip);
  flags::add_batch_size(cli, o.batch_size);
  cli.add_flag("--serial_batches", o.serial_batches, "take batches in order, not shuffled");
  flags::add_max_dataset_size(cli, o.data.max_dataset_size);
  cli.add_option("--netG", o.netG, "generator: global or local")->check(CLI::IsMember({"global", "local"}));
  cli.add_flag("--instance_feat", o.instance_feat, "append E's instance-pooled features to G's input");
  const std::string preset_checked = "checked against the preset (-1: the preset's)";
  add_number(cli, "--ngf", o.ngf, -1, 4096, "G's first-layer filters; " + preset_checked);
  add_number(cli, "--n_downsample_global", o.n_downsample_global, -1, 16, "G's downsamplings; " + preset_checked);
  add_number(cli, "--n_blocks_global", o.n_blocks_global, -1, 256, "G's residual blocks; " + preset_checked);
  add_number(cli, "--n_local_enhancers", o.n_local_enhancers, -1, 8, "local enhancers; " + preset_checked);
  add_number(cli, "--n_blocks_local", o.n_blocks_local, -1, 256, "local enhancer blocks; " + preset_checked);
  add_number(cli, "--ndf", o.ndf, -1, 4096, "D's first-layer filters; " + preset_checked);
  add_number(cli, "--n_layers_D", o.n_layers_D, -1, 16, "D's layers; " + preset_checked);
  add_number(cli, "--num_D", o.num_D, -1, 16, "discriminator scales; " + preset_checked);
  add_number(cli, "--lambda_feat", o.lambda_feat, 0.0, 1e6, "weight of the feature matching and perceptual losses");
  cli.add_flag("--no_ganFeat_loss", o.no_ganFeat_loss, "no discriminator feature matching loss");
  cli.add_flag("--no_vgg_loss", o.no_vgg_loss, "no perceptual loss");
  cli.add_option("--vgg_weights", o.vgg_weights,
                 "torchvision vgg19 features as safetensors (needed unless --no_vgg_loss)");
  cli.add_option("--perceptual", o.perceptual, "the perceptual network: vgg19 or mobilenet_v2")
      ->check(CLI::IsMember({"vgg19", "mobilenet_v2"}));
  cli.add_option("--mobilenet_v2_weights", o.mobilenet_v2_weights,
                 "for mobilenet_v2: cmake/fetch_mobilenet_v2.sh's file (an 8-bit ImageNet MobileNetV2, not VGG19)");
  cli.add_flag("--no_lsgan", o.no_lsgan, "the vanilla GAN loss instead of least squares");
  add_number(cli, "--pool_size", o.pool_size, 0, 1 << 20, "the fake image pool's size");
  flags::add_schedule(cli, o.niter, o.niter_decay, o.max_iterations, o.lr, o.beta1);
  add_number(cli, "--niter_fix_global", o.niter_fix_global, 0, unlimited<int>,
             "epochs training only the local enhancers (netG local)");
  flags::add_continue_train(cli, o.continue_train);
  cli.add_option("--load_pretrain", o.load_pretrain, "start from this experiment folder's latest checkpoint");
  flags::add_frequencies(cli, o.print_freq, o.save_latest_freq, std::int64_t(0));
  add_number(cli, "--save_epoch_freq", o.save_epoch_freq, 1, unlimited<int>,
             "epochs between numbered snapshots <epoch>_net_G.safetensors");
  if (const auto status = cli.parse(argc, argv)) return *status;

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
  const int gpu = device.cuda_device();
  if (gpu >= 0) {
    examples::require_cuda_build("pix2pixhd_train");
#ifdef I2I_EXAMPLES_WITH_GPU
    p2phd_cli::dispatch_gpu(o, [&]<class Cfg>() { p2phd_train::run_training_gpu<Cfg>(o, gpu, job); });
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
