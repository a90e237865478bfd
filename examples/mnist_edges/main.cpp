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

namespace {

void usage() {
  std::cerr << "usage: mnist_edges --data DIR --out DIR [--steps N] [--batch N] [--lr X] [--threads N] [--seed N]\n"
               "                   [--gpu | --gpu_ids N]\n"
               "  DIR holds the MNIST IDX files (cmake/fetch_mnist.sh puts them in data/mnist)\n"
            << examples::gpu_help;
}

}  // namespace

int main(int argc, char** argv) try {
  mnist_edges::run_options r;
  auto& opt = r.train;
  bool gpu_flag = false, has_gpu_ids = false;
  long long gpu_ids = -1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw i2i::value_error("mnist_edges: " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--data") r.data = next();
    else if (a == "--out") r.out = next();
    else if (a == "--steps") opt.steps = std::stoi(next());
    else if (a == "--batch") opt.batch = std::stoi(next());
    else if (a == "--lr") opt.lr = std::stod(next());
    else if (a == "--seed") opt.seed = std::uint32_t(std::stoul(next()));
    else if (a == "--threads") i2i::set_num_threads(std::stoi(next()));
    else if (a == "--gpu") gpu_flag = true;
    else if (a == "--gpu_ids") has_gpu_ids = true, gpu_ids = std::stoll(next());
    else if (a == "-h" || a == "--help") return usage(), 0;
    else return usage(), 2;
  }
  const int device = examples::gpu_device(gpu_flag, has_gpu_ids, gpu_ids);
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
