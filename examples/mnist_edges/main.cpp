// The foundation's main job: train a small pix2pixHD-style translator on real MNIST digits to draw
// their boundary maps, on the CPU (or a CUDA GPU with --gpu / --gpu_ids N), and show that it learned.
//
//   mnist_edges --data data/mnist --out out/mnist_edges [--steps 1200] [--batch 32] [--threads N] [--gpu]
//
// Prints the test L1 error before and after training next to the "always background" baseline, and
// writes samples.png (rows of input | translation | target for 12 test digits) and metrics.json.
#include <cstdio>
#include <iostream>
#include <string>

#include "device_flags.hpp"
#include "edge_translator.hpp"
#include "i2i/core/threads.hpp"
#include "run.hpp"
#ifdef I2I_EXAMPLES_WITH_GPU
#include "run_gpu_decl.hpp"
#endif

int main(int argc, char** argv) try {
  mnist_edges::run_options r;
  auto& opt = r.train;
  examples::device_choice device_flags;
  examples::command_line cli{"mnist_edges", "Trains a small pix2pixHD-style translator to draw MNIST digits' "
                                            "boundary maps and shows that it learned"};
  cli.add_option("--data", r.data, "the MNIST IDX files (cmake/fetch_mnist.sh puts them in data/mnist)");
  cli.add_option("--out", r.out, "where samples.png and metrics.json go");
  examples::add_number(cli, "--steps", opt.steps, 0, examples::unlimited<int>, "training steps");
  examples::add_number(cli, "--batch", opt.batch, 1, 65536, "images per step");
  examples::add_number(cli, "--lr", opt.lr, 0.0, 1.0, "Adam's learning rate");
  examples::add_seed(cli, opt.seed);
  examples::add_threads(cli);
  examples::add_device_options(cli, device_flags);
  if (const auto status = cli.parse(argc, argv)) return *status;
  const int device = device_flags.cuda_device();
  if (device >= 0) {
    examples::require_cuda_build("mnist_edges");
#ifdef I2I_EXAMPLES_WITH_GPU
    return mnist_edges::run_gpu(r, device);
#endif
  }
  return mnist_edges::run<i2i::cpu_backend<float>>(r, std::to_string(i2i::num_threads()) + " CPU threads");
} catch (const std::exception& e) {
  std::fprintf(stderr, "mnist_edges: %s\n", e.what());
  return 1;
}
