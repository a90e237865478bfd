#pragma once
// pix2pixhd_train's command line, declared once for the program (main.cpp) and for the command-line fuzz
// target (tests/fuzz/fuzz_cli.cpp), so that what is fuzzed is what users type. --threads is declared by
// main.cpp itself: it resizes the CPU thread pool as it is read.
#include <cstdint>
#include <string>

#include "device_flags.hpp"
#include "i2i/recipes/pix2pixhd/options.hpp"
#include "pix2pixhd_options.hpp"

namespace p2phd_train {

/// Declares every option of pix2pixhd_train but --threads on `cli`, bound to `o` and `device`.
inline void declare_options(examples::command_line& cli, i2i::pix2pixhd::train_options& o,
                            examples::device_choice& device) {
  namespace flags = examples::pix2pixhd_flags;
  using examples::add_number;
  using examples::unlimited;
  flags::add_experiment(cli, o.name, o.checkpoints_dir);
  cli.add_option("--preset", o.preset, "the compiled network sizes: tiny, cpu or full");
  examples::add_seed(cli, o.seed);
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
  cli.add_flag("--cuda_graphs", o.cuda_graphs,
               "with --gpu: replay each training step as a CUDA graph (falls back, saying why, when it cannot)");
}

}  // namespace p2phd_train
