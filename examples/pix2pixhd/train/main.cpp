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
#include "options.hpp"
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
  pix2pixhd::train_options o;
  o.data.transform.is_train = true;
  examples::device_choice device;
  examples::command_line cli{"pix2pixhd_train",
                             "pix2pixHD's train.py on the CPU backend, or on a CUDA GPU with --gpu / --gpu_ids N"};
  p2phd_train::declare_options(cli, o, device);
  examples::add_threads(cli);
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
  if (o.cuda_graphs && gpu < 0) {
    std::cerr << "pix2pixhd_train: --cuda_graphs needs --gpu or --gpu_ids N (CUDA graphs replay device work)"
              << std::endl;
    return 2;
  }
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
